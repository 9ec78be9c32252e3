"""The tiers' requirements and limits: the CBN-framework defaults, an organization's
overrides, and the limits postings are held to (`limits_for`, `ensure_within_limits`)."""

from __future__ import annotations

import httpx
import pytest

from customerbase.kit.db import Database
from customerbase.kyc import DEFAULT_LIMITS, KycLimitExceeded, ensure_within_limits, limits_for
from customerbase.organizations.service import Tenant
from tests.conftest import Org
from tests.kyc.support import make_customer


async def test_the_default_tiers_follow_the_cbn_framework(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/kyc/tiers")
    assert response.status_code == 200
    tiers = {t["tier"]: t for t in response.json()["data"]}
    assert tiers[1]["limits"] == {
        "max_balance": 300_000,
        "single_deposit": 50_000,
        "daily_transfer": 50_000,
        "currency": "NGN",
    }
    assert tiers[2]["limits"]["max_balance"] == 500_000
    assert tiers[3]["limits"]["max_balance"] is None
    assert [r["field"] for r in tiers[3]["requirements"]] == [
        "name",
        "date_of_birth",
        "phone_number",
        "identity_number",
        "id_document",
        "proof_of_address",
    ]


async def test_an_organization_overrides_its_limits_and_postings_follow(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    response = await client.put(
        "/v1/kyc/tiers",
        json={"tiers": {"1": {"single_deposit": 20_000}, "3": {"daily_transfer": None}}},
    )
    assert response.status_code == 200, response.text
    tiers = {t["tier"]: t for t in response.json()["data"]}
    assert tiers[1]["limits"]["single_deposit"] == 20_000
    assert tiers[1]["limits"]["max_balance"] == 300_000
    assert tiers[3]["limits"]["daily_transfer"] is None
    events = (await client.get("/v1/events?type=kyc.tiers.updated")).json()["data"]
    assert len(events) == 1

    customer = await make_customer(client)
    overview = (await client.get(f"/v1/customers/{customer['id']}/kyc")).json()["data"]
    assert overview["next_tier_limits"]["single_deposit"] == 20_000

    tenant = Tenant(org.id, "test", org.id)
    async with database.read_session() as session:
        limits = await limits_for(session, tenant, 1)
        live = await limits_for(session, Tenant(org.id, "live", org.id), 1)
    assert limits.single_deposit == 20_000
    assert live == DEFAULT_LIMITS[1]
    ensure_within_limits(limits, deposit=20_000)
    with pytest.raises(KycLimitExceeded) as refused:
        ensure_within_limits(limits, deposit=20_001)
    assert refused.value.status_code == 409
    assert refused.value.extra == {"limit": "single_deposit", "limit_value": 20_000}


async def test_a_bad_override_names_the_field(client: httpx.AsyncClient) -> None:
    response = await client.put("/v1/kyc/tiers", json={"tiers": {"4": {"max_balance": 1}}})
    assert response.status_code == 422
    negative = await client.put("/v1/kyc/tiers", json={"tiers": {"1": {"max_balance": -1}}})
    assert negative.status_code == 422
    assert negative.json()["error"]["fields"][0]["field"] == "tiers.1.max_balance"
