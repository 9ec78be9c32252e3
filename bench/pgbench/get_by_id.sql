-- The minimal service's statement; ids come from bench.sample (one primary-key probe more).
\set n random(1, :reads)
SELECT id, reference, customer_type, first_name, middle_name, last_name, company_name, email, phone_number, country, status, metadata, created_at, updated_at, archived_at FROM customers WHERE organization_id = :org AND environment = :env AND id = (SELECT id FROM bench.sample WHERE n = :n);
