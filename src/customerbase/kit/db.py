"""Database engines and sessions, portable between SQLite and PostgreSQL.

Two session types: a `ReadSession` for requests that only read and a `WriteSession` for requests
that change state. Services never commit; the request commits once, before the response is sent,
and rolls back on error (see `customerbase.kit.dependencies`).

SQLite: WAL journal with synchronous=FULL, so an acknowledged write survives a crash. Writers are
serialised by a write engine whose pool holds one connection and whose transactions start with
BEGIN IMMEDIATE: a writer waits its turn in the pool instead of failing with "database is
locked" half-way through. Readers use their own pool and see a consistent snapshot (BEGIN).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NewType

import asyncpg
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from customerbase.kit.fastdb import SQLITE_BUSY_TIMEOUT_MS, FastDB

ReadSession = NewType("ReadSession", AsyncSession)
WriteSession = NewType("WriteSession", AsyncSession)


# aiosqlite logs every statement with its parameters at DEBUG: customers' emails, names and
# phone numbers would reach the logs whenever the log level is DEBUG.
logging.getLogger("aiosqlite").setLevel(logging.INFO)


SUPPORTED_URLS = "postgresql://user:password@host:5432/database or sqlite:///path/to/file.db"


class UnsupportedDatabaseURL(ValueError):
    """A database URL customerbase cannot use; the message names the supported ones."""


# Statement parameters are customers' emails, names, phone numbers and key digests: with
# hide_parameters, no exception message or statement log of these engines ever carries them.
# (Every engine is made in this module.)

# What says "the database cannot be reached right now" rather than "our query is wrong":
# PostgreSQL's SQLSTATE classes 08 (connection exception), 53 (insufficient resources, e.g. too
# many connections) and 57P (shutdown, crash, cannot connect now); SQLite's primary result codes
# BUSY, LOCKED, IOERR, FULL and CANTOPEN (a file locked past the busy timeout, a lost volume).
_UNAVAILABLE_SQLSTATES = ("08", "53", "57P")
_UNAVAILABLE_SQLITE_CODES = frozenset({5, 6, 10, 13, 14})


def _is_unavailable_one(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa_exc.TimeoutError):  # no pooled connection came free in time
        return True
    if isinstance(exc, asyncpg.InternalClientError | asyncpg.ConnectionDoesNotExistError):
        return True  # the fast path's raw connection died mid-operation (server killed)
    if isinstance(exc, asyncpg.InterfaceError) and "closed" in str(exc):
        return True  # "connection is closed" / "pool is closed"
    if isinstance(exc, ConnectionError | TimeoutError | socket.gaierror):
        return True  # refused, reset or timed out while connecting (not wrapped by SQLAlchemy)
    sqlstate = getattr(exc, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate.startswith(_UNAVAILABLE_SQLSTATES):
        return True
    code = getattr(exc, "sqlite_errorcode", None)
    return isinstance(code, int) and (code & 0xFF) in _UNAVAILABLE_SQLITE_CODES


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` (or what it wraps or was raised from) is a lost, refused or busy
    database: a condition to retry later (503), not a fault in the request or in our code."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _is_unavailable_one(current):
            return True
        orig = getattr(current, "orig", None)
        if isinstance(orig, BaseException) and _is_unavailable_one(orig):
            return True
        current = current.__cause__ or current.__context__
    return False


def async_url(url: str) -> URL:
    """Normalise a user-facing URL (postgresql://, postgres://, sqlite:///) to an async driver."""
    try:
        parsed = make_url(
            url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url
        )
    except ArgumentError:
        raise UnsupportedDatabaseURL(f"not a database URL: use {SUPPORTED_URLS}") from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+asyncpg")
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite")
    raise UnsupportedDatabaseURL(f"unsupported database {backend!r}: use {SUPPORTED_URLS}")


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


def _prepare_sqlite_file(url: URL) -> None:
    """Create the database file 0600 (in a 0700 folder) before SQLite does it 0644.

    SQLite gives the -wal and -shm files the mode of the database file, so they are 0600 too.
    """
    if url.database and url.database != ":memory:":
        path = Path(url.database)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def _install_sqlite_hooks(engine: AsyncEngine, *, begin: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module, so that BEGIN is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Erased personal data is overwritten on disk, not left in free pages.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)


_CHECKPOINT = "checkpoint_wal"


def request_checkpoint(session: AsyncSession) -> None:
    """Ask for a WAL checkpoint (TRUNCATE) once this session's transaction has committed: on
    SQLite, erased data would otherwise stay in the `-wal` file until overwritten. A no-op on
    PostgreSQL."""
    session.info[_CHECKPOINT] = True


_AFTER_COMMIT = "after_commit"
_AFTER_ROLLBACK = "after_rollback"
SessionCallback = Callable[[], Awaitable[None]]
_log = logging.getLogger(__name__)


def after_commit(session: AsyncSession, callback: SessionCallback) -> None:
    """Run `callback` once this write session's transaction has committed (e.g. remove a file
    whose row the transaction deleted). A failing callback is logged, never raised: the change
    has committed."""
    session.info.setdefault(_AFTER_COMMIT, []).append(callback)


def after_rollback(session: AsyncSession, callback: SessionCallback) -> None:
    """Run `callback` if this write session's transaction rolls back or fails to commit (e.g.
    remove a file written for a row that was never committed)."""
    session.info.setdefault(_AFTER_ROLLBACK, []).append(callback)


async def _run_callbacks(session: AsyncSession, name: str) -> None:
    callbacks: list[SessionCallback] = session.info.pop(name, [])
    session.info.pop(_AFTER_ROLLBACK if name == _AFTER_COMMIT else _AFTER_COMMIT, None)
    for callback in callbacks:
        try:
            await callback()
        except Exception as exc:
            _log.warning("%s callback failed: %s", name, type(exc).__name__)


@dataclass
class Database:
    """The engines of one database and the session factories over them."""

    url: URL
    read_engine: AsyncEngine
    write_engine: AsyncEngine

    fast: FastDB

    def __post_init__(self) -> None:
        self._read = async_sessionmaker(self.read_engine, expire_on_commit=False, autoflush=False)
        self._write = async_sessionmaker(self.write_engine, expire_on_commit=False, autoflush=False)

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[ReadSession]:
        # Closing the session ends its transaction (the pool's reset rolls it back).
        async with self._read() as session:
            yield ReadSession(session)

    @asynccontextmanager
    async def write_session(self) -> AsyncIterator[WriteSession]:
        """A session that commits when the block ends normally and rolls back otherwise."""
        async with self._write() as session:
            try:
                yield WriteSession(session)
                await session.commit()
            except BaseException:
                try:
                    await session.rollback()
                finally:
                    await _run_callbacks(session, _AFTER_ROLLBACK)
                raise
            else:
                await _run_callbacks(session, _AFTER_COMMIT)
                if session.info.pop(_CHECKPOINT, False) and self.dialect == "sqlite":
                    await session.close()  # the write connection goes back to the pool
                    await self.checkpoint()

    async def checkpoint(self) -> None:
        """Copy the SQLite WAL into the database and truncate it to zero bytes. Readers that
        hold an old snapshot can delay it; a few short retries wait them out."""
        async with self.write_engine.connect() as connection:
            raw = await connection.get_raw_connection()
            driver = raw.driver_connection
            assert driver is not None
            for _ in range(50):
                cursor = await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                busy = await cursor.fetchone()
                await cursor.close()
                if busy is not None and busy[0] == 0:
                    return
                await asyncio.sleep(0.01)
            logging.getLogger(__name__).warning("WAL checkpoint stayed busy after erasure")

    async def dispose(self) -> None:
        await self.fast.close()
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()


def create_database(url: str, *, pool_size: int = 10, max_overflow: int = 10) -> Database:
    parsed = async_url(url)
    if is_sqlite(parsed):
        _prepare_sqlite_file(parsed)
        write_engine = create_async_engine(
            parsed, pool_size=1, max_overflow=0, pool_timeout=60, hide_parameters=True
        )
        _install_sqlite_hooks(write_engine, begin="BEGIN IMMEDIATE")
        read_engine = create_async_engine(parsed, pool_size=4, max_overflow=4, hide_parameters=True)
        _install_sqlite_hooks(read_engine, begin="BEGIN")
        return Database(parsed, read_engine, write_engine, FastDB(parsed))
    engine = create_async_engine(
        parsed,
        pool_size=pool_size,
        max_overflow=max_overflow,
        # No pre-ping: it costs a round trip per checkout. A connection broken by a server
        # restart fails one request and is then replaced (SQLAlchemy invalidates it).
        pool_recycle=3600,
        hide_parameters=True,
    )
    return Database(parsed, engine, engine, FastDB(parsed, pool_size=pool_size))
