"""Every field of Advancly's two onboarding calls (seed 004) has a home in the canonical API:
sent through `onboarding.advancly.to_canonical`, each value comes back at its canonical path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from customerbase.onboarding.advancly import ELSEWHERE, FIELDS, to_canonical
from tests.onboarding.support import nuban

# The request fields of each call, as the seed lists them.
INDIVIDUAL = [
    "first_name",
    "last_name",
    "gender",
    "date_of_birth",
    "educational_qualification",
    "customer_unique_identifier",
    "next_of_kin_first_name",
    "next_of_kin_last_name",
    "next_of_kin_email",
    "next_of_kin_phone_number",
    "next_of_kin_gender",
    "relationship_with_next_kin",
    "next_of_kin_dial_code",
    "next_of_kin_street",
    "next_of_kin_city",
    "next_of_kin_state",
    "next_of_kin_country",
    "phone_number",
    "email",
    "bank_code",
    "bank_account_number",
    "bank_account_name",
    "bank_name",
    "routing_number",
    "swift_code",
    "address",
    "postal_code",
    "city",
    "state",
    "country_code",
    "customer_category",
    "customer_onboarding_type",
    "partner_date_registered",
    "tax_identification_number",
    "create_wallet",
    "customer_documents",
    "photo_url",
]
CORPORATE = [
    "company_name",
    "business_registration_number",
    "business_registration_date",
    "corporate_customer_people",
    "phone_number",
    "email",
    "bank_code",
    "bank_account_number",
    "bank_account_name",
    "bank_name",
    "routing_number",
    "swift_code",
    "address",
    "postal_code",
    "city",
    "state",
    "country_code",
    "customer_category",
    "customer_onboarding_type",
    "partner_date_registered",
    "tax_identification_number",
    "create_wallet",
    "customer_documents",
    "photo_url",
]

SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "004_f9955c3a97afbe97.txt"


def test_every_seed_field_is_mapped_or_has_a_home_elsewhere() -> None:
    for field in {*INDIVIDUAL, *CORPORATE}:
        assert field in FIELDS or field in ELSEWHERE, field
    assert set(FIELDS) | set(ELSEWHERE) == {*INDIVIDUAL, *CORPORATE}


@pytest.mark.skipif(not SEED.exists(), reason="the seed documents sit beside the repository")
def test_the_field_lists_are_the_seeds() -> None:
    text = SEED.read_text()
    individual, corporate = text.split("Onboard Corporate Customer", 1)
    for names, section in (
        (INDIVIDUAL, individual),
        (CORPORATE, corporate.split("Get Customer")[0]),
    ):
        for name in names:
            assert f"\n{name}" in section, name


def _at(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = obj[part] if obj is not None else None
    return obj


INDIVIDUAL_BODY: dict[str, Any] = {
    "first_name": "Amaka",
    "last_name": "Obi",
    "gender": "female",
    "date_of_birth": "1993-08-21",
    "educational_qualification": "MBA",
    "customer_unique_identifier": "adv-cust-001",
    "next_of_kin_first_name": "Emeka",
    "next_of_kin_last_name": "Obi",
    "next_of_kin_email": "emeka@example.com",
    "next_of_kin_phone_number": "08031230000",
    "next_of_kin_gender": "male",
    "relationship_with_next_kin": "brother",
    "next_of_kin_dial_code": "+234",
    "next_of_kin_street": "3 Ozumba Mbadiwe",
    "next_of_kin_city": "Victoria Island",
    "next_of_kin_state": "Lagos",
    "next_of_kin_country": "NG",
    "phone_number": "08039990000",
    "email": "amaka@example.com",
    "bank_code": "058",
    "bank_account_number": nuban("058"),
    "bank_account_name": "Amaka Obi",
    "bank_name": "GTBank",
    "routing_number": "011000015",
    "swift_code": "GTBINGLA",
    "address": "12 Allen Avenue",
    "postal_code": "100271",
    "city": "Ikeja",
    "state": "Lagos",
    "country_code": "NG",
    "customer_category": "trader",
    "customer_onboarding_type": 2,
    "partner_date_registered": "2023-01-15",
    "tax_identification_number": "1234567890",
    "create_wallet": True,
    "customer_documents": [],
    "photo_url": "https://cdn.example.com/amaka.png",
}

# How a value comes back: as sent, except these.
SHOWN = {
    "next_of_kin_phone_number": "+2348031230000",
    "phone_number": "+2348039990000",
    "customer_onboarding_type": "borrower",
    "tax_identification_number": "*******7890",
    "date_of_birth": "1993-**-**",
}


async def test_an_advancly_individual_body_lands_field_by_field(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/v1/customers", json=to_canonical(INDIVIDUAL_BODY, corporate=False)
    )
    assert response.status_code == 201, response.text
    created = response.json()["data"]
    for field, value in INDIVIDUAL_BODY.items():
        if field in ELSEWHERE:
            continue
        expected = SHOWN.get(field, value)
        if field == "bank_account_number":
            expected = f"******{value[-4:]}"
        assert _at(created, FIELDS[field]) == expected, field


async def test_an_advancly_corporate_body_lands_field_by_field(
    client: httpx.AsyncClient,
) -> None:
    body = {
        **{k: v for k, v in INDIVIDUAL_BODY.items() if k in CORPORATE},
        "company_name": "Obi Traders Ltd",
        "business_registration_number": "RC998877",
        "business_registration_date": "2018-03-09",
        "email": "finance@obitraders.example",
        "customer_onboarding_type": 1,
        "corporate_customer_people": [
            {
                "first_name": "antonio",
                "last_name": "banderas",
                "middle_name": "",
                "email": "antband@yopmail.com",
                "gender": "male",
                "date_of_birth": "1992-04-14",
                "address": "neisndf",
                "city": "neodnrtb",
                "state": "nasmddi",
                "phone_number": "08182834494",
                "country_code": "NG",
                "person_type": 1,
                "identity_number": "22397319289",
                "individual_tax_identification-number": "",
                "educational_qualification": "Emeritus",
            }
        ],
    }
    response = await client.post("/v1/customers", json=to_canonical(body, corporate=True))
    assert response.status_code == 201, response.text
    created = response.json()["data"]
    assert created["customer_type"] == "business"
    for field, value in body.items():
        if field in ELSEWHERE or field == "corporate_customer_people":
            continue
        expected = {**SHOWN, "customer_onboarding_type": "investor"}.get(field, value)
        if field == "bank_account_number":
            expected = f"******{value[-4:]}"
        assert _at(created, FIELDS[field]) == expected, field
    people = (await client.get(f"/v1/customers/{created['id']}/people")).json()["data"]
    assert [p["person_type"] for p in people] == [["director"]]
