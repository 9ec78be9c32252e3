"""The `customerbase` command, run as a subprocess against SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import stat
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.engine import make_url

from customerbase.kit.db import create_database
from customerbase.kit.errors import AuthenticationFailed
from customerbase.migrations import head_revision
from customerbase.models import Organization
from customerbase.organizations.service import Tenant, authenticate
from tests.cli_support import (
    Result,
    Server,
    cli_env,
    first_organization_file,
    free_port,
    json_after_banner,
    run_cli,
    run_cli_on_a_terminal,
)
from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES, PostgresServer


async def authenticate_with(database_url: str, secret: str) -> Tenant:
    database = create_database(database_url)
    try:
        async with database.read_session() as session:
            return await authenticate(session, secret)
    finally:
        await database.dispose()


async def test_migrate_builds_a_fresh_sqlite_database_in_the_data_dir(tmp_path: Path) -> None:
    env = cli_env(tmp_path / "custom-data")
    result = await run_cli(env, "migrate", cwd=tmp_path)
    assert result.code == 0, result.err
    assert "up to date" in result.out

    path = tmp_path / "custom-data" / "customerbase.db"
    assert not (tmp_path / "data").exists()
    with sqlite3.connect(path) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        version = connection.execute("SELECT version_num FROM alembic_version").fetchall()
        journal_mode = connection.execute("PRAGMA journal_mode").fetchone()
    assert {"organizations", "api_keys", "customers", "alembic_version"} <= tables
    assert version == [(head_revision(),)]
    assert journal_mode == ("wal",)


async def test_orgs_and_keys_commands(tmp_path: Path, database_url: str) -> None:
    env = cli_env(tmp_path / "data", database_url)

    created = await run_cli(env, "orgs", "create", "  Acme  ")
    assert created.code == 0, created.err
    org = json.loads(created.out)
    assert set(org) == {"id", "name", "test_secret_key", "live_secret_key"}
    assert org["name"] == "Acme"
    assert uuid.UUID(org["id"])
    assert org["test_secret_key"].startswith("sk_test_")
    assert org["live_secret_key"].startswith("sk_live_")
    assert len(org["test_secret_key"]) >= len("sk_test_") + 32
    tenant = await authenticate_with(database_url, org["live_secret_key"])
    assert (str(tenant.organization_id), tenant.environment) == (org["id"], "live")

    issued = await run_cli(env, "keys", "create", "--org", org["id"], "--env", "live")
    assert issued.code == 0, issued.err
    key = json.loads(issued.out)
    secret = key["secret_key"]
    assert secret.startswith("sk_live_")
    assert len(secret) >= len("sk_live_") + 32
    assert key["environment"] == "live"
    assert key["organization_id"] == org["id"]
    assert secret not in (org["test_secret_key"], org["live_secret_key"])
    tenant = await authenticate_with(database_url, secret)
    assert (str(tenant.organization_id), tenant.environment) == (org["id"], "live")

    listed = await run_cli(env, "keys", "list", "--org", org["id"])
    assert listed.code == 0, listed.err
    keys = json.loads(listed.out)
    assert len(keys) == 3
    assert sorted(k["environment"] for k in keys) == ["live", "live", "test"]
    for secret_key in (org["test_secret_key"], org["live_secret_key"], secret):
        assert secret_key not in listed.out
        assert secret_key.split("_", 2)[2] not in listed.out
    (listed_key,) = [k for k in keys if k["id"] == key["id"]]
    assert listed_key["redacted_key"] == f"sk_live_...{secret[-4:]}"
    assert listed_key["revoked_at"] is None

    revoked = await run_cli(env, "keys", "revoke", key["id"])
    assert revoked.code == 0, revoked.err
    assert json.loads(revoked.out)["revoked_at"] is not None
    with pytest.raises(AuthenticationFailed) as failure:
        await authenticate_with(database_url, secret)
    assert failure.value.type == "revoked_api_key"
    # The organization's other keys keep working.
    tenant = await authenticate_with(database_url, org["live_secret_key"])
    assert str(tenant.organization_id) == org["id"]


async def test_init_creates_a_first_organization_only_once(
    tmp_path: Path, database_url: str
) -> None:
    env = cli_env(tmp_path / "data", database_url)

    first = await run_cli(env, "init", "--name", "First Org")
    assert first.code == 0, first.err
    org = json.loads(first_organization_file(env).read_text())
    assert set(org) == {"id", "name", "test_secret_key", "live_secret_key"}
    assert org["name"] == "First Org"
    tenant = await authenticate_with(database_url, org["test_secret_key"])
    assert (str(tenant.organization_id), tenant.environment) == (org["id"], "test")

    second = await run_cli(env, "init", "--name", "Second Org")
    assert second.code == 0, second.err
    assert "sk_" not in second.out
    assert "sk_" not in second.err
    assert "Second Org" not in second.out
    # The restart message gives the command for new keys with the organization id filled in.
    assert f"customerbase keys create --org {org['id']}" in second.out

    database = create_database(database_url)
    try:
        async with database.read_session() as session:
            names = (await session.scalars(select(Organization.name))).all()
    finally:
        await database.dispose()
    assert names == ["First Org"]


async def test_keys_commands_reject_a_bad_organization_id(
    tmp_path: Path, sqlite_template: Path
) -> None:
    path = tmp_path / "cb.db"
    shutil.copyfile(sqlite_template, path)
    env = cli_env(tmp_path / "data", f"sqlite:///{path}")

    malformed = await run_cli(env, "keys", "list", "--org", "not-an-id")
    assert malformed.code != 0
    assert "not-an-id" in malformed.err
    assert "organization id" in malformed.err

    unknown = str(uuid.uuid4())
    missing = await run_cli(env, "keys", "create", "--org", unknown, "--env", "live")
    assert missing.code == 1
    assert f"No organization {unknown}" in missing.err
    assert "Traceback" not in missing.err
    assert "sk_" not in missing.out

    missing_key = await run_cli(env, "keys", "revoke", unknown)
    assert missing_key.code == 1
    assert f"No API key {unknown}" in missing_key.err
    assert "Traceback" not in missing_key.err


async def test_production_serve_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = cli_env(
        tmp_path / "data", f"sqlite:///{tmp_path / 'cb.db'}", CUSTOMERBASE_ENV="production"
    )
    result = await run_cli(env, "serve", "--port", str(free_port()))
    assert result.code != 0
    assert "CUSTOMERBASE_SECRET_KEY" in result.err
    assert "serving on" not in result.out
    # No development secret was generated as a fallback.
    assert not (tmp_path / "data" / "secret.key").exists()


async def test_orgs_list_shows_id_name_and_creation_time_without_secrets(
    tmp_path: Path, database_url: str
) -> None:
    env = cli_env(tmp_path / "data", database_url)

    empty = await run_cli(env, "orgs", "list")
    assert empty.code == 0, empty.err
    assert json.loads(empty.out) == []

    created = []
    for name in ("Acme", "Globex"):
        result = await run_cli(env, "orgs", "create", name)
        assert result.code == 0, result.err
        created.append(json.loads(result.out))

    listed = await run_cli(env, "orgs", "list")
    assert listed.code == 0, listed.err
    orgs = json.loads(listed.out)
    assert [(o["id"], o["name"]) for o in orgs] == [(c["id"], c["name"]) for c in created]
    assert all(set(o) == {"id", "name", "created_at"} for o in orgs)
    assert all(o["created_at"].endswith("Z") for o in orgs)
    assert orgs[0]["created_at"] <= orgs[1]["created_at"]
    assert "sk_" not in listed.out
    for org in created:
        for secret in (org["test_secret_key"], org["live_secret_key"]):
            assert secret[-8:] not in listed.out


def commands_needing_a_migrated_database() -> list[tuple[str, ...]]:
    unknown = str(uuid.uuid4())
    return [
        ("orgs", "list"),
        ("orgs", "create", "Acme"),
        ("keys", "list", "--org", unknown),
        ("keys", "create", "--org", unknown),
        ("keys", "revoke", unknown),
        ("serve", "--port", str(free_port())),
    ]


async def run_each(
    env: dict[str, str], commands: list[tuple[str, ...]]
) -> list[tuple[tuple[str, ...], Result]]:
    return [(command, await run_cli(env, *command)) for command in commands]


def assert_one_line_error(result_err: str, expected: str) -> None:
    assert result_err.startswith("error: "), result_err
    assert result_err.strip().count("\n") == 0, result_err
    assert expected in result_err
    assert "Traceback" not in result_err


async def test_commands_refuse_a_missing_sqlite_database_without_creating_it(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    elsewhere = tmp_path / "elsewhere" / "cb.db"
    for env, path in (
        (cli_env(data), data / "customerbase.db"),
        (cli_env(data, f"sqlite:///{elsewhere}"), elsewhere),
    ):
        for command, result in await run_each(env, commands_needing_a_migrated_database()):
            assert result.code == 2, (command, result.out, result.err)
            assert_one_line_error(result.err, f"database {path} does not exist")
            assert "run `customerbase migrate` first" in result.err
            assert "serving on" not in result.out
            assert not path.exists(), command
            assert not path.parent.exists(), command
    assert os.listdir(tmp_path) == []


@pytest_asyncio.fixture(loop_scope="session")
async def unmigrated_database_url(
    backend: str, tmp_path: Path, postgres_url: PostgresServer
) -> AsyncIterator[str]:
    """A database that exists but holds no customerbase schema."""
    if backend == "sqlite":
        path = tmp_path / "other.db"
        with sqlite3.connect(path) as connection:
            connection.execute("CREATE TABLE notes (body TEXT)")
        connection.close()
        yield f"sqlite:///{path}"
        return
    if postgres_url.url is None:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required here: {postgres_url.reason}")
        pytest.skip(postgres_url.reason or "PostgreSQL unreachable")
    admin = make_url(POSTGRES_URL)
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"customerbase_unmigrated_{os.getpid()}"
    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    yield admin.set(database=name).render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def test_commands_refuse_an_unmigrated_database_until_it_is_migrated(
    tmp_path: Path, unmigrated_database_url: str
) -> None:
    env = cli_env(tmp_path / "data", unmigrated_database_url)
    for command, result in await run_each(env, commands_needing_a_migrated_database()):
        assert result.code == 2, (command, result.out, result.err)
        assert_one_line_error(result.err, "is not migrated: run `customerbase migrate` first")
        assert "serving on" not in result.out

    migrated = await run_cli(env, "migrate")
    assert migrated.code == 0, migrated.err
    listed = await run_cli(env, "orgs", "list")
    assert listed.code == 0, listed.err
    assert json.loads(listed.out) == []


async def test_a_postgres_database_that_does_not_exist_is_named(
    tmp_path: Path, postgres_url: PostgresServer
) -> None:
    if postgres_url.url is None:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required here: {postgres_url.reason}")
        pytest.skip(postgres_url.reason or "PostgreSQL unreachable")
    name = f"customerbase_absent_{uuid.uuid4().hex[:12]}"
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    env = cli_env(tmp_path / "data", url)
    commands = [("migrate",), ("init",), *commands_needing_a_migrated_database()]
    for command, result in await run_each(env, commands):
        assert result.code == 2, (command, result.out, result.err)
        assert_one_line_error(result.err, f"database {name!r} on ")
        assert result.err.rstrip().endswith("does not exist: create it")
    assert not (tmp_path / "data").exists()


async def test_an_unsupported_database_url_names_the_supported_ones(tmp_path: Path) -> None:
    for url in ("mysql://user@127.0.0.1/customers", "not a url"):
        env = cli_env(tmp_path / "data", url)
        for command, result in await run_each(env, [("migrate",), ("init",), ("orgs", "list")]):
            assert result.code == 2, (command, result.out, result.err)
            assert_one_line_error(result.err, "postgresql://")
            assert "sqlite:///" in result.err
    assert not (tmp_path / "data").exists()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_every_file_in_the_data_folder_is_private(tmp_path: Path) -> None:
    """Database, -wal, -shm, secret.key and first-organization.json 0600; the folder 0700."""
    data = tmp_path / "data"
    env = cli_env(data)  # the default: SQLite in the data folder, a development secret
    previous = os.umask(0o022)  # the usual umask, which would leave the files 0644
    try:
        await run_cli(env, "init")
        keys = json.loads(first_organization_file(env).read_text())
        server = Server(env, tmp_path / "server.log")
        try:
            await server.start()
            auth = {"Authorization": f"Bearer {keys['test_secret_key']}"}
            async with httpx.AsyncClient(base_url=server.base_url, headers=auth) as http:
                response = await http.post(
                    "/v1/customers",
                    json={
                        "first_name": "Ada",
                        "last_name": "Obi",
                        "email": "ada@example.com",
                        "phone_number": "+2348031234567",
                    },
                )
                assert response.status_code == 201, response.text
            # While the server runs, the WAL and its index exist.
            names = sorted(os.listdir(data))
            assert names == [
                "customerbase.db",
                "customerbase.db-shm",
                "customerbase.db-wal",
                "first-organization.json",
                "secret.key",
            ]
            assert {name: oct(mode(data / name)) for name in names} == {
                name: oct(0o600) for name in names
            }
            assert oct(mode(data)) == oct(0o700)
        finally:
            await server.stop()
    finally:
        os.umask(previous)


async def test_init_writes_the_first_keys_to_a_private_file_not_to_a_pipe(
    tmp_path: Path, database_url: str
) -> None:
    env = cli_env(tmp_path / "data", database_url)
    path = first_organization_file(env)

    first = await run_cli(env, "init")
    assert first.code == 0, first.err
    assert "sk_" not in first.out + first.err
    assert str(path) in first.out
    assert mode(path) == 0o600
    saved = json.loads(path.read_text())
    assert set(saved) == {"id", "name", "test_secret_key", "live_secret_key"}
    assert saved["id"] in first.out
    for environment in ("test", "live"):
        tenant = await authenticate_with(database_url, saved[f"{environment}_secret_key"])
        assert (str(tenant.organization_id), tenant.environment) == (saved["id"], environment)

    # Written once: a restart neither rewrites the file nor prints the keys.
    second = await run_cli(env, "init")
    assert second.code == 0, second.err
    assert "sk_" not in second.out + second.err
    assert str(path) in second.out
    assert json.loads(path.read_text()) == saved


async def test_init_prints_the_first_keys_when_stdout_is_a_terminal(
    tmp_path: Path, database_url: str
) -> None:
    env = cli_env(tmp_path / "data", database_url)
    result = await asyncio.to_thread(run_cli_on_a_terminal, env, "init")
    assert result.code == 0, result.err
    shown = json_after_banner(result.out[: result.out.rindex("}") + 1])
    saved = json.loads(first_organization_file(env).read_text())
    assert shown == saved
    assert shown["test_secret_key"].startswith("sk_test_")
    assert str(first_organization_file(env)) in result.out
    assert "sk_" not in result.err
