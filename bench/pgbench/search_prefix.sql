\set n random(1, :prefixes)
SELECT id, reference, customer_type, first_name, middle_name, last_name, company_name, email, phone_number, country, status, metadata, created_at, updated_at, archived_at FROM customers WHERE organization_id = :org AND environment = :env AND status <> 'deleted' AND (
  (lower(first_name) >= (SELECT lo FROM bench.prefixes WHERE n = :n)
   AND lower(first_name) < (SELECT hi FROM bench.prefixes WHERE n = :n))
  OR (lower(last_name) >= (SELECT lo FROM bench.prefixes WHERE n = :n)
   AND lower(last_name) < (SELECT hi FROM bench.prefixes WHERE n = :n)))
  ORDER BY id DESC LIMIT 20;
