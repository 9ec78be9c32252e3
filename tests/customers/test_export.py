"""GET /v1/customers/export: the list filters, masked as the API masks, CSV and JSON lines,
streamed in keyset batches. On SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import orjson

from customerbase.customers import export
from customerbase.customers.repository import CustomerFilter
from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database
from customerbase.organizations.service import Tenant
from tests import factories
from tests.conftest import Org

URL = "/v1/customers/export"


async def create(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/v1/customers", json=factories.individual(**overrides))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def json_lines(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-ndjson"
    return [orjson.loads(line) for line in response.content.splitlines()]


async def test_json_lines_are_the_customers_exactly_as_the_api_shows_them_newest_first(
    client: httpx.AsyncClient,
) -> None:
    first = await create(
        client, bvn="22212345678", date_of_birth="1994-04-14", address={"city": "Abuja"}
    )
    second = await create(client, metadata={"segment": "sme"})
    exported = json_lines(await client.get(URL))
    assert exported == [second, first]
    assert exported[1]["bvn"] == "*******5678"
    assert exported[1]["date_of_birth"] == "1994-**-**"


async def test_the_list_filters_apply_and_other_tenants_never_appear(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    ada = await create(client, first_name="Adaeze", reference="exp_ada")
    await create(client, first_name="Bola")
    archived = await create(client, first_name="Chi")
    assert (await client.post(f"/v1/customers/{archived['id']}/archive")).status_code == 200
    live = await app_client.post(
        "/v1/customers", json=factories.individual(first_name="Adaeze"), headers=org.auth("live")
    )
    assert live.status_code == 201

    assert [c["id"] for c in json_lines(await client.get(URL, params={"q": "adae"}))] == [ada["id"]]
    by_status = json_lines(await client.get(URL, params={"status": "archived"}))
    assert [c["id"] for c in by_status] == [archived["id"]]
    assert len(json_lines(await client.get(URL))) == 3
    by_reference = json_lines(await client.get(URL, params={"reference": "exp_ada"}))
    assert [c["id"] for c in by_reference] == [ada["id"]]

    refused = await client.get(URL, params={"take": "5"})
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"][0]["field"] == "take"
    bad_format = await client.get(URL, params={"format": "xml"})
    assert bad_format.status_code == 422
    unauthenticated = await app_client.get(URL, headers={"Authorization": ""})
    assert unauthenticated.status_code == 401


async def test_csv_has_one_column_per_field_with_the_address_spread_and_metadata_as_json(
    client: httpx.AsyncClient,
) -> None:
    created = await create(
        client,
        nin="33312345678",
        address={"city": "Lagos", "street": "1 Marina"},
        metadata={"segment": "sme", "vip": True},
    )
    response = await client.get(URL, params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="customers.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == export.csv_columns()
    assert len(rows) == 1
    row = rows[0]
    assert row["id"] == created["id"]
    assert row["nin"] == "*******5678"
    assert row["address.city"] == "Lagos"
    assert row["address.street"] == "1 Marina"
    assert row["address.state"] == ""
    assert orjson.loads(row["metadata"]) == {"segment": "sme", "vip": True}
    assert row["blacklisted"] == "false"
    assert row["middle_name"] == ""
    assert row["created_at"] == created["created_at"]


async def test_a_large_export_is_streamed_in_keyset_batches_without_gap_or_repeat(
    client: httpx.AsyncClient, database: Database, org: Org, vault: Vault
) -> None:
    body = "".join(
        f"{factories.nigerian_phone(n)},n{n}@example.com,Ada,Obi{n},NG\n" for n in range(2_500)
    )
    response = await client.post(
        "/v1/customers/imports",
        content=("phone_number,email,first_name,last_name,country\n" + body).encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert response.status_code == 202
    from tests.customers.test_imports import finished

    job = await finished(client, response.json()["data"]["id"])
    assert job["rows"]["imported"] == 2_500

    tenant = Tenant(org.id, "test", org.id)
    chunks = [
        chunk
        async for chunk in export.stream_customers(
            database, vault, tenant, CustomerFilter(), "jsonl", batch_rows=300
        )
    ]
    assert len(chunks) == 9  # 2,500 rows in batches of 300: one chunk per batch
    ids = [orjson.loads(line)["id"] for chunk in chunks for line in chunk.splitlines()]
    assert len(ids) == len(set(ids)) == 2_500
    assert ids == sorted(ids, reverse=True)
    over_http = (await client.get(URL)).content.splitlines()
    assert [orjson.loads(line)["id"] for line in over_http] == ids
