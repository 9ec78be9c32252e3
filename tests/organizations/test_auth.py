"""Authentication and tenancy, through the ASGI app: who may see which customer, and how every
failure to authenticate is answered."""

from __future__ import annotations

import re
import secrets
import string
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from customerbase.kit.crypto import sha256_hex
from customerbase.kit.db import Database
from customerbase.models import APIKey
from customerbase.organizations.service import revoke_key
from tests import factories
from tests.conftest import Org, make_org

ALPHABET = string.ascii_letters + string.digits


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def fake_secret(environment: str = "test") -> str:
    """A well-formed key that was never issued."""
    return f"sk_{environment}_" + "".join(secrets.choice(ALPHABET) for _ in range(40))


async def create(app_client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any) -> dict:
    response = await app_client.post(
        "/v1/customers", json=factories.individual(**overrides), headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


def assert_401(response: httpx.Response, error_type: str) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["success"] is False
    assert body["error"]["type"] == error_type
    assert body["message"]
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")


async def key_id_of(database: Database, secret: str) -> uuid.UUID:
    async with database.read_session() as session:
        key_id = await session.scalar(
            select(APIKey.id).where(APIKey.key_hash == sha256_hex(secret))
        )
    assert key_id is not None
    return key_id


# --- Bearer keys and environments ---------------------------------------------------------


async def test_bearer_test_key_creates_customer_in_test_environment(
    app_client: httpx.AsyncClient, org: Org
) -> None:
    data = await create(app_client, org.auth("test"))
    assert data["environment"] == "test"
    assert data["organization_id"] == str(org.id)


async def test_bearer_live_key_creates_customer_in_live_environment(
    app_client: httpx.AsyncClient, org: Org
) -> None:
    data = await create(app_client, org.auth("live"))
    assert data["environment"] == "live"
    assert data["organization_id"] == str(org.id)


async def test_customer_of_one_environment_does_not_exist_in_the_other(
    app_client: httpx.AsyncClient, org: Org
) -> None:
    live = await create(app_client, org.auth("live"), reference="ref-live-1")
    test = await create(app_client, org.auth("test"), reference="ref-test-1")

    for key in (live["id"], live["email"], "ref-live-1"):
        response = await app_client.get(f"/v1/customers/{key}", headers=org.auth("test"))
        assert response.status_code == 404, response.text
        assert response.json()["error"]["type"] == "customer_not_found"
    for key in (test["id"], test["email"], "ref-test-1"):
        response = await app_client.get(f"/v1/customers/{key}", headers=org.auth("live"))
        assert response.status_code == 404, response.text
        assert response.json()["error"]["type"] == "customer_not_found"

    # Each environment lists only its own customers.
    listed_test = await app_client.get("/v1/customers", headers=org.auth("test"))
    assert [c["id"] for c in listed_test.json()["data"]] == [test["id"]]
    listed_live = await app_client.get("/v1/customers", headers=org.auth("live"))
    assert [c["id"] for c in listed_live.json()["data"]] == [live["id"]]

    # And the owner environment still sees its own.
    own = await app_client.get(f"/v1/customers/{live['id']}", headers=org.auth("live"))
    assert own.status_code == 200


async def test_same_email_is_allowed_once_per_environment(
    app_client: httpx.AsyncClient, org: Org
) -> None:
    await create(app_client, org.auth("test"), email="shared@example.com")
    await create(app_client, org.auth("live"), email="shared@example.com")


async def test_another_organizations_key_gets_404_for_a_customer(
    app_client: httpx.AsyncClient, org: Org, database: Database
) -> None:
    customer = await create(app_client, org.auth("test"))
    other = await make_org(database, "Other Bank")
    cid = customer["id"]
    headers = other.auth("test")

    attempts = [
        app_client.get(f"/v1/customers/{cid}", headers=headers),
        app_client.get(f"/v1/customers/{customer['email']}", headers=headers),
        app_client.patch(f"/v1/customers/{cid}", json={"first_name": "X"}, headers=headers),
        app_client.put(f"/v1/customers/{cid}", json={"first_name": "X"}, headers=headers),
        app_client.post(f"/v1/customers/{cid}/archive", headers=headers),
        app_client.post(
            f"/v1/customers/{cid}/blacklist", json={"blacklist": True}, headers=headers
        ),
        app_client.delete(f"/v1/customers/{cid}", headers=headers),
    ]
    for attempt in attempts:
        response = await attempt
        assert response.status_code == 404, response.text
        assert response.json()["error"]["type"] == "customer_not_found"

    listed = await app_client.get("/v1/customers", headers=headers)
    assert listed.json()["data"] == []

    # Nothing was changed by the other organization.
    own = await app_client.get(f"/v1/customers/{cid}", headers=org.auth("test"))
    assert own.status_code == 200
    data = own.json()["data"]
    assert data["status"] == "active"
    assert data["first_name"] == customer["first_name"]
    assert data["blacklisted"] is False


# --- Advancly's client-id + api-key -------------------------------------------------------


async def test_client_id_and_api_key_headers_authenticate(
    app_client: httpx.AsyncClient, org: Org
) -> None:
    headers = {"client-id": str(org.id), "api-key": org.live_key}
    data = await create(app_client, headers)
    assert data["environment"] == "live"
    assert data["organization_id"] == str(org.id)
    fetched = await app_client.get(f"/v1/customers/{data['id']}", headers=headers)
    assert fetched.status_code == 200


async def test_client_id_of_another_organization_is_401_invalid_client_id(
    app_client: httpx.AsyncClient, org: Org, database: Database
) -> None:
    other = await make_org(database, "Other Bank")
    response = await app_client.get(
        "/v1/customers", headers={"client-id": str(other.id), "api-key": org.test_key}
    )
    assert_401(response, "invalid_client_id")


async def test_api_key_without_client_id_is_401_missing_client_id(
    app_client: httpx.AsyncClient, org: Org
) -> None:
    response = await app_client.get("/v1/customers", headers={"api-key": org.test_key})
    assert_401(response, "missing_client_id")


# --- Both ways at once --------------------------------------------------------------------


async def test_bearer_with_a_different_api_key_is_401_conflicting_credentials(
    app_client: httpx.AsyncClient, org: Org, database: Database
) -> None:
    other = await make_org(database, "Other Bank")
    disagreeing = [
        # The other environment's key of the same organization.
        {**bearer(org.test_key), "client-id": str(org.id), "api-key": org.live_key},
        # Another organization's pair.
        {**bearer(org.test_key), "client-id": str(other.id), "api-key": other.test_key},
        # Another organization's key, without a client-id.
        {**bearer(org.test_key), "api-key": other.test_key},
        # The same key, but a client-id naming another organization.
        {**bearer(org.test_key), "client-id": str(other.id), "api-key": org.test_key},
        {**bearer(org.test_key), "client-id": str(other.id)},
    ]
    for headers in disagreeing:
        response = await app_client.get("/v1/customers", headers=headers)
        assert_401(response, "conflicting_credentials")
        assert "send one of them" in response.json()["message"]
        created = await app_client.post(
            "/v1/customers", json=factories.individual(), headers=headers
        )
        assert_401(created, "conflicting_credentials")
    for owner in (org, other):
        for environment in ("test", "live"):
            listed = await app_client.get("/v1/customers", headers=owner.auth(environment))
            assert listed.json()["meta"]["item_count"] == 0

    # Both ways naming the same key (and its organization) agree: no conflict.
    agreeing = [
        {**bearer(org.live_key), "client-id": str(org.id), "api-key": org.live_key},
        {**bearer(org.live_key), "api-key": org.live_key},
        {**bearer(org.live_key), "client-id": str(org.id).upper()},
    ]
    for headers in agreeing:
        data = await create(app_client, headers)
        assert data["environment"] == "live"
        assert data["organization_id"] == str(org.id)


# --- Failures -----------------------------------------------------------------------------


async def test_missing_key_is_401_missing_api_key_with_www_authenticate(
    app_client: httpx.AsyncClient, org: Org
) -> None:
    response = await app_client.get("/v1/customers")
    assert_401(response, "missing_api_key")
    created = await app_client.post("/v1/customers", json=factories.individual())
    assert_401(created, "missing_api_key")


async def test_wrong_key_is_401_invalid_api_key(app_client: httpx.AsyncClient, org: Org) -> None:
    response = await app_client.get("/v1/customers", headers=bearer(fake_secret("test")))
    assert_401(response, "invalid_api_key")
    # A real key with a character changed is just as wrong.
    tampered = org.test_key[:-1] + ("a" if org.test_key[-1] != "a" else "b")
    response = await app_client.get("/v1/customers", headers=bearer(tampered))
    assert_401(response, "invalid_api_key")


async def test_basic_authorization_is_401_invalid_authorization_header(
    app_client: httpx.AsyncClient, org: Org
) -> None:
    response = await app_client.get("/v1/customers", headers={"Authorization": "Basic xxx"})
    assert_401(response, "invalid_authorization_header")
    response = await app_client.get("/v1/customers", headers={"Authorization": org.test_key})
    assert_401(response, "invalid_authorization_header")


async def test_key_without_sk_prefix_is_401_invalid_api_key(
    app_client: httpx.AsyncClient, org: Org
) -> None:
    random_part = org.test_key.removeprefix("sk_test_")
    for secret in (random_part, f"pk_test_{random_part}", f"sk_prod_{random_part}"):
        response = await app_client.get("/v1/customers", headers=bearer(secret))
        assert_401(response, "invalid_api_key")


async def test_revoked_key_fails_on_next_request_while_other_keys_work(
    app_client: httpx.AsyncClient, org: Org, database: Database
) -> None:
    before = await app_client.get("/v1/customers", headers=org.auth("test"))
    assert before.status_code == 200

    key_id = await key_id_of(database, org.test_key)
    async with database.write_session() as session:
        await revoke_key(session, key_id)

    after = await app_client.get("/v1/customers", headers=org.auth("test"))
    assert_401(after, "revoked_api_key")
    advancly = await app_client.get(
        "/v1/customers", headers={"client-id": str(org.id), "api-key": org.test_key}
    )
    assert_401(advancly, "revoked_api_key")

    still = await app_client.get("/v1/customers", headers=org.auth("live"))
    assert still.status_code == 200, still.text


# --- Storage of keys ----------------------------------------------------------------------


async def test_keys_are_stored_only_as_a_hash(org: Org, database: Database) -> None:
    for environment, secret in (("test", org.test_key), ("live", org.live_key)):
        assert re.fullmatch(rf"sk_{environment}_[A-Za-z0-9]{{32,}}", secret), secret
    assert org.test_key.removeprefix("sk_test_") != org.live_key.removeprefix("sk_live_")

    async with database.read_session() as session:
        rows = (await session.execute(text("SELECT * FROM api_keys"))).mappings().all()
        hashes = (await session.scalars(select(APIKey.key_hash))).all()
    assert len(rows) == 2
    assert sorted(hashes) == sorted([sha256_hex(org.test_key), sha256_hex(org.live_key)])
    for row in rows:
        dumped = " ".join(str(value) for value in row.values())
        for secret in (org.test_key, org.live_key):
            assert row["key_hash"] != secret
            assert secret not in dumped
            assert secret.split("_", 2)[2] not in dumped


async def test_secrets_are_random_between_organizations(database: Database) -> None:
    first = await make_org(database, "One")
    second = await make_org(database, "Two")
    assert len({first.test_key, first.live_key, second.test_key, second.live_key}) == 4


# --- Envelopes ----------------------------------------------------------------------------


async def test_401_has_the_error_envelope(app_client: httpx.AsyncClient) -> None:
    response = await app_client.get("/v1/customers", headers={"X-Request-ID": "req-auth-1"})
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"success", "message", "error"}
    assert body["success"] is False
    assert isinstance(body["message"], str)
    assert body["message"]
    assert {"type", "fields", "request_id"} <= set(body["error"])
    assert body["error"]["type"] == "missing_api_key"
    assert body["error"]["fields"] == []
    assert body["error"]["request_id"] == "req-auth-1"
    assert response.headers["X-Request-ID"] == "req-auth-1"


async def test_unknown_route_is_404_envelope(app_client: httpx.AsyncClient, org: Org) -> None:
    for headers in ({}, org.auth("test")):
        response = await app_client.get("/v1/no-such-thing", headers=headers)
        assert response.status_code == 404
        body = response.json()
        assert set(body) == {"success", "message", "error"}
        assert body["success"] is False
        assert body["error"]["type"] == "not_found"
        assert body["error"]["fields"] == []
        assert body["error"]["request_id"] == response.headers["X-Request-ID"]


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER"])
async def test_bearer_scheme_is_case_insensitive(
    app_client: httpx.AsyncClient, org: Org, scheme: str
) -> None:
    response = await app_client.get(
        "/v1/customers", headers={"Authorization": f"{scheme} {org.test_key}"}
    )
    assert response.status_code == 200, response.text


async def test_the_read_by_key_checks_the_key_it_is_folded_with(
    app_client: httpx.AsyncClient, org: Org, database: Database
) -> None:
    """On PostgreSQL the key check and the read by id are one statement: every refusal must
    still hold, and the customer must never leak through a failed check."""
    data = await create(app_client, org.auth("test"))
    path = f"/v1/customers/{data['id']}"
    other = await make_org(database, "Other Bank")

    assert (await app_client.get(path, headers=org.auth("test"))).status_code == 200
    by_email = await app_client.get(f"/v1/customers/{data['email']}", headers=org.auth("test"))
    assert by_email.json()["data"]["id"] == data["id"]
    for headers in (other.auth("test"), org.auth("live")):
        missing = await app_client.get(path, headers=headers)
        assert missing.status_code == 404
        assert data["email"] not in missing.text
    refusals = [
        (bearer(fake_secret("test")), "invalid_api_key"),
        ({"client-id": str(other.id), "api-key": org.test_key}, "invalid_client_id"),
        ({**bearer(org.test_key), "client-id": str(other.id)}, "conflicting_credentials"),
        ({}, "missing_api_key"),
    ]
    for headers, error_type in refusals:
        response = await app_client.get(path, headers=headers)
        assert_401(response, error_type)
        assert data["email"] not in response.text

    async with database.write_session() as session:
        await revoke_key(session, await key_id_of(database, org.test_key))
    revoked = await app_client.get(path, headers=org.auth("test"))
    assert_401(revoked, "revoked_api_key")
    assert data["email"] not in revoked.text
