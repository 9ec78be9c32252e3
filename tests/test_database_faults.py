"""The database fails: a lost, refused or busy database is a 503 with Retry-After, and no log line
carries a statement, its parameters or any personal data, not even under a crash mid-writes.

Outages of PostgreSQL are staged on a disposable cluster (tests/disposable_postgres.py), never on
the shared server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import shutil
import sqlite3
import string
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import text

from customerbase.app import create_app
from customerbase.config import Settings
from customerbase.kit import db as kit_db
from customerbase.kit.crypto import sha256_hex
from customerbase.kit.db import Database, create_database
from customerbase.migrations import upgrade
from tests import factories
from tests.cli_support import Server, cli_env
from tests.conftest import REQUIRE_POSTGRES, TEST_SECRET, Org, make_org
from tests.disposable_postgres import DisposablePostgres

UNAVAILABLE = {
    "success": False,
    "error": {"type": "service_unavailable", "fields": []},
}


def _migrate(url: str) -> None:
    async def migrate() -> None:
        database = create_database(url)
        await upgrade(database)
        await database.dispose()

    # In a thread of its own: this fixture is synchronous, so that a test can ask for it only
    # on its PostgreSQL half (request.getfixturevalue), from inside the running event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, migrate()).result()


@pytest.fixture(scope="module")
def cluster() -> Iterator[DisposablePostgres]:
    """A migrated PostgreSQL cluster of this module's own, free to be stopped and crashed."""
    try:
        pg = DisposablePostgres()
        pg.create()
        pg.start()
    except (FileNotFoundError, subprocess.CalledProcessError) as exc:
        if REQUIRE_POSTGRES:
            pytest.fail(f"a disposable PostgreSQL cluster is required here: {exc}")
        pytest.skip(f"cannot start a disposable PostgreSQL cluster: {exc}")
    _migrate(pg.url)
    yield pg
    if pg.running():
        pg.stop("immediate")
    shutil.rmtree(pg.root, ignore_errors=True)


@pytest.fixture
def running(cluster: DisposablePostgres) -> DisposablePostgres:
    if not cluster.running():
        cluster.start()
    return cluster


def _assert_unavailable(
    response: httpx.Response, message: str = "The database is unavailable; retry shortly"
) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "5"
    body = response.json()
    request_id = body["error"].pop("request_id")
    assert request_id == response.headers["X-Request-ID"]
    assert body == {**UNAVAILABLE, "message": message}


@contextlib.contextmanager
def _sqlite_writer_lock(path: Path) -> Iterator[None]:
    """Another process's write transaction holding the SQLite file (a backup, a migration)."""
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        yield
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


async def test_a_database_outage_is_a_503_service_unavailable_with_retry_after(
    backend: str,
    tmp_path: Path,
    settings: Settings,
    sqlite_template: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if backend == "sqlite":
        path = tmp_path / "customerbase.db"
        shutil.copyfile(sqlite_template, path)
        monkeypatch.setattr(kit_db, "SQLITE_BUSY_TIMEOUT_MS", 200)
        database = create_database(f"sqlite:///{path}")
    else:
        pg: DisposablePostgres = request.getfixturevalue("running")
        database = create_database(pg.url)
    org = await make_org(database)
    app = create_app(settings, database=database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=org.auth()
    ) as client:
        try:
            assert (await client.get("/v1/customers")).status_code == 200
            if backend == "sqlite":
                # Busy past the busy timeout: the write waits its turn no longer, and says
                # "retry"; readers are not blocked by a writer in WAL mode.
                with _sqlite_writer_lock(path):
                    _assert_unavailable(
                        await client.post("/v1/customers", json=factories.individual())
                    )
                    assert (await client.get("/v1/customers")).status_code == 200
                created = await client.post("/v1/customers", json=factories.individual())
                assert created.status_code == 201
                return
            pg.stop("immediate")  # the pool's connections die with the server
            for _ in range(2):  # a broken pooled connection, then a refused new one
                _assert_unavailable(await client.get("/v1/customers"))
                _assert_unavailable(await client.post("/v1/customers", json=factories.individual()))
                _assert_unavailable(await client.get("/v1/customers/someone@example.com"))
                _assert_unavailable(await client.get("/health"), "The database is unreachable")
            pg.start()
            statuses = [(await client.get("/v1/customers")).status_code for _ in range(3)]
            assert statuses[-1] == 200, statuses
        finally:
            await database.dispose()


def _letters(n: int) -> str:
    """`n` spelt in letters (names accept no digits)."""
    out = ""
    while True:
        n, digit = divmod(n, 26)
        out += string.ascii_lowercase[digit]
        if n == 0:
            return out


class Canaries:
    """Personal data sent to the server, to be searched for in its logs."""

    def __init__(self) -> None:
        self.values: set[str] = set()
        self.n = 0

    def customer(self) -> dict[str, Any]:
        self.n += 1
        token = _letters(self.n + 1000)
        bvn = f"7{secrets.randbelow(10**10):010d}"
        phone = f"0803{secrets.randbelow(10**7):07d}"
        payload = factories.individual(
            first_name=f"Quorvex{token}",
            last_name=f"Zanthip{token}",
            email=f"canary.{token}@leak-check.example",
            phone_number=phone,
            bvn=bvn,
            date_of_birth="1987-03-19",
        )
        self.values |= {
            payload["first_name"],
            payload["last_name"],
            payload["email"],
            phone[1:],  # the national number, in any format (E.164 included)
            bvn,
            f"'{bvn[-4:]}'",  # the last four digits as a printed parameter
        }
        return payload

    def found_in(self, log: str) -> list[str]:
        return sorted(value for value in self.values if value in log)


@pytest.mark.e2e
async def test_a_postgresql_crash_under_writes_leaves_no_personal_data_in_the_log(
    running: DisposablePostgres, tmp_path: Path
) -> None:
    database = create_database(running.url)
    org: Org = await make_org(database)
    await database.dispose()
    key = org.test_key
    env = cli_env(
        tmp_path / "data",
        running.url,
        CUSTOMERBASE_SECRET_KEY=TEST_SECRET,
        CUSTOMERBASE_LOG_LEVEL="DEBUG",
    )
    server = Server(env, tmp_path / "server.log")
    canaries = Canaries()
    statuses: list[int] = []
    stop = asyncio.Event()
    writing = asyncio.Event()  # set once ten customers were created

    async def writer(http: httpx.AsyncClient) -> None:
        while not stop.is_set():
            payload = canaries.customer()
            with contextlib.suppress(httpx.TransportError):
                created = await http.post("/v1/customers", json=payload)
                statuses.append(created.status_code)
                if statuses.count(201) >= 10:
                    writing.set()
                if created.status_code == 201:  # a read by email: its query carries the email
                    found = await http.get(f"/v1/customers/{payload['email']}")
                    statuses.append(found.status_code)

    try:
        await server.start()
        async with httpx.AsyncClient(
            base_url=server.base_url, headers=org.auth(), timeout=10
        ) as http:
            writers = [asyncio.create_task(writer(http)) for _ in range(6)]
            await asyncio.wait_for(writing.wait(), timeout=10)
            # Backends terminated mid-statement, then the whole server crashed.
            admin = await asyncpg.connect(running.url, timeout=5)
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'"
            )
            await admin.close()
            await asyncio.sleep(0.3)
            running.stop("immediate")
            await asyncio.sleep(1.0)
            stop.set()
            await asyncio.gather(*writers)
    finally:
        await server.stop()

    assert statuses.count(201) >= 10
    assert 503 in statuses
    assert set(statuses) <= {200, 201, 503}, sorted(set(statuses))
    log = server.output
    assert "database unavailable" in log
    assert canaries.found_in(log) == []
    assert key not in log
    assert sha256_hex(key) not in log
    for statement in ("[parameters", "INSERT INTO", "SELECT "):
        assert statement not in log


async def test_a_failing_statement_logs_neither_its_text_nor_its_parameters(
    client: httpx.AsyncClient,
    database: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    canaries = Canaries()
    payload = canaries.customer()
    caplog.set_level(logging.DEBUG)
    async with database.write_session() as session:
        await session.execute(text("ALTER TABLE customers RENAME TO customers_away"))
    try:
        response = await client.post(
            "/v1/customers", json=payload, headers={"X-Request-ID": "trace-db-error"}
        )
        looked_up = await client.get(f"/v1/customers/{payload['email']}")
    finally:
        async with database.write_session() as session:
            await session.execute(text("ALTER TABLE customers_away RENAME TO customers"))

    assert response.status_code == 500
    assert looked_up.status_code == 500
    # The server's records: httpx's own log of the test client's requests names their URLs.
    records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    messages = [record.getMessage() for record in records]
    assert any(
        m.startswith(
            ("unhandled ProgrammingError", "unhandled OperationalError", "unhandled UndefinedTable")
        )
        for m in messages
    ), messages
    assert any("request_id=trace-db-error" in m for m in messages)
    log = "\n".join(caplog.handler.format(record) for record in records)
    assert canaries.found_in(log) == []
    for statement in ("[parameters", "[SQL", "customers_away", "no such table", "does not exist"):
        assert statement not in log
