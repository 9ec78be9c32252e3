\set n random(1, :reads)
UPDATE customers SET middle_name = 'Bench' || :n, updated_at = now()
WHERE organization_id = :org AND environment = :env AND id = (SELECT id FROM bench.sample WHERE n = :n)
RETURNING id, reference, customer_type, first_name, middle_name, last_name, company_name, email, phone_number, country, status, metadata, created_at, updated_at, archived_at;
