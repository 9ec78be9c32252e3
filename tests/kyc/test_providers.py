"""Identity providers: the http provider against a real local HTTP server (timeouts, retries,
not found), and which provider each environment gets."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from customerbase.config import Settings
from customerbase.kit.db import Database
from customerbase.kyc.providers import (
    Claim,
    HttpProvider,
    IdentityProviderUnavailable,
    SandboxProvider,
    provider_for,
)
from tests.conftest import TEST_SECRET, Org
from tests.kyc.conftest import client_with, settings_with
from tests.kyc.support import AYO

RECORD = {
    "first_name": "AYO",
    "middle_name": None,
    "last_name": "OLADEJI",
    "date_of_birth": "1994-04-14",
    "phone_number": "08031234567",
}


class Vendor:
    """A vendor's identity API on a local socket: `behaviour` by number."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, Any], str | None]] = []
        self.failures_before_success = 0
        self.delay = 0.0

    def handler(self) -> type[BaseHTTPRequestHandler]:
        vendor = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                vendor.requests.append((body, self.headers.get("Authorization")))
                if vendor.delay:
                    time.sleep(vendor.delay)
                if vendor.failures_before_success > 0:
                    vendor.failures_before_success -= 1
                    self._send(503, {"error": "busy"})
                elif body["id_number"] == "12345678901":
                    self._send(200, RECORD)
                else:
                    self._send(404, {"error": "not found"})

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler


@pytest.fixture
def vendor() -> Iterator[tuple[Vendor, str]]:
    state = Vendor()
    server = ThreadingHTTPServer(("127.0.0.1", 0), state.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/v1/identity"
    finally:
        server.shutdown()
        server.server_close()


def claim(number: str) -> Claim:
    return Claim("bvn", number, "Ayo", None, "Oladeji", date(1994, 4, 14), "+2348031234567")


async def test_the_http_provider_returns_the_vendors_record(vendor: tuple[Vendor, str]) -> None:
    state, url = vendor
    provider = HttpProvider(url, token="vendor-token", timeout=2, retries=0)
    found = await provider.lookup(claim("12345678901"))
    assert found is not None
    assert (found.last_name, found.date_of_birth) == ("OLADEJI", date(1994, 4, 14))
    assert state.requests == [
        ({"id_type": "bvn", "id_number": "12345678901"}, "Bearer vendor-token")
    ]
    assert await provider.lookup(claim("99999999999")) is None


async def test_the_http_provider_retries_a_busy_vendor(vendor: tuple[Vendor, str]) -> None:
    state, url = vendor
    state.failures_before_success = 2
    provider = HttpProvider(url, timeout=2, retries=2, backoff=0.01)
    assert await provider.lookup(claim("12345678901")) is not None
    assert len(state.requests) == 3


async def test_the_http_provider_gives_up_after_its_retries(vendor: tuple[Vendor, str]) -> None:
    state, url = vendor
    state.failures_before_success = 5
    provider = HttpProvider(url, timeout=2, retries=1, backoff=0.01)
    with pytest.raises(IdentityProviderUnavailable):
        await provider.lookup(claim("12345678901"))
    assert len(state.requests) == 2


async def test_the_http_provider_times_out(vendor: tuple[Vendor, str]) -> None:
    state, url = vendor
    state.delay = 1.0
    provider = HttpProvider(url, timeout=0.2, retries=1, backoff=0.01)
    started = time.monotonic()
    with pytest.raises(IdentityProviderUnavailable):
        await provider.lookup(claim("12345678901"))
    assert time.monotonic() - started < 1.5
    assert len(state.requests) >= 1


def test_live_never_gets_the_sandbox_unless_an_operator_says_so() -> None:
    plain = Settings(secret_key=TEST_SECRET)
    assert isinstance(provider_for(plain, "test"), SandboxProvider)
    with pytest.raises(IdentityProviderUnavailable):
        provider_for(plain, "live")
    configured = Settings(
        secret_key=TEST_SECRET, kyc_http_url="https://vendor.example", kyc_http_token=SecretStr("t")
    )
    assert isinstance(provider_for(configured, "live"), HttpProvider)
    explicit = Settings(secret_key=TEST_SECRET, kyc_provider_live="sandbox")
    assert isinstance(provider_for(explicit, "live"), SandboxProvider)


async def test_an_upgrade_verifies_through_the_http_provider(
    database: Database, org: Org, tmp_path: Path, vendor: tuple[Vendor, str]
) -> None:
    _state, url = vendor
    settings = settings_with(tmp_path / "data", kyc_provider_test="http", kyc_http_url=url)
    async with client_with(settings, database, org) as client:
        customer = (await client.post("/v1/customers", json={**AYO, "first_name": "Ayo"})).json()
        customer_id = customer["data"]["id"]
        response = await client.post(
            f"/v1/customers/{customer_id}/kyc/upgrade", json={"tier": 1, "bvn": "12345678901"}
        )
        assert response.status_code == 200, response.text
        [check] = response.json()["data"]["checks"]
        assert (check["provider"], check["result"]) == ("http", "verified")


async def test_the_live_environment_without_a_provider_answers_503(
    database: Database, org: Org, tmp_path: Path
) -> None:
    async with client_with(settings_with(tmp_path / "data"), database, org) as client:
        client.headers.update(org.auth("live"))
        customer = (await client.post("/v1/customers", json=AYO)).json()["data"]
        response = await client.post(
            f"/v1/customers/{customer['id']}/kyc/upgrade", json={"tier": 1, "bvn": "22200000001"}
        )
        assert response.status_code == 503
        assert response.json()["error"]["type"] == "identity_provider_unavailable"
        overview = (await client.get(f"/v1/customers/{customer['id']}/kyc")).json()["data"]
        assert overview["checks"] == []
