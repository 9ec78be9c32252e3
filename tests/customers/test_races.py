"""Uniqueness under concurrency: the unique indexes decide; the loser gets a 409, not a 500."""

from __future__ import annotations

import asyncio

import httpx

from tests import factories


async def test_concurrent_updates_to_the_same_email_give_one_success_and_409s(
    client: httpx.AsyncClient,
) -> None:
    ids = []
    for _ in range(12):
        created = await client.post("/v1/customers", json=factories.individual())
        assert created.status_code == 201, created.text
        ids.append(created.json()["data"]["id"])

    responses = await asyncio.gather(
        *(
            client.patch(f"/v1/customers/{cid}", json={"email": "Contested@Example.com"})
            for cid in ids
        )
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 11
    winner = next(r for r in responses if r.status_code == 200).json()["data"]["id"]
    for response in responses:
        if response.status_code == 409:
            error = response.json()["error"]
            assert error["type"] == "duplicate_customer"
            assert error["existing_customer_id"] == winner
            assert error["fields"] == [
                {"field": "email", "message": "is already used by another customer"}
            ]
    holders = await client.get("/v1/customers", params={"email": "contested@example.com"})
    assert [c["id"] for c in holders.json()["data"]] == [winner]


async def test_concurrent_creates_with_the_same_bvn_give_one_success_and_409s(
    client: httpx.AsyncClient,
) -> None:
    responses = await asyncio.gather(
        *(
            client.post("/v1/customers", json=factories.individual(bvn="22233344455"))
            for _ in range(20)
        )
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 19
    winner = next(r for r in responses if r.status_code == 201).json()["data"]["id"]
    assert {
        r.json()["error"]["existing_customer_id"] for r in responses if r.status_code == 409
    } == {winner}
    assert {r.json()["error"]["fields"][0]["field"] for r in responses if r.status_code == 409} == {
        "bvn"
    }
