-- The posting's own statements without events: the conditional balance UPDATE feeding the
-- INSERT of the transaction row, on one of the bench accounts, with a unique reference.
\set n random(0, :accounts - 1)
WITH posted AS (
  UPDATE accounts SET balance = balance + 100, updated_at = now()
  WHERE organization_id = :org AND environment = :env
    AND id = (SELECT id FROM accounts WHERE organization_id = :org AND environment = :env
              ORDER BY id OFFSET :n LIMIT 1)
    AND balance + 100 >= 0
  RETURNING id, balance, customer_id
)
INSERT INTO transactions (id, organization_id, environment, account_id, customer_id, direction,
  amount, currency, reference, narration, balance_after, status, created_at)
SELECT gen_random_uuid(), :org, :env, id, customer_id, 'credit', 100, 'NGN',
  gen_random_uuid()::text, 'bench', balance, 'successful', now() FROM posted
RETURNING id, balance_after;
