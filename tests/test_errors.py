"""The last resort: an unexpected failure is a 500 envelope with a request id, and its log line
carries no personal data from the request."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from customerbase.customers import service
from tests import factories


async def test_unexpected_error_is_a_500_envelope_with_the_request_id(
    client: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("simulated failure")

    def broken_build(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("simulated failure")

    monkeypatch.setattr(service, "build_customer", broken_build)
    payload = factories.individual(email="secret.person@example.com", bvn="40404040404")
    caplog.set_level(logging.INFO)

    response = await client.post(
        "/v1/customers", json=payload, headers={"X-Request-ID": "trace-500"}
    )

    assert response.status_code == 500
    assert response.headers["X-Request-ID"] == "trace-500"
    assert response.json() == {
        "success": False,
        "message": "An unexpected error occurred; it has been logged",
        "error": {"type": "api_error", "fields": [], "request_id": "trace-500"},
    }
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "unhandled RuntimeError request_id=trace-500" in logged
    assert "secret.person" not in caplog.text
    assert "40404040404" not in caplog.text


async def test_unknown_route_and_wrong_method_use_the_error_envelope(
    client: httpx.AsyncClient,
) -> None:
    missing = await client.get("/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "not_found"
    assert missing.headers["X-Request-ID"]

    wrong = await client.put("/v1/customers")
    assert wrong.status_code == 405
    assert wrong.json()["error"]["type"] == "method_not_allowed"


# A create may carry documents inline (customer_documents): its limit is the documents' (see
# tests/documents); every other JSON body stops at 1 MiB.
PATCH_URL = "/v1/customers/01a1fcd2-80a4-7c1e-9c31-5a3c6f0d1b2e"


async def test_a_body_over_one_mebibyte_is_refused_with_413(client: httpx.AsyncClient) -> None:
    payload = factories.individual(metadata={"note": "x" * 400})
    body = b'{"padding": "' + b"x" * (1024 * 1024) + b'"}'
    response = await client.patch(
        PATCH_URL, content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "payload_too_large"
    assert response.headers["X-Request-ID"]
    accepted = await client.post("/v1/customers", json=payload)
    assert accepted.status_code == 201


async def test_a_body_that_is_not_json_is_refused_naming_the_body(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/v1/customers", content=b"email=a@b.co", headers={"content-type": "text/plain"}
    )
    assert response.status_code in (415, 422)
    assert response.json()["success"] is False
    assert response.headers["X-Request-ID"]


async def test_a_chunked_body_over_the_limit_is_refused_with_413(
    client: httpx.AsyncClient,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"padding": "'
        for _ in range(20):
            yield b"x" * 65536
        yield b'"}'

    response = await client.patch(
        PATCH_URL, content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "payload_too_large"
