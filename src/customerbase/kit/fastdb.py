"""The fast path to the database: raw driver connections running statements written once.

The hot requests (authentication, reads by id, reference or email, lists and search, create)
run here rather than through SQLAlchemy's ORM, whose session cycle cost more CPU than the
query itself. One connection per request; statements are plain SQL, prepared and cached by
the driver (asyncpg keeps a statement cache per connection; sqlite3 one per connection);
rows come back as mappings and are rendered to dicts, never to ORM objects.

- PostgreSQL: an asyncpg pool of its own, sized to the real concurrency, with a no-op reset
  (the handlers never change session state) and autocommit statements: a single read is one
  round trip, without BEGIN/ROLLBACK around it.
- SQLite: reads run on the event loop through the synchronous `sqlite3` module, on one
  connection per process in autocommit mode (each SELECT its own WAL snapshot). A short
  indexed read costs tens of microseconds, less than one hop to a worker thread (aiosqlite:
  about 130 µs a call). Writes stay on the write engine, whose single connection serialises
  them (see `customerbase.kit.db`).

SQL is written once with PostgreSQL's `$1` placeholders; SQLite runs it with `?1` (the same
numbered parameters). Values that the two store differently go through `FastDB.uuid`,
`FastDB.timestamp` and `FastDB.flag`, and come back through `decode_*`.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import uuid
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, Protocol

import asyncpg
import orjson
from sqlalchemy.engine import URL

SQLITE_BUSY_TIMEOUT_MS = 30_000
_PLACEHOLDER = re.compile(r"\$(\d+)")

Row = Mapping[str, Any]


class Connection(Protocol):
    async def fetchrow(self, sql: str, *args: Any) -> Row | None: ...
    async def fetch(self, sql: str, *args: Any) -> Sequence[Row]: ...
    async def fetchval(self, sql: str, *args: Any) -> Any: ...


class _SQLiteConnection:
    """sqlite3 behind the same awaitable methods as asyncpg's connection (no thread hop)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._sql: dict[str, str] = {}

    def _translate(self, sql: str) -> str:
        translated = self._sql.get(sql)
        if translated is None:
            translated = self._sql[sql] = _PLACEHOLDER.sub(r"?\1", sql)
        return translated

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        row: Row | None = self._connection.execute(self._translate(sql), args).fetchone()
        return row

    async def fetch(self, sql: str, *args: Any) -> Sequence[Row]:
        rows: list[Row] = self._connection.execute(self._translate(sql), args).fetchall()
        return rows

    async def fetchval(self, sql: str, *args: Any) -> Any:
        row = self._connection.execute(self._translate(sql), args).fetchone()
        return None if row is None else row[0]


async def _init_pg(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec(
        "jsonb",
        encoder=lambda v: orjson.dumps(v).decode(),
        decoder=orjson.loads,
        schema="pg_catalog",
    )


async def _no_reset(_connection: asyncpg.Connection) -> None:
    """Handlers run single statements in autocommit and never change session state, so the
    pool's default reset (a query per release) has nothing to undo."""


class FastDB:
    """The raw connections of one database. `connection()` lends one for a request."""

    def __init__(self, url: URL, *, pool_size: int = 16) -> None:
        self.url = url
        self.dialect = url.get_backend_name()
        self.is_sqlite = self.dialect == "sqlite"
        self._pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._sqlite: _SQLiteConnection | None = None
        self._raw_sqlite: sqlite3.Connection | None = None
        self._starting = asyncio.Lock()

    async def start(self) -> None:
        """Open the pool (or the SQLite connection) once; concurrent callers wait for it."""
        async with self._starting:
            if self._pool is None and self._sqlite is None:
                await self._open()

    async def _open(self) -> None:
        if self.is_sqlite:
            raw = sqlite3.connect(
                str(self.url.database), isolation_level=None, check_same_thread=False
            )
            raw.row_factory = sqlite3.Row
            raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            raw.execute("PRAGMA query_only=ON")
            self._raw_sqlite, self._sqlite = raw, _SQLiteConnection(raw)
            return
        dsn = self.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._pool = await asyncpg.create_pool(
            dsn,
            min_size=1,
            max_size=self._pool_size,
            init=_init_pg,
            reset=_no_reset,
            # Statements are few and fixed: cache them all, prepared once per connection.
            statement_cache_size=256,
            # Tenant skew makes a generic plan wrong (the biggest tenant's plan is not the
            # smallest's): every statement gets a plan for its own arguments.
            server_settings={"plan_cache_mode": "force_custom_plan"},
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        if self._raw_sqlite is not None:
            self._raw_sqlite.close()
            self._raw_sqlite = self._sqlite = None

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        if self._sqlite is not None:
            yield self._sqlite
            return
        if self._pool is None:
            await self.start()
            if self._sqlite is not None:
                yield self._sqlite
                return
        assert self._pool is not None
        async with self._pool.acquire() as connection:
            yield connection

    # --- values the two databases store differently ------------------------------------

    def uuid(self, value: uuid.UUID) -> Any:
        return value.hex if self.is_sqlite else value

    def timestamp(self, value: datetime) -> Any:
        if self.is_sqlite:
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return value

    def flag(self, value: bool) -> Any:
        return int(value) if self.is_sqlite else value


def decode_uuid(value: Any) -> str:
    if isinstance(value, str):
        return str(uuid.UUID(hex=value))
    return str(value)


def decode_timestamp(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if value.tzinfo is None:  # pragma: no cover - timestamptz always carries its zone
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
    return value.astimezone(UTC)  # type: ignore[no-any-return]


def decode_json(value: Any) -> Any:
    if isinstance(value, str | bytes):
        return orjson.loads(value)
    return value
