"""A customer's life after creation: lookup, update (PATCH and PUT), archive, blacklist, erasure.

Every test runs on SQLite and on PostgreSQL (the `client` fixture is parametrized over both).
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from customerbase.kit.db import Database
from customerbase.models import Customer
from tests import factories
from tests.conftest import Org, make_org

UPDATE_METHODS = ["PATCH", "PUT"]
_identity_numbers = itertools.count(10_000_000_001)


def _identity_number() -> str:
    """A fresh 11-digit BVN/NIN, so that rich customers never collide on them."""
    return f"{next(_identity_numbers):011d}"


def rich_individual(**overrides: Any) -> dict[str, Any]:
    """An individual with every optional field filled in."""
    fields: dict[str, Any] = {
        "middle_name": "Kunle",
        "company_name": "Ayo Ventures",
        "bvn": _identity_number(),
        "nin": _identity_number(),
        "date_of_birth": "1990-05-17",
        "gender": "male",
        "address": {
            "street": "12 Admiralty Way",
            "city": "Lagos",
            "state": "Lagos",
            "postal_code": "101233",
            "country": "NG",
        },
        "reference": f"ref-{uuid.uuid4().hex[:12]}",
        "metadata": {"segment": "retail", "score": 7},
    }
    fields.update(overrides)
    return factories.individual(**fields)


async def create(
    client: httpx.AsyncClient, payload: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    response = await client.post("/v1/customers", json=payload, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def read(
    client: httpx.AsyncClient, key: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    response = await client.get(f"/v1/customers/{key}", headers=headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def update(
    client: httpx.AsyncClient,
    method: str,
    customer_id: str,
    body: Any,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.request(method, f"/v1/customers/{customer_id}", json=body, headers=headers)


def assert_error(
    response: httpx.Response, status: int, error_type: str, field: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["error"]["type"] == error_type
    if field is not None:
        assert [f["field"] for f in body["error"]["fields"]] == [field], body
    error: dict[str, Any] = body["error"]
    return error


def assert_validation_error(response: httpx.Response, field: str) -> dict[str, Any]:
    return assert_error(response, 422, "validation_error", field)


@pytest.fixture
async def other_org(database: Database) -> Org:
    return await make_org(database, "Other Microfinance Bank")


# --- GET /v1/customers/{key} ---------------------------------------------------------------


async def test_get_by_id_returns_the_customer(client: httpx.AsyncClient) -> None:
    created = await create(client, rich_individual())
    fetched = await read(client, created["id"])
    assert fetched == created


async def test_get_by_reference_returns_the_customer(client: httpx.AsyncClient) -> None:
    await create(client, factories.individual(reference="acct-0001"))
    created = await create(client, factories.individual(reference="acct-0002"))
    fetched = await read(client, "acct-0002")
    assert fetched["id"] == created["id"]
    assert fetched["reference"] == "acct-0002"


async def test_get_by_email_ignores_case(client: httpx.AsyncClient) -> None:
    await create(client, factories.individual(email="someone.else@example.com"))
    created = await create(client, factories.individual(email="Tunde.Bakare@Example.com"))
    assert created["email"] == "tunde.bakare@example.com"
    for key in ("tunde.bakare@example.com", "TUNDE.BAKARE@EXAMPLE.COM", "Tunde.Bakare@example.COM"):
        fetched = await read(client, key)
        assert fetched["id"] == created["id"], key


async def test_get_by_email_is_never_taken_by_a_reference(client: httpx.AsyncClient) -> None:
    owner = await create(client, factories.individual(email="shared.key@example.com"))
    refused = await client.post(
        "/v1/customers", json=factories.individual(reference="shared.key@example.com")
    )
    assert_validation_error(refused, "reference")
    fetched = await read(client, "shared.key@example.com")
    assert fetched["id"] == owner["id"]


async def test_get_tries_id_before_reference(client: httpx.AsyncClient) -> None:
    b = await create(client, factories.individual())
    a = await create(client, factories.individual(reference=b["id"]))
    assert a["reference"] == b["id"]
    fetched = await read(client, b["id"])
    assert fetched["id"] == b["id"]


@pytest.mark.parametrize(
    "key",
    [
        "0190c4f2-6d7e-7c3a-9b1e-2f4a5b6c7d8e",
        "no-such-reference",
        "nobody@example.com",
    ],
    ids=["id", "reference", "email"],
)
async def test_get_unknown_key_is_404_customer_not_found(
    client: httpx.AsyncClient, key: str
) -> None:
    await create(client, factories.individual(reference="known-reference"))
    response = await client.get(f"/v1/customers/{key}")
    assert_error(response, 404, "customer_not_found")


async def test_customer_of_another_organization_is_404_by_id_reference_and_email(
    client: httpx.AsyncClient, other_org: Org
) -> None:
    theirs = await create(
        client,
        factories.individual(reference="their-ref-1", email="their.customer@example.com"),
        headers=other_org.auth(),
    )
    for key in (theirs["id"], "their-ref-1", "their.customer@example.com"):
        response = await client.get(f"/v1/customers/{key}")
        assert_error(response, 404, "customer_not_found")
    # The owner still sees it.
    assert (await read(client, theirs["id"], headers=other_org.auth()))["id"] == theirs["id"]


async def test_customer_of_the_live_environment_is_404_from_test_by_id_reference_and_email(
    client: httpx.AsyncClient, org: Org
) -> None:
    live = await create(
        client,
        factories.individual(reference="live-ref-1", email="live.customer@example.com"),
        headers=org.auth("live"),
    )
    assert live["environment"] == "live"
    for key in (live["id"], "live-ref-1", "live.customer@example.com"):
        response = await client.get(f"/v1/customers/{key}", headers=org.auth("test"))
        assert_error(response, 404, "customer_not_found")
        assert (await read(client, key, headers=org.auth("live")))["id"] == live["id"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "", {"first_name": "Hijacked"}),
        ("PUT", "", {"first_name": "Hijacked"}),
        ("POST", "/archive", None),
        ("POST", "/unarchive", None),
        ("POST", "/blacklist", {"blacklist": True, "reason": "probe"}),
        ("DELETE", "", None),
    ],
    ids=["patch", "put", "archive", "unarchive", "blacklist", "delete"],
)
async def test_changing_a_customer_of_another_organization_is_404_and_changes_nothing(
    client: httpx.AsyncClient, other_org: Org, method: str, path: str, body: Any
) -> None:
    theirs = await create(client, rich_individual(), headers=other_org.auth())
    response = await client.request(method, f"/v1/customers/{theirs['id']}{path}", json=body)
    assert_error(response, 404, "customer_not_found")
    assert await read(client, theirs["id"], headers=other_org.auth()) == theirs


# --- PATCH / PUT /v1/customers/{id} ----------------------------------------------------------

_NEW_EMAIL = "New.Address@Example.com"
_NEW_REFERENCE = "platform-user-9876"

ALLOWED_CHANGES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    (
        "first_name",
        {"first_name": "  Tolu "},
        {"first_name": "Tolu", "full_name": "Tolu Kunle Oladeji"},
    ),
    (
        "middle_name",
        {"middle_name": "Femi"},
        {"middle_name": "Femi", "full_name": "Ayo Femi Oladeji"},
    ),
    ("last_name", {"last_name": "Bello"}, {"last_name": "Bello", "full_name": "Ayo Kunle Bello"}),
    ("email", {"email": _NEW_EMAIL}, {"email": "new.address@example.com"}),
    (
        "phone_number",
        {"phone_number": "+2348091234567"},
        {"phone_number": "+2348091234567", "dial_code": "+234"},
    ),
    (
        "customer_type",
        {"customer_type": "corporate"},
        {"customer_type": "business", "full_name": "Ayo Ventures"},
    ),
    (
        "address",
        {
            "address": {
                "street": "1 Marina",
                "city": "Abuja",
                "state": "FCT",
                "postal_code": "900001",
                "country": "ng",
            }
        },
        {
            "address": {
                "street": "1 Marina",
                "city": "Abuja",
                "state": "FCT",
                "postal_code": "900001",
                "country": "NG",
            }
        },
    ),
    (
        "metadata",
        {"metadata": {"tier": "gold"}},
        {"metadata": {"segment": "retail", "score": 7, "tier": "gold"}},
    ),
    ("reference", {"reference": _NEW_REFERENCE}, {"reference": _NEW_REFERENCE}),
]


@pytest.mark.parametrize("method", UPDATE_METHODS)
@pytest.mark.parametrize(
    ("body", "expected"),
    [(body, expected) for _, body, expected in ALLOWED_CHANGES],
    ids=[name for name, _, _ in ALLOWED_CHANGES],
)
async def test_update_changes_the_field_sent_and_keeps_the_others(
    client: httpx.AsyncClient, method: str, body: dict[str, Any], expected: dict[str, Any]
) -> None:
    before = await create(client, rich_individual())
    response = await update(client, method, before["id"], body)
    assert response.status_code == 200, response.text
    after = response.json()["data"]

    wanted = {**before, **expected}
    del wanted["updated_at"]
    assert {k: v for k, v in after.items() if k != "updated_at"} == wanted
    assert after["updated_at"] > before["updated_at"]
    # It was stored, not only answered.
    assert await read(client, before["id"]) == after


@pytest.mark.parametrize("method", UPDATE_METHODS)
async def test_update_of_several_fields_at_once(client: httpx.AsyncClient, method: str) -> None:
    before = await create(client, rich_individual())
    body = {"first_name": "Ngozi", "last_name": "Eze", "middle_name": None, "reference": None}
    response = await update(client, method, before["id"], body)
    assert response.status_code == 200, response.text
    after = response.json()["data"]
    assert after["first_name"] == "Ngozi"
    assert after["last_name"] == "Eze"
    assert after["middle_name"] is None
    assert after["reference"] is None
    assert after["full_name"] == "Ngozi Eze"
    assert after["email"] == before["email"]
    assert after["bvn"] == before["bvn"]


NOT_ALLOWED: list[tuple[str, Any]] = [
    ("bvn", "22345678901"),
    ("nin", "32345678901"),
    ("date_of_birth", "1985-01-01"),
    ("country", "GH"),
    ("status", "archived"),
    ("kyc_tier", 2),
    ("source", "payment"),
    ("blacklisted", True),
    ("id", "0190c4f2-6d7e-7c3a-9b1e-2f4a5b6c7d8e"),
    ("dial_code", "+233"),
    ("gender", "female"),
]


# Both verbs share one handler: each case runs with one of them, alternately, to keep the
# suite fast while still sending every rejected field through PATCH or PUT.
def _alternate_methods(cases: list[Any]) -> list[tuple[str, Any]]:
    return [(UPDATE_METHODS[i % 2], case) for i, case in enumerate(cases)]


@pytest.mark.parametrize(
    ("method", "field", "value"),
    [(method, *case) for method, case in _alternate_methods(NOT_ALLOWED)],
    ids=[f"{case[0]}-{method}" for method, case in _alternate_methods(NOT_ALLOWED)],
)
async def test_update_of_a_field_that_may_not_change_is_422_naming_it_and_changes_nothing(
    client: httpx.AsyncClient, method: str, field: str, value: Any
) -> None:
    before = await create(client, rich_individual())
    response = await update(client, method, before["id"], {"first_name": "Changed", field: value})
    assert_validation_error(response, field)
    assert await read(client, before["id"]) == before


@pytest.mark.parametrize("method", UPDATE_METHODS)
async def test_update_of_an_unknown_field_is_422_naming_it(
    client: httpx.AsyncClient, method: str
) -> None:
    before = await create(client, rich_individual())
    response = await update(client, method, before["id"], {"favourite_colour": "blue"})
    assert_validation_error(response, "favourite_colour")
    assert await read(client, before["id"]) == before


@pytest.mark.parametrize("method", UPDATE_METHODS)
async def test_update_to_another_customers_email_in_other_case_is_409_with_its_id(
    client: httpx.AsyncClient, method: str
) -> None:
    holder = await create(client, factories.individual(email="taken@example.com"))
    before = await create(client, rich_individual())
    response = await update(client, method, before["id"], {"email": "TAKEN@Example.COM"})
    error = assert_error(response, 409, "duplicate_customer", "email")
    assert error["existing_customer_id"] == holder["id"]
    assert await read(client, before["id"]) == before
    assert (await read(client, "taken@example.com"))["id"] == holder["id"]


@pytest.mark.parametrize("method", UPDATE_METHODS)
async def test_update_to_own_email_in_other_case_is_allowed(
    client: httpx.AsyncClient, method: str
) -> None:
    before = await create(client, factories.individual(email="mine@example.com"))
    response = await update(client, method, before["id"], {"email": "MINE@example.com"})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["email"] == "mine@example.com"


@pytest.mark.parametrize("method", UPDATE_METHODS)
async def test_update_to_another_customers_reference_is_409_with_its_id(
    client: httpx.AsyncClient, method: str
) -> None:
    holder = await create(client, factories.individual(reference="acct-taken"))
    before = await create(client, rich_individual())
    response = await update(client, method, before["id"], {"reference": "acct-taken"})
    error = assert_error(response, 409, "duplicate_customer", "reference")
    assert error["existing_customer_id"] == holder["id"]
    assert await read(client, before["id"]) == before


@pytest.mark.parametrize("method", UPDATE_METHODS)
async def test_update_email_to_null_is_422(client: httpx.AsyncClient, method: str) -> None:
    before = await create(client, rich_individual())
    response = await update(client, method, before["id"], {"email": None})
    assert_validation_error(response, "email")
    assert await read(client, before["id"]) == before


@pytest.mark.parametrize(
    ("method", "email"),
    _alternate_methods(["not-an-email", "two@@example.com", "nobody@", ""]),
)
async def test_update_to_an_invalid_email_is_422(
    client: httpx.AsyncClient, method: str, email: str
) -> None:
    before = await create(client, rich_individual())
    response = await update(client, method, before["id"], {"email": email})
    assert_validation_error(response, "email")
    assert await read(client, before["id"]) == before


@pytest.mark.parametrize("method", UPDATE_METHODS)
async def test_update_parses_a_local_phone_number_with_the_customers_dial_code(
    client: httpx.AsyncClient, method: str
) -> None:
    # A Nigerian resident with a Ghanaian number: the dial code, not the country, places it.
    before = await create(client, factories.individual(phone_number="+233241234567", country="NG"))
    assert before["dial_code"] == "+233"
    response = await update(client, method, before["id"], {"phone_number": "024 123 4568"})
    assert response.status_code == 200, response.text
    after = response.json()["data"]
    assert after["phone_number"] == "+233241234568"
    assert after["dial_code"] == "+233"
    assert after["country"] == "NG"


@pytest.mark.parametrize("method", UPDATE_METHODS)
async def test_update_to_an_invalid_phone_number_is_422(
    client: httpx.AsyncClient, method: str
) -> None:
    before = await create(client, rich_individual())
    response = await update(client, method, before["id"], {"phone_number": "12345"})
    assert_validation_error(response, "phone_number")
    assert await read(client, before["id"]) == before


@pytest.mark.parametrize("method", UPDATE_METHODS)
async def test_update_merges_metadata_and_removes_keys_set_to_null(
    client: httpx.AsyncClient, method: str
) -> None:
    before = await create(
        client, factories.individual(metadata={"keep": "yes", "drop": "x", "change": 1})
    )
    body = {"metadata": {"drop": None, "change": 2, "new": True, "absent": None}}
    response = await update(client, method, before["id"], body)
    assert response.status_code == 200, response.text
    expected = {"keep": "yes", "change": 2, "new": True}
    assert response.json()["data"]["metadata"] == expected
    assert (await read(client, before["id"]))["metadata"] == expected


@pytest.mark.parametrize("method", UPDATE_METHODS)
async def test_update_of_metadata_beyond_50_keys_after_merge_is_422_and_changes_nothing(
    client: httpx.AsyncClient, method: str
) -> None:
    existing = {f"old_{i}": str(i) for i in range(30)}
    before = await create(client, factories.individual(metadata=existing))
    extra = {f"new_{i}": str(i) for i in range(21)}  # 30 + 21 = 51
    response = await update(client, method, before["id"], {"metadata": extra})
    assert_validation_error(response, "metadata")
    assert await read(client, before["id"]) == before


@pytest.mark.parametrize("method", UPDATE_METHODS)
async def test_update_of_metadata_to_exactly_50_keys_after_merge_is_allowed(
    client: httpx.AsyncClient, method: str
) -> None:
    existing = {f"old_{i}": str(i) for i in range(30)}
    before = await create(client, factories.individual(metadata=existing))
    # 30 + 21 new - 1 removed = 50.
    body = {"metadata": {**{f"new_{i}": str(i) for i in range(21)}, "old_0": None}}
    response = await update(client, method, before["id"], body)
    assert response.status_code == 200, response.text
    metadata = response.json()["data"]["metadata"]
    assert len(metadata) == 50
    assert "old_0" not in metadata
    assert metadata["new_20"] == "20"


@pytest.mark.parametrize("method", UPDATE_METHODS)
async def test_update_to_business_without_company_name_is_422(
    client: httpx.AsyncClient, method: str
) -> None:
    before = await create(client, factories.individual())
    assert before["company_name"] is None
    response = await update(client, method, before["id"], {"customer_type": "business"})
    error = assert_validation_error(response, "customer_type")
    assert "company_name" in error["fields"][0]["message"]
    assert await read(client, before["id"]) == before


@pytest.mark.parametrize(
    ("method", "customer_id"),
    [*_alternate_methods(["not-a-uuid", "12345"]), ("PATCH", "ayo.1@example.com")],
)
async def test_update_of_a_non_uuid_id_is_404(
    client: httpx.AsyncClient, method: str, customer_id: str
) -> None:
    await create(client, factories.individual(email="ayo.1@example.com", reference="12345"))
    response = await update(client, method, customer_id, {"first_name": "Nobody"})
    assert_error(response, 404, "customer_not_found")


@pytest.mark.parametrize("method", UPDATE_METHODS)
async def test_update_of_an_unknown_uuid_is_404(client: httpx.AsyncClient, method: str) -> None:
    response = await update(
        client, method, "0190c4f2-6d7e-7c3a-9b1e-2f4a5b6c7d8e", {"first_name": "Nobody"}
    )
    assert_error(response, 404, "customer_not_found")


# --- archive / unarchive --------------------------------------------------------------------


async def test_archive_then_unarchive_toggles_status_and_archived_at(
    client: httpx.AsyncClient,
) -> None:
    created = await create(client, rich_individual())
    assert created["status"] == "active"
    assert created["archived_at"] is None

    archived = await client.post(f"/v1/customers/{created['id']}/archive")
    assert archived.status_code == 200, archived.text
    data = archived.json()["data"]
    assert data["status"] == "archived"
    assert data["archived_at"] is not None
    assert data["archived_at"] >= created["created_at"]
    assert await read(client, created["id"]) == data

    unarchived = await client.post(f"/v1/customers/{created['id']}/unarchive")
    assert unarchived.status_code == 200, unarchived.text
    data = unarchived.json()["data"]
    assert data["status"] == "active"
    assert data["archived_at"] is None
    assert await read(client, created["id"]) == data

    # Active again: it can be changed.
    response = await client.patch(f"/v1/customers/{created['id']}", json={"first_name": "Bisi"})
    assert response.status_code == 200, response.text


async def test_archived_customer_can_be_read_by_id_reference_and_email(
    client: httpx.AsyncClient,
) -> None:
    created = await create(client, rich_individual())
    archived = (await client.post(f"/v1/customers/{created['id']}/archive")).json()["data"]
    for key in (created["id"], created["reference"], created["email"]):
        fetched = await read(client, key)
        assert fetched == archived, key


@pytest.mark.parametrize("method", UPDATE_METHODS)
async def test_archived_customer_cannot_be_updated(client: httpx.AsyncClient, method: str) -> None:
    created = await create(client, rich_individual())
    archived = (await client.post(f"/v1/customers/{created['id']}/archive")).json()["data"]
    response = await update(client, method, created["id"], {"first_name": "Changed"})
    assert_error(response, 409, "customer_archived")
    assert await read(client, created["id"]) == archived


async def test_archived_customer_cannot_be_blacklisted(client: httpx.AsyncClient) -> None:
    created = await create(client, rich_individual())
    archived = (await client.post(f"/v1/customers/{created['id']}/archive")).json()["data"]
    response = await client.post(
        f"/v1/customers/{created['id']}/blacklist", json={"blacklist": True, "reason": "fraud"}
    )
    assert_error(response, 409, "customer_archived")
    assert await read(client, created["id"]) == archived


async def test_archiving_twice_is_409(client: httpx.AsyncClient) -> None:
    created = await create(client, rich_individual())
    first = await client.post(f"/v1/customers/{created['id']}/archive")
    assert first.status_code == 200, first.text
    second = await client.post(f"/v1/customers/{created['id']}/archive")
    assert_error(second, 409, "customer_archived")
    assert await read(client, created["id"]) == first.json()["data"]


async def test_unarchiving_an_active_customer_is_409_customer_not_archived(
    client: httpx.AsyncClient,
) -> None:
    created = await create(client, rich_individual())
    response = await client.post(f"/v1/customers/{created['id']}/unarchive")
    assert_error(response, 409, "customer_not_archived")
    assert await read(client, created["id"]) == created


# --- blacklist ------------------------------------------------------------------------------


async def test_blacklist_sets_blacklisted_and_reason(client: httpx.AsyncClient) -> None:
    created = await create(client, rich_individual())
    assert created["blacklisted"] is False
    response = await client.post(
        f"/v1/customers/{created['id']}/blacklist", json={"blacklist": True, "reason": "fraud"}
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["blacklisted"] is True
    assert data["blacklist_reason"] == "fraud"
    assert data["status"] == "active"
    assert await read(client, created["id"]) == data


async def test_lifting_the_blacklist_clears_the_reason(client: httpx.AsyncClient) -> None:
    created = await create(client, rich_individual())
    blacklisted = await client.post(
        f"/v1/customers/{created['id']}/blacklist", json={"blacklist": True, "reason": "fraud"}
    )
    assert blacklisted.status_code == 200, blacklisted.text
    response = await client.post(
        f"/v1/customers/{created['id']}/blacklist", json={"blacklist": False}
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["blacklisted"] is False
    assert data["blacklist_reason"] is None
    assert await read(client, created["id"]) == data


async def test_blacklist_without_the_blacklist_field_is_422_naming_it(
    client: httpx.AsyncClient,
) -> None:
    created = await create(client, rich_individual())
    response = await client.post(
        f"/v1/customers/{created['id']}/blacklist", json={"reason": "fraud"}
    )
    assert_validation_error(response, "blacklist")
    assert await read(client, created["id"]) == created


@pytest.mark.parametrize("value", ["maybe", "true", "yes", 1, 2, None, [], {"on": True}])
async def test_blacklist_with_anything_but_a_json_boolean_is_422(
    client: httpx.AsyncClient, value: Any
) -> None:
    created = await create(client, rich_individual())
    response = await client.post(
        f"/v1/customers/{created['id']}/blacklist", json={"blacklist": value, "reason": "fraud"}
    )
    assert_validation_error(response, "blacklist")
    assert await read(client, created["id"]) == created


# --- DELETE /v1/customers/{id}: erasure -------------------------------------------------------

PERSONAL_FIELDS = (
    "first_name",
    "middle_name",
    "last_name",
    "full_name",
    "company_name",
    "email",
    "phone_number",
    "dial_code",
    "date_of_birth",
    "gender",
    "address",
    "bvn",
    "nin",
    "reference",
)


async def erase(client: httpx.AsyncClient, customer_id: str) -> dict[str, Any]:
    response = await client.delete(f"/v1/customers/{customer_id}")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_erase_answers_200_with_status_deleted_and_no_personal_data(
    client: httpx.AsyncClient,
) -> None:
    created = await create(client, rich_individual())
    data = await erase(client, created["id"])
    assert data["id"] == created["id"]
    assert data["status"] == "deleted"
    for field in PERSONAL_FIELDS:
        assert data[field] is None, field
    assert data["metadata"] == {}


async def test_erased_customer_reads_back_by_id_with_status_deleted_and_no_personal_data(
    client: httpx.AsyncClient,
) -> None:
    created = await create(client, rich_individual())
    # Every personal field was filled in to begin with.
    for field in PERSONAL_FIELDS:
        assert created[field] not in (None, {}), field
    await erase(client, created["id"])

    fetched = await read(client, created["id"])
    assert fetched["id"] == created["id"]
    assert fetched["organization_id"] == created["organization_id"]
    assert fetched["environment"] == created["environment"]
    assert fetched["created_at"] == created["created_at"]
    assert fetched["status"] == "deleted"
    for field in PERSONAL_FIELDS:
        assert fetched[field] is None, field
    assert fetched["metadata"] == {}


async def test_erased_customer_is_not_found_by_old_email_or_reference(
    client: httpx.AsyncClient,
) -> None:
    created = await create(client, rich_individual())
    await erase(client, created["id"])
    for key in (created["email"], created["email"].upper(), created["reference"]):
        response = await client.get(f"/v1/customers/{key}")
        assert_error(response, 404, "customer_not_found")


async def test_erased_customers_email_and_reference_can_be_used_again(
    client: httpx.AsyncClient,
) -> None:
    created = await create(client, rich_individual())
    await erase(client, created["id"])
    again = await create(
        client, factories.individual(email=created["email"], reference=created["reference"])
    )
    assert again["id"] != created["id"]
    assert (await read(client, created["email"]))["id"] == again["id"]
    assert (await read(client, created["reference"]))["id"] == again["id"]
    # The erased record is still there, still erased.
    assert (await read(client, created["id"]))["status"] == "deleted"


async def test_erase_removes_the_personal_data_from_the_stored_row(
    client: httpx.AsyncClient, database: Database
) -> None:
    created = await create(client, rich_individual())
    customer_id = uuid.UUID(created["id"])

    async with database.read_session() as session:
        row = await session.scalar(select(Customer).where(Customer.id == customer_id))
        assert row is not None
        # The row held the data before: the assertions below can fail.
        assert row.email is not None
        assert row.bvn_encrypted is not None
        assert row.nin_encrypted is not None
        assert row.date_of_birth_encrypted is not None

    await erase(client, created["id"])

    async with database.read_session() as session:
        row = await session.scalar(select(Customer).where(Customer.id == customer_id))
        assert row is not None
        assert row.status == "deleted"
        erased = {
            "email": row.email,
            "phone_number": row.phone_number,
            "first_name": row.first_name,
            "middle_name": row.middle_name,
            "last_name": row.last_name,
            "company_name": row.company_name,
            "reference": row.reference,
            "dial_code": row.dial_code,
            "gender": row.gender,
            "bvn_encrypted": row.bvn_encrypted,
            "bvn_index": row.bvn_index,
            "bvn_last4": row.bvn_last4,
            "nin_encrypted": row.nin_encrypted,
            "nin_index": row.nin_index,
            "nin_last4": row.nin_last4,
            "date_of_birth_encrypted": row.date_of_birth_encrypted,
            "address": row.address,
        }
        assert erased == dict.fromkeys(erased)
        assert row.metadata_ == {}


async def test_erasing_twice_answers_200_both_times(client: httpx.AsyncClient) -> None:
    created = await create(client, rich_individual())
    first = await erase(client, created["id"])
    second = await erase(client, created["id"])
    assert first["status"] == second["status"] == "deleted"
    assert second["id"] == created["id"]
    assert await read(client, created["id"]) == second


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "", {"first_name": "Back"}),
        ("PUT", "", {"first_name": "Back"}),
        ("POST", "/archive", None),
        ("POST", "/unarchive", None),
        ("POST", "/blacklist", {"blacklist": True, "reason": "fraud"}),
    ],
    ids=["patch", "put", "archive", "unarchive", "blacklist"],
)
async def test_erased_customer_cannot_be_changed(
    client: httpx.AsyncClient, method: str, path: str, body: Any
) -> None:
    created = await create(client, rich_individual())
    erased = await erase(client, created["id"])
    response = await client.request(method, f"/v1/customers/{created['id']}{path}", json=body)
    assert_error(response, 409, "customer_deleted")
    assert await read(client, created["id"]) == erased
