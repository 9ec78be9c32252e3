"""Request bodies are JSON: another media type is a 415 naming the expected one, and a body that
cannot be parsed is a 400 `invalid_json`. Nothing is written either way."""

from __future__ import annotations

import gzip
import json

import httpx

from tests import factories

URL = "/v1/customers"
EXPECTED = "The request body must be JSON, sent with the header 'Content-Type: application/json'"


def assert_error(response: httpx.Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["error"]["type"] == kind
    assert body["error"]["fields"] == []
    assert body["error"]["request_id"] == response.headers["X-Request-ID"]
    message: str = body["message"]
    return message


async def count(client: httpx.AsyncClient) -> int:
    listed = await client.get(URL)
    total: int = listed.json()["meta"]["item_count"]
    return total


async def test_a_body_that_is_not_json_is_415_naming_application_json(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post(URL, json=factories.individual())
    customer_id = created.json()["data"]["id"]
    payload = json.dumps(factories.individual()).encode()
    media_types = [
        "text/plain",
        "application/x-www-form-urlencoded",  # what curl -d sends without -H
        "multipart/form-data; boundary=x",
        "application/xml",
        "application/jsonp",
        None,  # no Content-Type at all
    ]
    for media_type in media_types:
        headers = {"Content-Type": media_type} if media_type else {}
        for method, url in [
            ("POST", URL),
            ("PATCH", f"{URL}/{customer_id}"),
            ("PUT", f"{URL}/{customer_id}"),
            ("POST", f"{URL}/{customer_id}/blacklist"),
        ]:
            request = client.build_request(method, url, content=payload, headers=headers)
            assert ("content-type" in request.headers) == (media_type is not None)
            response = await client.send(request)
            message = assert_error(response, 415, "unsupported_media_type")
            assert message == EXPECTED, (media_type, method, url)
    assert await count(client) == 1
    unchanged = await client.get(f"{URL}/{customer_id}")
    assert unchanged.json()["data"] == created.json()["data"]

    # JSON with parameters, in any case, or as a +json type is JSON.
    for media_type in [
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/merge-patch+json",
    ]:
        response = await client.post(
            URL,
            content=json.dumps(factories.individual()).encode(),
            headers={"Content-Type": media_type, "Content-Encoding": "identity"},
        )
        assert response.status_code == 201, (media_type, response.text)
    # A request without a body needs no Content-Type.
    archived = await client.post(f"{URL}/{customer_id}/archive")
    assert archived.status_code == 200


async def test_a_compressed_body_is_415_when_declared_and_400_when_not(
    client: httpx.AsyncClient,
) -> None:
    compressed = gzip.compress(json.dumps(factories.individual()).encode())
    declared = await client.post(
        URL,
        content=compressed,
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    message = assert_error(declared, 415, "unsupported_media_type")
    assert message == (
        "Content-Encoding 'gzip' is not supported: send the body uncompressed, as application/json"
    )
    assert declared.headers["Accept-Encoding"] == "identity"

    undeclared = await client.post(
        URL, content=compressed, headers={"Content-Type": "application/json"}
    )
    message = assert_error(undeclared, 400, "invalid_json")
    assert message == (
        "The request body is not valid JSON: it is not UTF-8 text (send it uncompressed)"
    )
    assert await count(client) == 0


async def test_a_body_that_cannot_be_parsed_is_400_invalid_json(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post(URL, json=factories.individual())
    customer_id = created.json()["data"]["id"]
    headers = {"Content-Type": "application/json"}
    broken = [
        (b'{"first_name": ', "The request body is not valid JSON: Expecting value at position 15"),
        (
            b"{'a': 1}",
            "The request body is not valid JSON: Expecting property name enclosed in "
            "double quotes at position 1",
        ),
        (
            b"[" * 100_000 + b"]" * 100_000,
            "The request body is not valid JSON: it is nested too deeply",
        ),
        (
            b'{"a": "\xff"}',
            "The request body is not valid JSON: it is not UTF-8 text (send it uncompressed)",
        ),
    ]
    for content, expected in broken:
        for method, url in [("POST", URL), ("PATCH", f"{URL}/{customer_id}")]:
            response = await client.request(method, url, content=content, headers=headers)
            assert assert_error(response, 400, "invalid_json") == expected, (content[:20], method)
    assert await count(client) == 1
