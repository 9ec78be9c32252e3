"""The OpenAPI document describes what the API really sends: real responses validate against
the documented models (which forbid unknown keys), so documentation and code cannot drift."""

from __future__ import annotations

import httpx

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
    assert set(operations) == {
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
