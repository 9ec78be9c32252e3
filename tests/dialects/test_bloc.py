"""Bloc's dialect: every call of its seed pages replayed with the placeholders filled, the
answers checked field for field against Bloc's examples; its errors and authentication.

Runs on SQLite and on PostgreSQL (the `client` fixture is parametrized over both).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Org, make_org

BASE = "/compat/bloc/v1"

# The request body of Bloc's create example (curl, Ruby, PHP and Python send the same fields),
# its email placeholder filled.
SEED_CREATE = {
    "email": "ayo@example.com",
    "phone_number": "08012345678",
    "bvn": "00000000000",
    "first_name": "Ayo",
    "last_name": "Oladeji",
    "customer_type": "Personal",
}
# The fields of Bloc's create answer, and of its get answer (omitted-when-empty fields aside).
CREATE_FIELDS = [
    "id",
    "full_name",
    "phone_number",
    "organization_id",
    "environment",
    "email",
    "country",
    "group",
    "status",
    "created_at",
    "updated_at",
    "SyncData",
    "first_name",
    "last_name",
    "kyc_tier",
    "bvn",
    "date_of_birth",
    "customer_type",
    "source",
    "address",
]
GET_FIELDS = [name for name in CREATE_FIELDS if name != "SyncData"]


def _bloc_headers(key: str) -> dict[str, str]:
    """The headers of Bloc's examples: accept, content-type and the Bearer secret key."""
    return {
        "accept": "application/json",
        "content-type": "application/json",
        "authorization": f"Bearer {key}",
    }


async def _create(
    client: httpx.AsyncClient, body: dict[str, Any] | None = None, **headers: str
) -> dict[str, Any]:
    response = await client.post(f"{BASE}/customers", json=body or SEED_CREATE, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_the_create_example_answers_blocs_customer_object_field_for_field(
    app_client: httpx.AsyncClient, org: Org
) -> None:
    response = await app_client.post(
        f"{BASE}/customers", json=SEED_CREATE, headers=_bloc_headers(org.live_key)
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert list(body) == ["success", "data", "message"]
    assert body["success"] is True
    assert body["message"] == "Customer added successfully"
    data = body["data"]
    assert list(data) == CREATE_FIELDS
    assert data["full_name"] == "Oladeji Ayo"
    assert data["phone_number"] == "08012345678"
    assert data["organization_id"] == str(org.id)
    assert data["environment"] == "live"
    assert data["email"] == "ayo@example.com"
    assert data["country"] == ""
    assert data["group"] == "main"
    assert data["status"] == "active"
    assert data["SyncData"] == {"ID": None, "Provider": ""}
    assert (data["first_name"], data["last_name"]) == ("Ayo", "Oladeji")
    assert data["kyc_tier"] == "0"
    assert data["bvn"] == "*******0000"  # masked, as every answer masks identity numbers
    assert data["date_of_birth"] == "0001-01-01T00:00:00Z"
    assert data["customer_type"] == "personal"
    assert data["source"] == "Banking"
    assert data["address"] == {"street": ""}
    assert data["created_at"].endswith("Z")
    assert response.headers["cache-control"] == "no-store"


async def test_get_by_id_answers_the_documented_object_with_message_customer(
    client: httpx.AsyncClient,
) -> None:
    created = await _create(client)
    response = await client.get(f"{BASE}/customers/{created['id']}", headers={"accept": "json"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["success", "data", "message"]
    assert (body["success"], body["message"]) == (True, "customer")
    assert list(body["data"]) == GET_FIELDS
    assert body["data"] == {k: v for k, v in created.items() if k != "SyncData"}


async def test_the_object_shows_gender_city_state_and_a_business_name_when_they_exist(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post(
        "/v1/customers",
        json={
            "first_name": "Ayo",
            "middle_name": "Kunle",
            "last_name": "Oladeji",
            "email": "kunle@example.com",
            "phone_number": "+447911123456",
            "country": "GB",
            "gender": "male",
            "date_of_birth": "2001-04-14",
            "address": {"street": "1 Marina", "city": "Lagos", "state": "Lagos"},
            "source": "payment",
        },
    )
    assert created.status_code == 201, created.text
    data = (await client.get(f"{BASE}/customers/{created.json()['data']['id']}")).json()["data"]
    assert data["full_name"] == "Oladeji Ayo Kunle"
    assert data["phone_number"] == "+447911123456"
    assert data["country"] == "GB"
    assert data["gender"] == "male"
    assert list(data).index("gender") == list(data).index("bvn") + 1
    assert data["date_of_birth"] == "2001-**-**"
    assert data["source"] == "Payment"
    assert data["address"] == {"street": "1 Marina", "city": "Lagos", "state": "Lagos"}

    business = await client.post(
        "/v1/customers",
        json={
            "customer_type": "business",
            "company_name": "Kola Foods Ltd",
            "email": "finance@kolafoods.example",
            "phone_number": "+2348039876543",
        },
    )
    data = (await client.get(f"{BASE}/customers/{business.json()['data']['id']}")).json()["data"]
    assert (data["full_name"], data["customer_type"]) == ("Kola Foods Ltd", "business")
    assert (data["first_name"], data["last_name"], data["bvn"]) == ("", "", "")


async def test_list_answers_the_customers_newest_first_with_metadata(
    client: httpx.AsyncClient,
) -> None:
    first = await _create(client)
    second = await _create(client, {**SEED_CREATE, "email": "b@example.com", "bvn": "00000000001"})
    response = await client.get(f"{BASE}/customers")
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["success", "data", "message", "metadata"]
    assert (body["success"], body["message"]) == (True, "customers")
    assert [c["id"] for c in body["data"]] == [second["id"], first["id"]]
    assert all(list(c) == GET_FIELDS for c in body["data"])
    assert body["metadata"] == {
        "page": 1,
        "per_page": 20,
        "total": 2,
        "total_pages": 1,
        "has_next_page": False,
        "has_previous_page": False,
    }
    paged = (await client.get(f"{BASE}/customers", params={"per_page": 1, "page": 2})).json()
    assert [c["id"] for c in paged["data"]] == [first["id"]]
    assert paged["metadata"]["page"] == 2
    assert paged["metadata"]["has_previous_page"] is True


async def test_the_update_example_changes_the_email_and_answers_the_customer(
    client: httpx.AsyncClient,
) -> None:
    created = await _create(client)
    response = await client.put(
        f"{BASE}/customers/{created['id']}", json={"email": "ayo.new@example.com"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["success", "data", "message"]
    assert body["message"] == "Customer updated successfully"
    assert list(body["data"]) == GET_FIELDS
    assert body["data"]["email"] == "ayo.new@example.com"
    canonical = (await client.get(f"/v1/customers/{created['id']}")).json()["data"]
    assert canonical["email"] == "ayo.new@example.com"


async def test_update_changes_the_five_fields_bloc_allows(client: httpx.AsyncClient) -> None:
    created = await _create(client)
    response = await client.put(
        f"{BASE}/customers/{created['id']}",
        json={
            "first_name": "Tunde",
            "last_name": "Bello",
            "email": "tunde@example.com",
            "phone_number": "08031234567",
            "customer_type": "personal",
        },
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["full_name"], data["email"], data["phone_number"]) == (
        "Bello Tunde",
        "tunde@example.com",
        "08031234567",
    )


@pytest.mark.parametrize("field", ["bvn", "date_of_birth", "metadata", "reference", "gender"])
async def test_update_refuses_a_field_bloc_does_not_allow_with_400_naming_it(
    client: httpx.AsyncClient, field: str
) -> None:
    created = await _create(client)
    response = await client.put(
        f"{BASE}/customers/{created['id']}", json={field: "x", "first_name": "Tunde"}
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert list(body) == ["success", "data", "message", "error"]
    assert (body["success"], body["data"]) == (False, None)
    assert body["message"] == f"{field}: is not allowed here"
    assert body["error"]["type"] == "validation_error"
    assert body["error"]["fields"] == [{"field": field, "message": "is not allowed here"}]
    unchanged = (await client.get(f"/v1/customers/{created['id']}")).json()["data"]
    assert unchanged["first_name"] == "Ayo"


@pytest.mark.parametrize(
    ("archive", "unarchive"),
    [
        ("/customers/{id}/archive", "/customers/{id}/unarchive"),
        ("/customers/archive/{id}", "/customers/unarchive/{id}"),
    ],
)
@pytest.mark.parametrize("method", ["PUT", "POST"])
async def test_archive_and_unarchive_change_the_status_bloc_shows(
    client: httpx.AsyncClient, archive: str, unarchive: str, method: str
) -> None:
    created = await _create(client)
    response = await client.request(method, BASE + archive.format(id=created["id"]))
    assert response.status_code == 200, response.text
    assert response.json()["message"] == "Customer archived successfully"
    assert response.json()["data"]["status"] == "archived"
    assert list(response.json()["data"]) == GET_FIELDS

    frozen = await client.put(f"{BASE}/customers/{created['id']}", json={"first_name": "X"})
    assert frozen.status_code == 409
    assert frozen.json()["error"]["type"] == "customer_archived"
    assert frozen.json()["success"] is False

    response = await client.request(method, BASE + unarchive.format(id=created["id"]))
    assert response.status_code == 200, response.text
    assert response.json()["message"] == "Customer unarchived successfully"
    assert response.json()["data"]["status"] == "active"


async def test_bad_input_is_a_400_in_blocs_envelope_naming_every_field(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        f"{BASE}/customers", json={"email": "not-an-email", "phone_number": "08012345678"}
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert list(body) == ["success", "data", "message", "error"]
    assert (body["success"], body["data"]) == (False, None)
    fields = [item["field"] for item in body["error"]["fields"]]
    assert sorted(fields) == ["email", "first_name", "last_name"]
    assert body["error"]["request_id"] == response.headers["x-request-id"]


async def test_a_duplicate_email_is_a_409_naming_the_customer_already_there(
    client: httpx.AsyncClient,
) -> None:
    created = await _create(client)
    response = await client.post(
        f"{BASE}/customers", json={**SEED_CREATE, "bvn": "00000000009", "email": "AYO@example.com"}
    )
    assert response.status_code == 409
    body = response.json()
    assert (body["success"], body["data"]) == (False, None)
    assert body["message"] == "A customer with this email already exists"
    assert body["error"]["existing_customer_id"] == created["id"]


async def test_an_unknown_customer_is_a_404_in_blocs_envelope(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get(f"{BASE}/customers/644c946fb075737360d7a26d"),
        await client.put(f"{BASE}/customers/644c946fb075737360d7a26d", json={"email": "a@b.co"}),
        await client.put(f"{BASE}/customers/644c946fb075737360d7a26d/archive"),
    ):
        assert response.status_code == 404, response.text
        body = response.json()
        assert (body["success"], body["data"]) == (False, None)
        assert body["error"]["type"] == "customer_not_found"


async def test_an_unknown_path_and_a_wrong_method_answer_in_blocs_envelope(
    client: httpx.AsyncClient,
) -> None:
    missing = await client.get(f"{BASE}/accounts")
    assert missing.status_code == 404
    assert (missing.json()["success"], missing.json()["error"]["type"]) == (False, "not_found")
    wrong = await client.delete(f"{BASE}/customers/someone")
    assert wrong.status_code == 405
    assert (wrong.json()["success"], wrong.json()["error"]["type"]) == (
        False,
        "method_not_allowed",
    )


@pytest.mark.parametrize(
    ("headers", "error_type"),
    [
        ({}, "missing_api_key"),
        (
            {"authorization": "Bearer sk_live_64520e0201478f5cd412865f64520e0201478f5cd4128660"},
            "invalid_api_key",
        ),
        ({"authorization": "sk_live_64520e0201478f5cd412865f"}, "invalid_authorization_header"),
    ],
)
async def test_authentication_failures_are_401s_in_blocs_envelope(
    app_client: httpx.AsyncClient, headers: dict[str, str], error_type: str
) -> None:
    for response in (
        await app_client.get(f"{BASE}/customers", headers=headers),
        await app_client.post(f"{BASE}/customers", json=SEED_CREATE, headers=headers),
        await app_client.put(f"{BASE}/customers/x", json={"email": "a@b.co"}, headers=headers),
    ):
        assert response.status_code == 401, response.text
        body = response.json()
        assert list(body) == ["success", "data", "message", "error"]
        assert (body["success"], body["data"]) == (False, None)
        assert body["error"]["type"] == error_type


async def test_a_customer_of_another_organization_does_not_exist_for_you(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient, database: Any
) -> None:
    created = await _create(client)
    other = await make_org(database, "Other Fintech")
    response = await app_client.get(f"{BASE}/customers/{created['id']}", headers=other.auth("test"))
    assert response.status_code == 404


# Bloc's create and update examples as each language sends them (Ruby and PHP as the literal
# JSON text of the page, curl and Python as objects), the email placeholder filled.
SEED_CREATE_TEXTS = {
    "ruby": '{"email":"ayo@example.com","phone_number":"08012345678","first_name":"Ayo",'
    '"bvn":"00000000000","last_name":"Oladeji","customer_type":"Personal"}',
    "php": '{"email":"ayo@example.com","phone_number":"08012345678","first_name":"Ayo",'
    '"bvn":"00000000000","last_name":"Oladeji","customer_type":"Personal"}',
    "curl": '{\n"email": "ayo@example.com",\n"phone_number": "08012345678",\n'
    '"bvn": "00000000000",\n"first_name": "Ayo",\n"last_name": "Oladeji",\n'
    '"customer_type": "Personal"\n}\n',
}


@pytest.mark.parametrize("language", sorted(SEED_CREATE_TEXTS))
async def test_every_language_of_the_create_example_creates_the_customer(
    client: httpx.AsyncClient, language: str
) -> None:
    response = await client.post(
        f"{BASE}/customers",
        content=SEED_CREATE_TEXTS[language],
        headers={"accept": "application/json", "content-type": "application/json"},
    )
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert list(data) == CREATE_FIELDS
    assert (data["full_name"], data["phone_number"], data["customer_type"]) == (
        "Oladeji Ayo",
        "08012345678",
        "personal",
    )

    update = await client.put(
        f"{BASE}/customers/{data['id']}",
        content='{"email":"ayo.updated@example.com"}',
        headers={"accept": "application/json", "content-type": "application/json"},
    )
    assert update.status_code == 200, update.text
    assert update.json()["data"]["email"] == "ayo.updated@example.com"


async def test_paths_beside_the_prefix_keep_the_canonical_envelope(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/compat/bloc/v1x/customers")
    assert response.status_code == 404
    assert list(response.json()) == ["success", "message", "error"]
    canonical = await client.get("/v1/customers/nobody@example.com")
    assert list(canonical.json()) == ["success", "message", "error"]
