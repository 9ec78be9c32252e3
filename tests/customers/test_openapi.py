"""The OpenAPI document describes what the API really sends: real responses validate against
the documented models (which forbid unknown keys), so documentation and code cannot drift."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema_rs
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security.base import SecurityBase

from customerbase.app import create_app
from customerbase.config import Settings
from customerbase.customers.schemas import CustomerOut
from customerbase.kit.envelope import Envelope, ErrorEnvelope, ListEnvelope
from tests import factories

RICH = {
    "middle_name": "Tunde",
    "bvn": "22212345678",
    "nin": "33312345678",
    "date_of_birth": "1994-04-14",
    "gender": "male",
    "address": {"street": "1 Marina", "city": "Lagos", "state": "Lagos", "country": "NG"},
    "reference": "doc_1",
    "metadata": {"segment": "retail", "score": 7, "vip": True},
}


async def test_customer_responses_match_the_documented_customer_object(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post("/v1/customers", json=factories.individual(**RICH))
    assert created.status_code == 201, created.text
    Envelope[CustomerOut].model_validate(created.json())
    business = await client.post("/v1/customers", json=factories.business())
    Envelope[CustomerOut].model_validate(business.json())

    listed = await client.get("/v1/customers")
    page = ListEnvelope[CustomerOut].model_validate(listed.json())
    assert len(page.data) == 2

    customer_id = created.json()["data"]["id"]
    erased = await client.delete(f"/v1/customers/{customer_id}")
    assert Envelope[CustomerOut].model_validate(erased.json()).data.status == "deleted"


async def test_error_responses_match_the_documented_error_envelope(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient
) -> None:
    payload = factories.individual()
    await client.post("/v1/customers", json=payload)
    duplicate = await client.post("/v1/customers", json=payload)
    invalid = await client.post("/v1/customers", json={**payload, "bvn": "12"})
    missing = await client.get("/v1/customers/nobody@example.com")
    for response, status in ((duplicate, 409), (invalid, 422), (missing, 404)):
        assert response.status_code == status
        ErrorEnvelope.model_validate(response.json())
    unauthenticated = await app_client.get("/v1/customers", headers={"Authorization": ""})
    assert unauthenticated.status_code == 401
    ErrorEnvelope.model_validate(unauthenticated.json())


async def test_openapi_documents_every_customers_operation_with_its_responses(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    operations = {
        (method.upper(), path): spec
        for path, item in document["paths"].items()
        if path.startswith("/v1/customers")
        for method, spec in item.items()
    }
    # At least these (later parts add their own operations under /v1/customers/{id}/...).
    assert set(operations) >= {
        ("POST", "/v1/customers"),
        ("GET", "/v1/customers"),
        ("GET", "/v1/customers/{key}"),
        ("PATCH", "/v1/customers/{customer_id}"),
        ("PUT", "/v1/customers/{customer_id}"),
        ("DELETE", "/v1/customers/{customer_id}"),
        ("POST", "/v1/customers/{customer_id}/archive"),
        ("POST", "/v1/customers/{customer_id}/unarchive"),
        ("POST", "/v1/customers/{customer_id}/blacklist"),
        ("POST", "/v1/customers/imports"),
        ("GET", "/v1/customers/imports/{import_id}"),
        ("GET", "/v1/customers/imports/{import_id}/report"),
        ("GET", "/v1/customers/export"),
        ("GET", "/v1/customers/{key}/history"),
    }
    for (method, path), spec in operations.items():
        assert spec.get("description") or spec.get("summary"), (method, path)
        assert {"401", "422"} <= set(spec["responses"]), (method, path)
    assert {"201", "409"} <= set(operations[("POST", "/v1/customers")]["responses"])
    assert "404" in operations[("GET", "/v1/customers/{key}")]["responses"]
    assert "CustomerOut" in document["components"]["schemas"]
    body = operations[("POST", "/v1/customers/imports")]["requestBody"]["content"]
    assert set(body) == {"text/csv", "application/x-ndjson"}
    assert {"202", "413", "415"} <= set(operations[("POST", "/v1/customers/imports")]["responses"])


# --- The request schemas carry the server's rules ------------------------------------------


def request_validator(document: dict[str, Any], name: str) -> jsonschema_rs.Validator:
    """A JSON Schema validator for one request schema of the document, as a generated client
    would build it (its $refs point into the document's components)."""
    schema = {**document["components"]["schemas"][name], "components": document["components"]}
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


# (field, value): each refused by the server with a 422 naming the field.
REFUSED: list[tuple[str, Any]] = [
    ("bvn", "2221234567"),
    ("bvn", "222123456789"),
    ("bvn", "2221234567a"),
    ("nin", "3331234567"),
    ("nin", "333-1234567"),
    ("first_name", "x" * 101),
    ("first_name", "   "),
    ("last_name", ""),
    ("middle_name", "x" * 101),
    ("email", "not-an-email"),
    ("email", "a" * 310 + "@example.com"),
    ("phone_number", "abc"),
    ("phone_number", "0" * 33),
    ("country", "Nigeria"),
    ("country", "N1"),
    ("dial_code", "234x"),
    ("dial_code", "+23456"),
    ("customer_type", "robot"),
    ("gender", "robot"),
    ("source", "robot"),
    ("date_of_birth", "14/04/1994"),
    ("address", {"street": "s" * 301}),
    ("address", {"country": "Nigeria"}),
    ("metadata", {f"k{i}": i for i in range(51)}),
    ("metadata", {"k" * 41: 1}),
    ("metadata", {"note": "x" * 501}),
    ("metadata", {"nested": {"a": 1}}),
    ("reference", "r" * 101),
    ("unexpected", 1),
]
ACCEPTED: list[dict[str, Any]] = [
    {"bvn": "22212345678", "nin": "33312345678", "date_of_birth": "1994-04-14"},
    {"customer_type": "corporate", "company_name": "Kola Foods", "first_name": ...},
    {"customer_type": "personal", "gender": "female", "source": "payment"},
    {"country": ..., "phone_number": "+234 803 123 4567"},
    {"dial_code": "+234", "country": ..., "phone_number": "(0803) 123-4567"},
    {"metadata": {"k" * 40: "x" * 500, "n": 1.5, "b": True}, "reference": "r" * 100},
]


async def test_the_create_schema_refuses_what_the_server_refuses(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    validator = request_validator(document, "CustomerCreate")
    for field, value in REFUSED:
        payload = factories.individual(**{field: value})
        response = await client.post("/v1/customers", json=payload)
        assert response.status_code == 422, (field, value, response.text)
        named = {item["field"].split(".")[0] for item in response.json()["error"]["fields"]}
        assert field in named, (field, value, response.text)
        assert not validator.is_valid(payload), (field, value)
    for overrides in ACCEPTED:
        payload = factories.individual(**overrides)
        assert validator.is_valid(payload), overrides
        response = await client.post("/v1/customers", json=payload)
        assert response.status_code == 201, (overrides, response.text)


async def test_the_update_schema_refuses_what_the_server_refuses(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    validator = request_validator(document, "CustomerUpdate")
    created = await client.post("/v1/customers", json=factories.individual())
    url = f"/v1/customers/{created.json()['data']['id']}"
    refused = [
        {"first_name": "x" * 101},
        {"phone_number": "abc"},
        {"email": "nope"},
        {"customer_type": "robot"},
        {"metadata": {"k" * 41: 1}},
        {"bvn": "22212345678"},  # not changeable by update
    ]
    for body in refused:
        response = await client.patch(url, json=body)
        assert response.status_code == 422, (body, response.text)
        assert not validator.is_valid(body), body
    accepted = [{"metadata": {"gone": None, "tier": "gold"}}, {"customer_type": "Personal"}]
    for body in accepted:
        assert validator.is_valid(body), body
        response = await client.patch(url, json=body)
        assert response.status_code == 200, (body, response.text)


async def test_identity_numbers_are_documented_as_eleven_digits(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    properties = document["components"]["schemas"]["CustomerCreate"]["properties"]
    for name in ("bvn", "nin"):
        string = next(s for s in properties[name]["anyOf"] if s.get("type") == "string")
        assert string["pattern"] == "^[0-9]{11}$"
    assert properties["first_name"]["anyOf"][0]["maxLength"] == 100
    assert properties["company_name"]["anyOf"][0]["maxLength"] == 200
    assert properties["phone_number"]["maxLength"] == 32
    gender = document["components"]["schemas"]["Gender"]
    assert gender["enum"] == ["male", "female", "other"]


def test_no_dependency_runs_per_request_only_to_document_security(settings: Settings) -> None:
    app = create_app(settings)

    def calls(dependant: Dependant) -> list[Any]:
        found = [dependant.call]
        for sub in dependant.dependencies:
            found += calls(sub)
        return found

    contexts = [
        c for c in iter_route_contexts(app.routes) if isinstance(c.original_route, APIRoute)
    ]
    assert len(contexts) >= 9
    for context in contexts:
        for call in calls(context.dependant):
            assert not isinstance(call, SecurityBase), (context.path, call)
