"""Test fixtures. Every test that touches storage runs on SQLite and on PostgreSQL.

PostgreSQL: CUSTOMERBASE_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test)
names a server; the tests create their own database on it, build it with the migrations, and
empty its tables after each test. When the server is unreachable the PostgreSQL half is skipped,
unless CUSTOMERBASE_TEST_REQUIRE_POSTGRES=1 (as in CI), which makes it fail instead.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.engine import make_url

from customerbase.app import create_app
from customerbase.config import Settings
from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database, create_database
from customerbase.migrations import upgrade
from customerbase.organizations.service import create_organization

TEST_SECRET = "test-master-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
POSTGRES_URL = os.environ.get(
    "CUSTOMERBASE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("CUSTOMERBASE_TEST_REQUIRE_POSTGRES") == "1"
TABLES = (
    "customer_stock",
    "customer_orders",
    "transactions",
    "cards",
    "accounts",
    "webhook_deliveries",
    "webhook_endpoints",
    "idempotency_keys",
    "kyc_checks",
    "kyc_links",
    "kyc_settings",
    "documents",
    "audit_entries",
    "events",
    "customer_imports",
    "identity_blocks",
    "customer_people",
    "customer_consents",
    "customers",
    "api_keys",
    "organizations",
    "watchlist_aliases",
    "watchlist_entries",
    "watchlists",
)

os.environ.setdefault("CUSTOMERBASE_SECRET_KEY", TEST_SECRET)


@dataclass
class PostgresServer:
    url: str | None
    reason: str | None


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def postgres_url() -> AsyncIterator[PostgresServer]:
    """A fresh database on the PostgreSQL server, migrated once for the session."""
    admin = make_url(POSTGRES_URL)
    name = f"customerbase_test_{os.getpid()}"
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        connection = await asyncpg.connect(dsn, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        reason = f"PostgreSQL unreachable at {admin.render_as_string()}: {exc}"
        yield PostgresServer(None, reason)
        return
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    url = admin.set(database=name).render_as_string(hide_password=False)
    database = create_database(url)
    await upgrade(database)
    await database.dispose()
    yield PostgresServer(url, None)
    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file built once by the migrations; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    database = create_database(f"sqlite:///{path}")
    await upgrade(database)
    await database.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest_asyncio.fixture(loop_scope="session")
async def database_url(
    backend: str, tmp_path: Path, sqlite_template: Path, postgres_url: PostgresServer
) -> AsyncIterator[str]:
    if backend == "sqlite":
        path = tmp_path / "customerbase.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    if postgres_url.url is None:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required here: {postgres_url.reason}")
        pytest.skip(postgres_url.reason or "PostgreSQL unreachable")
    yield postgres_url.url
    cleaner = create_database(postgres_url.url)
    async with cleaner.write_session() as session:
        await session.execute(text(f"TRUNCATE {', '.join(TABLES)} CASCADE"))
    await cleaner.dispose()


@pytest_asyncio.fixture(loop_scope="session")
async def database(database_url: str) -> AsyncIterator[Database]:
    db = create_database(database_url, pool_size=20, max_overflow=40)
    yield db
    await db.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", secret_key=TEST_SECRET, embedded_worker=False)


@pytest.fixture
def vault() -> Vault:
    return Vault(TEST_SECRET)


@pytest_asyncio.fixture(loop_scope="session")
async def app_client(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    """An unauthenticated client of the ASGI app."""
    app = create_app(settings, database=database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@dataclass
class Org:
    id: uuid.UUID
    test_key: str
    live_key: str

    def auth(self, environment: str = "test") -> dict[str, str]:
        key = self.test_key if environment == "test" else self.live_key
        return {"Authorization": f"Bearer {key}"}


async def make_org(database: Database, name: str = "Acme Fintech") -> Org:
    async with database.write_session() as session:
        organization, keys = await create_organization(session, name)
    return Org(organization.id, keys["test"], keys["live"])


@pytest_asyncio.fixture(loop_scope="session")
async def org(database: Database) -> Org:
    return await make_org(database)


@pytest_asyncio.fixture(loop_scope="session")
async def client(app_client: httpx.AsyncClient, org: Org) -> httpx.AsyncClient:
    """A client authenticated with the test key of `org`."""
    app_client.headers.update(org.auth("test"))
    return app_client
