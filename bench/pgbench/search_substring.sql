\set n random(1, :substrings)
SELECT id, reference, customer_type, first_name, middle_name, last_name, company_name, email, phone_number, country, status, metadata, created_at, updated_at, archived_at FROM customers WHERE organization_id = :org AND environment = :env AND status <> 'deleted'
  AND lower(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))
      LIKE (SELECT pattern FROM bench.substrings WHERE n = :n)
  ORDER BY id DESC LIMIT 20;
