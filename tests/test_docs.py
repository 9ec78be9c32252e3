"""The API documentation is served from this machine: a self-hosted service's docs must work
without the internet (no CDN)."""

from __future__ import annotations

import re

import httpx
import pytest


@pytest.mark.parametrize(
    ("path", "asset"), [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")]
)
async def test_docs_pages_load_their_assets_from_this_server(
    app_client: httpx.AsyncClient, path: str, asset: str
) -> None:
    page = await app_client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert f"/static/docs/{asset}" in sources
    assert all(source.startswith("/") for source in sources), sources
    assert "/openapi.json" in page.text

    script = await app_client.get(f"/static/docs/{asset}")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert len(script.content) > 100_000


async def test_openapi_declares_both_ways_to_authenticate(app_client: httpx.AsyncClient) -> None:
    document = (await app_client.get("/openapi.json")).json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "Authorization: Bearer sk_test_... / sk_live_...",
    }
    assert schemes["api-key"]["in"] == "header"
    assert schemes["api-key"]["name"] == "api-key"
    assert schemes["client-id"]["name"] == "client-id"
    create = document["paths"]["/v1/customers"]["post"]
    assert {"HTTPBearer": []} in create["security"]
