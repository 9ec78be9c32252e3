"""The individual and business profile: stored, masked, validated as a bank would, patchable."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from customerbase.kit import banking
from customerbase.kit.db import Database
from customerbase.models import Customer
from tests import factories
from tests.onboarding.support import (
    assert_error,
    bank_account,
    create,
    full_individual,
    next_of_kin,
    nuban,
    read,
)

# --- The bank checks themselves -----------------------------------------------------------


def test_nuban_check_digit_matches_the_cbn_worked_example() -> None:
    # CBN's NUBAN standard: bank 011, serial 000001457 -> check digit 9.
    assert banking.nuban_check_digit("011", "000001457") == 9
    assert banking.nuban("0000014579", "011") == "0000014579"
    with pytest.raises(ValueError, match="check digit"):
        banking.nuban("0000014578", "011")


def test_six_digit_and_five_digit_bank_codes_use_the_fifteen_digit_scheme() -> None:
    serial = "123456789"
    assert banking.nuban_check_digit("50211", serial) == banking.nuban_check_digit("950211", serial)
    assert banking.nuban_check_digit("058", serial) == banking.nuban_check_digit("000058", serial)


def test_routing_number_checksum_and_swift_shape() -> None:
    assert banking.routing_number("011000015") == "011000015"
    with pytest.raises(ValueError, match="checksum"):
        banking.routing_number("011000016")
    assert banking.swift_code("gtbi ngla") == "GTBINGLA"
    assert banking.swift_code("DEUTDEFF500") == "DEUTDEFF500"
    for bad in ("GTBINGL", "GTB1NGLA", "GTBIXXLA", "GTBINGLA12"):
        with pytest.raises(ValueError, match="SWIFT"):
            banking.swift_code(bad)


# --- Through the API ----------------------------------------------------------------------


async def test_individual_profile_is_stored_and_shown_with_numbers_masked(
    client: httpx.AsyncClient, database: Database
) -> None:
    payload = full_individual()
    created = await create(client, payload)

    assert created["place_of_birth"] == "Ibadan"
    assert created["educational_qualification"] == "BSc"
    assert created["customer_category"] == "salary_earner"
    assert created["onboarding_type"] == "borrower"
    assert created["partner_date_registered"] == "2024-05-01"
    assert created["photo_url"] == "https://cdn.example.com/photos/ayo.png"
    assert created["tax_identification_number"] == "*******0001"
    account = payload["bank_account"]["account_number"]
    assert created["bank_account"] == {
        "bank_code": "058",
        "bank_name": "Guaranty Trust Bank",
        "account_name": "Ayo Oladeji",
        "swift_code": "GTBINGLA",
        "account_number": f"******{account[-4:]}",
    }
    kin = created["next_of_kin"]
    assert kin["phone_number"] == "+2348059876543"
    assert kin["relationship"] == "sister"
    assert kin["address"]["city"] == "Ikoyi"
    assert await read(client, created["id"]) == created

    async with database.read_session() as session:
        row = await session.scalar(select(Customer).where(Customer.email == payload["email"]))
    assert row is not None
    assert row.tin_encrypted is not None
    assert b"123456780001" not in row.tin_encrypted
    assert row.bank_account_number_encrypted is not None
    assert account.encode() not in row.bank_account_number_encrypted
    assert "account_number" not in (row.bank_account or {})


@pytest.mark.parametrize("value", [1, 2, "INVESTOR"])
async def test_advancly_customer_onboarding_type_is_accepted(
    client: httpx.AsyncClient, value: Any
) -> None:
    created = await create(client, factories.individual(customer_onboarding_type=value))
    assert created["onboarding_type"] == {1: "investor", 2: "borrower"}.get(value, "investor")


INVALID: list[tuple[dict[str, Any], str]] = [
    ({"bank_account": bank_account(account_number="0123456789")}, "bank_account.account_number"),
    ({"bank_account": bank_account(account_number="012345678")}, "bank_account.account_number"),
    ({"bank_account": bank_account(bank_code="58")}, "bank_account.bank_code"),
    ({"bank_account": bank_account(swift_code="GTB1NGLA")}, "bank_account.swift_code"),
    ({"bank_account": bank_account(swift_code="GTBIXXLA")}, "bank_account.swift_code"),
    (
        {"bank_account": bank_account(bank_code=..., routing_number="011000016")},
        "bank_account.routing_number",
    ),
    ({"bank_account": {"bank_name": "GTB"}}, "bank_account.account_number"),
    ({"next_of_kin": next_of_kin(email="not-an-email")}, "next_of_kin.email"),
    (
        {"next_of_kin": next_of_kin(phone_number="0805", dial_code="+234")},
        "next_of_kin.phone_number",
    ),
    ({"next_of_kin": {"last_name": "Oladeji"}}, "next_of_kin.first_name"),
    ({"photo_url": "ftp://example.com/a.png"}, "photo_url"),
    ({"website": "kolafoods"}, "website"),
    ({"onboarding_type": "lender"}, "onboarding_type"),
    ({"customer_onboarding_type": 3}, "customer_onboarding_type"),
    ({"partner_date_registered": "2999-01-01"}, "partner_date_registered"),
    ({"tax_identification_number": "1234"}, "tax_identification_number"),
    ({"tax_identification_number": "ABC1234567"}, "tax_identification_number"),  # NG: digits
    ({"business_registration_date": "not a date"}, "business_registration_date"),
]


@pytest.mark.parametrize(
    ("fields", "named"), INVALID, ids=[f"{n}-{i}" for i, (_, n) in enumerate(INVALID)]
)
async def test_each_invalid_profile_field_is_a_422_naming_its_dotted_path(
    client: httpx.AsyncClient, fields: dict[str, Any], named: str
) -> None:
    payload = factories.individual(**fields)
    response = await client.post("/v1/customers", json=payload)
    assert_error(response, 422, "validation_error", named)
    listed = await client.get("/v1/customers", params={"email": payload["email"]})
    assert listed.json()["data"] == []


async def test_a_us_account_with_a_valid_routing_number_is_accepted(
    client: httpx.AsyncClient,
) -> None:
    account = {"routing_number": "011000015", "account_number": "000123456789"}
    created = await create(client, factories.individual(bank_account=account))
    assert created["bank_account"] == {
        "routing_number": "011000015",
        "account_number": "******6789",
    }


async def test_an_individual_moves_to_business_by_patch_with_its_business_fields(
    client: httpx.AsyncClient,
) -> None:
    created = await create(client, factories.individual())
    response = await client.patch(
        f"/v1/customers/{created['id']}",
        json={
            "customer_type": "business",
            "company_name": "Ayo Logistics Ltd",
            "business_registration_number": "RC1234567",
            "business_registration_date": "2019-06-30",
            "tax_identification_number": "1234567890",
            "industry": "logistics",
            "website": "https://ayologistics.example",
            "address": {"street": "5 Creek Road", "city": "Apapa", "country": "NG"},
            "operating_address": {"street": "9 Wharf Road", "city": "Apapa", "country": "NG"},
            "bank_account": bank_account(account_name="Ayo Logistics Ltd"),
        },
    )
    assert response.status_code == 200, response.text
    moved = response.json()["data"]
    assert moved["customer_type"] == "business"
    assert moved["full_name"] == "Ayo Logistics Ltd"
    assert moved["business_registration_number"] == "RC1234567"
    assert moved["business_registration_date"] == "2019-06-30"
    assert moved["tax_identification_number"] == "*******7890"
    assert moved["industry"] == "logistics"
    assert moved["website"] == "https://ayologistics.example"
    assert moved["address"]["street"] == "5 Creek Road"
    assert moved["operating_address"] == {
        "street": "9 Wharf Road",
        "city": "Apapa",
        "country": "NG",
    }
    assert moved["bank_account"]["account_name"] == "Ayo Logistics Ltd"
    assert await read(client, created["id"]) == moved

    cleared = await client.patch(
        f"/v1/customers/{created['id']}", json={"industry": None, "bank_account": None}
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["data"]["industry"] is None
    assert cleared.json()["data"]["bank_account"] is None


async def test_patching_a_profile_records_an_update_event_with_masked_changes(
    client: httpx.AsyncClient,
) -> None:
    created = await create(client, factories.individual())
    account = nuban("058")
    response = await client.patch(
        f"/v1/customers/{created['id']}",
        json={"bank_account": {"bank_code": "058", "account_number": account}},
    )
    assert response.status_code == 200, response.text
    listed = await client.get("/v1/events", params={"customer": created["id"]})
    latest = listed.json()["data"][0]
    assert latest["type"] == "customer.updated"
    assert account not in str(latest)
    assert "bank_account" in latest["data"]["changes"]


async def test_a_duplicate_tax_id_is_a_409_naming_the_holder(client: httpx.AsyncClient) -> None:
    first = await create(client, factories.business(tax_identification_number="2345678901"))
    response = await client.post(
        "/v1/customers", json=factories.business(tax_identification_number="23456789-01")
    )
    error = assert_error(response, 409, "duplicate_customer", "tax_identification_number")
    assert error["existing_customer_id"] == first["id"]
