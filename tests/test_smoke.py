from __future__ import annotations

import httpx

from tests import factories


async def test_create_then_read_back_by_id(client: httpx.AsyncClient) -> None:
    created = await client.post("/v1/customers", json=factories.individual())
    assert created.status_code == 201, created.text
    customer_id = created.json()["data"]["id"]
    fetched = await client.get(f"/v1/customers/{customer_id}")
    assert fetched.status_code == 200
    assert fetched.json()["data"]["id"] == customer_id
