"""Reads of accounts, cards and transactions on the fast path (`kit.fastdb`): SQL written once
with `$n` placeholders, scoped by organization and environment, served by indexes that lead
with both; keyset pages newest first (ids are UUIDv7)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from customerbase.accounts.serializers import ACCOUNT_COLUMNS, CARD_COLUMNS, TRANSACTION_COLUMNS
from customerbase.kit.fastdb import Connection, FastDB, Row


@dataclass(slots=True)
class TransactionFilter:
    account_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    direction: str | None = None
    currency: str | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
    min_amount: int | None = None
    max_amount: int | None = None


class AccountQueries:
    def __init__(
        self, db: FastDB, connection: Connection, organization_id: uuid.UUID, environment: str
    ) -> None:
        self.db = db
        self.connection = connection
        self.args: list[Any] = [db.uuid(organization_id), environment]

    def _arg(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

    async def _one(self, table: str, columns: str, row_id: uuid.UUID) -> Row | None:
        return await self.connection.fetchrow(
            f"SELECT {columns} FROM {table}"
            " WHERE organization_id = $1 AND environment = $2 AND id = $3",
            *self.args[:2],
            self.db.uuid(row_id),
        )

    async def account(self, account_id: uuid.UUID) -> Row | None:
        return await self._one("accounts", ACCOUNT_COLUMNS, account_id)

    async def card(self, card_id: uuid.UUID) -> Row | None:
        return await self._one("cards", CARD_COLUMNS, card_id)

    async def transaction(self, transaction_id: uuid.UUID) -> Row | None:
        return await self._one("transactions", TRANSACTION_COLUMNS, transaction_id)

    async def _page(
        self,
        table: str,
        columns: str,
        where: list[str],
        *,
        after: uuid.UUID | None,
        before: uuid.UUID | None,
        limit: int,
    ) -> Sequence[Row]:
        order = "DESC"
        if after is not None:
            where.append(f"id < {self._arg(self.db.uuid(after))}")
        elif before is not None:
            where.append(f"id > {self._arg(self.db.uuid(before))}")
            order = "ASC"
        sql = (
            f"SELECT {columns} FROM {table} WHERE {' AND '.join(where)}"
            f" ORDER BY id {order} LIMIT {self._arg(limit)}"
        )
        rows = list(await self.connection.fetch(sql, *self.args))
        return rows[::-1] if order == "ASC" else rows

    async def accounts_of(
        self,
        customer_id: uuid.UUID,
        *,
        after: uuid.UUID | None,
        before: uuid.UUID | None,
        limit: int,
    ) -> Sequence[Row]:
        where = ["organization_id = $1", "environment = $2"]
        where.append(f"customer_id = {self._arg(self.db.uuid(customer_id))}")
        return await self._page(
            "accounts", ACCOUNT_COLUMNS, where, after=after, before=before, limit=limit
        )

    async def cards_of(
        self,
        customer_id: uuid.UUID,
        *,
        after: uuid.UUID | None,
        before: uuid.UUID | None,
        limit: int,
    ) -> Sequence[Row]:
        where = ["organization_id = $1", "environment = $2"]
        where.append(f"customer_id = {self._arg(self.db.uuid(customer_id))}")
        return await self._page(
            "cards", CARD_COLUMNS, where, after=after, before=before, limit=limit
        )

    async def transactions(
        self,
        filters: TransactionFilter,
        *,
        after: uuid.UUID | None,
        before: uuid.UUID | None,
        limit: int,
    ) -> Sequence[Row]:
        db = self.db
        where = ["organization_id = $1", "environment = $2"]
        if filters.account_id is not None:
            where.append(f"account_id = {self._arg(db.uuid(filters.account_id))}")
        if filters.customer_id is not None:
            where.append(f"customer_id = {self._arg(db.uuid(filters.customer_id))}")
        if filters.direction is not None:
            where.append(f"direction = {self._arg(filters.direction)}")
        if filters.currency is not None:
            where.append(f"currency = {self._arg(filters.currency)}")
        if filters.created_from is not None:
            where.append(f"created_at >= {self._arg(db.timestamp(filters.created_from))}")
        if filters.created_before is not None:
            where.append(f"created_at < {self._arg(db.timestamp(filters.created_before))}")
        if filters.min_amount is not None:
            where.append(f"amount >= {self._arg(filters.min_amount)}")
        if filters.max_amount is not None:
            where.append(f"amount <= {self._arg(filters.max_amount)}")
        return await self._page(
            "transactions", TRANSACTION_COLUMNS, where, after=after, before=before, limit=limit
        )

    # --- the customer's summary ----------------------------------------------------------

    async def transaction_totals(self, customer_id: uuid.UUID) -> Sequence[Row]:
        return await self.connection.fetch(
            "SELECT direction, currency, COUNT(*) AS count, SUM(amount) AS total,"
            " MIN(created_at) AS first_at, MAX(created_at) AS last_at FROM transactions"
            " WHERE organization_id = $1 AND environment = $2 AND customer_id = $3"
            " GROUP BY direction, currency ORDER BY direction, currency",
            *self.args[:2],
            self.db.uuid(customer_id),
        )

    async def account_totals(self, customer_id: uuid.UUID) -> Sequence[Row]:
        return await self.connection.fetch(
            "SELECT status, currency, COUNT(*) AS count, SUM(balance) AS balance FROM accounts"
            " WHERE organization_id = $1 AND environment = $2 AND customer_id = $3"
            " GROUP BY status, currency ORDER BY status, currency",
            *self.args[:2],
            self.db.uuid(customer_id),
        )

    async def card_totals(self, customer_id: uuid.UUID) -> Sequence[Row]:
        return await self.connection.fetch(
            "SELECT status, COUNT(*) AS count FROM cards"
            " WHERE organization_id = $1 AND environment = $2 AND customer_id = $3"
            " GROUP BY status ORDER BY status",
            *self.args[:2],
            self.db.uuid(customer_id),
        )
