"""POST /v1/customers: creation, validation, uniqueness, masking, atomicity and request ids.

Every test runs on SQLite and on PostgreSQL (the `client` fixture is parametrized over both).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

import httpx
import pytest

from customerbase.kit.db import Database
from tests import factories
from tests.conftest import Org, make_org

URL = "/v1/customers"

# The customer object as the issue lists it.
CUSTOMER_FIELDS = frozenset(
    {
        "id",
        "organization_id",
        "environment",
        "reference",
        "customer_type",
        "first_name",
        "middle_name",
        "last_name",
        "full_name",
        "company_name",
        "email",
        "phone_number",
        "dial_code",
        "country",
        "date_of_birth",
        "gender",
        "address",
        "bvn",
        "nin",
        "status",
        "blacklisted",
        "blacklist_reason",
        "kyc_tier",
        "kyc_status",
        "kyc_link",
        "tos_link",
        "tos_status",
        "rejection_reasons",
        "source",
        "metadata",
        "created_at",
        "updated_at",
        "archived_at",
    }
)


# --- helpers -------------------------------------------------------------------------------


async def create(client: httpx.AsyncClient, payload: dict[str, Any], **kwargs: Any) -> Any:
    return await client.post(URL, json=payload, **kwargs)


async def create_ok(client: httpx.AsyncClient, payload: dict[str, Any]) -> dict[str, Any]:
    response = await create(client, payload)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def error_fields(response: httpx.Response) -> list[str]:
    return [item["field"] for item in response.json()["error"]["fields"]]


def assert_validation_error(response: httpx.Response, *fields: str, sent: Any = None) -> None:
    """A 422 validation_error envelope naming exactly `fields` (`sent` labels a failure)."""
    assert response.status_code == 422, (sent, response.text)
    body = response.json()
    assert body["success"] is False
    assert isinstance(body["message"], str)
    assert body["message"]
    assert body["error"]["type"] == "validation_error"
    assert sorted(error_fields(response)) == sorted(fields), (sent, response.text)


async def assert_each_rejected(
    client: httpx.AsyncClient, field: str, values: list[Any], make: Any = factories.individual
) -> None:
    """Each value of `field` in an otherwise valid payload is a 422 naming `field`."""
    for value in values:
        response = await create(client, make(**{field: value}))
        assert_validation_error(response, field, sent=value)


def assert_duplicate(response: httpx.Response, field: str, existing_id: str) -> None:
    """A 409 duplicate_customer naming `field` and the customer who holds it."""
    assert response.status_code == 409, response.text
    body = response.json()
    assert body["success"] is False
    assert body["error"]["type"] == "duplicate_customer"
    assert error_fields(response) == [field]
    assert body["error"]["existing_customer_id"] == existing_id


async def item_count(client: httpx.AsyncClient, **params: Any) -> int:
    response = await client.get(URL, params=params)
    assert response.status_code == 200, response.text
    count: int = response.json()["meta"]["item_count"]
    return count


def assert_utc_timestamp(value: Any) -> datetime:
    assert isinstance(value, str)
    assert value.endswith("Z"), value
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() == timedelta(0)
    return parsed


# --- creation ------------------------------------------------------------------------------


async def test_create_individual_returns_201_with_envelope_and_full_customer_object(
    client: httpx.AsyncClient, org: Org
) -> None:
    payload = factories.individual()
    response = await create(client, payload)

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"success", "message", "data"}
    assert body["success"] is True
    assert isinstance(body["message"], str)
    assert body["message"]
    data = body["data"]
    assert set(data) >= CUSTOMER_FIELDS, CUSTOMER_FIELDS - set(data)

    customer_id = uuid.UUID(data["id"])
    assert customer_id.version == 7
    assert data["organization_id"] == str(org.id)
    assert data["environment"] == "test"
    assert data["customer_type"] == "individual"
    assert data["first_name"] == "Ayo"
    assert data["middle_name"] is None
    assert data["last_name"] == "Oladeji"
    assert data["full_name"] == "Ayo Oladeji"
    assert data["company_name"] is None
    assert data["email"] == payload["email"]
    assert data["country"] == "NG"
    assert data["status"] == "active"
    assert data["blacklisted"] is False
    assert data["blacklist_reason"] is None
    assert data["kyc_tier"] == 0
    assert data["kyc_status"] == "not_started"
    assert data["source"] == "banking"
    assert data["metadata"] == {}
    assert data["reference"] is None
    assert data["bvn"] is None
    assert data["nin"] is None
    assert data["date_of_birth"] is None
    assert data["archived_at"] is None
    created_at = assert_utc_timestamp(data["created_at"])
    updated_at = assert_utc_timestamp(data["updated_at"])
    assert created_at == updated_at


async def test_create_business_returns_201_with_company_as_full_name(
    client: httpx.AsyncClient, org: Org
) -> None:
    payload = factories.business()
    response = await create(client, payload)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert set(data) >= CUSTOMER_FIELDS, CUSTOMER_FIELDS - set(data)
    assert uuid.UUID(data["id"]).version == 7
    assert data["organization_id"] == str(org.id)
    assert data["environment"] == "test"
    assert data["customer_type"] == "business"
    assert data["company_name"] == payload["company_name"]
    assert data["full_name"] == payload["company_name"]
    assert data["first_name"] is None
    assert data["last_name"] is None
    assert data["email"] == payload["email"]
    assert data["phone_number"] == payload["phone_number"]
    assert data["dial_code"] == "+234"
    assert data["status"] == "active"
    assert data["kyc_tier"] == 0
    assert data["kyc_status"] == "not_started"
    assert data["source"] == "banking"
    assert data["archived_at"] is None
    assert_utc_timestamp(data["created_at"])
    assert_utc_timestamp(data["updated_at"])


async def test_create_individual_with_every_optional_field_stores_them(
    client: httpx.AsyncClient,
) -> None:
    payload = factories.individual(
        middle_name="Bisi",
        gender="Female",
        reference="user_8812",
        bvn="22212345678",
        nin="12345678901",
        date_of_birth="1990-05-17",
        address={
            "street": "12 Admiralty Way",
            "city": "Lekki",
            "state": "Lagos",
            "postal_code": "106104",
            "country": "ng",
        },
        metadata={"tier": "gold", "score": 7, "vip": True, "ratio": 0.5},
        source="payment",
    )
    data = await create_ok(client, payload)

    assert data["middle_name"] == "Bisi"
    assert data["full_name"] == "Ayo Bisi Oladeji"
    assert data["gender"] == "female"
    assert data["reference"] == "user_8812"
    assert data["bvn"] == "*******5678"
    assert data["nin"] == "*******8901"
    assert data["date_of_birth"] == "1990-**-**"
    assert data["address"] == {
        "street": "12 Admiralty Way",
        "city": "Lekki",
        "state": "Lagos",
        "postal_code": "106104",
        "country": "NG",
    }
    assert data["metadata"] == {"tier": "gold", "score": 7, "vip": True, "ratio": 0.5}
    assert data["source"] == "payment"


async def test_create_response_exposes_no_storage_internals(client: httpx.AsyncClient) -> None:
    data = await create_ok(client, factories.individual(bvn="22212345678", nin="12345678901"))
    leaked = [key for key in data if any(s in key for s in ("encrypted", "index", "last4"))]
    assert leaked == []


async def test_create_with_live_key_is_in_live_environment(
    client: httpx.AsyncClient, org: Org
) -> None:
    response = await create(client, factories.individual(), headers=org.auth("live"))
    assert response.status_code == 201, response.text
    assert response.json()["data"]["environment"] == "live"


# --- customer_type -------------------------------------------------------------------------


@pytest.mark.parametrize("sent", ["individual", "personal", "Personal", "PERSONAL"])
async def test_personal_aliases_create_an_individual(client: httpx.AsyncClient, sent: str) -> None:
    data = await create_ok(client, factories.individual(customer_type=sent))
    assert data["customer_type"] == "individual"


@pytest.mark.parametrize("sent", ["business", "corporate", "Corporate"])
async def test_corporate_alias_creates_a_business(client: httpx.AsyncClient, sent: str) -> None:
    data = await create_ok(client, factories.business(customer_type=sent))
    assert data["customer_type"] == "business"


async def test_unknown_customer_type_is_422_naming_customer_type(
    client: httpx.AsyncClient,
) -> None:
    await assert_each_rejected(client, "customer_type", ["trust", "", "individuals", 1, None])


# --- required fields per type --------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "dropped"),
    [
        ("individual", ("first_name",)),
        ("individual", ("last_name",)),
        ("individual", ("email",)),
        ("individual", ("phone_number",)),
        ("individual", ("first_name", "last_name")),
        ("individual", ("email", "phone_number")),
        ("business", ("company_name",)),
        ("business", ("email",)),
        ("business", ("phone_number",)),
        ("business", ("email", "phone_number")),
    ],
)
async def test_missing_required_field_is_422_naming_each_missing_field(
    client: httpx.AsyncClient, kind: str, dropped: tuple[str, ...]
) -> None:
    make = factories.individual if kind == "individual" else factories.business
    payload = make(**dict.fromkeys(dropped, ...))
    response = await create(client, payload)
    assert_validation_error(response, *dropped)


@pytest.mark.parametrize(
    ("kind", "dropped"),
    [
        ("individual", ("first_name", "last_name", "email", "phone_number")),
        ("individual", ("first_name", "email")),
        ("business", ("company_name", "email", "phone_number")),
    ],
)
async def test_missing_name_and_contact_fields_are_all_named_at_once(
    client: httpx.AsyncClient, kind: str, dropped: tuple[str, ...]
) -> None:
    make = factories.individual if kind == "individual" else factories.business
    response = await create(client, make(**dict.fromkeys(dropped, ...)))
    assert_validation_error(response, *dropped)


async def test_null_first_name_is_422_naming_first_name(client: httpx.AsyncClient) -> None:
    response = await create(client, factories.individual(first_name=None))
    assert_validation_error(response, "first_name")


async def test_business_with_person_names_but_no_company_name_is_422(
    client: httpx.AsyncClient,
) -> None:
    payload = factories.business(company_name=..., first_name="Kola", last_name="Adeyemi")
    response = await create(client, payload)
    assert_validation_error(response, "company_name")


# --- email ---------------------------------------------------------------------------------


async def test_invalid_email_is_422_naming_email(client: httpx.AsyncClient) -> None:
    invalid = ["not-an-email", "ayo@", "@example.com", "ayo@@example.com", "ayo x@example.com", ""]
    await assert_each_rejected(client, "email", [*invalid, 42])


async def test_email_is_stored_trimmed_and_lower_cased(client: httpx.AsyncClient) -> None:
    data = await create_ok(client, factories.individual(email="  Ayo.Mixed@EXAMPLE.Com "))
    assert data["email"] == "ayo.mixed@example.com"


async def test_duplicate_email_differing_only_in_case_is_409_with_existing_id(
    client: httpx.AsyncClient,
) -> None:
    first = await create_ok(client, factories.individual(email="Ada.Case@Example.com"))
    response = await create(client, factories.business(email="ada.case@example.COM"))
    assert_duplicate(response, "email", first["id"])


async def test_duplicate_reference_is_409_naming_reference_with_existing_id(
    client: httpx.AsyncClient,
) -> None:
    first = await create_ok(client, factories.individual(reference="ref-001"))
    response = await create(client, factories.individual(reference="ref-001"))
    assert_duplicate(response, "reference", first["id"])


@pytest.mark.parametrize("field", ["bvn", "nin"])
async def test_duplicate_identity_number_is_409_naming_it_with_existing_id(
    client: httpx.AsyncClient, field: str
) -> None:
    first = await create_ok(client, factories.individual(**{field: "22212345678"}))
    response = await create(client, factories.individual(**{field: "22212345678"}))
    assert_duplicate(response, field, first["id"])
    assert "22212345678" not in response.text


async def test_same_bvn_as_another_customers_nin_is_allowed(client: httpx.AsyncClient) -> None:
    await create_ok(client, factories.individual(bvn="22212345678"))
    data = await create_ok(client, factories.individual(nin="22212345678"))
    assert data["nin"] == "*******5678"


async def test_same_email_and_reference_in_live_environment_is_allowed(
    client: httpx.AsyncClient, org: Org
) -> None:
    payload = factories.individual(reference="ref-env", bvn="22212345678")
    test_customer = await create_ok(client, payload)
    response = await create(client, payload, headers=org.auth("live"))
    assert response.status_code == 201, response.text
    live_customer = response.json()["data"]
    assert live_customer["environment"] == "live"
    assert live_customer["email"] == test_customer["email"]
    assert live_customer["id"] != test_customer["id"]


async def test_same_email_and_reference_in_another_organization_is_allowed(
    client: httpx.AsyncClient, database: Database
) -> None:
    payload = factories.individual(reference="ref-org", bvn="22212345678")
    first = await create_ok(client, payload)
    other = await make_org(database, "Other Fintech")
    response = await create(client, payload, headers=other.auth("test"))
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["organization_id"] == str(other.id)
    assert data["id"] != first["id"]


# --- phone ---------------------------------------------------------------------------------


async def test_local_phone_with_country_is_stored_as_e164_with_dial_code(
    client: httpx.AsyncClient,
) -> None:
    data = await create_ok(client, factories.individual(phone_number="0803 123 4567"))
    assert data["phone_number"] == "+2348031234567"
    assert data["dial_code"] == "+234"


async def test_local_phone_with_dial_code_is_stored_as_e164_with_dial_code(
    client: httpx.AsyncClient,
) -> None:
    payload = factories.individual(country=..., dial_code="+234", phone_number="08031234567")
    data = await create_ok(client, payload)
    assert data["phone_number"] == "+2348031234567"
    assert data["dial_code"] == "+234"


async def test_international_phone_needs_no_country(client: httpx.AsyncClient) -> None:
    payload = factories.individual(country=..., phone_number="+44 7911 123456")
    data = await create_ok(client, payload)
    assert data["phone_number"] == "+447911123456"
    assert data["dial_code"] == "+44"
    assert data["country"] is None


async def test_local_phone_without_dial_code_or_country_is_422_naming_phone_number(
    client: httpx.AsyncClient,
) -> None:
    payload = factories.individual(country=..., phone_number="08031234567")
    response = await create(client, payload)
    assert_validation_error(response, "phone_number")


async def test_garbage_phone_is_422_naming_phone_number(client: httpx.AsyncClient) -> None:
    garbage = ["not a phone", "12", "+2340000", "0803123456789012", "+", "", 8031234567]
    await assert_each_rejected(client, "phone_number", garbage)


async def test_dial_code_mismatching_international_phone_is_422_naming_phone_number(
    client: httpx.AsyncClient,
) -> None:
    payload = factories.individual(dial_code="+234", phone_number="+447911123456")
    response = await create(client, payload)
    assert_validation_error(response, "phone_number")


async def test_unknown_dial_code_is_422_naming_dial_code(client: httpx.AsyncClient) -> None:
    payload = factories.individual(country=..., dial_code="+999", phone_number="08031234567")
    response = await create(client, payload)
    assert_validation_error(response, "dial_code")


# --- BVN and NIN ---------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["bvn", "nin"])
async def test_identity_number_not_exactly_eleven_digits_is_422_naming_it(
    client: httpx.AsyncClient, field: str
) -> None:
    invalid: list[Any] = [
        "1234567890",  # 10 digits
        "123456789012",  # 12 digits
        "1234567890a",
        "abcdefghijk",
        "١٢٣٤٥٦٧٨٩٠١",  # eleven digits, but not ASCII ones
        "",
        12345678901,  # a JSON number, not a string
    ]
    for value in invalid:
        response = await create(client, factories.individual(**{field: value}))
        assert_validation_error(response, field, sent=value)
        if value:
            assert str(value) not in response.text


async def test_identity_numbers_are_masked_to_last_four_and_never_echoed(
    client: httpx.AsyncClient,
) -> None:
    response = await create(client, factories.individual(bvn="22212345678", nin="10987654321"))
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["bvn"] == "*******5678"
    assert data["nin"] == "*******4321"
    assert "22212345678" not in response.text
    assert "10987654321" not in response.text


# --- date of birth -------------------------------------------------------------------------


async def test_date_of_birth_is_masked_to_year(client: httpx.AsyncClient) -> None:
    response = await create(client, factories.individual(date_of_birth="1990-05-17"))
    assert response.status_code == 201, response.text
    assert response.json()["data"]["date_of_birth"] == "1990-**-**"
    assert "1990-05-17" not in response.text


async def test_date_of_birth_in_the_future_is_422_naming_it(client: httpx.AsyncClient) -> None:
    future = (date.today() + timedelta(days=40)).isoformat()
    response = await create(client, factories.individual(date_of_birth=future))
    assert_validation_error(response, "date_of_birth")


async def test_date_of_birth_not_an_iso_date_is_422_naming_it(client: httpx.AsyncClient) -> None:
    invalid = ["17/05/1990", "1990-02-30", "1990-13-01", "yesterday", "", "May 17, 1990"]
    await assert_each_rejected(client, "date_of_birth", invalid)


# --- country -------------------------------------------------------------------------------


async def test_lowercase_country_is_accepted_and_upper_cased(client: httpx.AsyncClient) -> None:
    data = await create_ok(client, factories.individual(country="gh", phone_number="+233201234567"))
    assert data["country"] == "GH"


async def test_unknown_country_is_422_naming_country(client: httpx.AsyncClient) -> None:
    await assert_each_rejected(client, "country", ["XX", "USA", "Nigeria", "N1", "", "ZZ"])


async def test_unknown_address_country_is_422_naming_address_country(
    client: httpx.AsyncClient,
) -> None:
    for country in ["XX", "USA", "Nigeria"]:
        payload = factories.individual(address={"city": "Lagos", "country": country})
        response = await create(client, payload)
        assert_validation_error(response, "address.country", sent=country)


# --- names and unknown fields --------------------------------------------------------------


async def test_names_are_trimmed(client: httpx.AsyncClient) -> None:
    data = await create_ok(
        client, factories.individual(first_name="  Ayo  ", middle_name=" Bisi", last_name="Ola ")
    )
    assert data["first_name"] == "Ayo"
    assert data["middle_name"] == "Bisi"
    assert data["last_name"] == "Ola"
    assert data["full_name"] == "Ayo Bisi Ola"


async def test_company_name_is_trimmed(client: httpx.AsyncClient) -> None:
    data = await create_ok(client, factories.business(company_name="  Kola Foods Ltd  "))
    assert data["company_name"] == "Kola Foods Ltd"
    assert data["full_name"] == "Kola Foods Ltd"


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("individual", "first_name"),
        ("individual", "last_name"),
        ("individual", "middle_name"),
        ("business", "company_name"),
    ],
)
async def test_blank_name_is_422_naming_it(
    client: httpx.AsyncClient, kind: str, field: str
) -> None:
    make = factories.individual if kind == "individual" else factories.business
    await assert_each_rejected(client, field, ["", "   ", "\t\n"], make)


async def test_unknown_top_level_field_is_422_naming_it(client: httpx.AsyncClient) -> None:
    unknown = {
        "nickname": "Ay",
        "status": "archived",
        "kyc_tier": 3,
        "id": "0190a8a0-0000-7000-8000-000000000000",
        "environment": "live",
        "organization_id": "0190a8a0-0000-7000-8000-000000000000",
    }
    for field, value in unknown.items():
        response = await create(client, factories.individual(**{field: value}))
        assert_validation_error(response, field, sent=field)
    assert await item_count(client) == 0


async def test_unknown_address_field_is_422_naming_address_dot_field(
    client: httpx.AsyncClient,
) -> None:
    payload = factories.individual(address={"city": "Lagos", "zip": "100001"})
    response = await create(client, payload)
    assert_validation_error(response, "address.zip")


# --- metadata ------------------------------------------------------------------------------


async def test_metadata_with_fifty_keys_and_maximum_sizes_is_accepted(
    client: httpx.AsyncClient,
) -> None:
    metadata: dict[str, Any] = {f"key_{i}": f"value {i}" for i in range(48)}
    metadata["k" * 40] = 1
    metadata["long"] = "v" * 500
    data = await create_ok(client, factories.individual(metadata=metadata))
    assert data["metadata"] == metadata


async def test_metadata_over_limits_is_422_naming_metadata(client: httpx.AsyncClient) -> None:
    invalid = [
        {f"key_{i}": i for i in range(51)},  # 51 keys
        {"k" * 41: "v"},  # key of 41 characters
        {"": "v"},  # empty key
        {"note": "v" * 501},  # value of 501 characters
    ]
    await assert_each_rejected(client, "metadata", invalid)


@pytest.mark.parametrize("value", [{"a": 1}, [1, 2], None], ids=["object", "array", "null"])
async def test_metadata_value_not_a_scalar_is_422(client: httpx.AsyncClient, value: Any) -> None:
    response = await create(client, factories.individual(metadata={"nested": value}))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["type"] == "validation_error"
    fields = error_fields(response)
    assert fields
    assert all(field.startswith("metadata") for field in fields), fields


@pytest.mark.parametrize("value", [{"a": 1}, [1, 2], None], ids=["object", "array", "null"])
async def test_metadata_value_not_a_scalar_names_one_metadata_field(
    client: httpx.AsyncClient, value: Any
) -> None:
    response = await create(client, factories.individual(metadata={"nested": value}))
    assert response.status_code == 422, response.text
    fields = error_fields(response)
    assert len(fields) == 1, fields
    assert fields[0] in {"metadata", "metadata.nested"}


# --- source --------------------------------------------------------------------------------


async def test_source_is_accepted_case_insensitively(client: httpx.AsyncClient) -> None:
    for sent, stored in [("Banking", "banking"), ("payment", "payment"), ("PAYMENT", "payment")]:
        data = await create_ok(client, factories.individual(source=sent))
        assert data["source"] == stored, sent


async def test_unknown_source_is_422_naming_source(client: httpx.AsyncClient) -> None:
    await assert_each_rejected(client, "source", ["wholesale", "", "bank", 1, None])


# --- malformed bodies ----------------------------------------------------------------------


async def test_malformed_json_is_400_invalid_json_not_500(client: httpx.AsyncClient) -> None:
    for content in [b'{"email": ', b"{'email': 'a@b.co'}", b"not json", b'{"a": 1,}']:
        response = await client.post(
            URL, content=content, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400, (content, response.text)
        body = response.json()
        assert body["success"] is False
        assert body["error"]["type"] == "invalid_json"
        assert body["message"].startswith("The request body is not valid JSON")


@pytest.mark.parametrize(
    "headers", [{"content-type": "application/json"}, {}], ids=["json-content-type", "none"]
)
async def test_empty_body_is_422_validation_error(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await client.post(URL, content=b"", headers=headers)
    assert_validation_error(response, "body")


async def test_json_body_that_is_not_an_object_is_422_naming_body(
    client: httpx.AsyncClient,
) -> None:
    for content in [b"[]", b"null", b'"customer"', b"42"]:
        response = await client.post(
            URL, content=content, headers={"content-type": "application/json"}
        )
        assert_validation_error(response, "body", sent=content)


# --- nothing half-written ------------------------------------------------------------------


async def test_rejected_creates_leave_no_customer_behind(client: httpx.AsyncClient) -> None:
    existing = await create_ok(
        client, factories.individual(reference="ref-keep", bvn="22212345678", nin="12345678901")
    )
    assert await item_count(client) == 1

    rejected = [
        # 422 from the schema
        (factories.individual(email="ghost.1@example.com", bvn="123"), 422),
        (factories.individual(email="ghost.2@example.com", nickname="x"), 422),
        # 422 from the service, after the schema accepted the body
        (factories.individual(email="ghost.3@example.com", first_name=...), 422),
        (factories.individual(email="ghost.4@example.com", phone_number="12345"), 422),
        # 409 on each unique field, with an otherwise new customer
        (factories.individual(email=existing["email"].upper()), 409),
        (factories.individual(email="ghost.5@example.com", reference="ref-keep"), 409),
        (factories.individual(email="ghost.6@example.com", bvn="22212345678"), 409),
        (factories.individual(email="ghost.7@example.com", nin="12345678901"), 409),
    ]
    for payload, status in rejected:
        response = await create(client, payload)
        assert response.status_code == status, (payload, response.text)

    assert await item_count(client) == 1
    for n in range(1, 8):
        assert await item_count(client, email=f"ghost.{n}@example.com") == 0
    # The customer that was there is untouched and can still be found.
    fetched = await client.get(f"{URL}/{existing['id']}")
    assert fetched.status_code == 200
    assert fetched.json()["data"] == existing


# --- concurrency ---------------------------------------------------------------------------


async def _race(client: httpx.AsyncClient, payloads: list[dict[str, Any]], field: str) -> None:
    responses = await asyncio.gather(*(create(client, payload) for payload in payloads))
    statuses = Counter(response.status_code for response in responses)
    assert statuses == Counter({201: 1, 409: len(payloads) - 1}), statuses
    winner = next(r for r in responses if r.status_code == 201).json()["data"]["id"]
    for response in responses:
        if response.status_code == 409:
            assert_duplicate(response, field, winner)
    assert await item_count(client) == 1


async def test_fifty_concurrent_creates_with_same_email_give_one_201_and_49_409s(
    client: httpx.AsyncClient,
) -> None:
    payloads = [factories.individual(email="race@example.com") for _ in range(50)]
    await _race(client, payloads, "email")


async def test_fifty_concurrent_creates_with_same_reference_give_one_201_and_49_409s(
    client: httpx.AsyncClient,
) -> None:
    payloads = [factories.individual(reference="race-ref") for _ in range(50)]
    await _race(client, payloads, "reference")


# --- X-Request-ID --------------------------------------------------------------------------


async def test_success_response_carries_a_fresh_request_id(client: httpx.AsyncClient) -> None:
    first = await create(client, factories.individual())
    second = await create(client, factories.individual())
    assert first.status_code == second.status_code == 201
    assert first.headers["X-Request-ID"]
    assert second.headers["X-Request-ID"]
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


@pytest.mark.parametrize(
    ("payload", "status"),
    [({"customer_type": "trust"}, 422), ({"email": "dup@example.com"}, 409)],
    ids=["422", "409"],
)
async def test_error_response_request_id_header_matches_error_request_id(
    client: httpx.AsyncClient, payload: dict[str, Any], status: int
) -> None:
    await create_ok(client, factories.individual(email="dup@example.com"))
    response = await create(client, factories.individual(**payload))
    assert response.status_code == status, response.text
    request_id = response.headers["X-Request-ID"]
    assert request_id
    assert response.json()["error"]["request_id"] == request_id


async def test_sane_incoming_request_id_is_echoed_on_success_and_in_errors(
    client: httpx.AsyncClient,
) -> None:
    ok = await create(client, factories.individual(), headers={"X-Request-ID": "trace-abc.123"})
    assert ok.status_code == 201
    assert ok.headers["X-Request-ID"] == "trace-abc.123"

    bad = await create(
        client, factories.individual(country="XX"), headers={"X-Request-ID": "trace:xyz_789"}
    )
    assert bad.status_code == 422
    assert bad.headers["X-Request-ID"] == "trace:xyz_789"
    assert bad.json()["error"]["request_id"] == "trace:xyz_789"


async def test_insane_incoming_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    for incoming in ["has spaces in it", "x" * 129, "<script>"]:
        response = await create(
            client, factories.individual(country="XX"), headers={"X-Request-ID": incoming}
        )
        assert response.status_code == 422
        request_id = response.headers["X-Request-ID"]
        assert request_id
        assert request_id != incoming
        assert response.json()["error"]["request_id"] == request_id


async def test_date_of_birth_of_today_is_accepted(client: httpx.AsyncClient) -> None:
    today = date.today().isoformat()
    data = await create_ok(client, factories.individual(date_of_birth=today))
    assert data["date_of_birth"] == f"{today[:4]}-**-**"
