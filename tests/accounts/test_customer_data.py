"""Advancly's customer data: orders and stock loads (item by item, all or nothing, idempotent)
and the insights drawn from them. Both databases."""

from __future__ import annotations

from typing import Any

import httpx

from tests.accounts.helpers import new_customer


def _order(order_id: str, amount: Any, **extra: Any) -> dict[str, Any]:
    return {
        "order_id": order_id,
        "order_amount": amount,
        "order_date": "2026-11-02T10:00:00Z",
        "order_currency": "NGN",
        **extra,
    }


def _stock(product_id: str, date: str, available: int, price: Any) -> dict[str, Any]:
    return {
        "product_id": product_id,
        "product_category": "grains",
        "available_quantity": available,
        "unit_price": price,
        "date": date,
    }


async def _insights(client: httpx.AsyncClient, customer_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/customers/{customer_id}/insights")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def test_orders_load_and_the_insights_count_total_average_and_credit_share(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    items = [
        {"product_id": "rice-50kg", "product_category": "grains", "quantity": 3, "amount": 900},
        {"product_id": "oil-5l", "product_category": "oils", "quantity": 1, "amount": 100.5},
    ]
    orders = [
        _order("ord-1", 1000.50, is_credit=True, order_items=items),
        _order("ord-2", "250.25", order_date="2026-11-05T09:00:00Z"),
        _order("ord-3", 20, order_currency="USD", order_date="2026-10-01"),
    ]
    response = await client.post(f"/v1/customers/{customer_id}/data/orders", json={"data": orders})
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {
        "customer_id": customer_id,
        "kind": "orders",
        "received": 3,
        "created": 3,
        "updated": 0,
    }

    insights = await _insights(client, customer_id)

    assert insights["orders"] == {
        "count": 3,
        "by_currency": {
            "NGN": {"count": 2, "total": 125_075, "average": 62_538},  # 625.375 rounds half up
            "USD": {"count": 1, "total": 2_000, "average": 2_000},
        },
        "first_order_at": "2026-10-01T00:00:00.000000Z",
        "last_order_at": "2026-11-05T09:00:00.000000Z",
        "share_on_credit": 0.3333,
    }
    assert insights["top_product_categories"] == [
        {"category": "grains", "items": 1, "quantity": 3},
        {"category": "oils", "items": 1, "quantity": 1},
    ]


async def test_loading_the_same_orders_again_replaces_them_rather_than_adding(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    path = f"/v1/customers/{customer_id}/data/orders"
    first = await client.post(path, json={"data": [_order("a", 10), _order("b", 20)]})
    again = await client.post(path, json={"data": [_order("a", 15), _order("c", 5)]})

    assert first.status_code == again.status_code == 200
    assert (again.json()["data"]["created"], again.json()["data"]["updated"]) == (1, 1)
    orders = (await _insights(client, customer_id))["orders"]
    assert orders["count"] == 3
    assert orders["by_currency"]["NGN"]["total"] == 1500 + 2000 + 500


async def test_a_bad_order_is_named_by_its_index_and_nothing_of_the_call_is_stored(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    path = f"/v1/customers/{customer_id}/data/orders"
    orders = [_order("ok-1", 10), _order("ok-2", 20), _order("bad", -1), {"order_amount": 5}]

    response = await client.post(path, json={"data": orders})

    assert response.status_code == 422
    fields = sorted(f["field"] for f in response.json()["error"]["fields"])
    assert fields == [
        "data[2].order_amount",
        "data[3].order_currency",
        "data[3].order_date",
        "data[3].order_id",
    ]
    decimals = await client.post(path, json={"data": [_order("ok-1", 10), _order("x", "1.005")]})
    assert decimals.status_code == 422
    assert decimals.json()["error"]["fields"] == [
        {"field": "data[1].order_amount", "message": "has more than 2 decimal places for NGN"}
    ]
    twice = await client.post(path, json={"data": [_order("same", 1), _order("same", 2)]})
    assert twice.json()["error"]["fields"][0]["field"] == "data[1].order_id"
    assert (await _insights(client, customer_id))["orders"]["count"] == 0


async def test_a_load_takes_at_most_1000_items(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    path = f"/v1/customers/{customer_id}/data/orders"
    too_many = {"data": [_order(f"o{n}", 1) for n in range(1001)]}
    response = await client.post(path, json=too_many)
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "data"
    full = await client.post(path, json={"data": too_many["data"][:1000]})
    assert full.status_code == 200
    assert full.json()["data"]["created"] == 1000
    empty = await client.post(path, json={"data": []})
    assert empty.status_code == 422


async def test_stock_is_idempotent_by_product_and_date_and_valued_at_its_latest_entry(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    path = f"/v1/customers/{customer_id}/data/stock"
    entries = [
        _stock("rice", "2026-11-01T00:00:00Z", 10, 500),
        _stock("rice", "2026-11-20T00:00:00Z", 4, "550.50"),
        _stock("beans", "2026-11-10T00:00:00Z", 3, 100),
    ]
    first = await client.post(path, json={"data": entries})
    again = await client.post(path, json={"data": entries[1:]})

    assert first.json()["data"]["created"] == 3
    assert (again.json()["data"]["created"], again.json()["data"]["updated"]) == (0, 2)
    stock = (await _insights(client, customer_id))["stock"]
    assert stock == {
        "products": 2,
        "value": {"NGN": 4 * 55_050 + 3 * 10_000},
        "as_of": "2026-11-20T00:00:00.000000Z",
    }
    bad = await client.post(path, json={"data": [_stock("x", "not-a-date", -1, 1)]})
    assert sorted(f["field"] for f in bad.json()["error"]["fields"]) == [
        "data[0].available_quantity",
        "data[0].date",
    ]


async def test_customer_data_needs_a_customer_of_this_tenant(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient, org: Any
) -> None:
    customer_id = await new_customer(client)
    live = org.auth("live")
    response = await app_client.post(
        f"/v1/customers/{customer_id}/data/orders",
        json={"data": [_order("o", 1)]},
        headers=live,
    )
    assert response.status_code == 404
    insights = await app_client.get(f"/v1/customers/{customer_id}/insights", headers=live)
    assert insights.status_code == 404
    assert (await client.post(f"/v1/customers/{customer_id}/archive")).status_code == 200
    archived = await client.post(
        f"/v1/customers/{customer_id}/data/orders", json={"data": [_order("o", 1)]}
    )
    assert archived.status_code == 409
    assert archived.json()["error"]["type"] == "customer_archived"
