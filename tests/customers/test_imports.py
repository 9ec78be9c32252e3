"""Bulk import: POST /v1/customers/imports and `customerbase import`, on SQLite and PostgreSQL.

Rows are held to the API's rules; bad rows are reported by line and field; good rows are
written; duplicates within the file and against the database are refused; a re-run skips what
is already there; blocked identities are refused.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import func, select

from customerbase.customers import imports
from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database
from customerbase.models import Customer, IdentityBlock
from tests import factories
from tests.cli_support import cli_env, run_cli
from tests.conftest import Org

URL = "/v1/customers/imports"
HEADER = "first_name,last_name,email,phone_number,country,bvn,reference,metadata.segment"


async def finished(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    for _ in range(600):
        response = await client.get(f"{URL}/{job_id}")
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()["data"]
        if job["status"] not in ("queued", "running"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError("the import did not finish")


async def run_import(
    client: httpx.AsyncClient,
    body: str,
    *,
    content_type: str = "text/csv",
    dry_run: bool = False,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    response = await client.post(
        URL,
        content=body.encode(),
        headers={"Content-Type": content_type},
        params={"dry_run": "true"} if dry_run else {},
    )
    assert response.status_code == 202, response.text
    started = response.json()["data"]
    assert started["status"] == "queued"
    assert response.headers["Location"] == f"{URL}/{started['id']}"
    job = await finished(client, started["id"])
    report = await client.get(f"{URL}/{started['id']}/report", params={"format": "json"})
    assert report.status_code == 200, report.text
    return job, report.json()["data"]


async def count_customers(database: Database) -> int:
    async with database.read_session() as session:
        return int(await session.scalar(select(func.count()).select_from(Customer)) or 0)


def row(n: int, **overrides: str) -> str:
    values = {
        "first_name": "Ada",
        "last_name": f"Obi{n}",
        "email": f"ada.{n}@example.com",
        "phone_number": factories.nigerian_phone(n),
        "country": "NG",
        "bvn": f"{22200000000 + n}",
        "reference": f"imp_{n}",
        "metadata.segment": "retail",
    }
    values.update(overrides)
    return ",".join(values[name] for name in HEADER.split(","))


def csv_file(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


BAD_FILE = csv_file(
    row(1),
    row(2, email="not-an-email"),  # line 3
    row(3, bvn="123", reference="has space"),  # line 4
    row(4, phone_number="12"),  # line 5
    row(5, first_name=""),  # line 6: an empty cell is an absent field
    row(6),
)
BAD_FILE_ROWS = {"total": 6, "imported": 2, "skipped": 0, "failed": 4}


async def test_a_dry_run_reports_every_bad_row_by_line_and_field_and_writes_nothing(
    client: httpx.AsyncClient, database: Database
) -> None:
    job, report = await run_import(client, BAD_FILE, dry_run=True)
    assert job["status"] == "completed"
    assert job["dry_run"] is True
    assert job["rows"] == BAD_FILE_ROWS
    assert job["progress"] == 1.0
    assert [(e["line"], e["field"]) for e in report] == [
        (3, "email"),
        (4, "bvn"),
        (4, "reference"),
        (5, "phone_number"),
        (6, "first_name"),
    ]
    assert report[1]["message"] == "must be exactly 11 digits"
    assert report[3]["message"] == "is not a valid phone number"
    assert report[4]["message"] == "is required for an individual customer"
    assert await count_customers(database) == 0


async def test_a_real_run_writes_the_good_rows_as_the_api_would_and_reports_the_rest(
    client: httpx.AsyncClient, database: Database
) -> None:
    job, report = await run_import(client, BAD_FILE)
    assert job["status"] == "completed"
    assert job["rows"] == BAD_FILE_ROWS
    assert sorted({e["line"] for e in report}) == [3, 4, 5, 6]
    assert await count_customers(database) == 2

    fetched = await client.get("/v1/customers/imp_1")
    assert fetched.status_code == 200, fetched.text
    data = fetched.json()["data"]
    assert data["email"] == "ada.1@example.com"
    assert data["phone_number"] == "+2348030000001"
    assert data["dial_code"] == "+234"
    assert data["bvn"] == "*******0001"
    assert data["metadata"] == {"segment": "retail"}
    assert data["status"] == "active"
    # Found by the search columns and by the BVN's uniqueness, like a customer made by POST.
    found = await client.get("/v1/customers", params={"q": "obi6"})
    assert [c["reference"] for c in found.json()["data"]] == ["imp_6"]
    duplicate = await client.post("/v1/customers", json=factories.individual(bvn=f"{22200000001}"))
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["existing_customer_id"] == data["id"]

    # Each imported customer has its `customer.created` event and history entry, as by POST.
    events = (await client.get("/v1/events", params={"type": "customer.created"})).json()
    assert sorted(e["data"]["object"]["reference"] for e in events["data"]) == ["imp_1", "imp_6"]
    history = (await client.get("/v1/customers/imp_1/history")).json()["data"]
    assert [entry["action"] for entry in history] == ["customer.created"]
    assert history[0]["changes"]["email"]["new"] == "a***@e***.com"

    csv_report = await client.get(f"{URL}/{job['id']}/report")
    assert csv_report.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(csv_report.text)))
    assert lines[0] == ["line", "field", "message"]
    assert lines[1] == ["3", "email", report[0]["message"]]


async def test_duplicates_within_the_file_and_against_the_database_are_refused(
    client: httpx.AsyncClient, database: Database
) -> None:
    existing = await client.post(
        "/v1/customers",
        json=factories.individual(
            email="taken@example.com", reference="taken_ref", nin="33300000001"
        ),
    )
    assert existing.status_code == 201
    body = csv_file(
        row(1),
        row(2, email="ada.1@example.com"),  # line 3: the email of line 2
        row(3, bvn=f"{22200000001}"),  # line 4: the BVN of line 2
        row(4, email="taken@example.com"),  # line 5: a stored customer's email
        row(5, reference="taken_ref"),  # line 6: a stored customer's reference
        row(6),
    )
    job, report = await run_import(client, body)
    assert job["rows"] == {"total": 6, "imported": 2, "skipped": 0, "failed": 4}
    assert [(e["line"], e["field"], e["message"]) for e in report] == [
        (3, "email", "is also used on line 2"),
        (4, "bvn", "is also used on line 2"),
        (5, "email", "is already used by another customer"),
        (6, "reference", "is already used by another customer"),
    ]
    assert await count_customers(database) == 3


async def test_a_json_lines_file_with_a_nin_taken_in_the_database(
    client: httpx.AsyncClient, database: Database
) -> None:
    await client.post("/v1/customers", json=factories.individual(nin="33300000009"))
    lines = [
        factories.individual(reference="j1", address={"city": "Lagos"}),
        factories.individual(reference="j2", nin="33300000009"),
        "not json",
        [1, 2],
        factories.business(reference="j5", metadata={"tier": 2, "vip": True}),
        factories.individual(reference="j6", extra="x"),
    ]
    body = "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n\n"
    job, report = await run_import(client, body, content_type="application/x-ndjson")
    assert job["format"] == "jsonl"
    assert job["rows"] == {"total": 6, "imported": 2, "skipped": 0, "failed": 4}
    assert [(e["line"], e["field"]) for e in report] == [
        (2, "nin"),
        (3, "row"),
        (4, "row"),
        (6, "extra"),
    ]
    business = (await client.get("/v1/customers/j5")).json()["data"]
    assert business["customer_type"] == "business"
    assert business["metadata"] == {"tier": 2, "vip": True}
    assert (await client.get("/v1/customers/j1")).json()["data"]["address"] == {"city": "Lagos"}


async def test_re_running_an_import_skips_the_rows_already_imported(
    client: httpx.AsyncClient, database: Database
) -> None:
    first_half = csv_file(row(1), row(2))
    job, _ = await run_import(client, first_half)
    assert job["rows"]["imported"] == 2
    whole = csv_file(row(1), row(2), row(3), row(4, email="bad"))
    job, report = await run_import(client, whole)
    assert job["rows"] == {"total": 4, "imported": 1, "skipped": 2, "failed": 1}
    assert [(e["line"], e["field"]) for e in report] == [(5, "email")]
    job, report = await run_import(client, whole)
    assert job["rows"] == {"total": 4, "imported": 0, "skipped": 3, "failed": 1}
    assert await count_customers(database) == 3
    # A row without a reference is recognised by its email.
    no_reference = "email,phone_number,first_name,last_name\nada.3@example.com,+2348030000003,A,B\n"
    job, _ = await run_import(client, no_reference)
    assert job["rows"] == {"total": 1, "imported": 0, "skipped": 1, "failed": 0}


async def test_blocked_identities_are_refused(
    client: httpx.AsyncClient, database: Database, org: Org, vault: Vault
) -> None:
    async with database.write_session() as session:
        for kind, value in (("bvn", f"{22200000002}"), ("email", "ada.3@example.com")):
            session.add(
                IdentityBlock(
                    organization_id=org.id,
                    environment="test",
                    kind=kind,
                    blind_index=vault.blind_index(value, organization_id=org.id, field=kind),
                    customer_id=org.id,
                )
            )
    job, report = await run_import(client, csv_file(row(1), row(2), row(3)))
    assert job["rows"] == {"total": 3, "imported": 1, "skipped": 0, "failed": 2}
    assert [(e["line"], e["field"], e["message"]) for e in report] == [
        (3, "bvn", "is blocked"),
        (4, "email", "is blocked"),
    ]


async def test_a_file_that_cannot_be_read_fails_the_job_and_bad_requests_are_refused(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        URL, content=b"unknown,email\n1,2\n", headers={"Content-Type": "text/csv"}
    )
    job = await finished(client, response.json()["data"]["id"])
    assert job["status"] == "failed"
    assert job["error"] == "file: unknown column(s): 'unknown'"

    wrong_type = await client.post(URL, content=b"{}", headers={"Content-Type": "application/json"})
    assert wrong_type.status_code == 415
    assert wrong_type.json()["error"]["type"] == "unsupported_media_type"
    empty = await client.post(URL, content=b"", headers={"Content-Type": "text/csv"})
    assert empty.status_code == 422
    missing = await client.get(f"{URL}/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "import_not_found"
    unauthenticated = await client.get(f"{URL}/{job['id']}", headers={"Authorization": ""})
    assert unauthenticated.status_code == 401


async def test_an_import_larger_than_the_request_body_limit_is_accepted(
    client: httpx.AsyncClient, database: Database
) -> None:
    rows = [row(n) for n in range(1, 2501)]  # two batches
    padding = "\n" * (1024 * 1024)  # blank lines are no records
    job, report = await run_import(client, csv_file(*rows) + padding)
    assert report == []
    assert job["rows"] == {"total": 2500, "imported": 2500, "skipped": 0, "failed": 0}
    assert await count_customers(database) == 2500


async def test_the_import_command(tmp_path: Path, database_url: str, org: Org) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(BAD_FILE)
    env = cli_env(tmp_path / "data", database_url)

    dry = await run_cli(env, "import", str(path), "--org", str(org.id), "--dry-run")
    assert dry.code == 1, dry.err
    summary = json.loads(dry.out)
    assert summary["dry_run"] is True
    assert summary["rows"] == BAD_FILE_ROWS
    assert [(e["line"], e["field"]) for e in summary["report"]][:1] == [(3, "email")]

    good = tmp_path / "more.jsonl"
    good.write_bytes(orjson.dumps(factories.individual(reference="cli_1")) + b"\n")
    again = await run_cli(env, "import", str(good), "--org", str(org.id), "--env", "test")
    assert again.code == 0, again.err
    assert json.loads(again.out)["rows"] == {"total": 1, "imported": 1, "skipped": 0, "failed": 0}


def test_format_of_a_file_name() -> None:
    assert imports.format_of("a.CSV") == "csv"
    assert imports.format_of("a.ndjson") == "jsonl"
    with pytest.raises(imports.UnsupportedImportFormat):
        imports.format_of("a.txt")
