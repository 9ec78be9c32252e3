"""Keyset pages over time-ordered ids (UUIDv7), newest first, on the fast path: the statement
builder every tenant-scoped list shares, the cursors it takes and the meta it answers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from customerbase.kit.errors import ValidationFailed
from customerbase.kit.fastdb import Connection, FastDB, Row, decode_uuid
from customerbase.kit.ids import parse_uuid


class TenantQueries:
    """Statements scoped by organization (`$1`) and environment (`$2`) on a raw connection;
    `arg` numbers each further argument."""

    def __init__(
        self, db: FastDB, connection: Connection, organization_id: uuid.UUID, environment: str
    ) -> None:
        self.db = db
        self.connection = connection
        self.args: list[Any] = [db.uuid(organization_id), environment]

    def _arg(self, value: Any) -> str:
        self.args.append(value)
        return f"${len(self.args)}"

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
        """Newest first: `after` pages to older rows, `before` to newer ones (returned newest
        first too). `where` must lead with the tenant's two conditions."""
        order = "DESC"
        if after is not None:
            where.append(f"id < {self._arg(self.db.uuid(after))}")
        elif before is not None:
            where.append(f"id > {self._arg(self.db.uuid(before))}")
            order = "ASC"
        sql = (
            f"SELECT {columns} FROM {table} WHERE {' AND '.join(where)}"  # noqa: S608
            f" ORDER BY id {order} LIMIT {self._arg(limit)}"
        )
        rows = list(await self.connection.fetch(sql, *self.args))
        return rows[::-1] if order == "ASC" else rows


def cursor(name: str, value: str | None) -> uuid.UUID | None:
    """The id a cursor parameter names; 422 naming the parameter when it names none."""
    if value is None:
        return None
    parsed = parse_uuid(value)
    if parsed is None:
        raise ValidationFailed.for_field(name, "must be an id from a previous page")
    return parsed


def cursors(starting_after: str | None, ending_before: str | None) -> tuple[Any, Any]:
    if starting_after and ending_before:
        raise ValidationFailed.for_field("ending_before", "cannot be combined with starting_after")
    return cursor("starting_after", starting_after), cursor("ending_before", ending_before)


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
