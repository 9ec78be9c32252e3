"""Documents on the local store, on SQLite and PostgreSQL: upload (multipart and base64), list,
get, download, delete, review, the checks, and nothing stored when a check fails."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from customerbase.config import Settings
from customerbase.kit.db import Database
from customerbase.models import AuditEntry, Event
from tests.conftest import TEST_SECRET, Org, make_org
from tests.documents.support import (
    b64,
    count_rows,
    exe,
    jpeg,
    new_customer,
    pdf,
    png,
    stored_files,
    upload,
)

MAX_BYTES = 200 * 1024


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", secret_key=TEST_SECRET, max_document_bytes=MAX_BYTES
    )


@pytest.fixture
def store_root(settings: Settings) -> Path:
    return settings.data_dir / "documents"


async def test_multipart_upload_stores_the_document_and_returns_its_metadata(
    client: httpx.AsyncClient, store_root: Path
) -> None:
    customer_id = await new_customer(client)
    content = png(extra=1000)
    response = await upload(client, customer_id, content, filename="ayo passport.png")
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["customer_id"] == customer_id
    assert data["person_id"] is None
    assert data["document_type"] == "passport"
    assert data["filename"] == "ayo passport.png"
    assert data["content_type"] == "image/png"
    assert data["size_bytes"] == len(content)
    assert data["sha256"] == hashlib.sha256(content).hexdigest()
    assert data["status"] == "pending_review"
    assert data["review_reasons"] == []
    assert len(stored_files(store_root)) == 1


async def test_json_upload_with_advancly_names_is_stored(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    content = pdf()
    response = await client.post(
        f"/v1/customers/{customer_id}/documents",
        json={
            "document_type_code": "Utility Bill",
            "base64_file_string": b64(content),
            "filename_with_extension": "bill.pdf",
        },
    )
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert (data["document_type"], data["content_type"], data["filename"]) == (
        "utility_bill",
        "application/pdf",
        "bill.pdf",
    )


async def test_json_upload_with_canonical_names_and_a_data_url_is_stored(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    content = jpeg()
    response = await client.post(
        f"/v1/customers/{customer_id}/documents",
        json={
            "document_type": "selfie",
            "content_base64": "data:image/jpeg;base64," + b64(content),
        },
    )
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert (data["content_type"], data["filename"], data["size_bytes"]) == (
        "image/jpeg",
        None,
        len(content),
    )


async def test_download_equals_the_upload_streamed_with_no_store(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    content = png(extra=3 * 64 * 1024 + 5)  # three full 64 KiB chunks and a short last one
    document = (await upload(client, customer_id, content)).json()["data"]
    response = await client.get(f"/v1/customers/{customer_id}/documents/{document['id']}/download")
    assert response.status_code == 200
    assert response.content == content
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-length"] == str(len(content))
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"] == f'attachment; filename="{document["id"]}.png"'


async def test_the_file_on_disk_is_ciphertext_without_the_plaintext(
    client: httpx.AsyncClient, store_root: Path
) -> None:
    customer_id = await new_customer(client)
    content = pdf("Ayo Oladeji BVN statement 22212345678")
    await upload(client, customer_id, content, filename="statement.pdf", document_type="other")
    [path] = stored_files(store_root)
    on_disk = path.read_bytes()
    assert b"Ayo Oladeji" not in on_disk
    assert b"%PDF" not in on_disk
    assert on_disk.startswith(b"CBDOC")
    # The file name is personal data too: neither the path nor the object holds it.
    assert "statement" not in str(path)
    assert path.stat().st_mode & 0o777 == 0o600


async def test_list_and_get_show_the_customer_s_documents_oldest_first(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    first = (await upload(client, customer_id, png())).json()["data"]
    second = (
        await upload(client, customer_id, pdf(), filename="b.pdf", document_type="utility_bill")
    ).json()["data"]
    listed = await client.get(f"/v1/customers/{customer_id}/documents")
    assert [d["id"] for d in listed.json()["data"]] == [first["id"], second["id"]]
    filtered = await client.get(
        f"/v1/customers/{customer_id}/documents", params={"document_type": "utility_bill"}
    )
    assert [d["id"] for d in filtered.json()["data"]] == [second["id"]]
    one = await client.get(f"/v1/customers/{customer_id}/documents/{first['id']}")
    assert one.status_code == 200
    assert one.json()["data"] == first


async def test_a_pdf_name_on_a_png_is_stored_as_a_png(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    response = await upload(client, customer_id, png(), filename="scan.pdf", mime="application/pdf")
    assert response.status_code == 201
    assert response.json()["data"]["content_type"] == "image/png"


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (exe(), "invoice.pdf"),
        (b"hello, this is text %PDF-1.4", "note.pdf"),
        (b"PK\x03\x04" * 20, "a.png"),
    ],
    ids=["exe-renamed-pdf", "text", "zip"],
)
async def test_a_file_that_is_not_pdf_jpeg_or_png_is_415_and_nothing_is_stored(
    client: httpx.AsyncClient,
    database: Database,
    store_root: Path,
    content: bytes,
    name: str,
) -> None:
    customer_id = await new_customer(client)
    response = await upload(client, customer_id, content, filename=name, mime="application/pdf")
    assert response.status_code == 415
    error = response.json()["error"]
    assert error["type"] == "unsupported_document_type"
    assert error["fields"] == [{"field": "file", "message": "must be a PDF, JPEG or PNG file"}]
    assert await count_rows(database) == 0
    assert stored_files(store_root) == []


async def test_a_base64_file_of_the_wrong_type_is_415_naming_the_field(
    client: httpx.AsyncClient, database: Database, store_root: Path
) -> None:
    customer_id = await new_customer(client)
    response = await client.post(
        f"/v1/customers/{customer_id}/documents",
        json={"document_type_code": "passport", "base64_file_string": b64(exe())},
    )
    assert response.status_code == 415
    assert response.json()["error"]["fields"][0]["field"] == "base64_file_string"
    assert await count_rows(database) == 0
    assert stored_files(store_root) == []


async def test_a_file_over_the_limit_is_413_and_nothing_is_stored(
    client: httpx.AsyncClient, database: Database, store_root: Path
) -> None:
    customer_id = await new_customer(client)
    response = await upload(client, customer_id, png(extra=MAX_BYTES))
    assert response.status_code == 413
    error = response.json()["error"]
    assert error["type"] == "document_too_large"
    assert error["fields"] == [{"field": "file", "message": f"must be at most {MAX_BYTES} bytes"}]
    assert await count_rows(database) == 0
    assert stored_files(store_root) == []


async def test_a_body_over_the_upload_limit_is_413_at_the_edge_and_nothing_is_stored(
    client: httpx.AsyncClient, database: Database, store_root: Path
) -> None:
    customer_id = await new_customer(client)
    response = await upload(client, customer_id, png(extra=2 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "payload_too_large"
    assert await count_rows(database) == 0
    assert stored_files(store_root) == []


async def test_a_base64_file_over_the_limit_is_413_naming_the_field(
    client: httpx.AsyncClient, database: Database
) -> None:
    customer_id = await new_customer(client)
    response = await client.post(
        f"/v1/customers/{customer_id}/documents",
        json={"document_type": "passport", "content_base64": b64(png(extra=MAX_BYTES))},
    )
    assert response.status_code == 413
    assert response.json()["error"]["fields"][0]["field"] == "content_base64"
    assert await count_rows(database) == 0


@pytest.mark.parametrize("value", ["not base64!!", "QUJD$", "===="])
async def test_invalid_base64_is_422_naming_the_field(
    client: httpx.AsyncClient, database: Database, store_root: Path, value: str
) -> None:
    customer_id = await new_customer(client)
    response = await client.post(
        f"/v1/customers/{customer_id}/documents",
        json={"document_type_code": "passport", "base64_file_string": value},
    )
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert [f["field"] for f in fields] == ["base64_file_string"]
    assert await count_rows(database) == 0
    assert stored_files(store_root) == []


async def test_an_unknown_document_type_is_422_naming_the_field(
    client: httpx.AsyncClient, database: Database
) -> None:
    customer_id = await new_customer(client)
    response = await upload(client, customer_id, png(), document_type="birth_certificate")
    assert response.status_code == 422
    [field] = response.json()["error"]["fields"]
    assert field["field"] == "document_type"
    assert field["message"].startswith("must be one of passport, national_id")
    assert await count_rows(database) == 0


async def test_missing_file_or_type_and_unknown_fields_are_422_naming_them(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    url = f"/v1/customers/{customer_id}/documents"
    no_file = await client.post(url, data={"document_type": "passport"}, files={"x": ("a", b"")})
    assert no_file.status_code == 422
    assert no_file.json()["error"]["fields"][0]["field"] == "x"
    no_type = await client.post(url, files={"file": ("a.png", png(), "image/png")})
    assert no_type.json()["error"]["fields"][0] == {
        "field": "document_type",
        "message": "is required",
    }
    both = await client.post(
        url,
        json={"document_type": "passport", "document_type_code": "passport", "content_base64": ""},
    )
    assert both.status_code == 422
    assert both.json()["error"]["fields"][0]["field"] == "document_type_code"
    extra = await client.post(
        url, json={"document_type": "passport", "content_base64": b64(png()), "x": 1}
    )
    assert extra.json()["error"]["fields"][0]["field"] == "x"


async def test_a_body_of_another_media_type_is_415(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    response = await client.post(
        f"/v1/customers/{customer_id}/documents",
        content=png(),
        headers={"Content-Type": "image/png"},
    )
    assert response.status_code == 415
    assert response.json()["error"]["type"] == "unsupported_media_type"


async def test_documents_of_another_tenant_are_404_and_cannot_be_touched(
    client: httpx.AsyncClient, database: Database, org: Org, store_root: Path
) -> None:
    customer_id = await new_customer(client)
    document = (await upload(client, customer_id, png())).json()["data"]
    other = await make_org(database, "Other Fintech")
    base = f"/v1/customers/{customer_id}/documents"
    # Another organization, and the same organization's live environment.
    for headers in (other.auth("test"), org.auth("live")):
        for method, url in (
            ("GET", base),
            ("GET", f"{base}/{document['id']}"),
            ("GET", f"{base}/{document['id']}/download"),
            ("DELETE", f"{base}/{document['id']}"),
            ("POST", f"{base}/{document['id']}/review"),
        ):
            body = {"status": "verified"} if method == "POST" else None
            response = await client.request(method, url, headers=headers, json=body)
            assert response.status_code == 404, (method, url)
            assert response.json()["error"]["type"] == "customer_not_found"
        response = await client.post(
            base,
            headers=headers,
            files={"file": ("a.png", png(), "image/png")},
            data={"document_type": "passport"},
        )
        assert response.status_code == 404
    assert await count_rows(database) == 1
    assert len(stored_files(store_root)) == 1
    still = await client.get(f"{base}/{document['id']}")
    assert still.json()["data"]["status"] == "pending_review"


async def test_a_document_of_another_customer_is_404_document_not_found(
    client: httpx.AsyncClient,
) -> None:
    owner = await new_customer(client)
    someone_else = await new_customer(client)
    document = (await upload(client, owner, png())).json()["data"]
    response = await client.get(f"/v1/customers/{someone_else}/documents/{document['id']}")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "document_not_found"
    unknown = await client.get(f"/v1/customers/{owner}/documents/not-an-id/download")
    assert unknown.json()["error"]["type"] == "document_not_found"


async def test_delete_removes_the_row_and_the_file_and_records_it(
    client: httpx.AsyncClient, database: Database, store_root: Path
) -> None:
    customer_id = await new_customer(client)
    document = (await upload(client, customer_id, png())).json()["data"]
    response = await client.delete(f"/v1/customers/{customer_id}/documents/{document['id']}")
    assert response.status_code == 200
    assert await count_rows(database) == 0
    assert stored_files(store_root) == []
    again = await client.delete(f"/v1/customers/{customer_id}/documents/{document['id']}")
    assert again.status_code == 404
    async with database.read_session() as session:
        types = list((await session.execute(select(Event.type).order_by(Event.id))).scalars())
        actions = list(
            (await session.execute(select(AuditEntry.action).order_by(AuditEntry.id))).scalars()
        )
    assert types == ["customer.created", "document.created", "document.deleted"]
    assert actions == types


async def test_events_of_documents_never_carry_the_file_name(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    await upload(client, customer_id, png(), filename="Ayo-Oladeji.png")
    events = (await client.get("/v1/events", params={"type": "document.*"})).json()["data"]
    assert [e["type"] for e in events] == ["document.created"]
    assert "Ayo" not in str(events)
    assert events[0]["data"]["object"]["content_type"] == "image/png"


async def test_review_verifies_or_rejects_with_reasons_and_records_the_change(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    document = (await upload(client, customer_id, png())).json()["data"]
    url = f"/v1/customers/{customer_id}/documents/{document['id']}/review"
    no_reason = await client.post(url, json={"status": "rejected"})
    assert no_reason.status_code == 422
    assert no_reason.json()["error"]["fields"][0]["field"] == "reasons"
    rejected = await client.post(url, json={"status": "rejected", "reasons": ["blurred"]})
    assert rejected.status_code == 200
    data = rejected.json()["data"]
    assert (data["status"], data["review_reasons"]) == ("rejected", ["blurred"])
    assert data["reviewed_at"] is not None
    verified = (await client.post(url, json={"status": "verified"})).json()["data"]
    assert (verified["status"], verified["review_reasons"]) == ("verified", [])
    listed = await client.get(
        f"/v1/customers/{customer_id}/documents", params={"status": "verified"}
    )
    assert [d["id"] for d in listed.json()["data"]] == [document["id"]]
    events = (await client.get("/v1/events", params={"type": "document.reviewed"})).json()["data"]
    assert [e["data"]["changes"]["status"] for e in events] == [
        {"old": "rejected", "new": "verified"},
        {"old": "pending_review", "new": "rejected"},
    ]


async def test_documents_of_an_archived_or_erased_customer_cannot_change(
    client: httpx.AsyncClient, database: Database
) -> None:
    customer_id = await new_customer(client)
    await client.post(f"/v1/customers/{customer_id}/archive")
    archived = await upload(client, customer_id, png())
    assert archived.status_code == 409
    assert archived.json()["error"]["type"] == "customer_archived"
    await client.post(f"/v1/customers/{customer_id}/unarchive")
    await client.delete(f"/v1/customers/{customer_id}")
    erased = await upload(client, customer_id, png())
    assert erased.status_code == 409
    assert erased.json()["error"]["type"] == "customer_deleted"
    assert await count_rows(database) == 0


async def test_base64_with_line_breaks_or_the_url_safe_alphabet_is_accepted(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    content = png(extra=3000)
    wrapped = base64.encodebytes(content).decode()  # MIME style: a line break every 76
    url_safe = base64.urlsafe_b64encode(content).decode().rstrip("=")
    for value in (wrapped, url_safe):
        response = await client.post(
            f"/v1/customers/{customer_id}/documents",
            json={"document_type": "passport", "content_base64": value},
        )
        assert response.status_code == 201, response.text
        assert response.json()["data"]["sha256"] == hashlib.sha256(content).hexdigest()


async def test_a_malformed_multipart_body_is_422_naming_the_file(
    client: httpx.AsyncClient, database: Database
) -> None:
    customer_id = await new_customer(client)
    response = await client.post(
        f"/v1/customers/{customer_id}/documents",
        content=b"--x\r\nContent-Disposition: form-data\r\n\r\nabc\r\n--x--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "file"
    assert await count_rows(database) == 0
