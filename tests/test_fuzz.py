"""No 5xx for anything a client can send.

Schemathesis generates requests from the app's own OpenAPI schema, valid ones (positive mode)
and invalid ones (negative mode: wrong types, broken JSON, unknown fields ...), for every
operation. They are sent through the ASGI app, authenticated with the test key, on SQLite and
PostgreSQL, after a few customers have been seeded (active, archived, blacklisted, erased) so
that about half of the requests on `/v1/customers/{...}` name a customer that exists.

Every response must carry X-Request-ID and be below 500; every non-2xx response must be the
error envelope, and a 422 must name at least one field.

The requests are drawn first (Hypothesis, derandomized: the same requests on every run) and
sent afterwards, because the database fixtures live on the session's event loop while
Hypothesis drives a synchronous function.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from customerbase.app import create_app
from customerbase.config import Settings
from customerbase.kit.db import Database
from tests import factories
from tests.conftest import TEST_SECRET, Org

BASE_URL = "http://testserver"
EXAMPLES_PER_MODE = 30

# Every operation of the API. `test_every_operation_is_fuzzed` keeps this list complete.
OPERATIONS = [
    "GET /health",
    "POST /v1/customers",
    "GET /v1/customers",
    "GET /v1/customers/{key}",
    "PATCH /v1/customers/{customer_id}",
    "PUT /v1/customers/{customer_id}",
    "DELETE /v1/customers/{customer_id}",
    "POST /v1/customers/{customer_id}/archive",
    "POST /v1/customers/{customer_id}/unarchive",
    "POST /v1/customers/{customer_id}/blacklist",
]

_REQUEST_KWARGS = {"method", "url", "headers", "params", "cookies", "json", "data", "files"}


def _schema(app: Any) -> Any:
    return schemathesis.openapi.from_dict(app.openapi())


def _operation(schema: Any, label: str) -> Any:
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label == label:
            return operation
    raise AssertionError(f"{label} is not in the OpenAPI schema")


def _modes(operation: Any) -> list[GenerationMode]:
    """Negative data needs something to break: a body or a query. A path parameter that is any
    string cannot be made invalid, so operations with only that get valid data only."""
    if len(operation.body) or len(operation.query):
        return [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    return [GenerationMode.POSITIVE]


def draw_cases(operation: Any, keys: dict[str, list[str]]) -> list[Any]:
    """EXAMPLES_PER_MODE cases per generation mode, the same ones on every run. A path
    parameter is replaced by one of `keys[name]` (a seeded customer's key) half of the time."""
    cases: list[Any] = []
    for mode in _modes(operation):
        override = st.fixed_dictionaries(
            {
                name: st.one_of(st.none(), st.sampled_from(values))
                for name, values in keys.items()
                if values
            }
        )

        @given(case=operation.as_strategy(generation_mode=mode), chosen=override)
        @settings(
            max_examples=EXAMPLES_PER_MODE,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def collect(case: Any, chosen: dict[str, str | None]) -> None:
            for name, value in chosen.items():
                if value is not None and name in case.path_parameters:
                    case.path_parameters[name] = value
            cases.append(case)

        collect()
    return cases


def as_request(case: Any, auth: dict[str, str]) -> tuple[str, str, dict[str, str], bytes]:
    """The exact request schemathesis would send (its requests serialization), as raw parts."""
    kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=auth)
    prepared = requests.Request(**{k: v for k, v in kwargs.items() if k in _REQUEST_KWARGS})
    request = prepared.prepare()
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    assert request.method is not None
    assert request.url is not None
    return request.method, request.url, headers, body


def envelope_problems(response: httpx.Response) -> list[str]:
    """What is wrong with a response under the API's conventions (empty when nothing is)."""
    problems: list[str] = []
    status = response.status_code
    if status >= 500:
        problems.append(f"server error {status}")
    request_id = response.headers.get("X-Request-ID")
    if not request_id:
        problems.append("no X-Request-ID header")
    try:
        body = response.json()
    except ValueError:
        return [*problems, f"body is not JSON: {response.text[:200]!r}"]
    if not isinstance(body, dict):
        return [*problems, f"body is not an object: {body!r}"]
    if 200 <= status < 300:
        if body.get("success") is not True or "data" not in body:
            problems.append("2xx without success=true and data")
        return problems
    if set(body) != {"success", "message", "error"}:
        problems.append(f"error body keys {sorted(body)}")
    if body.get("success") is not False:
        problems.append("success is not false")
    if not isinstance(body.get("message"), str) or not body.get("message"):
        problems.append("message is not a non-empty string")
    error = body.get("error")
    if not isinstance(error, dict):
        return [*problems, "error is not an object"]
    if not isinstance(error.get("type"), str) or not error.get("type"):
        problems.append("error.type is not a non-empty string")
    if error.get("request_id") != request_id:
        problems.append(f"error.request_id {error.get('request_id')!r} != header {request_id!r}")
    fields = error.get("fields")
    if not isinstance(fields, list):
        return [*problems, "error.fields is not a list"]
    for item in fields:
        if (
            not isinstance(item, dict)
            or set(item) != {"field", "message"}
            or not all(isinstance(item[k], str) and item[k] for k in ("field", "message"))
        ):
            problems.append(f"malformed error.fields item {item!r}")
    if status == 422 and not fields:
        problems.append("422 names no field")
    return problems


async def seed(client: httpx.AsyncClient) -> dict[str, list[str]]:
    """Five customers in every state, and the keys a path parameter can name them by."""
    created = []
    for payload in (
        factories.individual(reference="fuzz-ref-1", bvn="12345678901", metadata={"a": 1}),
        factories.business(reference="fuzz-ref-2"),
        factories.individual(reference="fuzz-ref-3"),
        factories.individual(reference="fuzz-ref-4"),
        factories.individual(),
    ):
        response = await client.post("/v1/customers", json=payload)
        assert response.status_code == 201, response.text
        created.append(response.json()["data"])
    ids = [customer["id"] for customer in created]
    for path, body in (
        (f"/v1/customers/{ids[2]}/archive", None),
        (f"/v1/customers/{ids[3]}/blacklist", {"blacklist": True, "reason": "fraud"}),
    ):
        response = await client.post(path, json=body)
        assert response.status_code == 200, response.text
    response = await client.delete(f"/v1/customers/{ids[4]}")
    assert response.status_code == 200, response.text
    lookups = ids + [c["reference"] for c in created[:2]] + [created[0]["email"]]
    return {"customer_id": ids, "key": lookups}


def test_every_operation_is_fuzzed() -> None:
    app = create_app(Settings(secret_key=TEST_SECRET))
    labels = {result.ok().label for result in _schema(app).get_all_operations()}
    assert labels == set(OPERATIONS)


@pytest.mark.parametrize("label", OPERATIONS)
async def test_no_5xx_and_the_error_envelope_for_generated_requests(
    label: str, settings: Settings, database: Database, org: Org
) -> None:
    app = create_app(settings, database=database)
    operation = _operation(_schema(app), label)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url=BASE_URL, headers=org.auth("test")
    ) as client:
        keys = await seed(client)
        cases = draw_cases(operation, keys)
        assert len(cases) >= EXAMPLES_PER_MODE
        on_seeded = 0
        failures: list[str] = []
        for case in cases:
            method, url, headers, body = as_request(case, org.auth("test"))
            on_seeded += any(v in keys["key"] for v in case.path_parameters.values())
            response = await client.request(method, url, headers=headers, content=body)
            problems = envelope_problems(response)
            if problems:
                failures.append(
                    f"{method} {url} body={body[:300]!r} -> {response.status_code} "
                    f"{response.text[:300]}: {'; '.join(problems)}"
                )
    assert not failures, "\n".join(failures)
    if operation.path_parameters:
        # The seeded customers are really exercised, not only random keys.
        assert on_seeded >= len(cases) // 4
