"""The customer's KYC tier limits credits to naira accounts: the single deposit and the balance
it reaches (409 `kyc_limit_exceeded` naming the limit), on both databases."""

from __future__ import annotations

import httpx
from sqlalchemy import update

from customerbase.kit.db import Database
from customerbase.models import Customer
from tests import factories
from tests.accounts.helpers import new_account, post


async def _customer(client: httpx.AsyncClient, database: Database, tier: int) -> str:
    created = await client.post("/v1/customers", json=factories.individual())
    assert created.status_code == 201, created.text
    customer_id: str = created.json()["data"]["id"]
    async with database.write_session() as session:
        await session.execute(
            update(Customer)
            .where(Customer.email == created.json()["data"]["email"])
            .values(kyc_tier=tier)
        )
    return customer_id


async def test_a_tier_0_customer_cannot_be_credited_in_naira(
    client: httpx.AsyncClient, database: Database
) -> None:
    account = await new_account(client, await _customer(client, database, 0))
    refused = await post(client, account["id"], "credit", 100, "t0-1")
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["type"] == "kyc_limit_exceeded"
    assert error["limit"] == "single_deposit"
    balance = (await client.get(f"/v1/accounts/{account['id']}")).json()["data"]["balance"]
    assert balance == 0


async def test_tier_1_takes_deposits_up_to_its_single_deposit_and_balance_limits(
    client: httpx.AsyncClient, database: Database
) -> None:
    account = await new_account(client, await _customer(client, database, 1))
    # Tier 1: ₦50,000 a deposit, ₦300,000 in the account (amounts are kobo).
    assert (await post(client, account["id"], "credit", 5_000_000, "t1-1")).status_code == 201
    over = await post(client, account["id"], "credit", 5_000_001, "t1-2")
    assert over.status_code == 409
    assert over.json()["error"]["limit"] == "single_deposit"
    for n in range(5):  # ₦50,000 + 5 x ₦50,000 = ₦300,000: the balance limit exactly
        assert (
            await post(client, account["id"], "credit", 5_000_000, f"t1-f{n}")
        ).status_code == 201
    full = await post(client, account["id"], "credit", 100, "t1-over")
    assert full.status_code == 409
    assert full.json()["error"]["limit"] == "max_balance"
    # Debits are not a deposit; the replay of a posting made is not refused either.
    assert (await post(client, account["id"], "debit", 100, "t1-d")).status_code == 201
    replay = await post(client, account["id"], "credit", 5_000_000, "t1-1")
    assert replay.status_code == 201
    assert replay.headers.get("idempotent-replayed") == "true"


async def test_the_organization_can_raise_a_tier_s_limits(
    client: httpx.AsyncClient, database: Database
) -> None:
    account = await new_account(client, await _customer(client, database, 0))
    raised = await client.put(
        "/v1/kyc/tiers", json={"tiers": {"0": {"single_deposit": 1_000, "max_balance": 2_000}}}
    )
    assert raised.status_code == 200, raised.text
    assert (await post(client, account["id"], "credit", 100_000, "r-1")).status_code == 201
    assert (await post(client, account["id"], "credit", 100_001, "r-2")).status_code == 409


async def test_other_currencies_and_business_customers_are_not_limited(
    client: httpx.AsyncClient, database: Database
) -> None:
    dollars = await new_account(client, await _customer(client, database, 0), currency="USD")
    assert (
        await post(client, dollars["id"], "credit", 100, "usd-1", currency="USD")
    ).status_code == 201
    business = await client.post("/v1/customers", json=factories.business())
    account = await new_account(client, business.json()["data"]["id"])
    assert (await post(client, account["id"], "credit", 100, "biz-1")).status_code == 201
