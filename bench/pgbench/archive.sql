-- Ids of the references' own archive range (re-archiving costs the same UPDATE).
\set n random(:archive_lo, :archive_hi)
UPDATE customers SET status = 'archived', archived_at = now(), updated_at = now()
WHERE organization_id = :org AND environment = :env AND id = (SELECT id FROM bench.sample WHERE n = :n)
RETURNING id, reference, customer_type, first_name, middle_name, last_name, company_name, email, phone_number, country, status, metadata, created_at, updated_at, archived_at;
