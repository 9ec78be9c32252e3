"""Shared steps of the accounts tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests import factories


async def new_customer(client: httpx.AsyncClient, **overrides: Any) -> str:
    created = await client.post("/v1/customers", json=factories.individual(**overrides))
    assert created.status_code == 201, created.text
    customer_id: str = created.json()["data"]["id"]
    return customer_id


async def new_account(client: httpx.AsyncClient, customer_id: str, **body: Any) -> dict[str, Any]:
    response = await client.post(f"/v1/customers/{customer_id}/accounts", json=body)
    assert response.status_code == 201, response.text
    account: dict[str, Any] = response.json()["data"]
    return account


async def post(
    client: httpx.AsyncClient,
    account_id: str,
    direction: str,
    amount: int,
    reference: str,
    currency: str = "NGN",
    **extra: Any,
) -> httpx.Response:
    return await client.post(
        f"/v1/accounts/{account_id}/transactions",
        json={
            "direction": direction,
            "amount": amount,
            "currency": currency,
            "reference": reference,
            **extra,
        },
    )


async def credit(client: httpx.AsyncClient, account_id: str, amount: int, reference: str) -> None:
    response = await post(client, account_id, "credit", amount, reference)
    assert response.status_code == 201, response.text


async def new_card(
    client: httpx.AsyncClient, customer_id: str, account_id: str, brand: str = "verve"
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/customers/{customer_id}/cards", json={"account_id": account_id, "brand": brand}
    )
    assert response.status_code == 201, response.text
    card: dict[str, Any] = response.json()["data"]
    return card
