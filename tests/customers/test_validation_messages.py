"""Validation errors speak the API's language, and a bad phone number is named as such whatever
else the request gets wrong."""

from __future__ import annotations

from typing import Any

import httpx

from tests import factories

URL = "/v1/customers"
NOT_A_PHONE = "is not a valid phone number"


def messages(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"]["type"] == "validation_error"
    return {item["field"]: item["message"] for item in body["error"]["fields"]}


# Each field over its limit, and the message it gets.
TOO_LONG: list[tuple[str, Any, str, str]] = [
    ("first_name", "x" * 101, "first_name", "must be at most 100 characters"),
    ("middle_name", "x" * 101, "middle_name", "must be at most 100 characters"),
    ("last_name", "x" * 101, "last_name", "must be at most 100 characters"),
    ("reference", "r" * 101, "reference", "must be at most 100 characters"),
    ("phone_number", "0" * 33, "phone_number", "must be at most 32 characters"),
    ("email", "a" * 321, "email", "must be at most 320 characters"),
    ("address", {"street": "s" * 301}, "address.street", "must be at most 300 characters"),
]


async def test_length_errors_count_characters_never_items(client: httpx.AsyncClient) -> None:
    for field, value, name, expected in TOO_LONG:
        response = await client.post(URL, json=factories.individual(**{field: value}))
        assert messages(response) == {name: expected}, field
        assert "items" not in response.text
    business = await client.post(URL, json=factories.business(company_name="c" * 201))
    assert messages(business) == {"company_name": "must be at most 200 characters"}

    created = await client.post(URL, json=factories.individual())
    customer_id = created.json()["data"]["id"]
    response = await client.patch(f"{URL}/{customer_id}", json={"last_name": "x" * 101})
    assert messages(response) == {"last_name": "must be at most 100 characters"}


BAD_PHONES = ["abc", "+abc", "+1", "call me", "+44 abc"]

# Other faults sent beside the bad phone number, and the fields they must name.
CREATE_FAULTS: list[tuple[dict[str, Any], set[str]]] = [
    ({}, set()),
    ({"country": ...}, set()),  # nothing to place a local number with: still not a phone
    ({"country": ..., "dial_code": "+999"}, {"dial_code"}),
    ({"bvn": "123"}, {"bvn"}),
    ({"date_of_birth": "tomorrow", "nin": "x"}, {"date_of_birth", "nin"}),
    ({"first_name": ..., "last_name": ...}, {"first_name", "last_name"}),
    ({"email": "not-an-email"}, {"email"}),
    ({"unexpected": 1}, {"unexpected"}),
]


async def test_a_bad_phone_is_named_whatever_else_fails_on_create(
    client: httpx.AsyncClient,
) -> None:
    for phone in BAD_PHONES:
        for others, also_named in CREATE_FAULTS:
            payload = factories.individual(phone_number=phone, **others)
            found = messages(await client.post(URL, json=payload))
            assert found.get("phone_number") == NOT_A_PHONE, (phone, others, found)
            assert set(found) == {"phone_number", *also_named}, (phone, others, found)


async def test_a_bad_phone_is_named_whatever_else_fails_on_update(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post(URL, json=factories.individual())
    customer_id = created.json()["data"]["id"]
    faults: list[dict[str, Any]] = [
        {},
        {"last_name": "x" * 101},
        {"email": "nope"},
        {"customer_type": "robot"},
        {"bvn": "1"},
    ]
    for phone in BAD_PHONES:
        for others in faults:
            body = {"phone_number": phone, **others}
            found = messages(await client.patch(f"{URL}/{customer_id}", json=body))
            assert found.get("phone_number") == NOT_A_PHONE, (phone, others, found)
            assert set(found) == {"phone_number", *others}, (phone, others, found)
    unchanged = await client.get(f"{URL}/{customer_id}")
    assert unchanged.json()["data"]["phone_number"] == created.json()["data"]["phone_number"]
