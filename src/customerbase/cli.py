"""The `customerbase` command."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import sys
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from customerbase.config import ConfigurationError, Settings
from customerbase.customers import blocks
from customerbase.kit import idempotency
from customerbase.kit.db import Database, UnsupportedDatabaseURL, async_url, create_database
from customerbase.kit.errors import CustomerbaseError
from customerbase.migrations import DatabaseNotReady, check_database, check_sqlite_file, upgrade
from customerbase.models import IdentityBlock
from customerbase.organizations import service as organizations

app = typer.Typer(
    help="customerbase: customer management for fintech platforms.", no_args_is_help=True
)
orgs_app = typer.Typer(help="Organizations (tenants).", no_args_is_help=True)
keys_app = typer.Typer(help="Secret API keys.", no_args_is_help=True)
app.add_typer(orgs_app, name="orgs")
app.add_typer(keys_app, name="keys")
blocks_app = typer.Typer(
    help="Identities blocked by the erasure of a blacklisted customer.", no_args_is_help=True
)
app.add_typer(blocks_app, name="blocks")
watchlists_app = typer.Typer(
    help="Sanctions lists (OFAC SDN, UN consolidated) and continuous screening.",
    no_args_is_help=True,
)
app.add_typer(watchlists_app, name="watchlists")
idempotency_app = typer.Typer(help="Idempotency-Keys of past requests.", no_args_is_help=True)
app.add_typer(idempotency_app, name="idempotency")

T = TypeVar("T")

FIRST_ORGANIZATION_FILE = "first-organization.json"
# Exit status of a command that cannot run where it is (no database, not migrated, bad URL),
# as opposed to 1 for a request the database refused (an unknown organization, ...).
EXIT_NOT_READY = 2


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=code)


def _settings() -> Settings:
    settings = Settings()
    try:
        settings.check_production()
    except ConfigurationError as exc:
        _fail(str(exc))
    return settings


def _run(work: Callable[[Database], Awaitable[T]], *, migrated: bool = True) -> T:
    """Run `work` against the configured database, turning known failures into a clean exit.

    With `migrated` (every command but `migrate` and `init`), the database must exist and carry
    the current schema; a missing SQLite file is reported without being created.
    """
    settings = _settings()
    try:
        url = async_url(settings.resolved_database_url)
        if migrated:
            check_sqlite_file(url)
    except (UnsupportedDatabaseURL, DatabaseNotReady) as exc:
        _fail(str(exc), code=EXIT_NOT_READY)

    async def main() -> T:
        database = create_database(settings.resolved_database_url)
        try:
            await check_database(database, migrated=migrated)
            return await work(database)
        finally:
            await database.dispose()

    try:
        return asyncio.run(main())
    except DatabaseNotReady as exc:
        _fail(str(exc), code=EXIT_NOT_READY)
        raise  # unreachable: _fail exits
    except CustomerbaseError as exc:
        _fail(exc.message)
        raise  # unreachable: _fail exits


async def _nothing(_database: Database) -> None:
    return None


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
    _run(upgrade, migrated=False)
    typer.echo("database is up to date")


@app.command()
def init(
    name: Annotated[str, typer.Option(help="Name of the first organization")] = "My organization",
) -> None:
    """Migrate, and create a first organization if there is none.

    Its keys are written once to data/first-organization.json (0600), and printed only when
    stdout is a terminal: the output of `make serve` often ends up in a log.
    """

    settings = _settings()
    path = (settings.data_dir / FIRST_ORGANIZATION_FILE).absolute()

    async def work(database: Database) -> tuple[bool, dict[str, str]]:
        await upgrade(database)
        async with database.write_session() as session:
            first = await organizations.create_first_organization(session, name)
            if first is None:
                existing = await organizations.first_organization(session)
                assert existing is not None  # there is one, or one would have been created
                return False, {"id": str(existing.id), "name": existing.name}
            organization, keys = first
            created = {
                "id": str(organization.id),
                "name": organization.name,
                "test_secret_key": keys["test"],
                "live_secret_key": keys["live"],
            }
            # Before the commit: keys that cannot be saved are not issued.
            _write_private_json(path, created)
            return True, created

    created, organization = _run(work, migrated=False)
    if not created:
        saved = f"; its first keys are in {path}" if path.exists() else ""
        typer.echo(
            "database is up to date; an organization exists already "
            f"(new keys: customerbase keys create --org {organization['id']}){saved}"
        )
        return
    if sys.stdout.isatty():
        typer.echo(
            "Created your first organization. Keep these keys safe: no command shows them again."
        )
        _print_json(organization)
        typer.echo(
            f"(They are also in {path}, readable only by you: delete it once they are safe.)"
        )
    else:
        typer.echo(
            f"Created your first organization ({organization['id']}). Its secret keys are in "
            f"{path}, readable only by you: keep them safe, then delete the file."
        )


def _write_private_json(path: Path, value: Any) -> None:
    """Write `value` to `path`, readable by its owner only (0600, in a 0700 folder if new)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a file left by an earlier installation keeps its old mode otherwise
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps(value, indent=2) + "\n")


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
    _run(_nothing)  # a missing or unmigrated database is one line here, not 500s later
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


@app.command()
def worker(
    concurrency: Annotated[
        int, typer.Option(help="Deliveries in flight at once", min=1, max=1000)
    ] = 128,
) -> None:
    """Deliver webhooks from the outbox until stopped (SIGTERM or Ctrl-C).

    Several workers may run against one PostgreSQL database: they share the work and never
    send one attempt twice. On SQLite run one (the server's embedded worker is one: turn it off
    with CUSTOMERBASE_EMBEDDED_WORKER=0 to run this instead)."""
    import signal

    from customerbase.app import load_vault
    from customerbase.webhooks.worker import run_worker

    settings = _settings()
    _configure_logging(settings.log_level)
    vault = load_vault(settings)

    async def work(database: Database) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        typer.echo(f"customerbase worker delivering webhooks from {database.dialect}")
        await run_worker(
            database,
            vault,
            stop,
            allow_private=settings.webhook_allow_private,
            lease_seconds=settings.webhook_lease_seconds,
            concurrency=concurrency,
        )

    _run(work)
    typer.echo("customerbase worker stopped")


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )


@orgs_app.command("list")
def orgs_list() -> None:
    """List the organizations, oldest first: id, name and creation time (no keys)."""

    async def work(database: Database) -> list[dict[str, Any]]:
        async with database.read_session() as session:
            return await organizations.list_organizations(session)

    _print_json(_run(work))


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


def _block_to_dict(block: IdentityBlock) -> dict[str, Any]:
    return {
        "id": str(block.id),
        "organization_id": str(block.organization_id),
        "environment": block.environment,
        "kind": block.kind,
        "customer_id": str(block.customer_id),
        "reason": block.reason,
        "created_at": block.created_at.isoformat(),
    }


@blocks_app.command("list")
def blocks_list(
    org: Annotated[str | None, typer.Option("--org", help="Only this organization")] = None,
) -> None:
    """List the blocked identities (their kind and erased customer; never a value)."""
    organization_id = _org_id(org) if org else None

    async def work(database: Database) -> list[dict[str, Any]]:
        async with database.read_session() as session:
            return [_block_to_dict(b) for b in await blocks.list_blocks(session, organization_id)]

    _print_json(_run(work))


@blocks_app.command("lift")
def blocks_lift(
    block_id: Annotated[str | None, typer.Argument(help="The block's id")] = None,
    customer: Annotated[
        str | None, typer.Option("--customer", help="Lift every block of this erased customer")
    ] = None,
) -> None:
    """Lift a block, so that the identity can be onboarded again."""
    if (block_id is None) == (customer is None):
        raise typer.BadParameter("give a block id or --customer, not both")
    try:
        parsed = uuid.UUID(block_id or customer or "")
    except ValueError:
        raise typer.BadParameter(f"{block_id or customer!r} is not an id") from None

    async def work(database: Database) -> dict[str, int]:
        async with database.write_session() as session:
            if block_id is not None:
                lifted = await blocks.lift_blocks(session, block_id=parsed)
            else:
                lifted = await blocks.lift_blocks(session, customer_id=parsed)
            return {"lifted": lifted}

    _print_json(_run(work))


@idempotency_app.command("purge")
def idempotency_purge() -> None:
    """Delete the Idempotency-Keys older than 24 hours (the server also does it as it goes)."""

    async def work(database: Database) -> dict[str, int]:
        return {"purged": await idempotency.purge_expired(database)}

    _print_json(_run(work))


@app.command("import")
def import_customers(
    file: Annotated[Path, typer.Argument(help="A CSV (with a header row) or JSON-lines file")],
    org: Annotated[
        str | None, typer.Option("--org", help="Organization id (default: the only one)")
    ] = None,
    environment: Annotated[str, typer.Option("--env", help="test or live")] = "test",
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and report every bad row; write nothing")
    ] = False,
    file_format: Annotated[
        str | None, typer.Option("--format", help="csv or jsonl (default: from the extension)")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Validation processes (default: up to 2, by CPU count)")
    ] = None,
) -> None:
    """Import customers in bulk, with the API's rules; re-running skips what is there.

    Prints a progress bar on a terminal, and a JSON summary with the bad rows (line, field,
    message) otherwise. Exits 1 if any row was refused or the import failed."""
    from customerbase.app import load_vault
    from customerbase.customers import imports

    if environment not in organizations.ENVIRONMENTS:
        raise typer.BadParameter("--env must be test or live")
    if file_format is not None and file_format not in imports.FORMATS:
        raise typer.BadParameter("--format must be csv or jsonl")
    if not file.is_file():
        _fail(f"{file} is not a file")
    chosen = (
        imports.format_of(file.name) if file_format is None else imports.format_named(file_format)
    )
    vault = load_vault(_settings())

    async def work(database: Database) -> dict[str, Any]:
        async with database.write_session() as session:
            organization_id = _org_id(org) if org else await _only_organization(session)
            # The command acts as the operator, not through a key: no key id to record.
            tenant = organizations.Tenant(organization_id, environment, uuid.UUID(int=0))
            job = await imports.create_job(
                session,
                tenant,
                file_format=chosen,
                dry_run=dry_run,
                filename=file.name,
                size=file.stat().st_size,
            )
        with _import_progress(file.name) as on_progress:
            await imports.run_import(
                database, vault, tenant, job.id, file, workers=workers, on_progress=on_progress
            )
        async with database.read_session() as session:
            finished = await imports.get_job(session, tenant, str(job.id))
            return {**imports.job_to_dict(finished), "report": list(finished.report or [])}

    summary = _run(work)
    if sys.stdout.isatty():
        _print_import_summary(summary)
    else:
        _print_json(summary)
    if summary["status"] != "completed" or summary["rows"]["failed"]:
        raise typer.Exit(code=1)


async def _only_organization(session: Any) -> uuid.UUID:
    from sqlalchemy import select

    from customerbase.models import Organization

    ids = (await session.scalars(select(Organization.id).limit(2))).all()
    if len(ids) != 1:
        _fail(
            "give --org ORG_ID: " + ("there is no organization" if not ids else "there are several")
        )
    return uuid.UUID(str(ids[0]))


@contextlib.contextmanager
def _import_progress(name: str) -> Iterator[Callable[[Any], None] | None]:
    """A Rich progress bar over the file's bytes, on a terminal only."""
    if not sys.stdout.isatty():
        yield None
        return
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rows]}"),
        TimeRemainingColumn(),
    ) as bar:
        task = bar.add_task(name, total=None, rows="")

        def update(progress: Any) -> None:
            bar.update(
                task,
                completed=progress.bytes_read,
                total=progress.bytes_total,
                rows=(
                    f"{progress.rows_imported:,} imported, {progress.rows_skipped:,} skipped, "
                    f"{progress.rows_failed:,} refused"
                ),
            )

        yield update


def _print_import_summary(summary: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    rows = summary["rows"]
    verb = "would be imported" if summary["dry_run"] else "imported"
    console.print(
        f"{summary['status']}: {rows['total']:,} rows, {rows['imported']:,} {verb}, "
        f"{rows['skipped']:,} skipped (already there), {rows['failed']:,} refused"
    )
    if summary["error"]:
        console.print(f"[red]error: {summary['error']}")
    report = summary["report"]
    if report:
        table = Table("line", "field", "message")
        for entry in report[:20]:
            table.add_row(str(entry["line"]), entry["field"], entry["message"])
        console.print(table)
        if len(report) > 20:
            console.print(f"... and {len(report) - 20:,} more (GET {summary['id']}/report)")


@watchlists_app.command("import")
def watchlists_import(
    paths: Annotated[
        list[Path],
        typer.Argument(help="sdn.csv (with alt.csv), the UN's XML, or folders holding them"),
    ],
    rescreen: Annotated[
        bool,
        typer.Option(
            "--rescreen/--no-rescreen",
            help="Screen every customer again now (the server also does it in the background)",
        ),
    ] = False,
) -> None:
    """Import watchlists from their official files; a changed list gets a new version."""
    from customerbase.app import load_vault
    from customerbase.screening import continuous, formats, watchlists

    try:
        lists = formats.read_lists(paths)
    except formats.WatchlistFormatError as exc:
        _fail(str(exc))
    vault = load_vault(_settings()) if rescreen else None

    async def work(database: Database) -> dict[str, Any]:
        results = []
        with _watchlist_progress() as on_progress:
            for parsed in lists:
                async with database.write_session() as session:
                    result = await watchlists.import_list(session, parsed, on_progress=on_progress)
                results.append(result.as_dict())
        summary: dict[str, Any] = {"lists": results}
        if vault is not None:
            with _rescreen_progress() as on_progress:
                swept = await continuous.rescreen_customers(
                    database, vault, on_progress=on_progress
                )
            summary["rescreen"] = swept.as_dict()
        return summary

    _print_json(_run(work))


@watchlists_app.command("list")
def watchlists_list() -> None:
    """The imported lists, their versions and sizes."""
    from customerbase.screening import watchlists

    async def work(database: Database) -> list[dict[str, Any]]:
        async with database.read_session() as session:
            return await watchlists.list_watchlists(session)

    _print_json(_run(work))


@watchlists_app.command("rescreen")
def watchlists_rescreen() -> None:
    """Screen every customer not yet screened against the current lists (one sweep)."""
    from customerbase.app import load_vault
    from customerbase.screening import continuous

    vault = load_vault(_settings())

    async def work(database: Database) -> dict[str, Any]:
        with _rescreen_progress() as on_progress:
            swept = await continuous.rescreen_customers(database, vault, on_progress=on_progress)
        return swept.as_dict()

    _print_json(_run(work))


@contextlib.contextmanager
def _watchlist_progress() -> Iterator[Callable[[str, int, int], None] | None]:
    """A Rich progress bar per list over its entries, on a terminal only."""
    if not sys.stdout.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn()) as bar:
        tasks: dict[str, Any] = {}

        def update(list_name: str, done: int, total: int) -> None:
            if list_name not in tasks:
                tasks[list_name] = bar.add_task(list_name, total=total)
            bar.update(tasks[list_name], completed=done, total=total)

        yield update


@contextlib.contextmanager
def _rescreen_progress() -> Iterator[Callable[[int, int], None] | None]:
    if not sys.stdout.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("[bold]re-screening"), BarColumn(), MofNCompleteColumn()) as bar:
        task = bar.add_task("customers", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def main() -> None:
    app()
