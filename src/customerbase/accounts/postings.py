"""Posting a transaction on PostgreSQL's fast path: one statement, in autocommit, so one
transaction and one round trip.

The statement is a conditional UPDATE of the balance (`balance + delta` stays within
[0, MAX_BALANCE], the account is active in the posting's currency, its customer is active and
not blacklisted) whose RETURNING feeds the INSERTs of the transaction row, its event and its
audit entry. Concurrent postings to one account queue on the account's row lock; each one
re-checks the condition on the balance the previous one left (READ COMMITTED re-evaluates the
WHERE clause of a locked row), so 50 concurrent debits never overdraw and every debit that
fits succeeds. No row back means a refusal, which `ACCOUNT_STATE` then explains; a reference
already used on the account fails the unique index and the whole statement with it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from customerbase.events import EventRows
from customerbase.kit.fastdb import Connection, Row

POST = """
WITH posted AS (
  UPDATE accounts AS a SET balance = a.balance + $4::bigint, updated_at = $5::timestamptz
  WHERE a.organization_id = $1::uuid AND a.environment = $2::varchar AND a.id = $3::uuid
    AND a.status = 'active' AND a.currency = $6::varchar
    AND a.balance + $4::bigint BETWEEN 0 AND $7::bigint
    AND EXISTS (SELECT 1 FROM customers AS c WHERE c.organization_id = a.organization_id
      AND c.id = a.customer_id AND c.status = 'active' AND NOT c.blacklisted)
  RETURNING a.balance, a.customer_id
), posting AS (
  INSERT INTO transactions (id, organization_id, environment, account_id, customer_id,
    direction, amount, currency, reference, narration, balance_after, status, created_at)
  SELECT $8::uuid, $1::uuid, $2::varchar, $3::uuid, p.customer_id, $9::varchar, $10::bigint,
    $6::varchar, $11::varchar, $12::varchar, p.balance, 'successful', $5::timestamptz
  FROM posted AS p
  RETURNING customer_id, balance_after
), event AS (
  INSERT INTO events (id, organization_id, environment, type, customer_id, api_version, data,
    created_at)
  SELECT $13::uuid, $1::uuid, $2::varchar, 'transaction.created', t.customer_id, $14::varchar,
    jsonb_set(jsonb_set($15::jsonb, '{object,balance_after}', to_jsonb(t.balance_after)),
      '{object,customer_id}', to_jsonb(t.customer_id::text)),
    $5::timestamptz
  FROM posting AS t
), audit AS (
  INSERT INTO audit_entries (id, organization_id, environment, customer_id, action,
    actor_type, actor_id, request_id, event_id, changes, created_at)
  SELECT $16::uuid, $1::uuid, $2::varchar, t.customer_id, 'transaction.created', $17::varchar,
    $18::varchar, $19::varchar, $13::uuid,
    jsonb_set(jsonb_set($20::jsonb, '{balance_after,new}', to_jsonb(t.balance_after)),
      '{customer_id,new}', to_jsonb(t.customer_id::text)),
    $5::timestamptz
  FROM posting AS t
)
SELECT balance_after, customer_id FROM posting
"""

# Why a posting found no row (and whether its reference was used already): portable SQL.
ACCOUNT_STATE = (
    "SELECT a.status, a.currency, a.balance, a.customer_id, c.status AS customer_status,"
    " c.blacklisted,"
    " (SELECT t.id FROM transactions AS t WHERE t.organization_id = a.organization_id"
    "  AND t.environment = a.environment AND t.account_id = a.id AND t.reference = $4)"
    " AS existing_id"
    " FROM accounts AS a JOIN customers AS c"
    " ON c.organization_id = a.organization_id AND c.id = a.customer_id"
    " WHERE a.organization_id = $1 AND a.environment = $2 AND a.id = $3"
)

BY_REFERENCE = (
    "SELECT id FROM transactions WHERE organization_id = $1 AND environment = $2"
    " AND account_id = $3 AND reference = $4"
)

UniqueViolation = asyncpg.UniqueViolationError


async def post(
    connection: Connection,
    *,
    organization_id: uuid.UUID,
    environment: str,
    account_id: uuid.UUID,
    transaction_id: uuid.UUID,
    direction: str,
    amount: int,
    currency: str,
    reference: str,
    narration: str | None,
    max_balance: int,
    now: datetime,
    recorded: EventRows,
) -> Row | None:
    """The posting's `balance_after` and `customer_id`, or None when the condition failed
    (nothing written). Raises `UniqueViolation` when the reference is taken."""
    event, audit = recorded.event, recorded.audit
    assert audit is not None
    delta = amount if direction == "credit" else -amount
    args: list[Any] = [
        organization_id,
        environment,
        account_id,
        delta,
        now,
        currency,
        max_balance,
        transaction_id,
        direction,
        amount,
        reference,
        narration,
        event["id"],
        event["api_version"],
        event["data"],
        audit["id"],
        audit["actor_type"],
        audit["actor_id"],
        audit["request_id"],
        audit["changes"],
    ]
    return await connection.fetchrow(POST, *args)
