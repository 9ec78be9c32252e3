"""FastAPI dependencies for the request-scoped database session.

The write session ends with the endpoint function (`scope="function"`): the transaction commits
before the response is sent, so a client never sees a 2xx for a write that did not commit, and
an error at commit time still becomes a proper error response.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database, ReadSession, WriteSession

# These are `async def` on purpose: FastAPI runs a plain `def` dependency in a worker thread,
# and that hop cost more than the database query of a read.


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_vault(request: Request) -> Vault:
    vault: Vault = request.app.state.vault
    return vault


async def _read_session(
    database: Annotated[Database, Depends(get_database)],
) -> AsyncIterator[ReadSession]:
    async with database.read_session() as session:
        yield session


async def _write_session(
    database: Annotated[Database, Depends(get_database)],
) -> AsyncIterator[WriteSession]:
    async with database.write_session() as session:
        yield session


ReadSessionDep = Annotated[ReadSession, Depends(_read_session, scope="function")]
WriteSessionDep = Annotated[WriteSession, Depends(_write_session, scope="function")]
VaultDep = Annotated[Vault, Depends(get_vault)]
