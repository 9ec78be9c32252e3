from __future__ import annotations

import httpx

from tests.accounts.helpers import credit, new_account, new_customer, post


async def test_smoke(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    account = await new_account(client, customer_id)
    await credit(client, account["id"], 1000, "c1")
    r = await post(client, account["id"], "debit", 400, "d1")
    assert r.status_code == 201, r.text
    assert r.json()["data"]["balance_after"] == 600
    r2 = await post(client, account["id"], "debit", 400, "d1")
    assert r2.status_code == 201, r2.text
    assert r2.headers["Idempotent-Replayed"] == "true"
    r3 = await post(client, account["id"], "debit", 4000, "d2")
    assert r3.status_code == 409, r3.text
    s = await client.get(f"/v1/customers/{customer_id}/summary")
    print(s.json())
    ev = await client.get("/v1/events", params={"type": "transaction.*"})
    print(ev.json()["data"][0])
    h = await client.get(f"/v1/customers/{customer_id}/history")
    print(h.json()["data"][0])
    a = await client.post(f"/v1/customers/{customer_id}/archive")
    print(a.json()["meta"])
    assert a.status_code == 200
