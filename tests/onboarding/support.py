"""Payloads and helpers shared by the onboarding tests."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from customerbase.kit.banking import nuban_check_digit
from tests import factories

_serials = itertools.count(12_345_678)
_identities = itertools.count(30_000_000_001)


def nuban(bank_code: str = "058") -> str:
    """A fresh valid NUBAN at `bank_code`."""
    serial = f"{next(_serials):09d}"
    return serial + str(nuban_check_digit(bank_code, serial))


def identity() -> str:
    return f"{next(_identities):011d}"


def bank_account(**overrides: Any) -> dict[str, Any]:
    account = {
        "bank_code": "058",
        "bank_name": "Guaranty Trust Bank",
        "account_number": nuban("058"),
        "account_name": "Ayo Oladeji",
        "swift_code": "GTBINGLA",
    }
    account.update(overrides)
    return {k: v for k, v in account.items() if v is not ...}


def next_of_kin(**overrides: Any) -> dict[str, Any]:
    kin = {
        "first_name": "Bola",
        "last_name": "Oladeji",
        "email": "bola@example.com",
        "phone_number": "08059876543",
        "dial_code": "+234",
        "gender": "female",
        "relationship": "sister",
        "address": {"street": "4 Awolowo Road", "city": "Ikoyi", "state": "Lagos", "country": "NG"},
    }
    kin.update(overrides)
    return kin


def full_individual(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "date_of_birth": "1991-02-03",
        "bvn": identity(),
        "place_of_birth": "Ibadan",
        "educational_qualification": "BSc",
        "customer_category": "salary_earner",
        "onboarding_type": "borrower",
        "partner_date_registered": "2024-05-01",
        "photo_url": "https://cdn.example.com/photos/ayo.png",
        "tax_identification_number": "12345678-0001",
        "next_of_kin": next_of_kin(),
        "bank_account": bank_account(),
    }
    fields.update(overrides)
    return factories.individual(**fields)


def director(first_name: str, percentage: float | None = None, **overrides: Any) -> dict[str, Any]:
    person: dict[str, Any] = {
        "first_name": first_name,
        "last_name": "Adeyemi",
        "email": f"{first_name.lower()}@kolafoods.example",
        "phone_number": "+2348031112222",
        "gender": "male",
        "date_of_birth": "1980-04-14",
        "nationality": "NG",
        "address": {"street": "1 Marina", "city": "Lagos", "country": "NG"},
        "identity_type": "bvn",
        "identity_number": identity(),
        "person_type": ["director", "shareholder"] if percentage is not None else ["director"],
    }
    if percentage is not None:
        person["ownership_percentage"] = percentage
    person.update(overrides)
    return person


async def create(client: httpx.AsyncClient, payload: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/v1/customers", json=payload)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def read(client: httpx.AsyncClient, key: str) -> dict[str, Any]:
    response = await client.get(f"/v1/customers/{key}")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def assert_error(
    response: httpx.Response, status: int, error_type: str, field: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["error"]["type"] == error_type, body
    if field is not None:
        assert [f["field"] for f in body["error"]["fields"]] == [field], body
    error: dict[str, Any] = body["error"]
    return error


async def history(client: httpx.AsyncClient, customer_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/v1/customers/{customer_id}/history")
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["data"]
    return entries


async def events(client: httpx.AsyncClient, customer_id: str) -> list[dict[str, Any]]:
    response = await client.get("/v1/events", params={"customer": customer_id, "take": 100})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["data"]
    return items
