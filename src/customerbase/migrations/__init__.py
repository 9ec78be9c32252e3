"""Alembic migrations, and the one function that applies them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config

from customerbase.kit.db import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent


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
