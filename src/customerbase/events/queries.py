"""Reads of the event log and the audit trail on the fast path (`kit.fastdb`): keyset pages,
newest first, over indexes that lead with (organization_id, environment)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from customerbase.kit.fastdb import Row
from customerbase.kit.keyset import TenantQueries

EVENT_COLUMNS = "id, type, created_at, environment, api_version, customer_id, data"
AUDIT_COLUMNS = (
    "id, customer_id, action, actor_type, actor_id, request_id, event_id, changes, created_at"
)
MAX_TYPES = 20
_TYPE = re.compile(r"^[a-z_]+(\.[a-z_]+)*(\.\*)?$|^\*$")


def parse_types(value: str | None) -> list[str] | None:
    """The comma-separated types of a `type` filter; raises ValueError naming a bad one."""
    if value is None:
        return None
    types = [part.strip() for part in value.split(",") if part.strip()]
    if not types:
        raise ValueError("must name at least one event type")
    if len(types) > MAX_TYPES:
        raise ValueError(f"may name at most {MAX_TYPES} event types")
    for kind in types:
        if len(kind) > 64 or not _TYPE.match(kind):
            raise ValueError(f"{kind[:64]!r} is not an event type (such as customer.updated)")
    return None if "*" in types else types


@dataclass(slots=True)
class EventFilter:
    types: list[str] | None = None
    customer_id: uuid.UUID | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None


class EventQueries(TenantQueries):
    async def get(self, event_id: uuid.UUID) -> Row | None:
        return await self.connection.fetchrow(
            f"SELECT {EVENT_COLUMNS} FROM events"
            " WHERE organization_id = $1 AND environment = $2 AND id = $3",
            *self.args,
            self.db.uuid(event_id),
        )

    async def page(
        self,
        filters: EventFilter,
        *,
        after: uuid.UUID | None,
        before: uuid.UUID | None,
        limit: int,
    ) -> Sequence[Row]:
        """Newest first: `after` pages to older events, `before` to newer ones (returned newest
        first too)."""
        db = self.db
        where = ["organization_id = $1", "environment = $2"]
        if filters.types:
            alternatives = []
            for kind in filters.types:
                if kind.endswith(".*"):
                    prefix = kind[:-1]  # "customer."
                    alternatives.append(
                        f"(type >= {self._arg(prefix)} AND type < {self._arg(prefix[:-1] + '/')})"
                    )
                else:
                    alternatives.append(f"type = {self._arg(kind)}")
            where.append(f"({' OR '.join(alternatives)})")
        if filters.customer_id is not None:
            where.append(f"customer_id = {self._arg(db.uuid(filters.customer_id))}")
        if filters.created_from is not None:
            where.append(f"created_at >= {self._arg(db.timestamp(filters.created_from))}")
        if filters.created_before is not None:
            where.append(f"created_at < {self._arg(db.timestamp(filters.created_before))}")
        return await self._page(
            "events", EVENT_COLUMNS, where, after=after, before=before, limit=limit
        )

    async def history(
        self,
        customer_id: uuid.UUID,
        *,
        after: uuid.UUID | None,
        before: uuid.UUID | None,
        limit: int,
    ) -> Sequence[Row]:
        db = self.db
        where = ["organization_id = $1", "environment = $2"]
        where.append(f"customer_id = {self._arg(db.uuid(customer_id))}")
        return await self._page(
            "audit_entries", AUDIT_COLUMNS, where, after=after, before=before, limit=limit
        )
