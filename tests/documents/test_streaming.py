"""A download is decrypted as it streams: its memory does not grow with the document."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import httpx
import pytest

from customerbase.config import Settings
from customerbase.documents import service
from customerbase.documents.storage import DocumentStorage
from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database
from customerbase.organizations.service import Tenant, authenticate_fast
from tests.conftest import TEST_SECRET
from tests.documents.support import new_customer, pdf, upload

SIZE = 8 * 1024 * 1024


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", secret_key=TEST_SECRET)


async def test_reading_a_document_holds_a_chunk_not_the_file(
    client: httpx.AsyncClient, database: Database, settings: Settings, vault: Vault
) -> None:
    customer_id = await new_customer(client)
    content = pdf() + os.urandom(SIZE)
    document_id = (await upload(client, customer_id, content)).json()["data"]["id"]
    storage = DocumentStorage.from_settings(settings)
    tenant = await _tenant(client, database)
    async with database.read_session() as session:
        document = await service.get_document(session, tenant, customer_id, document_id)
    size = 0
    tracemalloc.start()
    try:
        async for chunk in service.open_document(vault, storage, document):
            size += len(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size == len(content)
    assert peak < 1024 * 1024, peak  # a few 64 KiB chunks, for an 8 MiB document


async def _tenant(client: httpx.AsyncClient, database: Database) -> Tenant:
    secret = client.headers["Authorization"].split(" ", 1)[1]
    async with database.fast.connection() as connection:
        return await authenticate_fast(connection, secret, client_id=None)
