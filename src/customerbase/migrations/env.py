"""Alembic environment: runs over a connection handed in by customerbase, or its own engine."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from alembic import context

from customerbase.config import Settings
from customerbase.kit.db import create_database
from customerbase.migrations import include_object
from customerbase.models import Base
from customerbase.models.base import UTCDateTime

target_metadata = Base.metadata
config = context.config


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    # Migrations stay free of customerbase imports: UTCDateTime is a timestamptz column.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_with_own_engine() -> None:
    url = config.get_main_option("sqlalchemy.url") or Settings().resolved_database_url
    database = create_database(url)
    try:
        async with database.write_engine.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await database.dispose()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    asyncio.run(_run_with_own_engine())
