"""Create on PostgreSQL's fast path: one statement, in autocommit, that checks the block list
and inserts the customer, so that a create costs two round trips with authentication.

The unique indexes are the only uniqueness check: a duplicate fails the INSERT itself
(`UniqueViolationError`) and is then answered 409 with the holder's id. No savepoint, no
pre-check SELECT: the race and the plain duplicate take the same path.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import asyncpg
from sqlalchemy import inspect
from sqlalchemy.dialects import postgresql

from customerbase.customers.repository import Scope
from customerbase.events import EventRows
from customerbase.kit.fastdb import Connection
from customerbase.models import AuditEntry, Customer, Event

_MAPPER = inspect(Customer)
# (attribute, column name, PostgreSQL type) of every column, in table order.
_PG = postgresql.dialect()  # type: ignore[no-untyped-call]


def _cast(column: Any) -> str:
    """The column's type for a parameter cast, without length or collation: an explicit cast
    to VARCHAR(n) would truncate silently (the schemas enforce the lengths)."""
    compiled: str = column.type.compile(dialect=_PG)
    return re.sub(r"\(\d+\)| COLLATE .*$", "", compiled)


_COLUMNS = [
    (prop.key, prop.columns[0].name, _cast(prop.columns[0])) for prop in _MAPPER.column_attrs
]
_NAMES = ", ".join(name for _, name, _ in _COLUMNS)
_VALUES = ", ".join(f"${n}::{kind}" for n, (_, _, kind) in enumerate(_COLUMNS, start=1))
_FIRST_FREE = len(_COLUMNS) + 1

_CONFLICT = (
    "SELECT id, email, reference, bvn_index, nin_index, tin_index FROM customers"
    " WHERE organization_id = $1 AND environment = $2"
    " AND (email = $3 OR reference = $4 OR bvn_index = $5 OR nin_index = $6"
    " OR tin_index = $7) LIMIT 5"
)


def _insert_sql(block_pairs: int) -> str:
    """INSERT ... SELECT guarded by the block list for `block_pairs` (kind, index) pairs."""
    if not block_pairs:
        return f"INSERT INTO customers ({_NAMES}) VALUES ({_VALUES}) RETURNING id"
    org, env = (
        _COLUMNS.index(next(c for c in _COLUMNS if c[1] == "organization_id")) + 1,
        (_COLUMNS.index(next(c for c in _COLUMNS if c[1] == "environment")) + 1),
    )
    pairs = " OR ".join(
        f"(kind = ${_FIRST_FREE + 2 * i} AND blind_index = ${_FIRST_FREE + 2 * i + 1})"
        for i in range(block_pairs)
    )
    return (
        f"INSERT INTO customers ({_NAMES}) SELECT {_VALUES}"
        " WHERE NOT EXISTS (SELECT 1 FROM identity_blocks"
        f" WHERE organization_id = ${org} AND environment = ${env} AND ({pairs}))"
        " RETURNING id"
    )


def _table_columns(model: Any) -> list[tuple[str, str, str]]:
    return [
        (prop.key, prop.columns[0].name, _cast(prop.columns[0]))
        for prop in inspect(model).column_attrs
    ]


_EVENT_COLUMNS = _table_columns(Event)
_AUDIT_COLUMNS = _table_columns(AuditEntry)


def _recorded_insert_sql(block_pairs: int) -> str:
    """The customer's INSERT with its event and audit entry, in one statement: the two rows are
    written only when the customer is (they select from its RETURNING), atomically with it."""
    first = _FIRST_FREE + 2 * block_pairs
    parts = []
    for table, columns in (("events", _EVENT_COLUMNS), ("audit_entries", _AUDIT_COLUMNS)):
        values = ", ".join(f"${first + n}::{kind}" for n, (_, _, kind) in enumerate(columns))
        names = ", ".join(name for _, name, _ in columns)
        parts.append(f"INSERT INTO {table} ({names}) SELECT {values} FROM created")
        first += len(columns)
    return (
        f"WITH created AS ({_insert_sql(block_pairs)}),"
        f" event AS ({parts[0]}), audit AS ({parts[1]})"
        " SELECT id FROM created"
    )


_INSERTS = {n: _recorded_insert_sql(n) for n in range(6)}


async def insert_customer(
    connection: Connection,
    customer: Customer,
    block_pairs: list[tuple[str, str]],
    recorded: EventRows,
) -> bool:
    """Insert `customer` with the event and audit rows that record it, unless one of
    `block_pairs` is blocked (then False, and nothing is written). A unique index that fires
    raises `asyncpg.UniqueViolationError`."""
    assert recorded.audit is not None
    args: list[Any] = [getattr(customer, key) for key, _, _ in _COLUMNS]
    for kind, index in block_pairs:
        args += [kind, index]
    args += [recorded.event[key] for key, _, _ in _EVENT_COLUMNS]
    args += [recorded.audit[key] for key, _, _ in _AUDIT_COLUMNS]
    inserted = await connection.fetchval(_INSERTS[len(block_pairs)], *args)
    return inserted is not None


async def find_conflict(
    connection: Connection, scope: Scope, customer: Customer
) -> tuple[str, uuid.UUID] | None:
    """The first unique field of `customer` already taken in its tenant, and who holds it."""
    rows = await connection.fetch(
        _CONFLICT,
        scope.organization_id,
        scope.environment,
        customer.email,
        customer.reference,
        customer.bvn_index,
        customer.nin_index,
        customer.tin_index,
    )
    for field, value in (
        ("email", customer.email),
        ("reference", customer.reference),
        ("bvn_index", customer.bvn_index),
        ("nin_index", customer.nin_index),
        ("tin_index", customer.tin_index),
    ):
        for row in rows:
            if value is not None and row[field] == value:
                name = field.removesuffix("_index")
                return ("tax_identification_number" if name == "tin" else name), row["id"]
    return None


UniqueViolation = asyncpg.UniqueViolationError
