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


async def test_a_multipart_upload_is_never_spooled_to_a_plaintext_file(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tempfile import SpooledTemporaryFile

    import starlette.formparsers

    spools: list[SpooledTemporaryFile[bytes]] = []

    class Recording(SpooledTemporaryFile):  # type: ignore[type-arg]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            spools.append(self)

        def close(self) -> None:
            self.rolled_at_close = self._rolled  # type: ignore[attr-defined]
            super().close()

    monkeypatch.setattr(starlette.formparsers, "SpooledTemporaryFile", Recording)
    customer_id = await new_customer(client)
    content = pdf() + os.urandom(3 * 1024 * 1024)  # beyond Starlette's own 1 MiB spool
    response = await upload(client, customer_id, content)
    assert response.status_code == 201
    assert len(spools) == 1
    assert spools[0].rolled_at_close is False  # type: ignore[attr-defined]


async def test_an_idempotent_upload_is_never_spooled_to_disk(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import customerbase.kit.idempotency as idempotency

    def no_spool(*args: object, **kwargs: object) -> None:
        raise AssertionError("a document's body went to a temporary file")

    monkeypatch.setattr(idempotency.tempfile, "TemporaryFile", no_spool)
    customer_id = await new_customer(client)
    content = pdf() + os.urandom(3 * 1024 * 1024)
    headers = {"Idempotency-Key": "upload-1"}
    first = await client.post(
        f"/v1/customers/{customer_id}/documents",
        files={"file": ("a.pdf", content, "application/pdf")},
        data={"document_type": "other"},
        headers=headers,
    )
    assert first.status_code == 201, first.text
    listed = await client.get(f"/v1/customers/{customer_id}/documents")
    assert len(listed.json()["data"]) == 1
