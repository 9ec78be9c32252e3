"""Advancly's dialect: onboard_individual and onboard_corporate with every field of the seed
(people, documents, wallet), the filtered GET, the stock and orders loads named by phone,
email or identity number, its answers field for field, its client-id + api-key headers and
errors naming its flat fields.

Runs on SQLite and on PostgreSQL (the `client` fixture is parametrized over both).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Org
from tests.documents.support import b64, png
from tests.onboarding.support import nuban

BASE = "/compat/advancly/api/v2/client/customers"
# The keys of the seed's onboarding answers, in their order.
ONBOARDED = [
    "borrower_id",
    "first_name",
    "last_name",
    "company_name",
    "borrower_phone",
    "sso_user_id",
    "bvn",
    "message",
    "status",
    "status_code",
]
LOADED = ["message", "status", "status_code"]


def individual(**overrides: Any) -> dict[str, Any]:
    """Every request field of the seed's onboard_individual, filled."""
    body: dict[str, Any] = {
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
        "customer_documents": [
            {
                "document_type_code": "passport",
                "base64_file_string": b64(png()),
                "filename_with_extension": "alexa.png",
            }
        ],
        "photo_url": "https://cdn.example.com/amaka.png",
    }
    return {**body, **overrides}


# The seed's person example ("" where it has no value), with a valid Nigerian phone number.
SEED_PERSON = {
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


def corporate(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "company_name": "Obi Traders Ltd",
        "business_registration_number": "RC998877",
        "business_registration_date": "2018-03-09",
        "corporate_customer_people": [SEED_PERSON],
        "phone_number": "08039991111",
        "email": "finance@obitraders.example",
        "bank_code": "",
        "address": "5 Creek Road",
        "city": "Apapa",
        "state": "Lagos",
        "country_code": "NG",
        "customer_onboarding_type": 1,
        "create_wallet": False,
    }
    return {**body, **overrides}


async def _onboard(client: httpx.AsyncClient, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(f"{BASE}/onboard_{kind}", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_onboard_individual_answers_as_the_seed_and_lands_every_field(
    client: httpx.AsyncClient,
) -> None:
    body = individual()
    answer = await _onboard(client, "individual", body)
    assert list(answer) == ONBOARDED
    assert answer["first_name"] == "Amaka"
    assert answer["last_name"] == "Obi"
    assert answer["company_name"] == ""
    assert answer["borrower_phone"] == "+2348039990000"
    assert answer["sso_user_id"] == answer["borrower_id"]
    assert answer["bvn"] is None
    assert (answer["message"], answer["status"], answer["status_code"]) == (
        "Onboarding successful",
        True,
        201,
    )

    customer_id = answer["borrower_id"]
    canonical = (await client.get(f"/v1/customers/{customer_id}")).json()["data"]
    assert canonical["reference"] == "adv-cust-001"
    assert canonical["onboarding_type"] == "borrower"
    assert canonical["next_of_kin"]["relationship"] == "brother"
    assert canonical["next_of_kin"]["address"]["city"] == "Victoria Island"
    assert canonical["bank_account"]["swift_code"] == "GTBINGLA"
    assert canonical["bank_account"]["account_number"].endswith(body["bank_account_number"][-4:])
    assert canonical["address"] == {
        "street": "12 Allen Avenue",
        "city": "Ikeja",
        "state": "Lagos",
        "postal_code": "100271",
    }
    assert canonical["tax_identification_number"] == "*******7890"
    accounts = (await client.get(f"/v1/customers/{customer_id}/accounts")).json()["data"]
    assert [a["type"] for a in accounts] == ["wallet"]
    documents = (await client.get(f"/v1/customers/{customer_id}/documents")).json()["data"]
    assert [d["document_type"] for d in documents] == ["passport"]


async def test_onboard_corporate_stores_its_people_and_answers_as_the_seed(
    client: httpx.AsyncClient,
) -> None:
    answer = await _onboard(client, "corporate", corporate())
    assert list(answer) == ONBOARDED
    assert (answer["first_name"], answer["last_name"]) == ("", "")
    assert answer["company_name"] == "Obi Traders Ltd"
    assert answer["bvn"] is None
    customer_id = answer["borrower_id"]
    canonical = (await client.get(f"/v1/customers/{customer_id}")).json()["data"]
    assert canonical["customer_type"] == "business"
    assert canonical["business_registration_number"] == "RC998877"
    assert canonical["onboarding_type"] == "investor"
    people = (await client.get(f"/v1/customers/{customer_id}/people")).json()["data"]
    assert [(p["first_name"], p["last_name"]) for p in people] == [("antonio", "banderas")]
    accounts = (await client.get(f"/v1/customers/{customer_id}/accounts")).json()["data"]
    assert accounts == []


async def test_a_failing_person_leaves_nothing_behind(client: httpx.AsyncClient) -> None:
    person = {**SEED_PERSON, "email": "not-an-email"}
    response = await client.post(
        f"{BASE}/onboard_corporate", json=corporate(corporate_customer_people=[person])
    )
    assert response.status_code == 422, response.text
    fields = [f["field"] for f in response.json()["error"]["fields"]]
    assert fields == ["corporate_customer_people[0].email"]
    assert (await client.get("/v1/customers")).json()["data"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"next_of_kin_email": "nope"}, "next_of_kin_email"),
        ({"bank_account_number": "123"}, "bank_account_number"),
        ({"country_code": "Nigeria"}, "country_code"),
        ({"customer_onboarding_type": 7}, "customer_onboarding_type"),
        ({"date_of_birth": "tomorrow"}, "date_of_birth"),
        ({"next_of_kin_country": "ZZ"}, "next_of_kin_country"),
        ({"company_name": "Obi Ltd"}, "company_name"),
    ],
)
async def test_bad_input_is_a_422_naming_advanclys_flat_field(
    client: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    response = await client.post(f"{BASE}/onboard_individual", json=individual(**change))
    assert response.status_code == 422, response.text
    body = response.json()
    assert list(body) == ["message", "status", "status_code", "data", "error"]
    assert (body["status"], body["status_code"]) == (False, 422)
    assert field in [f["field"] for f in body["error"]["fields"]]


async def test_empty_strings_are_fields_not_given(client: httpx.AsyncClient) -> None:
    blanks = {
        name: "" for name in ("educational_qualification", "routing_number", "swift_code", "city")
    }
    body = individual(**blanks, create_wallet=False)
    answer = await _onboard(client, "individual", body)
    canonical = (await client.get(f"/v1/customers/{answer['borrower_id']}")).json()["data"]
    assert canonical["educational_qualification"] is None
    assert "city" not in canonical["address"]
    assert "swift_code" not in canonical["bank_account"]


async def test_the_client_id_and_api_key_headers_authenticate(
    app_client: httpx.AsyncClient, org: Org
) -> None:
    headers = {"client-id": str(org.id), "api-key": org.test_key}
    response = await app_client.post(
        f"{BASE}/onboard_individual", json=individual(), headers=headers
    )
    assert response.status_code == 201, response.text
    missing = await app_client.post(
        f"{BASE}/onboard_individual", json=individual(), headers={"api-key": org.test_key}
    )
    assert missing.status_code == 401
    assert (missing.json()["status"], missing.json()["status_code"]) == (False, 401)
    assert missing.json()["error"]["type"] == "missing_client_id"


async def test_the_filtered_get_finds_by_each_filter(client: httpx.AsyncClient) -> None:
    person = (await _onboard(client, "individual", individual()))["borrower_id"]
    business = (await _onboard(client, "corporate", corporate()))["borrower_id"]

    async def ids(**params: Any) -> list[str]:
        response = await client.get(BASE, params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert list(body) == ["data", "meta", "message", "status", "status_code"]
        return [c["borrower_id"] for c in body["data"]]

    assert await ids() == [business, person]
    assert await ids(email="amaka@example.com") == [person]
    assert await ids(phone_number="+2348039991111") == [business]
    assert await ids(customer_type="corporate") == [business]
    assert await ids(customer_type="individual") == [person]
    assert await ids(customer_id=person) == [person]
    assert await ids(customer_id="0190f1f0-0000-7000-8000-000000000000") == []
    assert await ids(from_date="2000-01-01", to_date="2999-01-01") == [business, person]
    assert await ids(to_date="2000-01-01") == []

    found = (await client.get(BASE, params={"customer_id": person})).json()["data"][0]
    assert found["customer_type"] == "individual"
    assert found["first_name"] == "Amaka"
    assert found["customer_unique_identifier"] == "adv-cust-001"
    assert found["next_of_kin_city"] == "Victoria Island"
    assert found["address"] == "12 Allen Avenue"
    assert found["country_code"] == "NG"
    assert found["customer_onboarding_type"] == 2
    assert found["date_of_birth"] == "1993-**-**"
    assert "corporate_customer_people" not in found

    bad = await client.get(BASE, params={"from_date": "yesterday"})
    assert bad.status_code == 422
    assert [f["field"] for f in bad.json()["error"]["fields"]] == ["from_date"]


ORDER = {
    "order_id": "ord-1",
    "order_sub_amount": 900,
    "discount_amount": 0,
    "tax_amount": 0,
    "order_amount": 900,
    "order_date": "2023-04-09T23:58:04.110Z",
    "order_currency": "NGN",
    "payment_type": "card",
    "customer_rating": "5",
    "customer_category": "retail",
    "store_name": "Ikeja",
    "address": "12 Allen Avenue",
    "city": "Ikeja",
    "state": "Lagos",
    "country": "NG",
    "gps_location": "6.6,3.3",
    "is_credit": True,
    "total_items": 1,
    "order_items": [
        {
            "product_id": "rice-50kg",
            "product_category": "grains",
            "product_rating": "4",
            "unit_price": 900,
            "quantity": 1,
            "amount": 900,
        }
    ],
}
STOCK = {
    "product_id": "2023-04-09T23:05:13.458Z",
    "product_category": "grains",
    "minimum_stock_quantity": 0,
    "total_quantity": 10,
    "available_quantity": 8,
    "reserved_quantity": 2,
    "unit_price": 900,
    "tax_amount": 0,
    "discount_amount": 0,
    "net_price": 900,
    "stock_level": "ok",
    "date": "2023-12-12T18:00:50.026Z",
}


@pytest.mark.parametrize("by", ["email", "phone_number", "identity_number"])
async def test_orders_and_stock_load_for_the_customer_the_query_names(
    client: httpx.AsyncClient, by: str
) -> None:
    answer = await _onboard(client, "individual", individual(bvn="22397319289"))
    customer_id = answer["borrower_id"]
    assert answer["bvn"] == "*******9289"
    key = {"email": "amaka@example.com", "phone_number": "+2348039990000"}.get(by, "22397319289")
    orders = await client.post(f"{BASE}/data/orders", params={by: key}, json={"data": [ORDER]})
    assert orders.status_code == 200, orders.text
    assert orders.json() == {
        "message": "Orders data loaded successfully",
        "status": True,
        "status_code": 200,
    }
    stock = await client.post(f"{BASE}/data/stock", params={by: key}, json={"data": [STOCK]})
    assert stock.status_code == 200, stock.text
    assert list(stock.json()) == LOADED

    insights = (await client.get(f"/v1/customers/{customer_id}/insights")).json()["data"]
    assert insights["orders"]["count"] == 1
    assert insights["orders"]["share_on_credit"] == 1


async def test_a_data_load_needs_exactly_one_known_customer(client: httpx.AsyncClient) -> None:
    await _onboard(client, "individual", individual())
    body = {"data": [ORDER]}
    none = await client.post(f"{BASE}/data/orders", json=body)
    assert none.status_code == 422
    both = await client.post(
        f"{BASE}/data/orders",
        params={"email": "amaka@example.com", "phone_number": "+2348039990000"},
        json=body,
    )
    assert both.status_code == 422
    unknown = await client.post(
        f"{BASE}/data/orders", params={"email": "nobody@example.com"}, json=body
    )
    assert unknown.status_code == 404
    assert unknown.json()["status"] is False
    bad_id = await client.post(f"{BASE}/data/orders", params={"identity_number": "12"}, json=body)
    assert bad_id.status_code == 422
    assert [f["field"] for f in bad_id.json()["error"]["fields"]] == ["identity_number"]
    bad_item = await client.post(
        f"{BASE}/data/orders",
        params={"email": "amaka@example.com"},
        json={"data": [{**ORDER, "order_amount": "lots"}]},
    )
    assert bad_item.status_code == 422
    assert [f["field"] for f in bad_item.json()["error"]["fields"]] == ["data[0].order_amount"]


async def test_an_onboarding_may_carry_a_document_larger_than_the_usual_body_limit(
    client: httpx.AsyncClient,
) -> None:
    document = {
        "document_type_code": "passport",
        "base64_file_string": b64(png(extra=1_200_000)),
        "filename_with_extension": "passport.png",
    }
    answer = await _onboard(client, "individual", individual(customer_documents=[document]))
    documents = (await client.get(f"/v1/customers/{answer['borrower_id']}/documents")).json()
    assert [d["document_type"] for d in documents["data"]] == ["passport"]
