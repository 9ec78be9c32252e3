"""Documents of a business's people: /v1/customers/{id}/people/{pid}/documents."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from customerbase.config import Settings
from customerbase.kit.db import Database
from tests import factories
from tests.conftest import TEST_SECRET
from tests.documents.support import b64, count_rows, new_customer, pdf, png, stored_files
from tests.onboarding.support import director


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", secret_key=TEST_SECRET)


@pytest.fixture
def store_root(settings: Settings) -> Path:
    return settings.data_dir / "documents"


async def _business(client: httpx.AsyncClient) -> tuple[str, list[str]]:
    payload = factories.business(people=[director("Chidi", 60), director("Ngozi", 40)])
    response = await client.post("/v1/customers", json=payload)
    assert response.status_code == 201, response.text
    customer_id = response.json()["data"]["id"]
    people = (await client.get(f"/v1/customers/{customer_id}/people")).json()["data"]
    return customer_id, [person["id"] for person in people]


async def _upload(
    client: httpx.AsyncClient, customer_id: str, person_id: str, content: bytes
) -> httpx.Response:
    return await client.post(
        f"/v1/customers/{customer_id}/people/{person_id}/documents",
        files={"file": ("passport.png", content, "image/png")},
        data={"document_type": "passport"},
    )


async def test_a_person_s_document_is_stored_listed_and_downloaded(
    client: httpx.AsyncClient,
) -> None:
    customer_id, (chidi, ngozi) = await _business(client)
    response = await _upload(client, customer_id, chidi, png())
    assert response.status_code == 201, response.text
    document = response.json()["data"]
    assert (document["customer_id"], document["person_id"]) == (customer_id, chidi)
    json_upload = await client.post(
        f"/v1/customers/{customer_id}/people/{ngozi}/documents",
        json={"document_type_code": "nin_slip", "base64_file_string": b64(pdf())},
    )
    assert json_upload.status_code == 201
    base = f"/v1/customers/{customer_id}/people/{chidi}/documents"
    assert [d["id"] for d in (await client.get(base)).json()["data"]] == [document["id"]]
    everything = (await client.get(f"/v1/customers/{customer_id}/documents")).json()["data"]
    assert [d["person_id"] for d in everything] == [chidi, ngozi]
    one = await client.get(f"{base}/{document['id']}")
    assert one.json()["data"] == document
    download = await client.get(f"{base}/{document['id']}/download")
    assert download.content == png()
    assert download.headers["cache-control"] == "no-store"
    # Not Ngozi's document.
    other = await client.get(
        f"/v1/customers/{customer_id}/people/{ngozi}/documents/{document['id']}"
    )
    assert other.status_code == 404
    assert other.json()["error"]["type"] == "document_not_found"


async def test_a_person_who_is_not_the_customer_s_is_404_and_nothing_is_stored(
    client: httpx.AsyncClient, database: Database, store_root: Path
) -> None:
    customer_id, (chidi, _) = await _business(client)
    someone_else = await new_customer(client)
    for owner, person in ((someone_else, chidi), (customer_id, "not-a-person")):
        response = await _upload(client, owner, person, png())
        assert response.status_code == 404
        assert response.json()["error"]["type"] == "person_not_found"
        listed = await client.get(f"/v1/customers/{owner}/people/{person}/documents")
        assert listed.json()["error"]["type"] == "person_not_found"
    assert await count_rows(database) == 0
    assert stored_files(store_root) == []


async def test_removing_a_person_deletes_the_person_s_documents(
    client: httpx.AsyncClient, database: Database, store_root: Path
) -> None:
    customer_id, (chidi, ngozi) = await _business(client)
    await _upload(client, customer_id, chidi, png())
    kept = (await _upload(client, customer_id, ngozi, png())).json()["data"]
    response = await client.delete(f"/v1/customers/{customer_id}/people/{chidi}")
    assert response.status_code == 200, response.text
    left = (await client.get(f"/v1/customers/{customer_id}/documents")).json()["data"]
    assert [d["id"] for d in left] == [kept["id"]]
    assert [p.name for p in stored_files(store_root)] == [kept["id"]]


async def test_erasing_a_business_deletes_its_people_s_documents(
    client: httpx.AsyncClient, database: Database, store_root: Path
) -> None:
    customer_id, (chidi, _) = await _business(client)
    await _upload(client, customer_id, chidi, png())
    response = await client.delete(f"/v1/customers/{customer_id}")
    assert response.status_code == 200, response.text
    assert await count_rows(database) == 0
    assert stored_files(store_root) == []
