"""Documents inline on create (Advancly's customer_documents), erasure, and nothing left behind
when the transaction that would have kept a document fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from customerbase.config import Settings
from customerbase.documents import service
from customerbase.kit.db import Database
from customerbase.models import Customer, Event
from tests.conftest import TEST_SECRET
from tests.documents.support import (
    b64,
    count_rows,
    exe,
    new_customer,
    pdf,
    png,
    stored_files,
    upload,
)
from tests.factories import individual

MAX_BYTES = 64 * 1024


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", secret_key=TEST_SECRET, max_document_bytes=MAX_BYTES
    )


@pytest.fixture
def store_root(settings: Settings) -> Path:
    return settings.data_dir / "documents"


def _inline(content: bytes, code: str = "passport", name: str = "id.png") -> dict[str, str]:
    return {
        "document_type_code": code,
        "base64_file_string": b64(content),
        "filename_with_extension": name,
    }


async def _customers(database: Database) -> int:
    async with database.read_session() as session:
        return int((await session.execute(select(func.count()).select_from(Customer))).scalar_one())


async def test_create_with_customer_documents_stores_the_customer_and_each_document(
    client: httpx.AsyncClient, database: Database, store_root: Path
) -> None:
    payload = individual(
        customer_documents=[_inline(png()), _inline(pdf(), "utility_bill", "bill.pdf")]
    )
    response = await client.post("/v1/customers", json=payload)
    assert response.status_code == 201, response.text
    customer_id = response.json()["data"]["id"]
    documents = (await client.get(f"/v1/customers/{customer_id}/documents")).json()["data"]
    assert [(d["document_type"], d["content_type"], d["filename"]) for d in documents] == [
        ("passport", "image/png", "id.png"),
        ("utility_bill", "application/pdf", "bill.pdf"),
    ]
    assert len(stored_files(store_root)) == 2
    download = await client.get(
        f"/v1/customers/{customer_id}/documents/{documents[1]['id']}/download"
    )
    assert download.content == pdf()
    async with database.read_session() as session:
        types = list((await session.execute(select(Event.type).order_by(Event.id))).scalars())
    assert types == ["customer.created", "document.created", "document.created"]


@pytest.mark.parametrize(
    ("document", "status", "kind"),
    [
        ({"base64_file_string": "%%% not base64", "document_type_code": "passport"}, 422, None),
        (_inline(exe(), name="cv.pdf"), 415, "unsupported_document_type"),
        (_inline(png(extra=MAX_BYTES)), 413, "document_too_large"),
        ({"document_type_code": "birth_certificate", "base64_file_string": b64(png())}, 422, None),
    ],
    ids=["invalid-base64", "wrong-type", "too-large", "unknown-document-type"],
)
async def test_a_failing_inline_document_creates_nothing_not_even_the_customer(
    client: httpx.AsyncClient,
    database: Database,
    store_root: Path,
    document: dict[str, Any],
    status: int,
    kind: str | None,
) -> None:
    payload = individual(customer_documents=[_inline(png()), document])
    response = await client.post("/v1/customers", json=payload)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] == (kind or "validation_error")
    field = error["fields"][0]["field"]
    assert field.startswith("customer_documents[1].")
    assert field in {
        "customer_documents[1].base64_file_string",
        "customer_documents[1].document_type_code",
    }
    assert await _customers(database) == 0
    assert await count_rows(database) == 0
    assert stored_files(store_root) == []
    lookup = await client.get(f"/v1/customers/{payload['email']}")
    assert lookup.status_code == 404


async def test_a_duplicate_customer_with_documents_is_409_and_stores_no_document(
    client: httpx.AsyncClient, database: Database, store_root: Path
) -> None:
    first = individual()
    await client.post("/v1/customers", json=first)
    again = {**individual(), "email": first["email"], "customer_documents": [_inline(png())]}
    response = await client.post("/v1/customers", json=again)
    assert response.status_code == 409
    assert await count_rows(database) == 0
    assert stored_files(store_root) == []


async def test_a_transaction_that_fails_after_the_file_is_written_leaves_no_file(
    client: httpx.AsyncClient,
    database: Database,
    store_root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    customer_id = await new_customer(client)
    real_record = service.record
    written: list[int] = []

    def failing_record(*args: Any, **kwargs: Any) -> Any:
        if args[2] == "document.created":
            written.append(len(stored_files(store_root)))
            raise RuntimeError("the database went away")
        return real_record(*args, **kwargs)

    monkeypatch.setattr(service, "record", failing_record)
    response = await upload(client, customer_id, png())
    assert response.status_code == 500
    inline = await client.post(
        "/v1/customers", json=individual(customer_documents=[_inline(png()), _inline(pdf())])
    )
    assert inline.status_code == 500
    assert written == [1, 2]  # the files were there when the transaction failed ...
    assert stored_files(store_root) == []  # ... and is gone since
    assert await count_rows(database) == 0
    assert await _customers(database) == 1


async def test_erasure_deletes_the_customer_s_documents_and_their_files(
    client: httpx.AsyncClient, database: Database, store_root: Path
) -> None:
    erased = await new_customer(client)
    kept = await new_customer(client)
    for content in (png(), pdf()):
        assert (await upload(client, erased, content)).status_code == 201
    other = (await upload(client, kept, png())).json()["data"]
    response = await client.delete(f"/v1/customers/{erased}")
    assert response.status_code == 200
    assert (await client.get(f"/v1/customers/{erased}/documents")).json()["data"] == []
    assert [
        d["id"] for d in (await client.get(f"/v1/customers/{kept}/documents")).json()["data"]
    ] == [other["id"]]
    assert await count_rows(database) == 1
    [left] = stored_files(store_root)
    assert left.name == other["id"]
    history = (await client.get(f"/v1/customers/{erased}/history")).json()["data"]
    assert [entry["action"] for entry in history][:3] == [
        "customer.deleted",
        "document.deleted",
        "document.deleted",
    ]


async def test_a_create_body_over_the_inline_documents_limit_is_413(
    client: httpx.AsyncClient, database: Database
) -> None:
    # The create's limit: the largest document base64-encoded, plus 256 KiB, plus 1 MiB.
    limit = 4 * -(-MAX_BYTES // 3) + 256 * 1024 + 1024 * 1024
    body = b'{"padding": "' + b"x" * limit + b'"}'
    response = await client.post(
        "/v1/customers", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "payload_too_large"
    assert await _customers(database) == 0
