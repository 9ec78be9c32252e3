"""Reads of accounts, cards and transactions on the fast path: one raw connection, rows as
dicts, keyset pages newest first; and the customer's summary."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from customerbase.accounts.queries import AccountQueries, TransactionFilter
from customerbase.accounts.schemas import PageParams, TransactionListParams
from customerbase.accounts.service import AccountNotFound, CardNotFound, TransactionNotFound
from customerbase.customers import service as customers
from customerbase.kit.errors import ValidationFailed
from customerbase.kit.fastdb import Connection, FastDB, Row, decode_timestamp, decode_uuid
from customerbase.kit.ids import parse_uuid
from customerbase.kit.time import isoformat
from customerbase.organizations.service import Tenant


def _queries(db: FastDB, connection: Connection, tenant: Tenant) -> AccountQueries:
    return AccountQueries(db, connection, tenant.organization_id, tenant.environment)


def _cursor(name: str, value: str | None) -> uuid.UUID | None:
    if value is None:
        return None
    cursor = parse_uuid(value)
    if cursor is None:
        raise ValidationFailed.for_field(name, "must be an id from a previous page")
    return cursor


def _cursors(params: PageParams | TransactionListParams) -> tuple[uuid.UUID | None, ...]:
    if params.starting_after and params.ending_before:
        raise ValidationFailed.for_field("ending_before", "cannot be combined with starting_after")
    return _cursor("starting_after", params.starting_after), _cursor(
        "ending_before", params.ending_before
    )


def page_meta(
    rows: Sequence[Row], take: int, *, after: uuid.UUID | None, before: uuid.UUID | None
) -> tuple[Sequence[Row], dict[str, Any]]:
    """`rows` were fetched with one extra row (take + 1) in the direction of travel."""
    if before is not None:
        has_previous, has_next = len(rows) > take, True
        items = rows[-take:] if has_previous else rows
    else:
        has_next, has_previous = len(rows) > take, after is not None
        items = rows[:take]
    if not items:
        has_next = has_previous = False
    meta = {
        "take": take,
        "has_next_page": has_next,
        "has_previous_page": has_previous,
        "next_cursor": decode_uuid(items[-1]["id"]) if has_next else None,
        "previous_cursor": decode_uuid(items[0]["id"]) if has_previous else None,
    }
    return items, meta


async def get_account(db: FastDB, connection: Connection, tenant: Tenant, key: str) -> Row:
    account_id = parse_uuid(key)
    row = await _queries(db, connection, tenant).account(account_id) if account_id else None
    if row is None:
        raise AccountNotFound("No account found for this id")
    return row


async def get_card(db: FastDB, connection: Connection, tenant: Tenant, key: str) -> Row:
    card_id = parse_uuid(key)
    row = await _queries(db, connection, tenant).card(card_id) if card_id else None
    if row is None:
        raise CardNotFound("No card found for this id")
    return row


async def get_transaction(db: FastDB, connection: Connection, tenant: Tenant, key: str) -> Row:
    transaction_id = parse_uuid(key)
    queries = _queries(db, connection, tenant)
    row = await queries.transaction(transaction_id) if transaction_id else None
    if row is None:
        raise TransactionNotFound("No transaction found for this id")
    return row


async def _customer_id(db: FastDB, connection: Connection, tenant: Tenant, key: str) -> uuid.UUID:
    row = await customers.get_customer(db, connection, tenant, key)
    return uuid.UUID(decode_uuid(row["id"]))


async def list_accounts(
    db: FastDB, connection: Connection, tenant: Tenant, key: str, params: PageParams
) -> tuple[Sequence[Row], dict[str, Any]]:
    after, before = _cursors(params)
    customer_id = await _customer_id(db, connection, tenant, key)
    rows = await _queries(db, connection, tenant).accounts_of(
        customer_id, after=after, before=before, limit=params.take + 1
    )
    return page_meta(rows, params.take, after=after, before=before)


async def list_cards(
    db: FastDB, connection: Connection, tenant: Tenant, key: str, params: PageParams
) -> tuple[Sequence[Row], dict[str, Any]]:
    after, before = _cursors(params)
    customer_id = await _customer_id(db, connection, tenant, key)
    rows = await _queries(db, connection, tenant).cards_of(
        customer_id, after=after, before=before, limit=params.take + 1
    )
    return page_meta(rows, params.take, after=after, before=before)


def _transaction_filter(params: TransactionListParams) -> TransactionFilter:
    if (
        params.min_amount is not None
        and params.max_amount is not None
        and params.min_amount > params.max_amount
    ):
        raise ValidationFailed.for_field("max_amount", "must not be below min_amount")
    start, end = customers.created_bounds(params.created_from, params.created_to)
    return TransactionFilter(
        direction=params.direction.value if params.direction else None,
        currency=params.currency,
        created_from=start,
        created_before=end,
        min_amount=params.min_amount,
        max_amount=params.max_amount,
    )


async def list_transactions(
    db: FastDB,
    connection: Connection,
    tenant: Tenant,
    params: TransactionListParams,
    *,
    account_key: str | None = None,
    customer_key: str | None = None,
) -> tuple[Sequence[Row], dict[str, Any]]:
    """A customer's or an account's transactions, newest first."""
    after, before = _cursors(params)
    filters = _transaction_filter(params)
    if account_key is not None:
        account = await get_account(db, connection, tenant, account_key)
        filters.account_id = uuid.UUID(decode_uuid(account["id"]))
    if customer_key is not None:
        filters.customer_id = await _customer_id(db, connection, tenant, customer_key)
    rows = await _queries(db, connection, tenant).transactions(
        filters, after=after, before=before, limit=params.take + 1
    )
    return page_meta(rows, params.take, after=after, before=before)


ACCOUNT_STATUSES = ("active", "inactive", "closed")
CARD_STATUSES = ("active", "frozen", "inactive", "terminated")


async def summary(db: FastDB, connection: Connection, tenant: Tenant, key: str) -> dict[str, Any]:
    """What the customer's page shows (Bloc's dashboard): transactions counted and totalled
    per direction and currency, balances, accounts and cards by status, first and last
    activity."""
    customer_id = await _customer_id(db, connection, tenant, key)
    queries = _queries(db, connection, tenant)
    totals = await queries.transaction_totals(customer_id)
    accounts = await queries.account_totals(customer_id)
    cards = await queries.card_totals(customer_id)

    directions: dict[str, dict[str, Any]] = {
        "credit": {"count": 0, "totals": {}},
        "debit": {"count": 0, "totals": {}},
    }
    firsts, lasts = [], []
    for row in totals:
        side = directions[row["direction"]]
        side["count"] += int(row["count"])
        side["totals"][row["currency"]] = int(row["total"])
        firsts.append(decode_timestamp(row["first_at"]))
        lasts.append(decode_timestamp(row["last_at"]))
    balances: dict[str, int] = {}
    by_status = dict.fromkeys(ACCOUNT_STATUSES, 0)
    for row in accounts:
        by_status[row["status"]] = by_status.get(row["status"], 0) + int(row["count"])
        balances[row["currency"]] = balances.get(row["currency"], 0) + int(row["balance"])
    card_status = dict.fromkeys(CARD_STATUSES, 0)
    for row in cards:
        card_status[row["status"]] = int(row["count"])
    first = min((f for f in firsts if f is not None), default=None)
    last = max((t for t in lasts if t is not None), default=None)
    return {
        "customer_id": str(customer_id),
        "transactions": {
            "count": directions["credit"]["count"] + directions["debit"]["count"],
            "credits": directions["credit"],
            "debits": directions["debit"],
        },
        "balances": dict(sorted(balances.items())),
        "accounts": {"count": sum(by_status.values()), "by_status": by_status},
        "cards": {"count": sum(card_status.values()), "by_status": card_status},
        "first_activity_at": isoformat(first),
        "last_activity_at": isoformat(last),
    }
