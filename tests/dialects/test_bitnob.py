"""Bitnob's dialect: create, update, blacklist, get by id, reference or email, the paginated
list; the Customer Response field for field; its errors (camelCase field names) and its
authentication.

Runs on SQLite and on PostgreSQL (the `client` fixture is parametrized over both).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Org

BASE = "/compat/bitnob/api/v1"

# The Customer Response of Bitnob's page, in its order.
CUSTOMER_FIELDS = [
    "id",
    "firstName",
    "lastName",
    "email",
    "phone",
    "countryCode",
    "blacklist",
    "createdAt",
    "updatedAt",
]
META_FIELDS = ["page", "take", "itemCount", "pageCount", "hasPreviousPage", "hasNextPage"]
CREATE = {
    "firstName": "Kwame",
    "lastName": "Mensah",
    "email": "kwame@example.com",
    "phone": "+233241234567",
    "countryCode": "+233",
}


async def _create(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post(f"{BASE}/customers", json={**CREATE, **overrides})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _assert_envelope(body: dict[str, Any], message: str) -> None:
    assert list(body) == ["status", "message", "data"]
    assert (body["status"], body["message"]) == (True, message)


async def test_create_answers_the_customer_response_field_for_field(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(f"{BASE}/customers", json=CREATE)
    assert response.status_code == 201, response.text
    body = response.json()
    _assert_envelope(body, "Customer created successfully")
    data = body["data"]
    assert list(data) == CUSTOMER_FIELDS
    assert data["firstName"] == "Kwame"
    assert data["lastName"] == "Mensah"
    assert data["email"] == "kwame@example.com"
    assert data["phone"] == "+233241234567"
    assert data["countryCode"] == "+233"
    assert data["blacklist"] is False
    assert data["createdAt"].endswith("Z")
    assert data["updatedAt"].endswith("Z")
    assert response.headers["cache-control"] == "no-store"


async def test_a_local_phone_number_is_read_with_the_country_code_even_sent_as_numbers(
    client: httpx.AsyncClient,
) -> None:
    data = await _create(client, phone=8012345678, countryCode=234)
    assert (data["phone"], data["countryCode"]) == ("+2348012345678", "+234")


@pytest.mark.parametrize("key", ["id", "reference", "email"])
async def test_get_finds_a_customer_by_id_reference_or_email(
    client: httpx.AsyncClient, key: str
) -> None:
    created = await _create(client, reference="user_1001")
    lookup = {"id": created["id"], "reference": "user_1001", "email": "KWAME@example.com"}[key]
    response = await client.get(f"{BASE}/customers/{lookup}")
    assert response.status_code == 200, response.text
    _assert_envelope(response.json(), "Customer retrieved successfully")
    assert response.json()["data"] == created


async def test_update_changes_the_four_fields_of_bitnobs_page(client: httpx.AsyncClient) -> None:
    created = await _create(client)
    response = await client.put(
        f"{BASE}/customers/{created['id']}",
        json={
            "firstName": "Kofi",
            "lastName": "Owusu",
            "email": "kofi@example.com",
            "phone": "+233201234567",
        },
    )
    assert response.status_code == 200, response.text
    _assert_envelope(response.json(), "Customer updated successfully")
    data = response.json()["data"]
    assert list(data) == CUSTOMER_FIELDS
    assert (data["firstName"], data["lastName"], data["email"], data["phone"]) == (
        "Kofi",
        "Owusu",
        "kofi@example.com",
        "+233201234567",
    )
    assert data["createdAt"] == created["createdAt"]
    assert data["updatedAt"] > created["updatedAt"]


async def test_blacklist_and_lift_it_with_the_blacklist_flag(client: httpx.AsyncClient) -> None:
    created = await _create(client)
    response = await client.post(
        f"{BASE}/customers/{created['id']}/blacklist", json={"blacklist": True}
    )
    assert response.status_code == 200, response.text
    _assert_envelope(response.json(), "Customer blacklisted successfully")
    assert list(response.json()["data"]) == CUSTOMER_FIELDS
    assert response.json()["data"]["blacklist"] is True
    canonical = (await client.get(f"/v1/customers/{created['id']}")).json()["data"]
    assert canonical["blacklisted"] is True

    response = await client.post(
        f"{BASE}/customers/{created['id']}/blacklist", json={"blacklist": False}
    )
    assert response.status_code == 200, response.text
    _assert_envelope(response.json(), "Customer removed from blacklist")
    assert response.json()["data"]["blacklist"] is False


async def test_the_list_pages_with_page_and_take_and_answers_meta(
    client: httpx.AsyncClient,
) -> None:
    created = [
        await _create(client, email=f"c{n}@example.com", phone=f"+23324123456{n}") for n in range(3)
    ]
    response = await client.get(f"{BASE}/customers", params={"page": 1, "take": 2})
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ["status", "message", "data", "meta"]
    assert (body["status"], body["message"]) == (True, "Customers retrieved successfully")
    assert [c["id"] for c in body["data"]] == [created[2]["id"], created[1]["id"]]
    assert all(list(c) == CUSTOMER_FIELDS for c in body["data"])
    assert list(body["meta"]) == META_FIELDS
    assert body["meta"] == {
        "page": 1,
        "take": 2,
        "itemCount": 3,
        "pageCount": 2,
        "hasPreviousPage": False,
        "hasNextPage": True,
    }
    second = (await client.get(f"{BASE}/customers", params={"page": 2, "take": 2})).json()
    assert [c["id"] for c in second["data"]] == [created[0]["id"]]
    assert second["meta"]["hasPreviousPage"] is True
    assert second["meta"]["hasNextPage"] is False

    empty = (await client.get(f"{BASE}/customers", params={"page": 9, "take": 2})).json()
    assert empty["data"] == []
    assert empty["meta"]["itemCount"] == 3


async def test_the_list_filters_by_blacklist_and_email(client: httpx.AsyncClient) -> None:
    kept = await _create(client)
    banned = await _create(client, email="banned@example.com", phone="+233241234568")
    await client.post(f"{BASE}/customers/{banned['id']}/blacklist", json={"blacklist": True})
    listed = (await client.get(f"{BASE}/customers", params={"blacklist": "true"})).json()
    assert [c["id"] for c in listed["data"]] == [banned["id"]]
    by_email = (await client.get(f"{BASE}/customers", params={"email": kept["email"]})).json()
    assert [c["id"] for c in by_email["data"]] == [kept["id"]]


async def test_bad_input_is_a_422_naming_bitnobs_fields(client: httpx.AsyncClient) -> None:
    response = await client.post(
        f"{BASE}/customers", json={"email": "kwame@example.com", "phone": "12", "first_name": "K"}
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert list(body) == ["status", "message", "data", "error"]
    assert (body["status"], body["data"]) == (False, None)
    fields = {item["field"]: item["message"] for item in body["error"]["fields"]}
    assert fields == {
        "first_name": "is not allowed here",
        "firstName": "is required",
        "lastName": "is required",
    }
    assert body["error"]["type"] == "validation_error"


async def test_a_service_error_names_the_bitnob_field(client: httpx.AsyncClient) -> None:
    """A local number without a country code fails in the canonical service, which names
    `phone_number`; Bitnob's clients read `phone`."""
    without = {k: v for k, v in CREATE.items() if k != "countryCode"}
    response = await client.post(f"{BASE}/customers", json={**without, "phone": "0241234567"})
    assert response.status_code == 422, response.text
    assert [item["field"] for item in response.json()["error"]["fields"]] == ["phone"]
    assert response.json()["message"].startswith("phone: ")


async def test_update_refuses_fields_outside_bitnobs_update(client: httpx.AsyncClient) -> None:
    created = await _create(client)
    response = await client.put(f"{BASE}/customers/{created['id']}", json={"countryCode": "+234"})
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == [
        {"field": "countryCode", "message": "is not allowed here"}
    ]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"take": 0}, "take"),
        ({"take": 101}, "take"),
        ({"page": "x"}, "page"),
        ({"blacklist": "maybe"}, "blacklist"),
        ({"order": "ASC"}, "order"),
    ],
)
async def test_bad_list_parameters_are_422s_naming_them(
    client: httpx.AsyncClient, params: dict[str, Any], field: str
) -> None:
    response = await client.get(f"{BASE}/customers", params=params)
    assert response.status_code == 422, response.text
    assert [item["field"] for item in response.json()["error"]["fields"]] == [field]


async def test_blacklist_needs_a_boolean(client: httpx.AsyncClient) -> None:
    created = await _create(client)
    for body in ({}, {"blacklist": "yes"}):
        response = await client.post(f"{BASE}/customers/{created['id']}/blacklist", json=body)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["fields"][0]["field"] == "blacklist"


async def test_a_duplicate_email_is_a_409_in_bitnobs_envelope(client: httpx.AsyncClient) -> None:
    created = await _create(client)
    response = await client.post(f"{BASE}/customers", json={**CREATE, "phone": "+233241234569"})
    assert response.status_code == 409
    body = response.json()
    assert (body["status"], body["data"]) == (False, None)
    assert body["error"]["type"] == "duplicate_customer"
    assert body["error"]["existing_customer_id"] == created["id"]
    assert body["error"]["fields"] == [
        {"field": "email", "message": "is already used by another customer"}
    ]


async def test_unknown_customers_are_404s_in_bitnobs_envelope(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get(f"{BASE}/customers/nobody@example.com"),
        await client.put(f"{BASE}/customers/nobody", json={"firstName": "X"}),
        await client.post(f"{BASE}/customers/nobody/blacklist", json={"blacklist": True}),
    ):
        assert response.status_code == 404, response.text
        body = response.json()
        assert (body["status"], body["data"], body["error"]["type"]) == (
            False,
            None,
            "customer_not_found",
        )


@pytest.mark.parametrize(
    ("headers", "error_type"),
    [
        ({}, "missing_api_key"),
        ({"Authorization": "Bearer sk.0123456789abcdef"}, "invalid_api_key"),
        ({"Authorization": "Basic a2V5Og=="}, "invalid_authorization_header"),
    ],
)
async def test_authentication_failures_are_401s_in_bitnobs_envelope(
    app_client: httpx.AsyncClient, headers: dict[str, str], error_type: str
) -> None:
    for response in (
        await app_client.get(f"{BASE}/customers", headers=headers),
        await app_client.get(f"{BASE}/customers/someone", headers=headers),
        await app_client.post(f"{BASE}/customers", json=CREATE, headers=headers),
        await app_client.post(
            f"{BASE}/customers/x/blacklist", json={"blacklist": True}, headers=headers
        ),
    ):
        assert response.status_code == 401, response.text
        body = response.json()
        assert list(body) == ["status", "message", "data", "error"]
        assert (body["status"], body["error"]["type"]) == (False, error_type)


async def test_the_live_key_works_in_the_live_environment_only(
    app_client: httpx.AsyncClient, org: Org
) -> None:
    response = await app_client.post(f"{BASE}/customers", json=CREATE, headers=org.auth("live"))
    assert response.status_code == 201
    customer_id = response.json()["data"]["id"]
    test = await app_client.get(f"{BASE}/customers/{customer_id}", headers=org.auth("test"))
    assert test.status_code == 404
