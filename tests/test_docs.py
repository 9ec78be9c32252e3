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
    assert document["components"]["securitySchemes"] == {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "Authorization: Bearer sk_test_... / sk_live_...",
        },
        "client-id": {
            "type": "apiKey",
            "in": "header",
            "name": "client-id",
            "description": "Your organization id, with api-key (Advancly style)",
        },
        "api-key": {
            "type": "apiKey",
            "in": "header",
            "name": "api-key",
            "description": "A secret key, with client-id (Advancly style)",
        },
    }
    # Bearer, OR client-id AND api-key: the pair is one requirement object.
    requirement = [{"bearer": []}, {"client-id": [], "api-key": []}]
    operations = [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]
    authenticated = [(p, m) for p, m, op in operations if p.startswith("/v1/")]
    # customers (9), imports (3), export (1), history, events (2), and what later parts add
    assert len(authenticated) >= 16
    for path, method, operation in operations:
        if path.startswith("/v1/"):
            assert operation["security"] == requirement, (method, path)
        else:
            assert "security" not in operation, (method, path)
