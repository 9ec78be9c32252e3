"""Responses with personal data are not stored by browsers or proxies nor sniffed; the docs
pages run only this server's scripts (and their own inline one, by hash) and are never framed."""

from __future__ import annotations

import base64
import hashlib
import re

import httpx
import pytest

from tests import factories

URL = "/v1/customers"


def assert_private(response: httpx.Response) -> None:
    assert response.headers["Cache-Control"] == "no-store", response.request.url
    assert response.headers["X-Content-Type-Options"] == "nosniff", response.request.url


async def test_every_customer_response_is_no_store_and_nosniff(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient
) -> None:
    created = await client.post(URL, json=factories.individual())
    customer_id = created.json()["data"]["id"]
    responses = [
        created,
        await client.get(URL),
        await client.get(f"{URL}/{customer_id}"),
        await client.patch(f"{URL}/{customer_id}", json={"first_name": "Bola"}),
        await client.post(f"{URL}/{customer_id}/archive"),
        await client.post(f"{URL}/{customer_id}/unarchive"),
        await client.post(f"{URL}/{customer_id}/blacklist", json={"blacklist": False}),
        await client.delete(f"{URL}/{customer_id}"),
        # Errors too: a 409 names an existing customer, a 422 the fields sent.
        await client.post(URL, json=factories.individual(bvn="1")),
        await client.get(f"{URL}/nobody@example.com"),
        await client.post(URL, content=b"{", headers={"Content-Type": "application/json"}),
        await client.patch(f"{URL}/{customer_id}", content=b"x" * (1024 * 1024 + 1)),
        await app_client.get(URL, headers={"Authorization": ""}),
    ]
    statuses = [response.status_code for response in responses]
    assert statuses == [201, 200, 200, 200, 200, 200, 200, 200, 422, 404, 400, 413, 401]
    for response in responses:
        assert_private(response)
        assert "X-Frame-Options" not in response.headers


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
async def test_docs_pages_send_a_content_security_policy_and_deny_framing(
    app_client: httpx.AsyncClient, path: str
) -> None:
    page = await app_client.get(path)
    assert page.status_code == 200
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in page.headers["Content-Security-Policy"].split("; ")
    }
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"]  # the page fetches /openapi.json, nothing else
    # Scripts: this server's, and the page's own inline scripts by their exact hash.
    inline = re.findall(r"<script>(.*?)</script>", page.text, flags=re.DOTALL)
    hashes = [
        f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in inline
    ]
    assert policy["script-src"] == ["'self'", *hashes]
    assert (path == "/docs") == bool(inline)  # Swagger UI starts from an inline script
    # Everything the page loads comes from here, so 'self' covers it.
    for source in re.findall(r'(?:src|href)="([^"]+)"', page.text):
        assert source.startswith("/static/docs/"), source


async def test_docs_assets_and_health_are_nosniff_but_cacheable(
    app_client: httpx.AsyncClient,
) -> None:
    for path in ("/static/docs/swagger-ui-bundle.js", "/openapi.json", "/health"):
        response = await app_client.get(path)
        assert response.status_code == 200
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "Cache-Control" not in response.headers
