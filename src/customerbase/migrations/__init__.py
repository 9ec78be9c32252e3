"""Alembic migrations, the one function that applies them, and the check that they were."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from customerbase.kit.db import Database, is_sqlite

MIGRATIONS_DIR = Path(__file__).resolve().parent

MIGRATE_HINT = "run `customerbase migrate` first"
_UNDEFINED_DATABASE = "3D000"  # PostgreSQL's SQLSTATE for "database does not exist"


class DatabaseNotReady(Exception):
    """The database is missing, unreachable or not migrated; the message says what to do."""


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(database: Database, revision: str = "head") -> None:
    """Migrate the database to `revision` over the write engine's connection."""

    def _run(connection: Any) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with database.write_engine.begin() as connection:
        await connection.run_sync(_run)


def head_revision() -> str:
    """The revision a fully migrated database is at."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


# Objects the migrations create outside the models, which autogenerate must leave alone: the
# trigram index of substring search (PostgreSQL) and the FTS5 table with its shadow tables
# (SQLite).
_UNMODELLED_PREFIXES = (
    "ix_customers_organization_id_environment_search_text",
    "customers_search_fts",
)


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    return not (reflected and name and name.startswith(_UNMODELLED_PREFIXES))


def _describe(url: URL) -> str:
    if is_sqlite(url):
        return f"database {url.database}"
    return f"database {url.database!r} on {url.host or 'localhost'}:{url.port or 5432}"


def check_sqlite_file(url: URL) -> None:
    """Refuse a SQLite database file that does not exist, before anything opens (creates) it."""
    if not is_sqlite(url) or not url.database or url.database == ":memory:":
        return
    if not Path(url.database).is_file():
        raise DatabaseNotReady(f"{_describe(url)} does not exist: {MIGRATE_HINT}")


async def check_database(database: Database, *, migrated: bool = True) -> None:
    """Connect once; with `migrated`, also require the schema of this version (head)."""

    def _revision(connection: Any) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    try:
        async with database.read_engine.connect() as connection:
            current = await connection.run_sync(_revision) if migrated else None
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) == _UNDEFINED_DATABASE:
            raise DatabaseNotReady(f"{_describe(database.url)} does not exist: create it") from None
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
        raise DatabaseNotReady(f"cannot open {_describe(database.url)}: {reason}") from None
    except OSError as exc:
        raise DatabaseNotReady(f"cannot reach {_describe(database.url)}: {exc}") from None
    if not migrated:
        return
    if current is None:
        raise DatabaseNotReady(f"{_describe(database.url)} is not migrated: {MIGRATE_HINT}")
    scripts = ScriptDirectory.from_config(alembic_config())
    head = scripts.get_current_head()
    if current != head and current not in {script.revision for script in scripts.walk_revisions()}:
        raise DatabaseNotReady(
            f"{_describe(database.url)} is at schema revision {current}, unknown to this "
            "version of customerbase (migrated by a newer one?)"
        )
    if current != head:
        raise DatabaseNotReady(
            f"{_describe(database.url)} is at schema revision {current}, this version needs "
            f"{head}: {MIGRATE_HINT}"
        )
