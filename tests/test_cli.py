"""The `customerbase` command, run as a subprocess against SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import select

from customerbase.kit.db import create_database
from customerbase.kit.errors import AuthenticationFailed
from customerbase.migrations import alembic_config
from customerbase.models import Organization
from customerbase.organizations.service import Tenant, authenticate
from tests.cli_support import cli_env, free_port, json_after_banner, run_cli


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
    assert version == [(ScriptDirectory.from_config(alembic_config()).get_current_head(),)]
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
    org = json_after_banner(first.out)
    assert set(org) == {"id", "name", "test_secret_key", "live_secret_key"}
    assert org["name"] == "First Org"
    tenant = await authenticate_with(database_url, org["test_secret_key"])
    assert (str(tenant.organization_id), tenant.environment) == (org["id"], "test")

    second = await run_cli(env, "init", "--name", "Second Org")
    assert second.code == 0, second.err
    assert "sk_" not in second.out
    assert "sk_" not in second.err
    assert "Second Org" not in second.out

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
