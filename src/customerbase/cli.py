"""The `customerbase` command."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer

from customerbase.config import ConfigurationError, Settings
from customerbase.kit.db import Database, create_database
from customerbase.kit.errors import CustomerbaseError
from customerbase.migrations import upgrade
from customerbase.organizations import service as organizations

app = typer.Typer(
    help="customerbase: customer management for fintech platforms.", no_args_is_help=True
)
orgs_app = typer.Typer(help="Organizations (tenants).", no_args_is_help=True)
keys_app = typer.Typer(help="Secret API keys.", no_args_is_help=True)
app.add_typer(orgs_app, name="orgs")
app.add_typer(keys_app, name="keys")

T = TypeVar("T")


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def _settings() -> Settings:
    settings = Settings()
    try:
        settings.check_production()
    except ConfigurationError as exc:
        _fail(str(exc))
    return settings


def _run(work: Callable[[Database], Awaitable[T]]) -> T:
    """Run `work` against the configured database, turning domain errors into a clean exit."""
    settings = _settings()

    async def main() -> T:
        database = create_database(settings.resolved_database_url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    try:
        return asyncio.run(main())
    except CustomerbaseError as exc:
        _fail(exc.message)
        raise  # unreachable: _fail exits


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2))


def _org_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an organization id") from None


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    _run(upgrade)
    typer.echo("database is up to date")


@app.command()
def init(
    name: Annotated[str, typer.Option(help="Name of the first organization")] = "My organization",
) -> None:
    """Migrate, and create a first organization if there is none (its keys are printed once)."""

    async def work(database: Database) -> dict[str, str] | None:
        await upgrade(database)
        async with database.write_session() as session:
            first = await organizations.create_first_organization(session, name)
            if first is None:
                return None
            organization, keys = first
            return {
                "id": str(organization.id),
                "name": organization.name,
                "test_secret_key": keys["test"],
                "live_secret_key": keys["live"],
            }

    created = _run(work)
    if created is None:
        typer.echo(
            "database is up to date; an organization exists already "
            "(new keys: customerbase keys create --org ORG_ID)"
        )
        return
    typer.echo("Created your first organization. Keep these keys: they are shown only once.")
    _print_json(created)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
) -> None:
    """Serve the API (OpenAPI docs at /docs)."""
    from customerbase.server import PortUnavailable
    from customerbase.server import serve as run_server

    settings = _settings()
    _configure_logging(settings.log_level)

    def ready(url: str) -> None:
        typer.echo(f"customerbase serving on {url} (docs: {url}/docs)")

    try:
        code = run_server(
            "customerbase.app:app_factory", host=host, port=port, workers=workers, on_ready=ready
        )
    except PortUnavailable as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(code=2) from None
    raise typer.Exit(code=code)


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


@orgs_app.command("create")
def orgs_create(name: str) -> None:
    """Create an organization; prints its id and its test and live secret keys (shown once)."""

    async def work(database: Database) -> dict[str, str]:
        async with database.write_session() as session:
            organization, keys = await organizations.create_organization(session, name)
            return {
                "id": str(organization.id),
                "name": organization.name,
                "test_secret_key": keys["test"],
                "live_secret_key": keys["live"],
            }

    _print_json(_run(work))


@keys_app.command("create")
def keys_create(
    org: Annotated[str, typer.Option("--org", help="Organization id")],
    environment: Annotated[
        str, typer.Option("--environment", "--env", help="test or live")
    ] = "test",
) -> None:
    """Issue a new secret key (shown once)."""
    organization_id = _org_id(org)

    async def work(database: Database) -> dict[str, Any]:
        async with database.write_session() as session:
            issued = await organizations.create_key(session, organization_id, environment)
            return {**organizations.key_to_dict(issued.key), "secret_key": issued.secret}

    _print_json(_run(work))


@keys_app.command("list")
def keys_list(org: Annotated[str, typer.Option("--org", help="Organization id")]) -> None:
    """List an organization's keys (redacted)."""
    organization_id = _org_id(org)

    async def work(database: Database) -> list[dict[str, Any]]:
        async with database.read_session() as session:
            return await organizations.list_keys(session, organization_id)

    _print_json(_run(work))


@keys_app.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Revoke a key: the next request made with it fails with 401."""
    try:
        parsed = uuid.UUID(key_id)
    except ValueError:
        raise typer.BadParameter(f"{key_id!r} is not a key id") from None

    async def work(database: Database) -> dict[str, Any]:
        async with database.write_session() as session:
            return organizations.key_to_dict(await organizations.revoke_key(session, parsed))

    _print_json(_run(work))


def main() -> None:
    app()
