"""Idempotent requests: the `Idempotency-Key` header on every write under /v1, on SQLite and on
PostgreSQL (replay, reuse, in progress, concurrency, scoping, expiry, what is and is not
stored)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI
from sqlalchemy import text

from customerbase.app import create_app
from customerbase.config import Settings
from customerbase.kit import idempotency
from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database, create_database
from customerbase.kit.envelope import OrjsonResponse, ok
from customerbase.kit.idempotency_store import IdempotencyStore
from customerbase.organizations import auth
from tests import factories
from tests.cli_support import Server, cli_env, run_cli
from tests.conftest import TEST_SECRET, Org, make_org

BOUND = 30  # seconds: no test step may take longer


def created_org(response: httpx.Response) -> uuid.UUID:
    return uuid.UUID(response.json()["data"]["organization_id"])


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


async def scalar(database: Database, sql: str, **params: Any) -> Any:
    async with database.read_session() as session:
        return (await session.execute(text(sql), params)).scalar()


async def stored_keys(database: Database) -> int:
    return int(await scalar(database, "SELECT count(*) FROM idempotency_keys"))


async def customers(database: Database) -> int:
    return int(await scalar(database, "SELECT count(*) FROM customers"))


def assert_replay_of(replay: httpx.Response, first: httpx.Response) -> None:
    assert replay.status_code == first.status_code
    assert replay.content == first.content
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.headers["content-type"] == first.headers["content-type"]
    assert replay.headers["original-request-id"] == first.headers["x-request-id"]
    assert replay.headers["x-request-id"] != first.headers["x-request-id"]
    assert replay.headers["cache-control"] == "no-store"


class Gate:
    """A write route added to the app after it was built: it waits at the gate until opened."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.opened = asyncio.Event()
        self.calls = 0
        self.fail_first = False

    async def handler(self) -> OrjsonResponse:
        self.calls += 1
        self.entered.set()
        await self.opened.wait()
        if self.fail_first and self.calls == 1:
            raise RuntimeError("a fault of ours")
        return ok({"call": self.calls}, "Done", status_code=201)


@pytest_asyncio.fixture(loop_scope="session")
async def gated(
    settings: Settings, database: Database, org: Org
) -> AsyncIterator[tuple[httpx.AsyncClient, Gate, FastAPI]]:
    app = create_app(settings, database=database)
    gate = Gate()
    app.add_api_route("/v1/gated", gate.handler, methods=["POST"])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://testserver", headers=org.auth()
    ) as client:
        yield client, gate, app


# --- Replay -------------------------------------------------------------------------------


async def test_a_retried_create_replays_the_first_answer_with_idempotent_replayed_true(
    client: httpx.AsyncClient, database: Database
) -> None:
    payload = factories.individual(bvn="22212345678")
    first = await client.post("/v1/customers", json=payload, headers=key("create-1"))
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers

    again = await client.post("/v1/customers", json=payload, headers=key("create-1"))

    assert_replay_of(again, first)
    assert again.json()["data"]["bvn"] == "*******5678"  # the stored answer is masked
    assert await customers(database) == 1
    assert await stored_keys(database) == 1


async def test_key_order_and_spacing_of_a_json_body_do_not_make_another_request(
    client: httpx.AsyncClient,
) -> None:
    payload = factories.individual()
    first = await client.post("/v1/customers", json=payload, headers=key("order"))
    reordered = json.dumps(dict(reversed(list(payload.items()))), indent=2)
    again = await client.post(
        "/v1/customers",
        content=reordered,
        headers={**key("order"), "Content-Type": "application/json"},
    )
    assert_replay_of(again, first)


async def test_the_stored_response_holds_no_request_body_only_its_fingerprint(
    client: httpx.AsyncClient, database: Database
) -> None:
    payload = factories.individual(bvn="41592653589", date_of_birth="1971-04-23")
    created = await client.post("/v1/customers", json=payload, headers=key("no-body"))
    assert created.status_code == 201
    async with database.read_session() as session:
        row = (await session.execute(text("SELECT * FROM idempotency_keys"))).one()
    stored = " ".join(
        bytes(v).decode("latin-1") if isinstance(v, bytes | memoryview) else str(v) for v in row
    )
    assert "41592653589" not in stored
    assert "1971-04-23" not in stored
    assert len(row.fingerprint) == 64
    assert set(row.fingerprint) <= set("0123456789abcdef")
    # Sealed with the vault: it opens to exactly the answer that was sent.
    opened = Vault(TEST_SECRET).decrypt(
        bytes(row.response_body), organization_id=created_org(created), field="idempotency_response"
    )
    assert opened.encode("latin-1") == created.content


# --- Reuse --------------------------------------------------------------------------------


async def test_the_same_key_with_another_body_path_or_method_is_a_422_idempotency_key_reused(
    client: httpx.AsyncClient, database: Database
) -> None:
    first = await client.post("/v1/customers", json=factories.individual(), headers=key("k"))
    assert first.status_code == 201
    customer_id = first.json()["data"]["id"]

    other_body = await client.post("/v1/customers", json=factories.individual(), headers=key("k"))
    other_path = await client.post(f"/v1/customers/{customer_id}/archive", headers=key("k"))
    other_method = await client.patch(
        f"/v1/customers/{customer_id}", json={"first_name": "Tunde"}, headers=key("k")
    )

    for response in (other_body, other_path, other_method):
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["type"] == "idempotency_key_reused"
        assert [f["field"] for f in error["fields"]] == ["Idempotency-Key"]
        assert "idempotent-replayed" not in response.headers
    assert await customers(database) == 1
    archived = await client.get(f"/v1/customers/{customer_id}")
    assert archived.json()["data"]["status"] == "active"
    assert archived.json()["data"]["first_name"] == "Ayo"


# --- In progress --------------------------------------------------------------------------


async def test_a_key_still_running_is_a_409_with_retry_after_once_the_wait_is_over(
    gated: tuple[httpx.AsyncClient, Gate, FastAPI],
    monkeypatch: pytest.MonkeyPatch,
    database: Database,
) -> None:
    client, gate, _ = gated
    first = asyncio.create_task(client.post("/v1/gated", json={"a": 1}, headers=key("slow")))
    await asyncio.wait_for(gate.entered.wait(), BOUND)
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.05)

    busy = await client.post("/v1/gated", json={"a": 1}, headers=key("slow"))

    assert busy.status_code == 409, busy.text
    assert busy.json()["error"]["type"] == "idempotency_key_in_progress"
    assert busy.headers["retry-after"] == "1"
    assert gate.calls == 1
    gate.opened.set()
    done = await asyncio.wait_for(first, BOUND)
    assert done.status_code == 201
    replay = await client.post("/v1/gated", json={"a": 1}, headers=key("slow"))
    assert_replay_of(replay, done)
    assert gate.calls == 1
    assert await stored_keys(database) == 1


async def test_a_retry_while_the_first_runs_waits_and_gets_the_first_answer(
    gated: tuple[httpx.AsyncClient, Gate, FastAPI], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, gate, _ = gated
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", BOUND)
    looked = asyncio.Event()
    find = IdempotencyStore.find

    async def find_and_tell(self: IdempotencyStore, *args: Any) -> Any:
        found = await find(self, *args)
        if found is not None and found.status_code is None:
            looked.set()  # the retry has seen the key in progress and goes on to wait
        return found

    monkeypatch.setattr(IdempotencyStore, "find", find_and_tell)
    first = asyncio.create_task(client.post("/v1/gated", headers=key("wait")))
    await asyncio.wait_for(gate.entered.wait(), BOUND)
    retry = asyncio.create_task(client.post("/v1/gated", headers=key("wait")))
    await asyncio.wait_for(looked.wait(), BOUND)
    gate.opened.set()

    done, replay = await asyncio.wait_for(asyncio.gather(first, retry), BOUND)

    assert done.status_code == 201
    assert_replay_of(replay, done)
    assert gate.calls == 1


async def test_a_key_whose_request_never_finished_is_taken_over_after_the_lock_timeout(
    client: httpx.AsyncClient, database: Database, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that died mid-request leaves its claim behind: a retry after LOCK_TIMEOUT
    runs the request (a retry before it waits, then gets the 409)."""
    store = IdempotencyStore(database)
    payload = factories.individual()
    probe = await client.post("/v1/customers", json=payload, headers=key("probe"))
    fingerprint = await scalar(
        database, "SELECT fingerprint FROM idempotency_keys WHERE key = 'probe'"
    )
    await client.delete(f"/v1/customers/{probe.json()['data']['id']}")  # frees the email
    started = datetime.now(UTC) - idempotency.LOCK_TIMEOUT + timedelta(seconds=30)
    assert await store.claim(org.id, "test", "dead", fingerprint, "req_dead", started) is not None
    # The claim was for this very request: the fingerprint covers method, path and body only.
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.05)
    early = await client.post("/v1/customers", json=payload, headers=key("dead"))
    assert early.status_code == 409, early.text

    monkeypatch.setattr(idempotency, "utcnow", lambda: datetime.now(UTC) + timedelta(minutes=1))
    late = await client.post("/v1/customers", json=payload, headers=key("dead"))

    assert late.status_code == 201, late.text
    assert "idempotent-replayed" not in late.headers


# --- Concurrency --------------------------------------------------------------------------


async def test_100_concurrent_retries_of_one_create_give_one_customer_and_identical_answers(
    settings: Settings,
    database: Database,
    database_url: str,
    org: Org,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two app instances with their own pools and write connections stand for two server
    processes: a waiter in the other one polls instead of being woken."""
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", BOUND)
    other_database = create_database(database_url, pool_size=20, max_overflow=40)
    payload = factories.individual(bvn="22233344455", reference="one-of-100")
    try:
        clients = [
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=create_app(settings, database=db)),
                base_url="http://testserver",
                headers={**org.auth(), **key("the-one-create")},
            )
            for db in (database, other_database)
        ]
        responses = await asyncio.wait_for(
            asyncio.gather(
                *(clients[n % 2].post("/v1/customers", json=payload) for n in range(100))
            ),
            BOUND * 2,
        )
        for client in clients:
            await client.aclose()
    finally:
        await other_database.dispose()

    assert [r.status_code for r in responses] == [201] * 100
    assert len({r.content for r in responses}) == 1
    replayed = [r.headers.get("idempotent-replayed") for r in responses]
    assert replayed.count("true") == 99
    assert replayed.count(None) == 1
    assert await customers(database) == 1
    assert await stored_keys(database) == 1


# --- The key itself -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("k" * 256, "must be at most 255 characters"),
        ("", "must not be empty"),
        (b"caf\xe9", "must be printable ASCII characters"),
        (b"a\x01b", "must be printable ASCII characters"),
    ],
    ids=["too-long", "empty", "latin-1", "control"],
)
async def test_an_invalid_key_is_a_422_naming_the_header(
    client: httpx.AsyncClient, database: Database, value: str | bytes, message: str
) -> None:
    response = await client.post(
        "/v1/customers", json=factories.individual(), headers={"Idempotency-Key": value}
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["type"] == "validation_error"
    assert response.json()["error"]["fields"] == [{"field": "Idempotency-Key", "message": message}]
    assert await customers(database) == 0


async def test_a_key_of_255_printable_characters_is_accepted(client: httpx.AsyncClient) -> None:
    value = "".join(chr(32 + n % 95) for n in range(255)).strip() + "xyz"
    value = value[-255:]
    payload = factories.individual()
    first = await client.post("/v1/customers", json=payload, headers=key(value))
    assert first.status_code == 201, first.text
    assert_replay_of(await client.post("/v1/customers", json=payload, headers=key(value)), first)


# --- Scope --------------------------------------------------------------------------------


async def test_the_same_key_in_another_organization_or_environment_is_independent(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    other = await make_org(database, "Other Microfinance Bank")
    ours = await client.post("/v1/customers", json=factories.individual(), headers=key("shared"))
    theirs = await client.post(
        "/v1/customers",
        json=factories.individual(),
        headers={**key("shared"), **other.auth()},
    )
    live = await client.post(
        "/v1/customers", json=factories.individual(), headers={**key("shared"), **org.auth("live")}
    )

    for response in (ours, theirs, live):
        assert response.status_code == 201, response.text
        assert "idempotent-replayed" not in response.headers
    assert len({r.json()["data"]["id"] for r in (ours, theirs, live)}) == 3
    assert await stored_keys(database) == 3


async def test_the_api_key_advancly_headers_share_the_scope_of_the_bearer_key(
    app_client: httpx.AsyncClient, org: Org
) -> None:
    payload = factories.individual()
    first = await app_client.post(
        "/v1/customers", json=payload, headers={**org.auth(), **key("both")}
    )
    again = await app_client.post(
        "/v1/customers",
        json=payload,
        headers={"client-id": str(org.id), "api-key": org.test_key, **key("both")},
    )
    assert_replay_of(again, first)


# --- Expiry -------------------------------------------------------------------------------


async def test_keys_are_kept_24_hours_then_purged(
    client: httpx.AsyncClient, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    t0 = datetime.now(UTC)
    clock = {"now": t0}
    monkeypatch.setattr(idempotency, "utcnow", lambda: clock["now"])
    payload = factories.individual()
    first = await client.post("/v1/customers", json=payload, headers=key("day-old"))
    assert first.status_code == 201
    kept = await client.post("/v1/customers", json=factories.individual(), headers=key("kept"))
    assert kept.status_code == 201

    clock["now"] = t0 + timedelta(hours=23, minutes=59)
    assert_replay_of(
        await client.post("/v1/customers", json=payload, headers=key("day-old")), first
    )

    clock["now"] = t0 + timedelta(hours=24, seconds=1)
    # Met after 24 hours, a key is new again, whatever it was used for.
    fresh = await client.post("/v1/customers", json=factories.individual(), headers=key("kept"))
    assert fresh.status_code == 201, fresh.text
    assert "idempotent-replayed" not in fresh.headers
    # ... and that request's purge removed the other expired key.
    assert (
        await scalar(database, "SELECT count(*) FROM idempotency_keys WHERE key = 'day-old'") == 0
    )
    assert await stored_keys(database) == 1


async def test_purge_expired_deletes_only_keys_older_than_24_hours(
    client: httpx.AsyncClient, database: Database
) -> None:
    for n in range(3):
        response = await client.post(
            "/v1/customers", json=factories.individual(), headers=key(f"p{n}")
        )
        assert response.status_code == 201
    now = datetime.now(UTC)
    assert await idempotency.purge_expired(database, now=now + timedelta(hours=23)) == 0
    assert await stored_keys(database) == 3
    assert await idempotency.purge_expired(database, now=now + timedelta(hours=24, seconds=1)) == 3
    assert await stored_keys(database) == 0


# --- Every write route, and only writes ---------------------------------------------------


async def test_patch_put_archive_and_delete_with_a_key_replay_their_first_answer(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post("/v1/customers", json=factories.individual())
    url = f"/v1/customers/{created.json()['data']['id']}"

    patched = await client.patch(url, json={"first_name": "Tunde"}, headers=key("patch"))
    assert patched.status_code == 200
    assert_replay_of(
        await client.patch(url, json={"first_name": "Tunde"}, headers=key("patch")), patched
    )
    put = await client.put(url, json={"last_name": "Bakare"}, headers=key("put"))
    assert_replay_of(await client.put(url, json={"last_name": "Bakare"}, headers=key("put")), put)

    archived = await client.post(f"{url}/archive", headers=key("archive"))
    assert archived.status_code == 200
    # Without a key, archiving twice is a conflict; with the key, the retry gets the first 200.
    assert (await client.post(f"{url}/archive")).status_code == 409
    assert_replay_of(await client.post(f"{url}/archive", headers=key("archive")), archived)

    await client.post(f"{url}/unarchive")
    erased = await client.delete(url, headers=key("erase"))
    assert erased.status_code == 200
    assert erased.json()["data"]["status"] == "deleted"
    assert_replay_of(await client.delete(url, headers=key("erase")), erased)


async def test_a_route_added_later_is_idempotent_without_opting_in(
    gated: tuple[httpx.AsyncClient, Gate, FastAPI],
) -> None:
    client, gate, _ = gated
    gate.opened.set()
    first = await client.post("/v1/gated", headers=key("later"))
    assert first.status_code == 201
    assert_replay_of(await client.post("/v1/gated", headers=key("later")), first)
    assert gate.calls == 1
    assert (await client.post("/v1/gated")).json()["data"] == {"call": 2}


async def test_get_requests_ignore_the_idempotency_key(
    client: httpx.AsyncClient, database: Database
) -> None:
    created = await client.post("/v1/customers", json=factories.individual())
    url = f"/v1/customers/{created.json()['data']['id']}"
    for value in ("read-1", "read-1", "x" * 300):
        response = await client.get(url, headers=key(value))
        assert response.status_code == 200, response.text
        assert "idempotent-replayed" not in response.headers
    listed = await client.get("/v1/customers", headers=key("read-1"))
    assert listed.status_code == 200
    assert await stored_keys(database) == 0


async def test_an_import_upload_with_a_key_starts_one_job_and_replays_its_202(
    client: httpx.AsyncClient, database: Database
) -> None:
    # Over 1 MiB: the body is spooled to disk, never held in memory, and fingerprinted there.
    csv = "first_name,last_name,email,phone_number,country,metadata.note\n" + (
        f"Ada,Obi,ada@example.com,08031112222,NG,{'n' * (1100 * 1024)}\n"
    )
    headers = {**key("upload"), "Content-Type": "text/csv"}
    first = await client.post("/v1/customers/imports", content=csv, headers=headers)
    assert first.status_code == 202, first.text
    again = await client.post("/v1/customers/imports", content=csv, headers=headers)
    assert_replay_of(again, first)
    assert again.headers["location"] == first.headers["location"]
    assert await scalar(database, "SELECT count(*) FROM customer_imports") == 1
    changed = await client.post("/v1/customers/imports", content=csv + "\n", headers=headers)
    assert changed.json()["error"]["type"] == "idempotency_key_reused"


# --- What is stored -----------------------------------------------------------------------


async def test_a_conflict_is_stored_and_replayed_even_once_it_is_resolved(
    client: httpx.AsyncClient,
) -> None:
    payload = factories.individual()
    holder = await client.post("/v1/customers", json=payload)
    duplicate = await client.post("/v1/customers", json=payload, headers=key("dup"))
    assert duplicate.json()["error"]["type"] == "duplicate_customer"
    await client.delete(f"/v1/customers/{holder.json()['data']['id']}")  # frees the email

    assert_replay_of(
        await client.post("/v1/customers", json=payload, headers=key("dup")), duplicate
    )


async def test_a_refused_body_is_not_stored_so_the_corrected_request_runs_with_the_same_key(
    client: httpx.AsyncClient, database: Database
) -> None:
    refused = await client.post(
        "/v1/customers", json=factories.individual(bvn="12"), headers=key("fix-me")
    )
    assert refused.status_code == 422
    assert await stored_keys(database) == 0
    corrected = factories.individual()
    created = await client.post("/v1/customers", json=corrected, headers=key("fix-me"))
    assert created.status_code == 201, created.text
    assert_replay_of(
        await client.post("/v1/customers", json=corrected, headers=key("fix-me")), created
    )


async def test_a_5xx_is_not_stored_so_the_retry_runs_again(
    gated: tuple[httpx.AsyncClient, Gate, FastAPI], database: Database
) -> None:
    client, gate, _ = gated
    gate.fail_first = True
    gate.opened.set()
    failed = await client.post("/v1/gated", headers=key("flaky"))
    assert failed.status_code == 500
    assert failed.json()["error"]["type"] == "api_error"
    assert await stored_keys(database) == 0

    retried = await client.post("/v1/gated", headers=key("flaky"))
    assert retried.status_code == 201
    assert "idempotent-replayed" not in retried.headers
    assert_replay_of(await client.post("/v1/gated", headers=key("flaky")), retried)
    assert gate.calls == 2


async def test_an_unauthenticated_request_with_a_key_gets_its_401_and_stores_nothing(
    app_client: httpx.AsyncClient, database: Database
) -> None:
    for headers in ({}, {"Authorization": "Bearer sk_test_wrong"}):
        response = await app_client.post(
            "/v1/customers", json=factories.individual(), headers={**headers, **key("anon")}
        )
        assert response.status_code == 401, response.text
    assert await stored_keys(database) == 0


async def test_a_request_with_a_key_looks_its_api_key_up_once(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups = 0
    authenticate_fast = auth.authenticate_fast

    async def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal lookups
        lookups += 1
        return await authenticate_fast(*args, **kwargs)

    monkeypatch.setattr(auth, "authenticate_fast", counting)
    created = await client.post("/v1/customers", json=factories.individual(), headers=key("one"))
    assert created.status_code == 201
    archived = await client.post(
        f"/v1/customers/{created.json()['data']['id']}/archive", headers=key("two")
    )
    assert archived.status_code == 200
    assert lookups == 2


async def test_a_request_without_a_key_stores_nothing(
    client: httpx.AsyncClient, database: Database
) -> None:
    created = await client.post("/v1/customers", json=factories.individual())
    assert created.status_code == 201
    assert await client.post(f"/v1/customers/{created.json()['data']['id']}/archive")
    assert await stored_keys(database) == 0


async def test_the_purge_command_deletes_the_expired_keys(
    tmp_path: Path, database: Database, database_url: str, org: Org
) -> None:
    store = IdempotencyStore(database)
    day_ago = datetime.now(UTC) - timedelta(hours=24, minutes=1)
    await store.claim(org.id, "test", "old", "0" * 64, None, day_ago)
    await store.claim(org.id, "test", "new", "0" * 64, None, datetime.now(UTC))

    result = await run_cli(cli_env(tmp_path / "data", database_url), "idempotency", "purge")

    assert result.code == 0, result.err
    assert json.loads(result.out) == {"purged": 1}
    assert await scalar(database, "SELECT key FROM idempotency_keys") == "new"


@pytest.mark.e2e
async def test_100_concurrent_retries_across_two_server_processes_create_one_customer(
    tmp_path: Path, database: Database, database_url: str, org: Org
) -> None:
    env = cli_env(tmp_path / "data", database_url, CUSTOMERBASE_SECRET_KEY=TEST_SECRET)
    servers = [Server(env, tmp_path / f"server-{n}.log") for n in range(2)]
    payload = factories.individual(reference="across-processes")
    headers = {**org.auth(), **key("across-processes")}
    try:
        for server in servers:
            await server.start()
        async with httpx.AsyncClient(
            timeout=BOUND, limits=httpx.Limits(max_connections=200)
        ) as client:
            responses = await asyncio.wait_for(
                asyncio.gather(
                    *(
                        client.post(
                            f"{servers[n % 2].base_url}/v1/customers", json=payload, headers=headers
                        )
                        for n in range(100)
                    )
                ),
                BOUND * 2,
            )
    finally:
        for server in servers:
            await server.stop()

    # The servers wait WAIT_SECONDS (5 s) for the first answer: on a loaded machine a waiter
    # may give up first, with the 409 that tells it to retry. Every answer that is not that
    # 409 is the one 201, and there is one customer.
    created = [r for r in responses if r.status_code == 201]
    busy = [r for r in responses if r.status_code != 201]
    assert {r.json()["error"]["type"] for r in busy} <= {"idempotency_key_in_progress"}
    assert len(created) >= 1
    assert len({r.content for r in created}) == 1
    assert [r.headers.get("idempotent-replayed") for r in created].count(None) == 1
    assert await customers(database) == 1


async def test_a_replay_records_no_second_event_and_history_names_the_first_request(
    client: httpx.AsyncClient,
) -> None:
    payload = factories.individual()
    created = await client.post(
        "/v1/customers", json=payload, headers={**key("c"), "X-Request-ID": "req-first-create"}
    )
    customer_id = created.json()["data"]["id"]
    url = f"/v1/customers/{customer_id}"
    patch = {"first_name": "Tunde"}
    await client.patch(url, json=patch, headers={**key("u"), "X-Request-ID": "req-first-patch"})
    for _ in range(3):
        assert (
            await client.post("/v1/customers", json=payload, headers=key("c"))
        ).status_code == 201
        assert (await client.patch(url, json=patch, headers=key("u"))).status_code == 200

    history = (await client.get(f"{url}/history")).json()["data"]
    assert [entry["action"] for entry in history] == ["customer.updated", "customer.created"]
    assert [entry["request_id"] for entry in history] == ["req-first-patch", "req-first-create"]
    assert {entry["actor"]["type"] for entry in history} == {"api_key"}
    events = (await client.get("/v1/events", params={"customer": customer_id})).json()["data"]
    assert [event["type"] for event in events] == ["customer.updated", "customer.created"]


async def test_a_read_inside_an_idempotent_request_reuses_the_authenticated_tenant(
    database: Database, org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write route that reads with `authenticated_read` does not look the key up again."""
    scope = {"type": "http", "method": "POST", "path": "/v1/x", "headers": [], "state": {}}
    async with database.fast.connection() as connection:
        resolved = await auth.idempotency_scope(
            {**scope, "headers": [(b"authorization", f"Bearer {org.test_key}".encode())]},
            connection,
        )
    assert resolved == (org.id, "test")

    async def no_lookup(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the key was looked up twice")

    monkeypatch.setattr(auth, "authenticate_fast", no_lookup)
    monkeypatch.setattr(auth, "authenticate_and_read", no_lookup)
    tenant = auth.Tenant(org.id, "test", org.id)
    request = auth.Request({**scope, "state": {auth.AUTHENTICATED_TENANT: tenant}})
    async with database.fast.connection() as connection:
        found, row = await auth.authenticated_read(
            request,
            database.fast,
            connection,
            "SELECT count(*) AS n FROM api_keys WHERE organization_id = $1 AND environment = $2",
        )
        assert await auth.authenticate_request(request, connection) is tenant
    assert found is tenant
    assert row is not None
    assert row["n"] == 1


async def test_a_stored_answer_is_sealed_at_rest(
    client: httpx.AsyncClient, database: Database
) -> None:
    """Answers can carry a secret shown once (a webhook endpoint's `whsec_`): the table holds
    them encrypted, and the replay still answers the same bytes."""
    payload = factories.individual(email="sealed.answer@example.com")
    first = await client.post("/v1/customers", json=payload, headers=key("sealed"))
    assert first.status_code == 201
    async with database.read_session() as session:
        stored = await session.scalar(
            text("SELECT response_body FROM idempotency_keys WHERE key = 'sealed'")
        )
    assert stored is not None
    assert b"sealed.answer" not in bytes(stored)
    again = await client.post("/v1/customers", json=payload, headers=key("sealed"))
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
