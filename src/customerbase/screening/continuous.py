"""Continuous screening: after a list changes, every customer is screened again.

A sweep walks the customers screened against another version of the lists (or never: bulk
imports), in primary-key order, a batch at a time: it reads a batch, screens it in memory and
writes it back in a short transaction of its own, so that the API is never blocked for long
(on SQLite a batch holds the one writer for a few milliseconds). A customer changed by a
request since the batch was read is left to that request (it screened the customer itself);
a sweep that stops half-way resumes where it left off, since the finished customers carry the
current token. A customer whose status or hits change gets an event and an audit entry
(`customer.screening_updated`, by the system); the others only record the token.

The server runs `ContinuousScreening` in the background; `customerbase watchlists rescreen`
runs one sweep from the command line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, bindparam, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from customerbase.customers.serializers import customer_to_dict
from customerbase.events import record, register_event_types
from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database
from customerbase.kit.time import utcnow
from customerbase.models import Customer
from customerbase.organizations.service import Tenant
from customerbase.screening import service
from customerbase.screening.matcher import WatchlistIndex

logger = logging.getLogger(__name__)

SCREENING_UPDATED = "customer.screening_updated"
SCREENING_REVIEWED = "customer.screening_reviewed"
register_event_types(SCREENING_UPDATED, SCREENING_REVIEWED)

SYSTEM_KEY = uuid.UUID(int=0)
BATCH = 1000

# (customers done, customers to do)
Progress = Callable[[int, int], None]

_COLUMNS = (
    Customer.organization_id,
    Customer.id,
    Customer.customer_type,
    Customer.first_name,
    Customer.middle_name,
    Customer.last_name,
    Customer.company_name,
    Customer.screening_status,
    Customer.screening_hits,
    Customer.updated_at,
)


@dataclass
class RescreenSummary:
    token: str
    screened: int = 0
    changed: int = 0
    skipped: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "screened": self.screened,
            "changed": self.changed,
            "skipped_concurrently_changed": self.skipped,
            "seconds": round(self.seconds, 3),
        }


def _stale(token: str) -> Any:
    return (
        or_(Customer.screened_version.is_(None), Customer.screened_version != token),
        Customer.status != "deleted",
    )


async def count_stale(session: AsyncSession, token: str) -> int:
    total = await session.scalar(select(func.count()).select_from(Customer).where(*_stale(token)))
    return int(total or 0)


_TABLE: Table = Customer.__table__  # type: ignore[assignment]
_MARK = (
    _TABLE.update()
    .where(
        _TABLE.c.organization_id == bindparam("b_organization_id"),
        _TABLE.c.id == bindparam("b_id"),
        _TABLE.c.updated_at == bindparam("b_seen"),
    )
    .values(screened_version=bindparam("b_token"), screened_at=bindparam("b_now"))
)


class _Row:
    """Enough of a customer for `service.customer_names`."""

    __slots__ = ("company_name", "customer_type", "first_name", "last_name", "middle_name")

    def __init__(self, row: Any) -> None:
        self.customer_type = row.customer_type
        self.first_name, self.middle_name = row.first_name, row.middle_name
        self.last_name, self.company_name = row.last_name, row.company_name


async def _write_changed(
    session: AsyncSession,
    vault: Vault,
    row: Any,
    token: str,
    matches: list[Any],
) -> bool:
    customer = await session.get(Customer, (row.organization_id, row.id), with_for_update=True)
    if customer is None or customer.updated_at != row.updated_at:
        return False
    before = customer_to_dict(customer, vault)
    if service.apply_screening(customer, token, matches):
        customer.updated_at = utcnow()
        tenant = Tenant(customer.organization_id, customer.environment, SYSTEM_KEY)
        after = customer_to_dict(customer, vault)
        record(session, tenant, SCREENING_UPDATED, after, customer_id=customer.id, before=before)
    return True


async def rescreen_customers(
    database: Database,
    vault: Vault,
    *,
    batch_size: int = BATCH,
    on_progress: Progress | None = None,
) -> RescreenSummary:
    """Screen every customer not yet screened against the current lists; one sweep."""
    started = time.perf_counter()
    async with database.read_session() as session:
        token, index = await service.current_index(session)
        total = await count_stale(session, token) if on_progress else 0
    summary = RescreenSummary(token)
    after: tuple[uuid.UUID, uuid.UUID] | None = None
    while True:
        query = select(*_COLUMNS).where(*_stale(token))
        if after is not None:
            query = query.where(tuple_(Customer.organization_id, Customer.id) > tuple_(*after))
        query = query.order_by(Customer.organization_id, Customer.id).limit(batch_size)
        async with database.read_session() as session:
            rows = list((await session.execute(query)).all())
        if not rows:
            break
        after = (rows[-1].organization_id, rows[-1].id)
        await _screen_batch(database, vault, index, token, rows, summary)
        if on_progress:
            on_progress(summary.screened + summary.skipped, max(total, summary.screened))
        await asyncio.sleep(0)  # let requests in between batches
    summary.seconds = time.perf_counter() - started
    return summary


async def _screen_batch(
    database: Database,
    vault: Vault,
    index: WatchlistIndex | None,
    token: str,
    rows: list[Any],
    summary: RescreenSummary,
) -> None:
    now = utcnow()
    unchanged: list[dict[str, Any]] = []
    changed: list[tuple[Any, list[Any]]] = []
    for row in rows:
        matches = service.screen_names(index, service.customer_names(_Row(row)))  # type: ignore[arg-type]
        hits = service.merge_hits(row.screening_hits, matches)
        if service.status_of(hits) == row.screening_status and hits == (row.screening_hits or []):
            unchanged.append(
                {
                    "b_organization_id": row.organization_id,
                    "b_id": row.id,
                    "b_seen": row.updated_at,
                    "b_token": token,
                    "b_now": now,
                }
            )
        else:
            changed.append((row, matches))
    async with database.write_session() as session:
        if unchanged:
            result = await session.execute(_MARK, unchanged)
            # asyncpg's executemany reports no row count (-1): then count them all as marked.
            rowcount = int(getattr(result, "rowcount", -1))
            marked = rowcount if rowcount >= 0 else len(unchanged)
            summary.screened += marked
            summary.skipped += len(unchanged) - marked
        for row, matches in changed:
            if await _write_changed(session, vault, row, token, matches):
                summary.screened += 1
                summary.changed += 1
            else:
                summary.skipped += 1


class ContinuousScreening:
    """The server's background task: a sweep whenever customers are behind the lists."""

    def __init__(self, database: Database, vault: Vault, *, interval: float = 30.0) -> None:
        self.database, self.vault, self.interval = database, vault, interval
        self._task: asyncio.Task[None] | None = None
        self.sweeps = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="continuous-screening")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run_once(self) -> RescreenSummary | None:
        async with self.database.read_session() as session:
            token, _index = await service.current_index(session)  # builds (warms) the index
            if not token or not await _any_stale(session, token):
                return None
        summary = await rescreen_customers(self.database, self.vault)
        self.sweeps += 1
        logger.info(
            "continuous screening: %d customers screened, %d changed, in %.1f s",
            summary.screened,
            summary.changed,
            summary.seconds,
        )
        return summary

    async def _run(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("continuous screening failed; retrying later")
            await asyncio.sleep(self.interval)


async def _any_stale(session: AsyncSession, token: str) -> bool:
    found = await session.scalar(select(Customer.id).where(*_stale(token)).limit(1))
    return found is not None
