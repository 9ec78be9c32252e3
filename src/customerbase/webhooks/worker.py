"""The delivery worker: from the outbox (the `events` table) to signed HTTP requests.

One loop, run by `customerbase worker` or embedded in the server process:

1. **Dispatch**: events not yet fanned out (`dispatched_at IS NULL`, oldest first) become one
   `webhook_deliveries` row per enabled endpoint of their tenant that subscribes to their type
   (and existed when the event happened). One worker dispatches at a time (a PostgreSQL
   advisory lock), so deliveries are created in event order.
2. **Claim**: due deliveries (`status = 'pending'`, `next_attempt_at <= now`, endpoint enabled,
   and no earlier event of the same customer still pending for the same endpoint, so that one
   customer's events arrive in order) are locked with `FOR UPDATE SKIP LOCKED` and leased:
   their `next_attempt_at` moves to the end of the lease and the attempt is counted, in one
   short transaction. Two workers never claim the same attempt; a worker killed mid-send
   leaves its deliveries due again when the lease ends, and they are sent again with the same
   `webhook-id` (at least once, never lost).
3. **Send**: the body is rendered from the events row at claim time (never copied into the
   delivery: erasure redacts events in place), signed (Standard Webhooks) and POSTed through
   one pooled aiohttp session (keep-alive connections), up to `concurrency` at a time, each
   bounded to 15 s. (aiohttp rather than httpx: on the 2-core machine httpx's client made
   80-180 requests/s to a local receiver, aiohttp's 1,000-1,200.) The session's only resolver
   checks every address (urls.py), so what is connected to is what was checked.
4. **Record**: outcomes are written in batches: success, the next try (policy.py), or failure;
   `410` and five days of failures disable the endpoint with a `webhook_endpoint.disabled`
   event.

SQLite: run one worker (the embedded one, or `customerbase worker`). Claims are serialised by
SQLite's single writer, so a second worker would not double-send, but it would only add
contention for the one write lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
import orjson
from sqlalchemy import and_, exists, insert, literal_column, select, text, update
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from customerbase import __version__
from customerbase.events.service import event_to_dict
from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database, is_database_unavailable
from customerbase.kit.ids import uuid7
from customerbase.kit.time import utcnow
from customerbase.models import Event, WebhookDelivery, WebhookEndpoint
from customerbase.webhooks import policy
from customerbase.webhooks.service import SECRET_FIELD, disable, subscribes
from customerbase.webhooks.signing import Signer
from customerbase.webhooks.urls import CheckedResolver, Resolver, UnsafeURL

logger = logging.getLogger("customerbase.webhooks")

USER_AGENT = f"customerbase-webhooks/{__version__}"
MAX_RESPONSE_BYTES = 64 * 1024
DISPATCH_LOCK = 0x77686B31  # "whk1": the advisory lock of the dispatcher on PostgreSQL
# Literals, not parameters: the partial index on pending deliveries matches them in any plan.
PENDING: ColumnElement[str] = literal_column("'pending'")
ENABLED: ColumnElement[str] = literal_column("'enabled'")


@dataclass(slots=True)
class Claimed:
    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    attempts: int
    event: dict[str, Any]


@dataclass(slots=True)
class Outcome:
    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    attempts: int
    attempted_at: datetime
    status: int | None
    duration_ms: int
    error: str | None = None
    retry_after: str | None = None


@dataclass(slots=True)
class _EndpointInfo:
    url: str
    updated_at: datetime
    signer: Signer


@dataclass
class Stats:
    sent: int = 0
    succeeded: int = 0
    failed: int = 0


class Worker:
    """Delivers webhooks from one database. `clock` decides what is due (tests move it);
    the `webhook-timestamp` header is always the real time of the attempt."""

    def __init__(
        self,
        database: Database,
        vault: Vault,
        *,
        allow_private: bool = False,
        lease_seconds: float = 60.0,
        concurrency: int = 128,
        batch_size: int = 500,
        poll_interval: float = 0.1,
        timeout: float = policy.TIMEOUT_SECONDS,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        if lease_seconds <= timeout:
            raise ValueError("the lease must outlast the request timeout")
        self.database = database
        self.vault = vault
        self.resolver = Resolver(allow_private=allow_private)
        self.lease = timedelta(seconds=lease_seconds)
        self.concurrency = concurrency
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not a secret
        self._session: aiohttp.ClientSession | None = None
        self.stats = Stats()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._outcomes: list[Outcome] = []
        self._endpoints: dict[uuid.UUID, _EndpointInfo] = {}
        # Whether the last dispatch / claim found work: then the next one skips its probe.
        self._dispatching = False
        self._claiming = False

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self.concurrency,
                resolver=CheckedResolver(self.resolver),
                use_dns_cache=False,  # the resolver caches its checked answers itself
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=aiohttp.ClientTimeout(total=self.timeout, connect=min(5.0, self.timeout)),
                trust_env=False,  # a proxy from the environment must not see (or reroute) them
                auto_decompress=False,
                skip_auto_headers=("Accept-Encoding",),
            )
        return self._session

    async def aclose(self) -> None:
        await self.settle()
        if self._session is not None:
            await self._session.close()

    # --- the loop -------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set, then finish the attempts in flight."""
        while not stop.is_set():
            try:
                busy = await self.step()
            except Exception as exc:
                if is_database_unavailable(exc):
                    logger.warning("webhook worker: database unavailable: %s", type(exc).__name__)
                else:
                    logger.error("webhook worker: step failed: %s", type(exc).__name__)
                busy = False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
                continue
            if not busy:
                await self._idle(stop)
        with contextlib.suppress(Exception):
            await self.settle()

    async def step(self) -> bool:
        """Record finished attempts, dispatch new events, claim and start due deliveries.
        Whether any of it found work."""
        recorded = await self.record_outcomes()
        dispatched = await self.dispatch()
        free = self.concurrency - len(self._in_flight)
        started = await self.claim(min(free, self.batch_size)) if free > 0 else 0
        return bool(recorded or dispatched or started)

    async def settle(self) -> None:
        """Wait for the attempts in flight (each bounded by the timeout) and record them."""
        if self._in_flight:
            await asyncio.wait(set(self._in_flight))
        await self.record_outcomes()

    async def _idle(self, stop: asyncio.Event) -> None:
        stopper = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait(
                {*self._in_flight, stopper},
                timeout=self.poll_interval,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            stopper.cancel()

    # --- 1. dispatch ----------------------------------------------------------------------

    async def _anything(self, sql: str, *args: Any) -> bool:
        """A cheap read on the fast path before a write transaction is opened for nothing."""
        async with self.database.fast.connection() as connection:
            return await connection.fetchval(sql, *args) is not None

    async def dispatch(self) -> int:
        dispatched = await self._dispatch()
        self._dispatching = dispatched > 0
        return dispatched

    async def _dispatch(self) -> int:
        if not self._dispatching and not await self._anything(
            "SELECT 1 FROM events WHERE dispatched_at IS NULL LIMIT 1"
        ):
            return 0
        now = self.clock()
        async with self._transaction() as session:
            if self.database.dialect == "postgresql":
                locked = await session.scalar(
                    text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": DISPATCH_LOCK}
                )
                if not locked:
                    return 0
            events = (
                await session.execute(
                    select(
                        Event.id,
                        Event.organization_id,
                        Event.environment,
                        Event.type,
                        Event.customer_id,
                        Event.created_at,
                    )
                    .where(Event.dispatched_at.is_(None))
                    .order_by(Event.id)
                    .limit(self.batch_size)
                )
            ).all()
            if not events:
                return 0
            organizations = {event.organization_id for event in events}
            endpoints = (
                await session.execute(
                    select(
                        WebhookEndpoint.id,
                        WebhookEndpoint.organization_id,
                        WebhookEndpoint.environment,
                        WebhookEndpoint.events,
                        WebhookEndpoint.created_at,
                    ).where(
                        WebhookEndpoint.status == ENABLED,
                        WebhookEndpoint.organization_id.in_(organizations),
                    )
                )
            ).all()
            by_tenant: dict[tuple[uuid.UUID, str], list[Any]] = {}
            for endpoint in endpoints:
                by_tenant.setdefault((endpoint.organization_id, endpoint.environment), []).append(
                    endpoint
                )
            deliveries = [
                {
                    "id": uuid7(),
                    "organization_id": event.organization_id,
                    "environment": event.environment,
                    "endpoint_id": endpoint.id,
                    "event_id": event.id,
                    "event_type": event.type,
                    "customer_id": event.customer_id,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for event in events
                for endpoint in by_tenant.get((event.organization_id, event.environment), ())
                if endpoint.created_at <= event.created_at
                and subscribes(endpoint.events, event.type)
            ]
            if deliveries:
                await session.execute(insert(WebhookDelivery), deliveries)
            await session.execute(
                update(Event)
                .where(Event.id.in_([event.id for event in events]))
                .values(dispatched_at=now)
            )
        return len(events)

    # --- 2. claim -------------------------------------------------------------------------

    def _due(self, now: datetime, limit: int) -> Any:
        earlier = aliased(WebhookDelivery)
        waiting_for_earlier = exists().where(
            earlier.endpoint_id == WebhookDelivery.endpoint_id,
            earlier.customer_id == WebhookDelivery.customer_id,
            earlier.status == PENDING,
            earlier.event_id < WebhookDelivery.event_id,
        )
        return (
            select(WebhookDelivery.id)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookDelivery.status == PENDING,
                WebhookDelivery.next_attempt_at <= now,
                WebhookEndpoint.status == ENABLED,
                ~waiting_for_earlier,
            )
            .order_by(WebhookDelivery.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True, of=WebhookDelivery)
        )

    async def claim(self, limit: int) -> int:
        """Lease up to `limit` due deliveries and start sending them."""
        started = await self._claim(limit)
        self._claiming = started > 0
        return started

    async def _claim(self, limit: int) -> int:
        now = self.clock()
        fast = self.database.fast
        if not self._claiming and not await self._anything(
            "SELECT 1 FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1"
            " LIMIT 1",
            fast.timestamp(now),
        ):
            return 0
        async with self._transaction() as session:
            ids = list((await session.scalars(self._due(now, limit))).all())
            if not ids:
                return 0
            await session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(ids))
                .values(next_attempt_at=now + self.lease, attempts=WebhookDelivery.attempts + 1)
                .execution_options(synchronize_session=False)
            )
            rows = (
                await session.execute(
                    select(
                        WebhookDelivery.id.label("delivery_id"),
                        WebhookDelivery.endpoint_id,
                        WebhookDelivery.attempts,
                        Event.id,
                        Event.type,
                        Event.created_at,
                        Event.environment,
                        Event.api_version,
                        Event.customer_id,
                        Event.data,
                    )
                    .join(Event, and_(Event.id == WebhookDelivery.event_id))
                    .where(WebhookDelivery.id.in_(ids))
                )
            ).all()
            await self._load_endpoints(session, {row.endpoint_id for row in rows})
        for row in rows:
            mapping = row._mapping
            claimed = Claimed(
                row.delivery_id, row.endpoint_id, row.attempts, event_to_dict(mapping)
            )
            task = asyncio.create_task(self._send(claimed))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        return len(rows)

    async def _load_endpoints(self, session: Any, ids: set[uuid.UUID]) -> None:
        endpoints = (
            await session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(ids)))
        ).all()
        for endpoint in endpoints:
            known = self._endpoints.get(endpoint.id)
            if known is not None and known.updated_at == endpoint.updated_at:
                continue
            self._endpoints[endpoint.id] = _EndpointInfo(
                endpoint.url, endpoint.updated_at, self._signer(endpoint)
            )
        if len(self._endpoints) > 10_000:
            self._endpoints = {key: self._endpoints[key] for key in ids if key in self._endpoints}

    def _signer(self, endpoint: WebhookEndpoint) -> Signer:
        def plain(secret: bytes) -> str:
            return self.vault.decrypt(
                secret, organization_id=endpoint.organization_id, field=SECRET_FIELD
            )

        previous = plain(endpoint.previous_secret) if endpoint.previous_secret else None
        return Signer(plain(endpoint.secret), previous, endpoint.previous_secret_expires_at)

    # --- 3. send --------------------------------------------------------------------------

    async def _send(self, claimed: Claimed) -> None:
        endpoint = self._endpoints[claimed.endpoint_id]
        event = claimed.event
        body = orjson.dumps(event).decode()
        attempted_at = self.clock()
        started = time.perf_counter()
        status: int | None = None
        retry_after: str | None = None
        error: str | None = None
        try:
            await self.resolver.check(endpoint.url)  # also an address literal, never resolved
            headers = {
                **endpoint.signer.headers(event["id"], body, timestamp=utcnow(), now=attempted_at),
                "content-type": "application/json",
                "user-agent": USER_AGENT,
            }
            async with asyncio.timeout(self.timeout):
                async with self._client().post(
                    endpoint.url, data=body.encode(), headers=headers, allow_redirects=False
                ) as response:
                    status = response.status
                    retry_after = response.headers.get("retry-after")
                    read = 0
                    async for chunk in response.content.iter_any():
                        read += len(chunk)
                        if read > MAX_RESPONSE_BYTES:
                            break
        except UnsafeURL as exc:
            error = f"refused: the URL {exc}"[:200]
        except TimeoutError:
            error = f"no answer within {self.timeout:g} s"
        except aiohttp.ClientError as exc:
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, UnsafeURL):
                error = f"refused: the URL {cause}"[:200]
            else:
                error = f"request failed: {type(exc).__name__}"
        duration_ms = int((time.perf_counter() - started) * 1000)
        self.stats.sent += 1
        self._outcomes.append(
            Outcome(
                claimed.delivery_id,
                claimed.endpoint_id,
                claimed.attempts,
                attempted_at,
                status,
                duration_ms,
                error,
                retry_after,
            )
        )

    # --- 4. record ------------------------------------------------------------------------

    async def record_outcomes(self) -> int:
        if not self._outcomes:
            return 0
        outcomes, self._outcomes = self._outcomes, []
        try:
            await self._record(outcomes)
        except BaseException:
            self._outcomes[:0] = outcomes  # kept, and recorded on the next step
            raise
        return len(outcomes)

    async def _record(self, outcomes: list[Outcome]) -> None:
        now = self.clock()
        rows: list[dict[str, Any]] = []
        alive: set[uuid.UUID] = set()
        failing: set[uuid.UUID] = set()
        gone: set[uuid.UUID] = set()
        for outcome in outcomes:
            row: dict[str, Any] = {
                "id": outcome.delivery_id,
                "last_attempt_at": outcome.attempted_at,
                "response_status": outcome.status,
                "duration_ms": outcome.duration_ms,
                "error": outcome.error,
            }
            if policy.is_success(outcome.status):
                alive.add(outcome.endpoint_id)
                row.update(status="succeeded", next_attempt_at=None)
                self.stats.succeeded += 1
            elif outcome.status == policy.GONE:
                gone.add(outcome.endpoint_id)
                row.update(status="failed", next_attempt_at=None)
                self.stats.failed += 1
            else:
                failing.add(outcome.endpoint_id)
                delay = policy.next_delay(
                    outcome.attempts, outcome.status, outcome.retry_after, now, self.rng
                )
                if delay is None:
                    row.update(status="failed", next_attempt_at=None)
                    self.stats.failed += 1
                else:
                    row.update(status="pending", next_attempt_at=now + timedelta(seconds=delay))
            if row["error"] is None and not policy.is_success(outcome.status):
                row["error"] = f"answered {outcome.status}"
            rows.append(row)
        failing -= alive | gone
        async with self._transaction() as session:
            await self._update_deliveries(session, rows)
            if alive:
                await session.execute(
                    update(WebhookEndpoint)
                    .where(
                        WebhookEndpoint.id.in_(alive), WebhookEndpoint.failing_since.is_not(None)
                    )
                    .values(failing_since=None)
                    .execution_options(synchronize_session=False)
                )
            if failing:
                await session.execute(
                    update(WebhookEndpoint)
                    .where(WebhookEndpoint.id.in_(failing), WebhookEndpoint.failing_since.is_(None))
                    .values(failing_since=now)
                    .execution_options(synchronize_session=False)
                )
            to_disable: list[tuple[WebhookEndpoint, str]] = []
            if gone:
                for endpoint in await self._enabled(session, gone):
                    to_disable.append((endpoint, "gone"))
            if failing:
                for endpoint in await self._enabled(session, failing):
                    since = endpoint.failing_since
                    if since is not None and now - since >= policy.DISABLE_AFTER:
                        to_disable.append((endpoint, "failing"))
            for endpoint, reason in to_disable:
                disable(session, endpoint, reason)
                logger.warning("webhook endpoint %s disabled (%s)", endpoint.id, reason)

    async def _update_deliveries(self, session: Any, rows: list[dict[str, Any]]) -> None:
        if self.database.dialect != "postgresql":
            await session.execute(update(WebhookDelivery), rows)  # executemany, local
            return
        # One statement for the batch (the ORM's executemany cost ~0.3 s per 100 rows here).
        columns = [
            ("id", "uuid"),
            ("status", "text"),
            ("next_attempt_at", "timestamptz"),
            ("last_attempt_at", "timestamptz"),
            ("response_status", "int"),
            ("duration_ms", "int"),
            ("error", "text"),
        ]
        arrays = ", ".join(f"CAST(:{name} AS {kind}[])" for name, kind in columns)
        names = ", ".join(name for name, _ in columns)
        assignments = ", ".join(f"{name} = v.{name}" for name, _ in columns[1:])
        await session.execute(
            text(
                f"UPDATE webhook_deliveries AS d SET {assignments}"  # noqa: S608 - constants
                f" FROM unnest({arrays}) AS v({names}) WHERE d.id = v.id"
            ),
            {name: [row[name] for row in rows] for name, _ in columns},
        )

    @contextlib.asynccontextmanager
    async def _transaction(self) -> AsyncIterator[Any]:
        """A write transaction of the worker. On PostgreSQL without waiting for the WAL flush:
        a commit lost in a database crash only means an attempt made again (at least once,
        with the same webhook-id), never a lost event (the event and its dispatch marker are
        written together)."""
        async with self.database.write_session() as session:
            if self.database.dialect == "postgresql":
                await session.execute(text("SET LOCAL synchronous_commit = off"))
            yield session

    async def _enabled(self, session: Any, ids: set[uuid.UUID]) -> list[WebhookEndpoint]:
        statement = (
            select(WebhookEndpoint)
            .where(WebhookEndpoint.id.in_(ids), WebhookEndpoint.status == ENABLED)
            .with_for_update()
        )
        return list((await session.scalars(statement)).all())


async def run_worker(
    database: Database,
    vault: Vault,
    stop: asyncio.Event,
    *,
    allow_private: bool,
    lease_seconds: float,
    concurrency: int = 128,
) -> None:
    worker = Worker(
        database,
        vault,
        allow_private=allow_private,
        lease_seconds=lease_seconds,
        concurrency=concurrency,
    )
    try:
        await worker.run(stop)
    finally:
        await worker.aclose()
