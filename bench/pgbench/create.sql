-- A time-ordered id (UUIDv7 layout) and a unique email, as the services make them.
INSERT INTO customers (organization_id, environment, id, customer_type, first_name, last_name,
  email, phone_number, country, reference, metadata, status, blacklisted, kyc_tier, kyc_status,
  source, created_at, updated_at)
VALUES (:org, :env,
  (lpad(to_hex((extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7'
    || substr(md5(random()::text), 1, 19))::uuid,
  'individual', 'Load', 'Test', gen_random_uuid()::text || '@pgbench.example', '+2348031234567',
  'NG', NULL, '{"segment": "retail"}', 'active', false, 0, 'not_started', 'banking', now(), now())
RETURNING id, reference, customer_type, first_name, middle_name, last_name, company_name, email, phone_number, country, status, metadata, created_at, updated_at, archived_at;
