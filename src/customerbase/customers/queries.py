"""The customer reads of the fast path: plain SQL over a raw connection (`kit.fastdb`).

Every statement is scoped by organization and environment and served by an index that leads
with both: the look-up by id, reference or email (one statement for all three); newest-first
keyset pages over (organization_id, environment, id); the folded search columns. Prefixes are
sent as explicit bounds, never as `LIKE $1`, so that a generic plan cannot lose the index.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from customerbase.customers.repository import CustomerFilter, Scope
from customerbase.customers.serializers import RESPONSE_COLUMNS
from customerbase.kit.fastdb import Connection, FastDB, Row
from customerbase.kit.search import fold, phone_query_digits, prefix_upper_bound
from customerbase.models.customer import SEARCH_COLUMNS

_SELECT = f"SELECT {', '.join(RESPONSE_COLUMNS)} FROM customers"

# id first, then reference, then email: a UUID-shaped reference is found when no customer has
# that id; an email is never taken for a reference (references cannot hold '@').
_GET = (
    f"{_SELECT} WHERE organization_id = $1 AND environment = $2"
    " AND (id = $3 OR reference = $4 OR email = $5)"
    " ORDER BY CASE WHEN id = $3 THEN 0 WHEN reference = $4 THEN 1 ELSE 2 END LIMIT 1"
)

_TEXT_COLUMNS = SEARCH_COLUMNS[:-2]  # names, company, email, reference
_PHONE_COLUMNS = SEARCH_COLUMNS[-2:]  # digits with and without the country code

# An exact count is cheap up to here (an index range of this many entries); beyond it the
# count says "at least" (`item_count_exact: false`) instead of scanning the whole tenant.
COUNT_CAP = 1_000
# Shorter queries match prefixes only (a trigram index needs three characters).
SUBSTRING_MIN = 3


class CustomerQueries:
    def __init__(self, db: FastDB, connection: Connection, scope: Scope) -> None:
        self.db = db
        self.connection = connection
        self.scope = scope
        self._scope_args = (db.uuid(scope.organization_id), scope.environment)

    @staticmethod
    def get_statement(
        db: FastDB, key: str, customer_id: uuid.UUID | None
    ) -> tuple[str, tuple[Any, ...]]:
        """The look-up by id, reference or email as SQL and its arguments after the scope's
        (`$1`, `$2`), for a caller that supplies the scope itself (`authenticated_read`)."""
        email = key.strip().lower() if "@" in key else None
        return _GET, (db.uuid(customer_id) if customer_id is not None else None, key, email)

    async def get(self, key: str, customer_id: uuid.UUID | None) -> Row | None:
        email = key.strip().lower() if "@" in key else None
        return await self.connection.fetchrow(
            _GET,
            *self._scope_args,
            self.db.uuid(customer_id) if customer_id is not None else None,
            key,
            email,
        )

    def _where(self, filters: CustomerFilter) -> tuple[list[str], list[Any]] | None:
        """The WHERE conditions and their arguments; None when nothing can match."""
        db = self.db
        args: list[Any] = list(self._scope_args)

        def arg(value: Any) -> str:
            args.append(value)
            return f"${len(args)}"

        conditions = ["organization_id = $1", "environment = $2"]
        statuses = ", ".join(arg(status) for status in filters.statuses)
        conditions.append(f"status IN ({statuses})")
        for column, value in (
            ("email", filters.email),
            ("phone_number", filters.phone_number),
            ("customer_type", filters.customer_type),
            ("source", filters.source),
            ("reference", filters.reference),
        ):
            if value is not None:
                conditions.append(f"{column} = {arg(value)}")
        if filters.blacklisted is not None:
            conditions.append(f"blacklisted = {arg(db.flag(filters.blacklisted))}")
        if filters.kyc_tier is not None:
            conditions.append(f"kyc_tier = {arg(filters.kyc_tier)}")
        if filters.created_from is not None:
            conditions.append(f"created_at >= {arg(db.timestamp(filters.created_from))}")
        if filters.created_before is not None:
            conditions.append(f"created_at < {arg(db.timestamp(filters.created_before))}")
        if filters.search is not None:
            options: list[str] = []
            text = fold(filters.search)
            digits = phone_query_digits(filters.search.strip())
            # A phone query (four digits or more) matches phone numbers and the starts of the
            # text fields, not the inside of them: "0803..." inside an email is noise.
            if text and len(text) >= SUBSTRING_MIN and not digits:
                # Inside any field, through the trigram index (a prefix is a substring too).
                if db.is_sqlite:
                    phrase = '"' + text.replace('"', '""') + '"'
                    options.append(
                        f"rowid IN (SELECT rowid FROM customers_search_fts"
                        f" WHERE customers_search_fts MATCH {arg(phrase)})"
                    )
                else:
                    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
                    options.append(f"search_text LIKE {arg(f'%{escaped}%')} ESCAPE '\\'")
            elif text:
                low, high = arg(text), arg(prefix_upper_bound(text))
                options += [f"({c} >= {low} AND {c} < {high})" for c in _TEXT_COLUMNS]
            if digits:
                low, high = arg(digits), arg(prefix_upper_bound(digits))
                options += [f"({c} >= {low} AND {c} < {high})" for c in _PHONE_COLUMNS]
            if not options:
                return None
            conditions.append(f"({' OR '.join(options)})")
        return conditions, args

    async def count(self, filters: CustomerFilter) -> tuple[int, bool]:
        """(count, exact): exact up to `COUNT_CAP`, otherwise (COUNT_CAP, False)."""
        cap = COUNT_CAP
        where = self._where(filters)
        if where is None:
            return 0, True
        conditions, args = where
        args.append(cap + 1)
        sql = (
            "SELECT count(*) FROM (SELECT 1 FROM customers"
            f" WHERE {' AND '.join(conditions)} LIMIT ${len(args)}) AS capped"
        )
        total = int(await self.connection.fetchval(sql, *args))
        return (cap, False) if total > cap else (total, True)

    async def count_and_page(
        self, filters: CustomerFilter, *, offset: int, limit: int
    ) -> tuple[int, bool, Sequence[Row]]:
        """`count` and `page` together. On PostgreSQL in one statement (one round trip): the
        capped count, and beside it the page's rows (one row of NULLs when the page is empty);
        on SQLite (in process, no round trip to save) as the two statements."""
        if self.db.is_sqlite:
            total, exact = await self.count(filters)
            return total, exact, await self.page(filters, offset=offset, limit=limit)
        where = self._where(filters)
        if where is None:
            return 0, True, []
        conditions, args = where
        condition = " AND ".join(conditions)
        args.append(COUNT_CAP + 1)
        count = (
            "SELECT count(*) AS matches FROM (SELECT 1 FROM customers"
            f" WHERE {condition} LIMIT ${len(args)}) AS capped"
        )
        args.append(limit)
        page = (
            f"{_SELECT} WHERE {condition}"
            " ORDER BY organization_id DESC, environment DESC, id DESC"
            f" LIMIT ${len(args)}"
        )
        if offset:
            args.append(offset)
            page += f" OFFSET ${len(args)}"
        sql = (
            f"SELECT counted.matches, found.* FROM ({count}) AS counted"
            f" LEFT JOIN LATERAL ({page}) AS found ON true"
        )
        rows = await self.connection.fetch(sql, *args)
        total = int(rows[0]["matches"]) if rows else 0
        items = [row for row in rows if row["id"] is not None]
        exact = total <= COUNT_CAP
        return (total if exact else COUNT_CAP), exact, items

    async def _select(
        self,
        filters: CustomerFilter,
        *,
        cursor: tuple[str, uuid.UUID] | None = None,
        ascending: bool = False,
        offset: int = 0,
        limit: int,
    ) -> Sequence[Row]:
        where = self._where(filters)
        if where is None:
            return []
        conditions, args = where
        if cursor is not None:
            args.append(self.db.uuid(cursor[1]))
            conditions.append(f"id {cursor[0]} ${len(args)}")
        order = "ASC" if ascending else "DESC"
        # Order by the whole index key, so that the (organization_id, environment, id) index
        # delivers the rows in order and the LIMIT stops the scan early.
        sql = (
            f"{_SELECT} WHERE {' AND '.join(conditions)}"
            f" ORDER BY organization_id {order}, environment {order}, id {order}"
        )
        args.append(limit)
        sql += f" LIMIT ${len(args)}"
        if offset:
            args.append(offset)
            sql += f" OFFSET ${len(args)}"
        return await self.connection.fetch(sql, *args)

    async def page(self, filters: CustomerFilter, *, offset: int, limit: int) -> Sequence[Row]:
        return await self._select(filters, offset=offset, limit=limit)

    async def after(
        self, filters: CustomerFilter, cursor: uuid.UUID, *, limit: int
    ) -> Sequence[Row]:
        """Older than `cursor`, newest first."""
        return await self._select(filters, cursor=("<", cursor), limit=limit)

    async def before(
        self, filters: CustomerFilter, cursor: uuid.UUID, *, limit: int
    ) -> Sequence[Row]:
        """Newer than `cursor`: the `limit` closest to it, returned newest first."""
        rows = await self._select(filters, cursor=(">", cursor), ascending=True, limit=limit)
        return list(reversed(rows))

    async def exists(self, filters: CustomerFilter) -> bool:
        return bool(await self._select(filters, limit=1))
