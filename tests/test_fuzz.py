"""No 5xx for anything a client can send.

Schemathesis generates requests from the app's own OpenAPI schema for every operation: valid
ones (positive mode) and invalid ones (negative mode: wrong types, broken JSON, unknown fields
...). A thin layer on top makes them reach deeper: half of the path parameters name one of the
seeded customers (active, archived, blacklisted, erased), half of the emails and phone numbers
are made valid so that writes reach the database, and four in five valid requests get one or
two values replaced by nasty ones (NUL, the ends of the date range, integers beyond 64 bits,
`[]` ...). The requests go through the ASGI app, authenticated with the test key, on SQLite and
on PostgreSQL.

Every response must carry X-Request-ID and be below 500; every non-2xx response must be the
error envelope, and a 422 must name at least one field.

Hypothesis runs derandomized (the same requests on every run) in a worker thread, and each
request is sent on the session's event loop, where the database fixtures live; a failure is
shrunk to a minimal request. The regression tests at the end pin the 500s it found once (NUL
characters, integers beyond 64 bits, non-finite numbers, a non-string customer_type, date bounds
at the ends of the range).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

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
EXAMPLES_PER_MODE = 100

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
    "POST /v1/customers/{customer_id}/screening/review",
    "POST /v1/customers/{customer_id}/accounts",
    "GET /v1/customers/{key}/accounts",
    "GET /v1/accounts/{account_id}",
    "POST /v1/accounts/{account_id}/close",
    "POST /v1/customers/{customer_id}/cards",
    "GET /v1/customers/{key}/cards",
    "GET /v1/cards/{card_id}",
    "POST /v1/cards/{card_id}/freeze",
    "POST /v1/cards/{card_id}/unfreeze",
    "POST /v1/cards/{card_id}/terminate",
    "POST /v1/accounts/{account_id}/transactions",
    "GET /v1/accounts/{account_id}/transactions",
    "GET /v1/customers/{key}/transactions",
    "GET /v1/transactions/{transaction_id}",
    "GET /v1/customers/{key}/summary",
    "POST /v1/customers/{customer_id}/data/orders",
    "POST /v1/customers/{customer_id}/data/stock",
    "GET /v1/customers/{key}/insights",
    "GET /v1/customers/{key}/history",
    "GET /v1/events",
    "GET /v1/events/{event_id}",
    "POST /v1/webhook_endpoints",
    "GET /v1/webhook_endpoints",
    "GET /v1/webhook_endpoints/{endpoint_id}",
    "PATCH /v1/webhook_endpoints/{endpoint_id}",
    "DELETE /v1/webhook_endpoints/{endpoint_id}",
    "POST /v1/webhook_endpoints/{endpoint_id}/disable",
    "POST /v1/webhook_endpoints/{endpoint_id}/enable",
    "POST /v1/webhook_endpoints/{endpoint_id}/rotate_secret",
    "GET /v1/webhook_endpoints/{endpoint_id}/deliveries",
    "POST /v1/webhook_endpoints/{endpoint_id}/deliveries/{delivery_id}/retry",
    "GET /v1/customers/{customer_id}/documents",
    "GET /v1/customers/{customer_id}/documents/{document_id}",
    "DELETE /v1/customers/{customer_id}/documents/{document_id}",
    "POST /v1/customers/{customer_id}/documents/{document_id}/review",
    "GET /v1/customers/{customer_id}/people/{person_id}/documents",
    "GET /v1/customers/{customer_id}/people/{person_id}/documents/{document_id}",
    "DELETE /v1/customers/{customer_id}/people/{person_id}/documents/{document_id}",
    # Onboarding's (listed here when the KYC branch merged it, before onboarding listed them).
    "POST /v1/customers/{customer_id}/people",
    "GET /v1/customers/{customer_id}/people",
    "GET /v1/customers/{customer_id}/people/{person_id}",
    "PATCH /v1/customers/{customer_id}/people/{person_id}",
    "DELETE /v1/customers/{customer_id}/people/{person_id}",
    "POST /v1/customers/{customer_id}/consents",
    "GET /v1/customers/{customer_id}/consents",
    "POST /v1/customers/{customer_id}/corrections",
    "POST /v1/customers/lookup",
    "GET /v1/customers/{customer_id}/kyc",
    "POST /v1/customers/{customer_id}/kyc/upgrade",
    "POST /v1/customers/{customer_id}/kyc/review",
    "POST /v1/customers/{customer_id}/kyc/link",
    "GET /v1/kyc/tiers",
    "PUT /v1/kyc/tiers",
]
# Operations left to their own tests for now, and why (the harness expects JSON envelopes and
# customer keys): the import's body is a file (text/csv or JSON lines), the export answers CSV
# or JSON lines, import ids are not among the seeded keys. tests/customers/test_imports.py and
# test_export.py pin down their bad inputs (wrong type, unknown column, paging, bad format).
NOT_FUZZED = {
    "POST /v1/customers/imports",
    "GET /v1/customers/export",
    "GET /v1/customers/imports/{import_id}",
    "GET /v1/customers/imports/{import_id}/report",
    # A document upload's body is multipart or base64 JSON, a download answers the file:
    # tests/documents pins down their bad inputs (type, size, base64, names, tenants).
    "POST /v1/customers/{customer_id}/documents",
    "GET /v1/customers/{customer_id}/documents/{document_id}/download",
    "POST /v1/customers/{customer_id}/people/{person_id}/documents",
    "GET /v1/customers/{customer_id}/people/{person_id}/documents/{document_id}/download",
    # Two ids the seed cannot name (a person's, a document's) besides the customer's: too few
    # requests reach a seeded customer; the same code serves the customer's own documents.
}

# Values that have broken services before: NUL, lone escapes and LIKE wildcards, case folding
# that changes length, the ends of the date range, integers beyond 64 bits, wrong shapes.
NASTY: list[Any] = [
    "\x00",
    "a\x00b",
    "",
    " ",
    "%",
    "_",
    "\\",
    "'",
    "İ",
    "ß",
    "\u202e",
    "x" * 600,
    "9999-12-31",
    "9999-12-31T23:59:59.999999",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01",
    "0001-01-01T00:00:00+14:00",
    "00000000-0000-0000-0000-000000000000",
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    2**64,
    -(2**63) - 1,
    1e308,
    -0.0,
    True,
    None,
    [],
    {},
    ["x"],
    {"a": {}},
]

_REQUEST_KWARGS = {"method", "url", "headers", "params", "cookies", "json", "data", "files"}


# --- Requests ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SentRequest:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return unquote(urlsplit(self.url).path)

    @property
    def query(self) -> list[tuple[str, str]]:
        return parse_qsl(urlsplit(self.url).query, keep_blank_values=True)

    def json_body(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def __str__(self) -> str:
        return f"{self.method} {self.url} body={self.body[:500]!r}"


def as_request(case: Any, auth: dict[str, str]) -> SentRequest:
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
    return SentRequest(request.method, request.url, headers, body)


# --- What a response must be -------------------------------------------------------------


def envelope_problems(response: httpx.Response) -> list[str]:
    """What is wrong with a response under the API's conventions (empty when nothing is)."""
    problems: list[str] = []
    status = response.status_code
    if status >= 500:
        problems.append(f"server error {status}")
    request_id = response.headers.get("X-Request-ID")
    if not request_id:
        problems.append("no X-Request-ID header")
    if 300 <= status < 400:
        # Starlette's trailing-slash redirect (`/v1/customers/` with an empty id): not an error.
        return problems if response.headers.get("Location") else [*problems, "no Location"]
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


# --- Generation --------------------------------------------------------------------------


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


def body_fields(raw_schema: dict[str, Any], operation: Any) -> list[str]:
    """The top-level properties of the operation's JSON body, from the OpenAPI document."""
    request_body = raw_schema["paths"][operation.path][operation.method.lower()].get(
        "requestBody", {}
    )
    schema = request_body.get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = raw_schema["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return sorted(schema.get("properties", {}))


def _adjust(
    case: Any,
    data: st.DataObject,
    keys: dict[str, list[str]],
    fields: list[str],
    counts: list[int],
) -> None:
    """Steer a generated case towards the code behind validation, in place."""
    seeded = set()
    for name in list(case.path_parameters):
        if keys.get(name) and data.draw(st.booleans(), label=f"seeded {name}"):
            case.path_parameters[name] = data.draw(st.sampled_from(keys[name]))
            seeded.add(name)
    body = case.body
    if isinstance(body, dict) and data.draw(st.booleans(), label="valid contact"):
        n = data.draw(st.integers(0, 9), label="contact number")
        for field, value in (
            ("email", f"fuzz.{n}@example.com"),
            ("phone_number", factories.nigerian_phone(n)),
        ):
            if field in body or case.path == "/v1/customers":
                body[field] = value
        if case.path == "/v1/customers":
            body.setdefault("country", "NG")
            for field, value in (
                ("first_name", "Ada"),
                ("last_name", "Obi"),
                ("company_name", "Obi Ltd"),
            ):
                if not isinstance(body.get(field), str) or not body[field].strip():
                    body[field] = value
    # `counts` says how many values (path parameters, any query parameter, body fields,
    # metadata or address values) become nasty ones; query and path values are text.
    targets: list[tuple[dict[str, Any], str]] = [
        (case.path_parameters, key) for key in case.path_parameters if key not in seeded
    ]
    targets += [(case.query, parameter.name) for parameter in case.operation.query]
    if isinstance(body, dict):
        targets += [(body, field) for field in fields]
        for nested in ("metadata", "address"):
            if nested in fields:
                if not isinstance(body.get(nested), dict):
                    body[nested] = {"city": "Lagos"} if nested == "address" else {"k": "v"}
                targets += [(body[nested], key) for key in body[nested]]
    if not targets:
        return
    for _ in range(data.draw(st.sampled_from(counts), label="nasty values")):
        container, key = data.draw(st.sampled_from(targets), label="nasty target")
        nasty = data.draw(st.sampled_from(NASTY), label="nasty value")
        if container is case.path_parameters or container is case.query:
            nasty = nasty if isinstance(nasty, str) else json.dumps(nasty)
        container[key] = nasty


async def fuzz(
    operation: Any,
    fields: list[str],
    client: httpx.AsyncClient,
    auth: dict[str, str],
    keys: dict[str, list[str]],
    backend: str,
) -> None:
    """Run Hypothesis over the operation. Raises (with the shrunk request) on the first
    response that breaks the conventions."""
    loop = asyncio.get_running_loop()
    on_seeded = 0

    def send(request: SentRequest) -> httpx.Response:
        coroutine = client.request(
            request.method, request.url, headers=request.headers, content=request.body
        )
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=60)

    def run(mode: GenerationMode) -> None:
        @given(data=st.data())
        @settings(
            max_examples=EXAMPLES_PER_MODE,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.generate, Phase.shrink],
            suppress_health_check=list(HealthCheck),
        )
        def check(data: st.DataObject) -> None:
            nonlocal on_seeded
            case = data.draw(operation.as_strategy(generation_mode=mode), label="case")
            counts = [0, 1, 1, 1, 2] if mode is GenerationMode.POSITIVE else [0]
            _adjust(case, data, keys, fields, counts)
            on_seeded += any(v in keys.get(n, ()) for n, v in case.path_parameters.items())
            request = as_request(case, auth)
            response = send(request)
            problems = envelope_problems(response)
            assert not problems, (
                f"{mode.value}: {request} -> {response.status_code} {response.text[:500]}: "
                + "; ".join(problems)
            )

        check()

    for mode in _modes(operation):
        await asyncio.to_thread(run, mode)
    if operation.path_parameters:
        # The seeded customers are really exercised, not only random keys.
        assert on_seeded >= EXAMPLES_PER_MODE // 4, on_seeded


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
    # Accounts of the active, the archived and the blacklisted customer; a card and a posting.
    accounts = []
    for customer_id in ids[:4]:
        response = await client.post(f"/v1/customers/{customer_id}/accounts", json={})
        assert response.status_code == 201, response.text
        accounts.append(response.json()["data"]["id"])
    response = await client.post(
        f"/v1/customers/{ids[0]}/cards", json={"account_id": accounts[0], "brand": "visa"}
    )
    assert response.status_code == 201, response.text
    cards = [response.json()["data"]["id"]]
    response = await client.post(
        f"/v1/accounts/{accounts[0]}/transactions",
        json={"direction": "credit", "amount": 1000, "currency": "NGN", "reference": "fuzz-1"},
    )
    assert response.status_code == 201, response.text
    transactions = [response.json()["data"]["id"]]
    for path, body in (
        (f"/v1/customers/{ids[2]}/archive", None),
        (f"/v1/customers/{ids[3]}/blacklist", {"blacklist": True, "reason": "fraud"}),
    ):
        response = await client.post(path, json=body)
        assert response.status_code == 200, response.text
    response = await client.delete(f"/v1/customers/{ids[4]}")
    assert response.status_code == 200, response.text
    lookups = ids + [c["reference"] for c in created[:2]] + [created[0]["email"]]
    events = await client.get("/v1/events", params={"take": 5})
    assert events.status_code == 200, events.text
    endpoints = []
    for url in ("https://8.8.8.8/hooks", "http://1.1.1.1:8080/in"):
        response = await client.post(
            "/v1/webhook_endpoints", json={"url": url, "events": ["customer.*"]}
        )
        assert response.status_code == 201, response.text
        endpoints.append(response.json()["data"]["id"])
    return {
        "endpoint_id": endpoints,
        "customer_id": ids,
        "key": lookups,
        "event_id": [event["id"] for event in events.json()["data"]],
        "account_id": accounts,
        "card_id": cards,
        "transaction_id": transactions,
    }


# --- Tests -------------------------------------------------------------------------------


def test_every_operation_is_fuzzed() -> None:
    app = create_app(Settings(secret_key=TEST_SECRET))
    labels = {result.ok().label for result in _schema(app).get_all_operations()}
    assert labels == set(OPERATIONS) | NOT_FUZZED


@pytest.mark.parametrize("label", OPERATIONS)
async def test_no_5xx_and_the_error_envelope_for_generated_requests(
    label: str, backend: str, settings: Settings, database: Database, org: Org
) -> None:
    app = create_app(settings, database=database)
    raw_schema = app.openapi()
    operation = _operation(schemathesis.openapi.from_dict(raw_schema), label)
    auth = org.auth("test")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url=BASE_URL, headers=auth
    ) as client:
        keys = await seed(client)
        await fuzz(operation, body_fields(raw_schema, operation), client, auth, keys, backend)


# --- Regression tests: the requests the fuzzing found answered 5xx ----------------------


async def _create(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/v1/customers", json=factories.individual(**overrides))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _named_fields(response: httpx.Response) -> list[str]:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] == "validation_error"
    return [item["field"] for item in error["fields"]]


NUL_CASES = [
    ("GET", "/v1/customers", {"q": "a\x00b"}, None, "q"),
    ("GET", "/v1/customers", {"reference": "a\x00b"}, None, "reference"),
    ("GET", "/v1/customers", {"email": "a\x00b@example.com"}, None, "email"),
    ("POST", "/v1/customers", None, factories.individual(first_name="A\x00"), "first_name"),
    ("PATCH", "/v1/customers/{id}", None, {"middle_name": "a\x00b"}, "middle_name"),
    ("PATCH", "/v1/customers/{id}", None, {"metadata": {"k": "v\x00"}}, "metadata"),
    ("PATCH", "/v1/customers/{id}", None, {"address": {"city": "x\x00"}}, "address"),
    ("POST", "/v1/customers/{id}/blacklist", None, {"blacklist": True, "reason": "\x00"}, "reason"),
    (
        "POST",
        "/v1/customers/{id}/screening/review",
        None,
        {"decision": "dismiss", "reason": "a\x00"},
        "reason",
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "params", "body", "field"),
    NUL_CASES,
    ids=[f"{case[0]} {case[4]}" for case in NUL_CASES],
)
async def test_a_nul_character_in_a_text_field_is_a_422_naming_the_field(
    client: httpx.AsyncClient,
    method: str,
    path: str,
    params: dict[str, str] | None,
    body: dict[str, Any] | None,
    field: str,
) -> None:
    customer = await _create(client, metadata={"segment": "retail"})
    url = path.format(id=customer["id"])

    response = await client.request(method, url, params=params, json=body)

    assert field in _named_fields(response)
    stored = (await client.get(f"/v1/customers/{customer['id']}")).json()["data"]
    assert stored == customer
    listed = await client.get("/v1/customers")
    assert listed.json()["meta"]["item_count"] == 1


async def test_a_nul_character_in_a_lookup_key_is_a_404(
    client: httpx.AsyncClient, backend: str, request: pytest.FixtureRequest
) -> None:
    await _create(client, reference="ref-1")

    response = await client.get("/v1/customers/ref%00-1")

    assert response.status_code == 404, response.text
    assert response.json()["error"]["type"] == "customer_not_found"


@pytest.mark.parametrize("value", [2**64, -(2**63) - 1], ids=["2**64", "-2**63-1"])
@pytest.mark.parametrize("method", ["POST", "PATCH"])
async def test_a_metadata_integer_beyond_64_bits_is_a_422_naming_metadata(
    client: httpx.AsyncClient, method: str, value: int
) -> None:
    customer = await _create(client, metadata={"segment": "retail"})
    if method == "POST":
        response = await client.post(
            "/v1/customers", json=factories.individual(metadata={"k": value})
        )
    else:
        response = await client.patch(
            f"/v1/customers/{customer['id']}", json={"metadata": {"k": value}}
        )

    assert "metadata" in _named_fields(response)
    listed = (await client.get("/v1/customers")).json()
    assert listed["meta"]["item_count"] == 1
    assert listed["data"][0]["metadata"] == {"segment": "retail"}


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
async def test_a_non_finite_metadata_number_is_a_422_naming_metadata(
    client: httpx.AsyncClient, literal: str
) -> None:
    customer = await _create(client, metadata={"segment": "retail"})

    response = await client.patch(
        f"/v1/customers/{customer['id']}",
        content=f'{{"metadata": {{"score": {literal}}}}}',
        headers={"Content-Type": "application/json"},
    )

    assert "metadata" in _named_fields(response)
    stored = (await client.get(f"/v1/customers/{customer['id']}")).json()["data"]
    assert stored["metadata"] == {"segment": "retail"}


@pytest.mark.parametrize("customer_type", [["individual"], {"type": "individual"}])
async def test_a_customer_type_that_is_not_a_string_is_a_422_naming_it(
    client: httpx.AsyncClient, customer_type: Any
) -> None:
    payload = factories.individual(customer_type=customer_type)

    response = await client.post("/v1/customers", json=payload)

    assert "customer_type" in _named_fields(response)
    assert (await client.get("/v1/customers")).json()["meta"]["item_count"] == 0


@pytest.mark.parametrize(
    ("params", "count"),
    [
        ({"created_to": "9999-12-31"}, 1),
        ({"created_to": "9999-12-31T23:59:59.999999"}, 1),
        ({"created_from": "9999-12-31T23:59:59-14:00"}, 0),
        ({"created_to": "0001-01-01T00:00:00+14:00"}, 0),
    ],
    ids=["to last day", "to last moment", "from after the last moment", "to before the first"],
)
async def test_created_bounds_at_the_ends_of_the_date_range_filter_without_error(
    client: httpx.AsyncClient, params: dict[str, str], count: int
) -> None:
    await _create(client)

    response = await client.get("/v1/customers", params=params)

    assert response.status_code == 200, response.text
    assert response.json()["meta"]["item_count"] == count
