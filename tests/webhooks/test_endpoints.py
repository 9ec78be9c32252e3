"""`/v1/webhook_endpoints`: register, read, change, disable, rotate, delete; the URL and event
checks; tenancy. Both databases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from standardwebhooks import Webhook

from customerbase.app import create_app
from customerbase.config import Settings
from customerbase.kit.db import Database
from tests.conftest import TEST_SECRET, Org, make_org

URL = "http://127.0.0.1:9/hooks"


async def _create(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await client.post("/v1/webhook_endpoints", json={"url": URL, "events": ["*"], **body})


async def test_an_endpoint_is_created_with_a_secret_shown_once_and_read_without_it(
    client: httpx.AsyncClient,
) -> None:
    response = await _create(client, events=["customer.created", "customer.*"], description="CRM")
    assert response.status_code == 201, response.text
    created = response.json()["data"]
    secret = created["secret"]
    assert secret.startswith("whsec_")
    Webhook(secret)  # a secret the standardwebhooks library accepts
    assert (created["url"], created["events"], created["description"], created["status"]) == (
        URL,
        ["customer.created", "customer.*"],
        "CRM",
        "enabled",
    )
    got = await client.get(f"/v1/webhook_endpoints/{created['id']}")
    assert got.status_code == 200
    assert "secret" not in got.json()["data"]
    assert secret not in got.text
    listed = (await client.get("/v1/webhook_endpoints")).json()
    assert [e["id"] for e in listed["data"]] == [created["id"]]
    assert "secret" not in listed["data"][0]
    events = (await client.get("/v1/events", params={"type": "webhook_endpoint.*"})).json()
    assert [e["type"] for e in events["data"]] == ["webhook_endpoint.created"]
    assert secret not in str(events)


async def test_an_endpoint_is_updated_disabled_enabled_rotated_and_deleted_each_with_an_event(
    client: httpx.AsyncClient,
) -> None:
    created = (await _create(client)).json()["data"]
    path = f"/v1/webhook_endpoints/{created['id']}"
    updated = await client.patch(
        path, json={"events": ["customer.deleted"], "description": "erasures"}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["data"]["events"] == ["customer.deleted"]
    assert updated.json()["data"]["url"] == URL
    assert (await client.post(f"{path}/disable")).json()["data"]["status"] == "disabled"
    assert (await client.post(f"{path}/enable")).json()["data"]["status"] == "enabled"
    rotated = (await client.post(f"{path}/rotate_secret")).json()["data"]
    assert rotated["secret"] != created["secret"]
    assert rotated["previous_secret_expires_at"] is not None
    deleted = await client.delete(path)
    assert deleted.json()["data"] == {"id": created["id"], "deleted": True}
    gone = await client.get(path)
    assert (gone.status_code, gone.json()["error"]["type"]) == (404, "webhook_endpoint_not_found")
    events = (await client.get("/v1/events", params={"type": "webhook_endpoint.*"})).json()
    assert [e["type"] for e in reversed(events["data"])] == [
        "webhook_endpoint.created",
        "webhook_endpoint.updated",
        "webhook_endpoint.disabled",
        "webhook_endpoint.enabled",
        "webhook_endpoint.secret_rotated",
        "webhook_endpoint.deleted",
    ]


@pytest.mark.parametrize(
    ("events", "field"),
    [
        (["customer.created", "customer.nope"], "events[1]"),
        (["nothing.*"], "events[0]"),
        ([], "events"),
        (["*", 3], "events[1]"),
    ],
)
async def test_unknown_event_types_are_refused_naming_the_entry(
    client: httpx.AsyncClient, events: list[Any], field: str
) -> None:
    response = await _create(client, events=events)
    assert response.status_code == 422, response.text
    assert field in [f["field"] for f in response.json()["error"]["fields"]]


async def test_another_tenants_endpoint_does_not_exist(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    created = (await _create(client)).json()["data"]
    other = await make_org(database, "Other")
    for headers in (other.auth("test"), org.auth("live")):
        for method, suffix in (("GET", ""), ("DELETE", ""), ("POST", "/rotate_secret")):
            response = await client.request(
                method, f"/v1/webhook_endpoints/{created['id']}{suffix}", headers=headers
            )
            assert response.status_code == 404, (method, suffix)
        listed = await client.get("/v1/webhook_endpoints", headers=headers)
        assert listed.json()["data"] == []
    assert (await client.get("/v1/webhook_endpoints/not-an-id")).status_code == 404


@pytest_asyncio.fixture(loop_scope="session")
async def strict_client(
    tmp_path: Path, database: Database, org: Org
) -> AsyncIterator[httpx.AsyncClient]:
    """The app as it runs by default: private addresses refused."""
    settings = Settings(data_dir=tmp_path / "strict", secret_key=TEST_SECRET, embedded_worker=False)
    app = create_app(settings, database=database)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=org.auth()
    ) as client:
        yield client


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:8000/hooks", "loopback"),
        ("http://localhost/hooks", "loopback"),
        ("http://[::1]/hooks", "loopback"),
        ("http://[::ffff:127.0.0.1]/hooks", "loopback"),
        ("http://10.1.2.3/hooks", "private"),
        ("https://192.168.0.10/hooks", "private"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("http://0.0.0.0/", "reserved"),
        ("http://100.64.0.1/", "reserved"),
        ("ftp://8.8.8.8/hooks", "http:// or https://"),
        ("http://user:pw@8.8.8.8/", "credentials"),
        ("not a url", "http:// or https://"),
        ("http://no-such-host.invalid/hooks", "does not resolve"),
    ],
)
async def test_urls_that_are_not_public_http_are_refused_naming_url(
    strict_client: httpx.AsyncClient, url: str, why: str
) -> None:
    response = await strict_client.post("/v1/webhook_endpoints", json={"url": url, "events": ["*"]})
    assert response.status_code == 422, response.text
    [error] = response.json()["error"]["fields"]
    assert error["field"] == "url"
    assert why in error["message"]


async def test_a_public_address_is_accepted_and_an_update_to_a_private_one_refused(
    strict_client: httpx.AsyncClient,
) -> None:
    created = await strict_client.post(
        "/v1/webhook_endpoints", json={"url": "https://8.8.8.8/hooks", "events": ["*"]}
    )
    assert created.status_code == 201, created.text
    endpoint_id = created.json()["data"]["id"]
    moved = await strict_client.patch(
        f"/v1/webhook_endpoints/{endpoint_id}", json={"url": "http://10.0.0.1/"}
    )
    assert moved.status_code == 422
    assert moved.json()["error"]["fields"][0]["field"] == "url"


async def test_the_allow_private_setting_lifts_the_address_check(
    client: httpx.AsyncClient,
) -> None:
    """`client` is the app of these tests, with CUSTOMERBASE_WEBHOOK_ALLOW_PRIVATE on."""
    response = await _create(client, url="http://10.1.2.3/hooks")
    assert response.status_code == 201
    refused = await _create(client, url="ftp://10.1.2.3/hooks")
    assert refused.status_code == 422


def test_the_allow_private_setting_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CUSTOMERBASE_WEBHOOK_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("CUSTOMERBASE_EMBEDDED_WORKER", "0")
    settings = Settings()
    assert settings.webhook_allow_private is True
    assert settings.embedded_worker is False
    monkeypatch.delenv("CUSTOMERBASE_WEBHOOK_ALLOW_PRIVATE")
    monkeypatch.delenv("CUSTOMERBASE_EMBEDDED_WORKER")
    assert Settings().webhook_allow_private is False
    assert Settings().embedded_worker is True
