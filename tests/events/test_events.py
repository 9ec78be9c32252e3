"""The event log and the audit trail: every change writes its event and its history entry in
the same transaction; both read back through the API, scoped to the tenant, masked.

Every test runs on SQLite and on PostgreSQL (the `client` fixture is parametrized over both).
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from customerbase.kit.db import Database
from customerbase.models import APIKey, AuditEntry, Event
from tests import factories
from tests.conftest import Org, make_org

LIFE = [
    "customer.created",
    "customer.updated",
    "customer.archived",
    "customer.unarchived",
    "customer.blacklisted",
    "customer.unblacklisted",
    "customer.deleted",
]


async def _live_a_life(client: httpx.AsyncClient, *, erase: bool = True) -> str:
    body = factories.individual(bvn="22212345678", date_of_birth="1990-05-17")
    created = await client.post("/v1/customers", json=body)
    assert created.status_code == 201, created.text
    customer_id: str = created.json()["data"]["id"]
    steps = [
        ("PATCH", "", {"email": "new.address@example.org", "first_name": "Ayodele"}),
        ("POST", "/archive", None),
        ("POST", "/unarchive", None),
        ("POST", "/blacklist", {"blacklist": True, "reason": "fraud ring"}),
        ("POST", "/blacklist", {"blacklist": False}),
    ]
    if erase:
        steps.append(("DELETE", "", None))
    for method, suffix, payload in steps:
        response = await client.request(
            method, f"/v1/customers/{customer_id}{suffix}", json=payload
        )
        assert response.status_code == 200, response.text
    return customer_id


async def _events(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/v1/events", params=params)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def test_a_customer_life_is_recorded_as_events_newest_first(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await _live_a_life(client, erase=False)
    events = await _events(client, customer=customer_id, take=100)
    assert [event["type"] for event in events] == LIFE[-2::-1]
    for event in events:
        assert event["customer_id"] == customer_id
        assert event["environment"] == "test"
        assert event["api_version"]
        assert event["data"]["object"]["id"] == customer_id
    created = events[-1]
    assert created["data"]["object"]["status"] == "active"
    assert created["data"]["object"]["first_name"] == "Ayo"
    assert "changes" not in created["data"]
    updated = events[-2]["data"]
    assert updated["object"]["first_name"] == "Ayodele"
    assert set(updated["changes"]) == {"email", "first_name", "full_name"}
    # Personal data is masked in `changes`; names show their first letter only.
    assert updated["changes"]["first_name"] == {"old": "A***", "new": "A***"}
    assert updated["changes"]["email"] == {"old": "a***@e***.com", "new": "n***@e***.org"}
    assert events[-3]["data"]["changes"]["status"] == {"old": "active", "new": "archived"}
    blacklisted = events[-5]["data"]
    assert blacklisted["object"]["blacklisted"] is True
    assert blacklisted["changes"]["blacklist_reason"]["new"] == "fraud ring"


async def test_erasure_redacts_the_customer_s_earlier_events(client: httpx.AsyncClient) -> None:
    customer_id = await _live_a_life(client)
    events = await _events(client, customer=customer_id, take=100)
    assert [event["type"] for event in events] == LIFE[::-1]
    deleted = events[0]["data"]
    assert deleted["object"]["status"] == "deleted"
    assert deleted["object"]["email"] is None
    assert deleted["changes"]["email"] == {"old": "[erased]", "new": None}
    for event in events[1:]:
        assert event["data"] == {"object": deleted["object"], "redacted": True}
    raw = (await client.get("/v1/events", params={"take": 100})).text
    raw += (await client.get(f"/v1/customers/{customer_id}/history")).text
    for personal in ("Ayo", "Oladeji", "example.org"):
        assert personal not in raw


async def test_events_carry_no_identity_number_or_date_of_birth(
    client: httpx.AsyncClient,
) -> None:
    await _live_a_life(client, erase=False)
    raw = (await client.get("/v1/events", params={"take": 100})).text
    assert "22212345678" not in raw
    assert "1990-05-17" not in raw
    assert "05-17" not in raw


async def test_one_event_by_id_and_unknown_ids_are_404(client: httpx.AsyncClient) -> None:
    customer_id = await _live_a_life(client)
    newest = (await _events(client, customer=customer_id))[0]
    response = await client.get(f"/v1/events/{newest['id']}")
    assert response.status_code == 200
    assert response.json()["data"] == newest
    for missing in (str(uuid.uuid4()), "not-an-id"):
        response = await client.get(f"/v1/events/{missing}")
        assert response.status_code == 404
        assert response.json()["error"]["type"] == "event_not_found"


async def test_events_are_filtered_by_type_family_and_list(client: httpx.AsyncClient) -> None:
    await _live_a_life(client)
    await _live_a_life(client)
    assert [e["type"] for e in await _events(client, type="customer.archived")] == [
        "customer.archived"
    ] * 2
    family = await _events(client, type="customer.*", take=100)
    assert len(family) == 14
    several = await _events(client, type="customer.created,customer.deleted", take=100)
    assert sorted(e["type"] for e in several) == ["customer.created"] * 2 + ["customer.deleted"] * 2
    assert await _events(client, type="account.*") == []


@pytest.mark.parametrize("bad", ["Customer.Created", "customer.", "a;drop", ",", "x" * 65])
async def test_a_malformed_type_filter_is_a_422_naming_type(
    client: httpx.AsyncClient, bad: str
) -> None:
    response = await client.get("/v1/events", params={"type": bad})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "type"


async def test_events_page_by_cursor_without_gaps_or_repeats(client: httpx.AsyncClient) -> None:
    await _live_a_life(client)
    everything = await _events(client, take=100)
    seen: list[str] = []
    params: dict[str, Any] = {"take": 3}
    while True:
        response = await client.get("/v1/events", params=params)
        body = response.json()
        seen += [event["id"] for event in body["data"]]
        if not body["meta"]["has_next_page"]:
            break
        params = {"take": 3, "starting_after": body["meta"]["next_cursor"]}
    assert seen == [event["id"] for event in everything]
    # Back again from the oldest page.
    back = await client.get("/v1/events", params={"take": 3, "ending_before": everything[-1]["id"]})
    assert [e["id"] for e in back.json()["data"]] == [e["id"] for e in everything[-4:-1]]


async def test_events_are_filtered_by_time(client: httpx.AsyncClient) -> None:
    await _live_a_life(client)
    everything = await _events(client, take=100)
    middle = everything[3]["created_at"]
    newer = await _events(client, created_from=middle, take=100)
    older = await _events(client, created_to=middle, take=100)
    assert [e["id"] for e in newer] == [e["id"] for e in everything[:4]]
    assert [e["id"] for e in older] == [e["id"] for e in everything[3:]]
    assert await _events(client, created_from="2999-01-01") == []


async def test_events_belong_to_their_tenant_and_environment(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    customer_id = await _live_a_life(client)
    event_id = (await _events(client))[0]["id"]
    other = await make_org(database, "Other Bank")
    for headers in (other.auth("test"), org.auth("live")):
        listed = await client.get("/v1/events", headers=headers)
        assert listed.json()["data"] == []
        assert (await client.get(f"/v1/events/{event_id}", headers=headers)).status_code == 404
        history = await client.get(f"/v1/customers/{customer_id}/history", headers=headers)
        assert history.status_code == 404


async def test_a_failed_write_records_nothing(
    client: httpx.AsyncClient, database: Database
) -> None:
    body = factories.individual()
    assert (await client.post("/v1/customers", json=body)).status_code == 201
    duplicate = await client.post("/v1/customers", json={**body, "reference": "other-ref"})
    assert duplicate.status_code == 409
    customer_id = (await _events(client))[0]["customer_id"]
    archived = await client.post(f"/v1/customers/{customer_id}/archive")
    assert archived.status_code == 200
    again = await client.post(f"/v1/customers/{customer_id}/archive")
    assert again.status_code == 409
    # Lifting a blacklist that is not there changes nothing.
    async with database.read_session() as session:
        count = await session.scalar(select(func.count()).select_from(Event))
        audit_count = await session.scalar(select(func.count()).select_from(AuditEntry))
    assert count == 2
    assert audit_count == 2


async def test_lifting_an_absent_blacklist_records_nothing(client: httpx.AsyncClient) -> None:
    customer_id = (await client.post("/v1/customers", json=factories.individual())).json()["data"][
        "id"
    ]
    response = await client.post(
        f"/v1/customers/{customer_id}/blacklist", json={"blacklist": False}
    )
    assert response.status_code == 200
    assert [e["type"] for e in await _events(client, customer=customer_id)] == ["customer.created"]


async def test_history_names_the_key_the_request_and_the_changes(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    created = await client.post(
        "/v1/customers", json=factories.individual(), headers={"X-Request-ID": "req-create-1"}
    )
    customer_id = created.json()["data"]["id"]
    await client.patch(
        f"/v1/customers/{customer_id}",
        json={"phone_number": "08039998877", "metadata": {"tier": "gold"}},
        headers={"X-Request-ID": "req-patch-2"},
    )
    response = await client.get(f"/v1/customers/{customer_id}/history")
    assert response.status_code == 200
    entries = response.json()["data"]
    async with database.read_session() as session:
        key_id = await session.scalar(
            select(APIKey.id).where(APIKey.organization_id == org.id, APIKey.environment == "test")
        )
    assert [entry["action"] for entry in entries] == ["customer.updated", "customer.created"]
    assert [entry["request_id"] for entry in entries] == ["req-patch-2", "req-create-1"]
    for entry in entries:
        assert entry["actor"] == {"type": "api_key", "id": str(key_id)}
        assert entry["customer_id"] == customer_id
    changes = entries[0]["changes"]
    old_phone = created.json()["data"]["phone_number"]
    assert changes["phone_number"] == {"old": f"***{old_phone[-4:]}", "new": "***8877"}
    assert changes["metadata"] == {"old": {"tier": None}, "new": {"tier": "gold"}}
    assert "9998877" not in response.text
    # The event each entry records is the one in the log.
    event = await client.get(f"/v1/events/{entries[0]['event_id']}")
    assert event.json()["data"]["type"] == "customer.updated"


async def test_history_is_reachable_by_reference_and_pages(client: httpx.AsyncClient) -> None:
    created = await client.post("/v1/customers", json=factories.individual(reference="cus-77"))
    customer_id = created.json()["data"]["id"]
    for n in range(4):
        await client.patch(f"/v1/customers/{customer_id}", json={"metadata": {"n": n}})
    first = await client.get("/v1/customers/cus-77/history", params={"take": 2})
    body = first.json()
    assert len(body["data"]) == 2
    assert body["meta"]["has_next_page"] is True
    rest = await client.get(
        "/v1/customers/cus-77/history",
        params={"take": 10, "starting_after": body["meta"]["next_cursor"]},
    )
    assert len(rest.json()["data"]) == 3
    assert rest.json()["data"][-1]["action"] == "customer.created"
    missing = await client.get(f"/v1/customers/{uuid.uuid4()}/history")
    assert missing.status_code == 404


async def test_the_audit_trail_is_append_only_in_the_database(
    client: httpx.AsyncClient, database: Database
) -> None:
    await client.post("/v1/customers", json=factories.individual())
    for statement in ("UPDATE audit_entries SET action = 'x'", "DELETE FROM audit_entries"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with database.write_session() as session:
                await session.execute(text(statement))
    async with database.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == 1
