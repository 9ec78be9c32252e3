"""The worker as it runs: `customerbase worker` killed with SIGKILL mid-delivery and restarted,
and the worker embedded in the server process. Both databases."""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from standardwebhooks import Webhook

from customerbase.app import create_app
from customerbase.config import Settings
from customerbase.kit.db import Database
from tests.cli_support import CLI, cli_env
from tests.conftest import TEST_SECRET, Org
from tests.webhooks.support import Receiver
from tests.webhooks.test_delivery import create_customer, register


async def _until(condition: Callable[[], bool], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within} s")
        await asyncio.sleep(0.05)


async def _start_worker(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as output:
        return await asyncio.create_subprocess_exec(
            str(CLI), "worker", env=env, stdout=output, stderr=output
        )


async def test_a_worker_killed_mid_delivery_loses_nothing_and_resends_with_the_same_id(
    client: httpx.AsyncClient,
    receiver: Receiver,
    database_url: str,
    tmp_path: Path,
) -> None:
    receiver.delay = 0.1  # each request is in flight a while: the kill lands mid-delivery
    endpoint = await register(client, receiver.url)
    first_batch = [await create_customer(client) for _ in range(200)]
    env = cli_env(
        tmp_path / "data",
        database_url,
        CUSTOMERBASE_SECRET_KEY=TEST_SECRET,
        CUSTOMERBASE_WEBHOOK_ALLOW_PRIVATE="1",
        CUSTOMERBASE_WEBHOOK_LEASE_SECONDS="16",
    )
    log = tmp_path / "worker.log"
    process = await _start_worker(env, log)
    try:
        # Under load: customers keep coming while the worker delivers.
        second_batch = [await create_customer(client) for _ in range(100)]
        await _until(
            lambda: len(receiver.requests) >= 80 and bool(receiver.unanswered),
            30,
            "first deliveries, some unanswered",
        )
        process.send_signal(signal.SIGKILL)  # while those wait for their answer
        unanswered = set(receiver.unanswered)
        assert await asyncio.wait_for(process.wait(), 10) == -signal.SIGKILL
        at_kill = len(receiver.requests)
        process = await _start_worker(env, log)
        expected = set(first_batch + second_batch)

        def delivered() -> set[str]:
            return {r.json["customer_id"] for r in receiver.requests}

        await _until(lambda: delivered() >= expected, 60, "every event after the restart")

        def resent() -> set[str]:
            counts = Counter(r.webhook_id for r in receiver.requests)
            return {webhook_id for webhook_id, n in counts.items() if n > 1}

        # Those the dead worker never heard back about are sent again when their lease ends.
        await _until(lambda: resent() >= unanswered, 60, "the unanswered ones sent again")
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 20) == 0, log.read_text()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert at_kill < len(expected)  # killed with work left
    ids = Counter(r.webhook_id for r in receiver.requests)
    assert len(ids) == len(expected)  # one event per customer, every one received
    for received in receiver.requests:
        payload = Webhook(endpoint["secret"]).verify(received.body, received.headers)
        assert payload["id"] == received.webhook_id  # a duplicate carries its event's id
    assert unanswered  # the kill landed mid-delivery
    assert "customerbase worker stopped" in log.read_text()


async def test_the_server_process_delivers_with_its_embedded_worker(
    tmp_path: Path, database: Database, org: Org, receiver: Receiver
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        secret_key=TEST_SECRET,
        embedded_worker=True,
        webhook_allow_private=True,
    )
    app = create_app(settings, database=database)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", headers=org.auth()
        ) as client:
            await register(client, receiver.url)
            customer_id = await create_customer(client)
            await _until(lambda: len(receiver.requests) == 1, 10, "the embedded delivery")
    assert receiver.requests[0].json["customer_id"] == customer_id


@pytest.mark.parametrize("flag", ["0", "false"])
def test_the_embedded_worker_is_off_with_the_environment_flag(
    flag: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CUSTOMERBASE_EMBEDDED_WORKER", flag)
    assert Settings().embedded_worker is False
