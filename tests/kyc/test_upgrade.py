"""Tier 0 -> 1 through the API with the sandbox identities; every refusal says why."""

from __future__ import annotations

import httpx
import pytest

from tests.kyc.support import make_customer, requirement


async def test_a_new_customer_is_tier_0_and_lists_what_tier_1_needs(
    client: httpx.AsyncClient,
) -> None:
    customer = await make_customer(client, date_of_birth=None)
    response = await client.get(f"/v1/customers/{customer['id']}/kyc")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["tier"] == 0
    assert data["kyc_status"] == "not_started"
    assert data["next_tier"] == 1
    assert data["checks"] == []
    statuses = {r["field"]: r["status"] for r in data["requirements"]}
    assert statuses == {
        "name": "pending",
        "date_of_birth": "missing",
        "phone_number": "pending",
        "identity_number": "missing",
    }
    assert requirement(data, "date_of_birth")["reason"] == "required: date_of_birth"
    assert data["limits"] == {
        "max_balance": 0,
        "single_deposit": 0,
        "daily_transfer": 0,
        "currency": "NGN",
    }
    assert data["next_tier_limits"]["single_deposit"] == 50_000


async def test_a_matching_bvn_moves_the_customer_to_tier_1(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    response = await client.post(
        f"/v1/customers/{customer['id']}/kyc/upgrade", json={"tier": 1, "bvn": "22200000001"}
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["tier"] == 1
    assert data["kyc_status"] == "approved"
    assert data["next_tier"] == 2
    [check] = data["checks"]
    assert check["type"] == "bvn"
    assert check["provider"] == "sandbox"
    assert check["result"] == "verified"
    assert check["score"] == 100.0
    assert check["reasons"] == []
    got = (await client.get(f"/v1/customers/{customer['id']}")).json()["data"]
    assert got["kyc_tier"] == 1
    assert got["kyc_status"] == "approved"
    assert got["bvn"] == "*******0001"
    events = (await client.get(f"/v1/events?customer={customer['id']}&type=customer.kyc.*")).json()
    assert [e["type"] for e in events["data"]] == ["customer.kyc.upgraded", "customer.kyc.checked"]
    history = (await client.get(f"/v1/customers/{customer['id']}/history")).json()["data"]
    assert [h["action"] for h in history][:2] == ["customer.kyc.upgraded", "customer.kyc.checked"]


async def test_blocs_upgrade_t1_body_fits(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client, date_of_birth=None)
    body = {
        "tier": 1,
        "bvn": "22200000001",
        "place_of_birth": "Lagos",
        "dob": "1994-04-14",
        "gender": "M",
        "country": "Nigeria",
        "address": {"street": "12 Marina", "city": "Lagos", "state": "Lagos", "country": "NG"},
        "image": "https://example.com/selfie.png",
    }
    response = await client.post(f"/v1/customers/{customer['id']}/kyc/upgrade", json=body)
    assert response.status_code == 200, response.text
    got = (await client.get(f"/v1/customers/{customer['id']}")).json()["data"]
    assert (got["kyc_tier"], got["gender"], got["country"]) == (1, "male", "NG")
    assert got["date_of_birth"] == "1994-**-**"
    assert got["address"]["city"] == "Lagos"


@pytest.mark.parametrize(
    ("number", "field", "reason"),
    [
        ("22200000002", "name", "the name does not match the BVN record"),
        ("22200000003", "date_of_birth", "the date of birth does not match the BVN record"),
        ("22200000005", "phone_number", "the phone number does not match the BVN record"),
        ("22200000004", "identity_number", "the BVN was not found"),
    ],
)
async def test_a_refused_bvn_is_a_422_naming_the_failed_field_and_changes_nothing(
    client: httpx.AsyncClient, number: str, field: str, reason: str
) -> None:
    customer = await make_customer(client)
    response = await client.post(
        f"/v1/customers/{customer['id']}/kyc/upgrade", json={"tier": 1, "bvn": number}
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] == "kyc_requirements_not_met"
    failed = {f["field"]: f["message"] for f in error["fields"]}
    assert failed[field].startswith(reason)
    assert "identity_number" in failed
    statuses = {r["field"]: r["status"] for r in error["requirements"]}
    assert statuses[field] == "failed"
    got = (await client.get(f"/v1/customers/{customer['id']}")).json()["data"]
    assert got == customer
    # The check is kept and the requirement shows its reason.
    overview = (await client.get(f"/v1/customers/{customer['id']}/kyc")).json()["data"]
    assert overview["tier"] == 0
    [check] = overview["checks"]
    assert check["result"] == "failed"
    assert check["reasons"][0].startswith(reason)
    assert requirement(overview, field)["status"] == "failed"
    assert requirement(overview, field)["reason"].startswith(reason)


async def test_nin_identities_match_and_refuse_like_bvns(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    url = f"/v1/customers/{customer['id']}/kyc/upgrade"
    refused = await client.post(url, json={"tier": 1, "nin": "70000000002"})
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"][0]["field"] == "name"
    not_found = await client.post(url, json={"tier": 1, "nin": "70000000004"})
    assert not_found.json()["error"]["fields"] == [
        {"field": "identity_number", "message": "the NIN was not found"}
    ]
    ok = await client.post(url, json={"tier": 1, "nin": "70000000001"})
    assert ok.status_code == 200, ok.text
    assert [c["result"] for c in ok.json()["data"]["checks"]] == ["verified", "failed", "failed"]


async def test_a_record_with_names_reordered_and_in_capitals_matches(
    client: httpx.AsyncClient,
) -> None:
    customer = await make_customer(client)
    response = await client.post(
        f"/v1/customers/{customer['id']}/kyc/upgrade", json={"tier": 1, "bvn": "22200000006"}
    )
    assert response.status_code == 200, response.text


async def test_missing_data_is_named_before_any_provider_is_asked(
    client: httpx.AsyncClient,
) -> None:
    customer = await make_customer(client, date_of_birth=None)
    response = await client.post(f"/v1/customers/{customer['id']}/kyc/upgrade", json={"tier": 1})
    assert response.status_code == 422
    assert {f["field"] for f in response.json()["error"]["fields"]} == {
        "date_of_birth",
        "identity_number",
    }
    overview = (await client.get(f"/v1/customers/{customer['id']}/kyc")).json()["data"]
    assert overview["checks"] == []


async def test_tier_2_needs_a_verified_id_document(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    url = f"/v1/customers/{customer['id']}/kyc/upgrade"
    assert (await client.post(url, json={"tier": 1, "bvn": "22200000001"})).status_code == 200
    response = await client.post(url, json={"tier": 2, "means_of_id": "PASSPORT"})
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["id_document"]
    again = await client.post(url, json={"tier": 1, "bvn": "22200000001"})
    assert again.status_code == 409
    assert again.json()["error"]["type"] == "kyc_tier_reached"


async def test_a_bvn_held_by_another_customer_is_a_409(client: httpx.AsyncClient) -> None:
    await make_customer(client, email="first@example.com", bvn="22200000001")
    customer = await make_customer(client)
    response = await client.post(
        f"/v1/customers/{customer['id']}/kyc/upgrade", json={"tier": 1, "bvn": "22200000001"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["type"] == "duplicate_customer"


async def test_a_business_has_no_kyc_tiers(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/customers",
        json={
            "customer_type": "business",
            "company_name": "Kola Foods Ltd",
            "email": "kola@example.com",
            "phone_number": "+2348039876543",
        },
    )
    business = response.json()["data"]
    refused = await client.post(
        f"/v1/customers/{business['id']}/kyc/upgrade", json={"tier": 1, "bvn": "22200000001"}
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["type"] == "kyc_not_applicable"


async def test_another_tenants_customer_is_not_found(
    client: httpx.AsyncClient, org: object
) -> None:
    response = await client.get("/v1/customers/01a1fcd2-80a4-7c1e-9c31-5a3c6f0d1b2e/kyc")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "customer_not_found"
