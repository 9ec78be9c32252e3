"""Delivery: a real receiver on 127.0.0.1 gets every event, signed to Standard Webhooks, in
order per customer, through failures, rotations, 410s and Retry-After. Both databases."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database
from customerbase.models import Event, WebhookDelivery
from customerbase.webhooks.worker import Worker
from tests import factories
from tests.webhooks.support import Clock, Receiver, pump

LIFE = [
    "customer.created",
    "customer.updated",
    "customer.archived",
    "customer.unarchived",
    "customer.blacklisted",
    "customer.deleted",
]


async def register(
    client: httpx.AsyncClient, url: str, events: list[str] | None = None
) -> dict[str, Any]:
    response = await client.post(
        "/v1/webhook_endpoints", json={"url": url, "events": events or ["customer.*"]}
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def create_customer(client: httpx.AsyncClient, **fields: Any) -> str:
    response = await client.post("/v1/customers", json=factories.individual(**fields))
    assert response.status_code == 201, response.text
    customer_id: str = response.json()["data"]["id"]
    return customer_id


async def live_a_life(client: httpx.AsyncClient) -> str:
    customer_id = await create_customer(client, bvn="22212345678")
    steps = [
        ("PATCH", "", {"email": "new.address@example.org"}),
        ("POST", "/archive", None),
        ("POST", "/unarchive", None),
        ("POST", "/blacklist", {"blacklist": True, "reason": "fraud ring"}),
        ("DELETE", "", None),
    ]
    for method, suffix, payload in steps:
        response = await client.request(
            method, f"/v1/customers/{customer_id}{suffix}", json=payload
        )
        assert response.status_code == 200, response.text
    return customer_id


def verify(secret: str, received: Any) -> dict[str, Any]:
    payload: dict[str, Any] = Webhook(secret).verify(received.body, received.headers)
    return payload


async def test_a_customers_life_reaches_the_receiver_in_order_signed_and_redacted(
    client: httpx.AsyncClient, worker: Worker, receiver: Receiver
) -> None:
    endpoint = await register(client, receiver.url)
    customer_id = await live_a_life(client)
    await pump(worker, lambda: len(receiver.requests) >= len(LIFE))
    await worker.settle()
    assert len(receiver.requests) == len(LIFE)
    payloads = [verify(endpoint["secret"], received) for received in receiver.requests]
    assert [p["type"] for p in payloads] == LIFE
    assert {p["customer_id"] for p in payloads} == {customer_id}
    # The webhook-id is the event id, so receivers can de-duplicate.
    assert [r.headers["webhook-id"] for r in receiver.requests] == [p["id"] for p in payloads]
    events = (await client.get("/v1/events", params={"customer": customer_id})).json()["data"]
    assert [e["id"] for e in reversed(events)] == [p["id"] for p in payloads]
    # Sent after the erasure: the bodies were rendered from the redacted events, never copied.
    created = payloads[0]["data"]
    assert created["redacted"] is True
    assert created["object"]["email"] is None
    assert "22212345678" not in b"".join(r.body for r in receiver.requests).decode()


async def test_one_customers_events_wait_for_the_earlier_one_and_other_customers_do_not(
    client: httpx.AsyncClient, worker: Worker, receiver: Receiver, clock: Clock
) -> None:
    """The first event of customer A fails: A's later event waits for it; B's go ahead."""
    receiver.answer = lambda n: (500, {}) if n == 0 else (200, {})
    await register(client, receiver.url)
    first = await create_customer(client)
    archived = await client.post(f"/v1/customers/{first}/archive")
    assert archived.status_code == 200
    second = await create_customer(client)
    await worker.step()
    await worker.settle()
    await worker.step()
    await worker.settle()
    seen = [(r.json["customer_id"], r.json["type"]) for r in receiver.requests]
    assert seen == [(first, "customer.created"), (second, "customer.created")]
    await pump(
        worker, lambda: len(receiver.requests) >= 4, clock=clock, advance=timedelta(seconds=10)
    )
    seen = [(r.json["customer_id"], r.json["type"]) for r in receiver.requests]
    assert seen[2:] == [(first, "customer.created"), (first, "customer.archived")]


async def test_a_receiver_failing_every_other_request_still_gets_every_event_in_order(
    client: httpx.AsyncClient, worker: Worker, receiver: Receiver, clock: Clock
) -> None:
    receiver.answer = lambda n: (500, {}) if n % 2 == 0 else (200, {})
    endpoint = await register(client, receiver.url)
    customers = [await create_customer(client) for _ in range(3)]
    for customer_id in customers:
        response = await client.patch(f"/v1/customers/{customer_id}", json={"first_name": "Tunde"})
        assert response.status_code == 200
    expected = {
        e["id"]: e
        for e in (await client.get("/v1/events", params={"type": "customer.*"})).json()["data"]
    }
    assert len(expected) == 6

    def delivered() -> set[str]:
        ok = [r for i, r in enumerate(receiver.requests) if i % 2 == 1]
        return {r.webhook_id for r in ok}

    await pump(
        worker,
        lambda: delivered() == set(expected),
        clock=clock,
        advance=timedelta(minutes=10),
        within=30,
    )
    for received in receiver.requests:
        verify(endpoint["secret"], received)
    for customer_id in customers:
        order = [
            r.json["type"]
            for i, r in enumerate(receiver.requests)
            if i % 2 == 1 and r.json["customer_id"] == customer_id
        ]
        assert order == ["customer.created", "customer.updated"]
    deliveries = (await client.get(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries")).json()[
        "data"
    ]
    assert {d["status"] for d in deliveries} == {"succeeded"}


async def test_both_secrets_sign_for_24_hours_after_a_rotation_then_only_the_new_one(
    client: httpx.AsyncClient, worker: Worker, receiver: Receiver, clock: Clock
) -> None:
    endpoint = await register(client, receiver.url)
    old = endpoint["secret"]
    rotated = await client.post(f"/v1/webhook_endpoints/{endpoint['id']}/rotate_secret")
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["data"]["secret"]
    assert new.startswith("whsec_")
    assert new != old
    await create_customer(client)
    clock.advance(timedelta(hours=23, minutes=59))
    await pump(worker, lambda: len(receiver.requests) == 1)
    first = receiver.requests[0]
    assert len(first.headers["webhook-signature"].split(" ")) == 2
    verify(old, first)
    verify(new, first)

    clock.advance(timedelta(minutes=2))  # 24 h and a minute after the rotation
    await create_customer(client)
    await pump(worker, lambda: len(receiver.requests) == 2)
    second = receiver.requests[1]
    assert len(second.headers["webhook-signature"].split(" ")) == 1
    verify(new, second)
    with pytest.raises(WebhookVerificationError):
        verify(old, second)


async def test_410_gone_disables_the_endpoint_at_once_with_an_event(
    client: httpx.AsyncClient, worker: Worker, receiver: Receiver, database: Database
) -> None:
    receiver.answer = lambda _n: (410, {})
    endpoint = await register(client, receiver.url)
    await create_customer(client)
    await create_customer(client)
    await pump(worker, lambda: len(receiver.requests) >= 1)
    await worker.step()
    await worker.settle()
    got = (await client.get(f"/v1/webhook_endpoints/{endpoint['id']}")).json()["data"]
    assert (got["status"], got["disabled_reason"]) == ("disabled", "gone")
    assert len(receiver.requests) <= 2  # nothing is sent once it is disabled
    count = len(receiver.requests)
    for _ in range(3):
        await worker.step()
        await worker.settle()
    assert len(receiver.requests) == count
    disabled = (
        await client.get("/v1/events", params={"type": "webhook_endpoint.disabled"})
    ).json()["data"]
    assert [e["data"]["object"]["id"] for e in disabled] == [endpoint["id"]]
    assert disabled[0]["data"]["object"]["disabled_reason"] == "gone"
    async with database.read_session() as session:
        statuses = (await session.scalars(select(WebhookDelivery.status))).all()
    assert "succeeded" not in statuses


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_is_honoured_instead_of_the_backoff(
    client: httpx.AsyncClient,
    worker: Worker,
    receiver: Receiver,
    clock: Clock,
    database: Database,
    status: int,
) -> None:
    receiver.answer = lambda n: (status, {"Retry-After": "120"}) if n == 0 else (200, {})
    await register(client, receiver.url)
    await create_customer(client)
    await pump(worker, lambda: len(receiver.requests) == 1)
    await worker.settle()
    async with database.read_session() as session:
        delivery = (await session.scalars(select(WebhookDelivery))).one()
    assert delivery.status == "pending"
    assert delivery.response_status == status
    assert delivery.next_attempt_at is not None
    assert delivery.last_attempt_at is not None
    wait = (delivery.next_attempt_at - clock()).total_seconds()
    assert 115 < wait <= 120  # not the 5 s (±20%) of the schedule
    clock.advance(timedelta(seconds=100))
    await worker.step()
    await worker.settle()
    assert len(receiver.requests) == 1
    clock.advance(timedelta(seconds=21))
    await pump(worker, lambda: len(receiver.requests) == 2)
    assert receiver.requests[1].webhook_id == receiver.requests[0].webhook_id


async def test_an_endpoint_failing_for_five_days_is_disabled_with_an_event(
    client: httpx.AsyncClient, worker: Worker, receiver: Receiver, clock: Clock
) -> None:
    receiver.answer = lambda _n: (500, {})
    endpoint = await register(client, receiver.url)
    await create_customer(client)
    await pump(worker, lambda: len(receiver.requests) == 1)
    clock.advance(timedelta(days=4, hours=23))
    await create_customer(client)
    await pump(worker, lambda: len(receiver.requests) >= 2)
    got = (await client.get(f"/v1/webhook_endpoints/{endpoint['id']}")).json()["data"]
    assert got["status"] == "enabled"  # failing for less than 5 days
    clock.advance(timedelta(hours=2))
    sent = len(receiver.requests)
    await pump(worker, lambda: len(receiver.requests) > sent)
    await worker.settle()
    got = (await client.get(f"/v1/webhook_endpoints/{endpoint['id']}")).json()["data"]
    assert (got["status"], got["disabled_reason"]) == ("disabled", "failing")
    disabled = (
        await client.get("/v1/events", params={"type": "webhook_endpoint.disabled"})
    ).json()["data"]
    assert len(disabled) == 1


async def test_a_delivery_is_listed_with_its_attempt_and_can_be_sent_again(
    client: httpx.AsyncClient, worker: Worker, receiver: Receiver
) -> None:
    endpoint = await register(client, receiver.url)
    await create_customer(client)
    await pump(worker, lambda: len(receiver.requests) == 1)
    await worker.settle()
    path = f"/v1/webhook_endpoints/{endpoint['id']}/deliveries"
    page = (await client.get(path)).json()
    [delivery] = page["data"]
    assert delivery["event_id"] == receiver.requests[0].webhook_id
    assert delivery["event_type"] == "customer.created"
    assert (delivery["status"], delivery["response_status"], delivery["attempts"]) == (
        "succeeded",
        200,
        1,
    )
    assert delivery["duration_ms"] >= 0
    assert delivery["attempted_at"] is not None
    assert delivery["next_attempt_at"] is None
    assert page["meta"]["has_next_page"] is False
    retried = await client.post(f"{path}/{delivery['id']}/retry")
    assert retried.status_code == 200, retried.text
    assert retried.json()["data"]["status"] == "pending"
    again = await client.post(f"{path}/{delivery['id']}/retry")
    assert (again.status_code, again.json()["error"]["type"]) == (409, "webhook_delivery_pending")
    await pump(worker, lambda: len(receiver.requests) == 2)
    assert receiver.requests[1].webhook_id == receiver.requests[0].webhook_id
    missing = await client.post(f"{path}/00000000-0000-0000-0000-000000000000/retry")
    assert (missing.status_code, missing.json()["error"]["type"]) == (
        404,
        "webhook_delivery_not_found",
    )
    assert (await client.get(f"{path}?status=failed")).json()["data"] == []


async def test_deliveries_page_by_cursor_newest_first(
    client: httpx.AsyncClient, worker: Worker, receiver: Receiver
) -> None:
    endpoint = await register(client, receiver.url)
    for _ in range(5):
        await create_customer(client)
    await pump(worker, lambda: len(receiver.requests) == 5)
    await worker.settle()
    path = f"/v1/webhook_endpoints/{endpoint['id']}/deliveries"
    first = (await client.get(path, params={"take": 3})).json()
    assert len(first["data"]) == 3
    assert first["meta"]["has_next_page"] is True
    rest = (
        await client.get(path, params={"take": 3, "starting_after": first["meta"]["next_cursor"]})
    ).json()
    assert len(rest["data"]) == 2
    assert rest["meta"]["has_next_page"] is False
    ids = [d["id"] for d in first["data"] + rest["data"]]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 5


async def test_only_subscribed_types_of_the_endpoints_tenant_are_delivered(
    client: httpx.AsyncClient, worker: Worker, receiver: Receiver
) -> None:
    await register(client, receiver.url, ["customer.archived"])
    customer_id = await create_customer(client)
    await client.post(f"/v1/customers/{customer_id}/archive")
    live = await client.post(
        "/v1/customers", json=factories.individual(), headers={"Authorization": "Bearer x"}
    )
    assert live.status_code == 401
    await pump(worker, lambda: len(receiver.requests) == 1)
    for _ in range(2):
        await worker.step()
        await worker.settle()
    assert [r.json["type"] for r in receiver.requests] == ["customer.archived"]


async def test_two_workers_never_send_one_attempt_twice(
    client: httpx.AsyncClient, receiver: Receiver, database: Database, vault: Vault
) -> None:
    receiver.delay = 0.01
    await register(client, receiver.url)
    for _ in range(60):
        await create_customer(client)
    workers = [
        Worker(database, vault, allow_private=True, lease_seconds=20, concurrency=8)
        for _ in range(2)
    ]

    async def run(worker: Worker) -> None:
        await pump(worker, lambda: len({r.webhook_id for r in receiver.requests}) >= 60)

    try:
        await asyncio.wait_for(asyncio.gather(*(run(w) for w in workers)), 30)
    finally:
        for worker in workers:
            await worker.aclose()
    ids = [r.webhook_id for r in receiver.requests]
    assert len(ids) == 60 == len(set(ids))
    assert all(w.stats.sent > 0 for w in workers) or database.dialect == "sqlite"


async def test_the_url_is_checked_again_when_delivering(
    client: httpx.AsyncClient, receiver: Receiver, database: Database, vault: Vault
) -> None:
    """Registered while private addresses were allowed, refused by a worker that does not."""
    endpoint = await register(client, receiver.url)
    await create_customer(client)
    strict = Worker(database, vault, allow_private=False, lease_seconds=20)
    try:
        await strict.step()
        await strict.step()
        await strict.settle()
    finally:
        await strict.aclose()
    assert receiver.requests == []
    deliveries = (await client.get(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries")).json()[
        "data"
    ]
    assert deliveries[0]["status"] == "pending"
    assert "loopback" in deliveries[0]["error"]
    assert deliveries[0]["response_status"] is None


async def test_an_event_from_before_the_endpoint_existed_is_not_sent_to_it(
    client: httpx.AsyncClient, worker: Worker, receiver: Receiver, database: Database
) -> None:
    await create_customer(client)
    await register(client, receiver.url)
    await create_customer(client)
    await pump(worker, lambda: len(receiver.requests) == 1)
    for _ in range(2):
        await worker.step()
        await worker.settle()
    assert len(receiver.requests) == 1
    async with database.read_session() as session:
        pending = (await session.scalars(select(Event).where(Event.dispatched_at.is_(None)))).all()
    assert pending == []


async def test_a_disabled_endpoint_gets_nothing_until_enabled_again(
    client: httpx.AsyncClient, worker: Worker, receiver: Receiver, database: Database
) -> None:
    endpoint = await register(client, receiver.url)
    await create_customer(client)
    assert await worker.dispatch() >= 1  # one delivery pending
    disabled = await client.post(f"/v1/webhook_endpoints/{endpoint['id']}/disable")
    assert disabled.json()["data"]["disabled_reason"] == "manual"
    await worker.step()
    await worker.settle()
    assert receiver.requests == []
    enabled = await client.post(f"/v1/webhook_endpoints/{endpoint['id']}/enable")
    assert enabled.json()["data"]["status"] == "enabled"
    await pump(worker, lambda: len(receiver.requests) == 1)
