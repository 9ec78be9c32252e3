"""Yativo's dialect: the seed's create call replayed as documented (customer_name split into
names, customer_country USA, send_kyc_mail emailing the KYC link), get and list, its envelope
and errors naming Yativo's fields.

Runs on SQLite and on PostgreSQL (the `client` fixture is parametrized over both).
"""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import httpx
import pytest

from customerbase.config import Settings

BASE = "/compat/yativo"
# The seed's body (comments removed), placeholders filled.
SEED_BODY = {
    "customer_name": "Emmanuel A Towoju",
    "customer_email": "tbash7676@gmail.com",
    "customer_phone": "+2349039395114",
    "customer_country": "USA",
    "customer_type": "individual",
    "send_kyc_mail": True,
}
# The keys of the seed's example response and of its `data`, in their order.
ENVELOPE = ["status", "status_code", "message", "data"]
DATA_FIELDS = [
    "id",
    "full_name",
    "email",
    "type",
    "kyc_link",
    "tos_link",
    "kyc_status",
    "rejection_reasons",
    "tos_status",
    "created_at",
    "customer_id",
    "persona_inquiry_type",
]


def _outbox(settings: Settings) -> list[Path]:
    return sorted((settings.data_dir / "outbox").glob("*.eml"))


async def test_the_seeds_create_answers_field_for_field_and_emails_the_kyc_link(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await client.post(f"{BASE}/customer", json=SEED_BODY)
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ENVELOPE
    assert (body["status"], body["status_code"]) == ("success", 200)
    assert body["message"] == "Customer created successfully"
    data = body["data"]
    assert list(data) == DATA_FIELDS
    assert data["full_name"] == "Emmanuel A Towoju"
    assert data["email"] == "tbash7676@gmail.com"
    assert data["type"] == "individual"
    assert data["kyc_link"].startswith("http://testserver/kyc/")
    assert data["tos_link"] == f"{data['kyc_link']}/terms"
    assert data["kyc_status"] == "not_started"
    assert data["rejection_reasons"] == []
    assert data["tos_status"] == "pending"
    assert data["created_at"].endswith("Z")
    assert data["customer_id"] == data["id"]
    assert data["persona_inquiry_type"] is None

    [mail] = _outbox(settings)
    message = message_from_bytes(mail.read_bytes(), policy=policy.default)
    assert message["To"] == "tbash7676@gmail.com"
    assert data["kyc_link"] in message.get_body(preferencelist=("plain",)).get_content()

    canonical = (await client.get(f"/v1/customers/{data['id']}")).json()["data"]
    assert (canonical["first_name"], canonical["middle_name"], canonical["last_name"]) == (
        "Emmanuel",
        "A",
        "Towoju",
    )
    assert canonical["country"] == "US"
    assert canonical["phone_number"] == "+2349039395114"
    assert canonical["kyc_link"] == data["kyc_link"]


async def test_send_kyc_mail_false_still_answers_the_link_but_sends_nothing(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await client.post(f"{BASE}/customer", json={**SEED_BODY, "send_kyc_mail": False})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["kyc_link"].startswith("http://testserver/kyc/")
    assert _outbox(settings) == []


async def test_the_type_defaults_to_individual_and_send_kyc_mail_to_true(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    body = {k: v for k, v in SEED_BODY.items() if k not in {"customer_type", "send_kyc_mail"}}
    response = await client.post(f"{BASE}/customer", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["type"] == "individual"
    assert len(_outbox(settings)) == 1


async def test_a_business_takes_customer_name_as_its_company_name_without_a_kyc_link(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await client.post(
        f"{BASE}/customer",
        json={**SEED_BODY, "customer_name": "Towoju Ventures Ltd", "customer_type": "business"},
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert (data["type"], data["full_name"]) == ("business", "Towoju Ventures Ltd")
    assert (data["kyc_link"], data["tos_link"]) == (None, None)
    assert _outbox(settings) == []
    canonical = (await client.get(f"/v1/customers/{data['id']}")).json()["data"]
    assert canonical["company_name"] == "Towoju Ventures Ltd"


async def test_get_and_list_answer_the_same_object(client: httpx.AsyncClient) -> None:
    created = (await client.post(f"{BASE}/customer", json=SEED_BODY)).json()["data"]
    response = await client.get(f"{BASE}/customer/{created['id']}")
    assert response.status_code == 200, response.text
    body = response.json()
    assert list(body) == ENVELOPE
    assert body["message"] == "Customer retrieved successfully"
    assert body["data"] == created

    listed = await client.get(f"{BASE}/customer", params={"per_page": 5})
    assert listed.status_code == 200, listed.text
    assert listed.json()["data"] == [created]
    assert listed.json()["meta"] == {
        "page": 1,
        "per_page": 5,
        "total": 1,
        "total_pages": 1,
        "has_next_page": False,
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer_name": "Emmanuel"}, "customer_name"),
        ({"customer_name": 42}, "customer_name"),
        ({"customer_email": "not-an-email"}, "customer_email"),
        ({"customer_phone": "12"}, "customer_phone"),
        ({"customer_country": "XYZ"}, "customer_country"),
        ({"customer_type": "robot"}, "customer_type"),
        ({"send_kyc_mail": "often"}, "send_kyc_mail"),
        ({"customer_nickname": "Emma"}, "customer_nickname"),
    ],
)
async def test_bad_input_is_a_422_in_yativos_envelope_naming_its_field(
    client: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    response = await client.post(f"{BASE}/customer", json={**SEED_BODY, **change})
    assert response.status_code == 422, response.text
    body = response.json()
    assert list(body) == [*ENVELOPE, "error"]
    assert (body["status"], body["status_code"], body["data"]) == ("error", 422, None)
    assert [f["field"] for f in body["error"]["fields"]] == [field]
    assert body["message"].startswith(f"{field}: ")
    assert (await client.get("/v1/customers")).json()["data"] == []


async def test_a_missing_email_and_name_are_named_together(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{BASE}/customer", json={"customer_phone": "+2349039395114"})
    assert response.status_code == 422, response.text
    fields = {f["field"] for f in response.json()["error"]["fields"]}
    assert fields == {"customer_name", "customer_email"}


async def test_a_duplicate_email_is_a_409_and_an_unknown_id_a_404(
    client: httpx.AsyncClient,
) -> None:
    await client.post(f"{BASE}/customer", json=SEED_BODY)
    duplicate = await client.post(f"{BASE}/customer", json=SEED_BODY)
    assert duplicate.status_code == 409, duplicate.text
    assert duplicate.json()["status"] == "error"
    assert duplicate.json()["error"]["type"] == "duplicate_customer"
    missing = await client.get(f"{BASE}/customer/0190f1f0-0000-7000-8000-000000000000")
    assert missing.status_code == 404
    assert (missing.json()["status"], missing.json()["status_code"]) == ("error", 404)


async def test_the_bearer_token_is_required(app_client: httpx.AsyncClient) -> None:
    response = await app_client.post(f"{BASE}/customer", json=SEED_BODY)
    assert response.status_code == 401
    body = response.json()
    assert (body["status"], body["status_code"]) == ("error", 401)


async def test_an_idempotency_key_replays_the_create_and_creates_one_customer(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    headers = {"Idempotency-Key": "yativo-create-1"}
    first = await client.post(f"{BASE}/customer", json=SEED_BODY, headers=headers)
    assert first.status_code == 200, first.text
    again = await client.post(f"{BASE}/customer", json=SEED_BODY, headers=headers)
    assert again.status_code == 200, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert len((await client.get("/v1/customers")).json()["data"]) == 1
    assert len(_outbox(settings)) == 1
