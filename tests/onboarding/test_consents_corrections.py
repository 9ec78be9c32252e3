"""The consent ledger (append-only, current state on the customer) and corrections (the only
way to change the date of birth, identity numbers and verified names)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import update

from customerbase.kit.db import Database
from customerbase.models import Customer
from tests import factories
from tests.onboarding.support import assert_error, create, events, history, identity, read


def consents_url(customer_id: str) -> str:
    return f"/v1/customers/{customer_id}/consents"


async def test_consents_are_appended_with_ip_and_user_agent_and_the_customer_shows_the_state(
    client: httpx.AsyncClient,
) -> None:
    customer = await create(client, factories.individual())
    headers = {"User-Agent": "KolaApp/2.1 (Android 14)"}
    for body in (
        {"type": "terms_of_service", "version": "2026-01", "granted": True},
        {"type": "marketing", "version": "v3", "granted": True},
        {"type": "marketing", "version": "v3", "granted": False},
    ):
        response = await client.post(consents_url(customer["id"]), json=body, headers=headers)
        assert response.status_code == 201, response.text
        entry = response.json()["data"]
        assert {k: entry[k] for k in body} == body
        assert entry["user_agent"] == "KolaApp/2.1 (Android 14)"
        assert entry["ip_address"] == "127.0.0.1"

    ledger = (await client.get(consents_url(customer["id"]))).json()["data"]
    assert [(e["type"], e["granted"]) for e in ledger] == [
        ("marketing", False),
        ("marketing", True),
        ("terms_of_service", True),
    ]
    state = (await read(client, customer["id"]))["consents"]
    assert set(state) == {"terms_of_service", "marketing"}
    assert state["marketing"]["granted"] is False
    assert state["terms_of_service"] == {
        "version": "2026-01",
        "granted": True,
        "recorded_at": ledger[2]["created_at"],
    }
    recorded = [e for e in await events(client, customer["id"]) if "consent" in e["type"]]
    assert len(recorded) == 3
    assert "KolaApp" not in str(recorded)
    assert "127.0.0.1" not in str(recorded)


async def test_the_ledger_has_no_edit_or_delete(client: httpx.AsyncClient) -> None:
    customer = await create(client, factories.individual())
    response = await client.post(
        consents_url(customer["id"]),
        json={"type": "bvn_access", "version": "1", "granted": True},
    )
    entry_id = response.json()["data"]["id"]
    for method in ("PATCH", "PUT", "DELETE"):
        answer = await client.request(method, f"{consents_url(customer['id'])}/{entry_id}")
        assert answer.status_code in (404, 405)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "newsletter", "version": "1", "granted": True}, "type"),
        ({"type": "marketing", "version": "", "granted": True}, "version"),
        ({"type": "marketing", "version": "1", "granted": "yes"}, "granted"),
        ({"type": "marketing", "version": "1"}, "granted"),
    ],
)
async def test_an_invalid_consent_is_a_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    customer = await create(client, factories.individual())
    assert_error(
        await client.post(consents_url(customer["id"]), json=body), 422, "validation_error", field
    )


async def test_consents_of_an_unknown_customer_are_404(client: httpx.AsyncClient) -> None:
    unknown = "01a1fcd2-80a4-7c1e-9c31-5a3c6f0d1b2e"
    assert (await client.get(consents_url(unknown))).status_code == 404
    response = await client.post(
        consents_url(unknown), json={"type": "marketing", "version": "1", "granted": True}
    )
    assert_error(response, 404, "customer_not_found")


# --- Corrections ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [("date_of_birth", "1985-01-01"), ("bvn", "22345678901"), ("nin", "32345678901")],
)
async def test_a_patch_of_a_gated_field_is_a_422_pointing_to_corrections(
    client: httpx.AsyncClient, field: str, value: str
) -> None:
    customer = await create(client, factories.individual(bvn=identity()))
    response = await client.patch(f"/v1/customers/{customer['id']}", json={field: value})
    error = assert_error(response, 422, "validation_error", field)
    assert "/corrections" in error["fields"][0]["message"]
    assert await read(client, customer["id"]) == customer


async def test_a_tax_id_can_be_added_by_patch_once_then_only_corrected(
    client: httpx.AsyncClient,
) -> None:
    customer = await create(client, factories.business())
    url = f"/v1/customers/{customer['id']}"
    added = await client.patch(url, json={"tax_identification_number": "1234567890"})
    assert added.status_code == 200, added.text
    again = await client.patch(url, json={"tax_identification_number": "1234567891"})
    assert_error(again, 422, "validation_error", "tax_identification_number")


async def _approve_kyc(database: Database, customer_id: str) -> None:
    import uuid

    async with database.write_session() as session:
        await session.execute(
            update(Customer)
            .where(Customer.id == uuid.UUID(customer_id))
            .values(kyc_status="approved", kyc_tier=1)
        )


async def test_names_are_patchable_until_verified_then_only_corrected(
    client: httpx.AsyncClient, database: Database
) -> None:
    customer = await create(client, factories.individual())
    url = f"/v1/customers/{customer['id']}"
    assert (await client.patch(url, json={"first_name": "Ayodele"})).status_code == 200
    await _approve_kyc(database, customer["id"])
    response = await client.patch(url, json={"first_name": "Ayodeji", "metadata": {"a": "b"}})
    assert_error(response, 422, "validation_error", "first_name")
    # Sending the same name again changes nothing and is allowed.
    assert (await client.patch(url, json={"first_name": "Ayodele"})).status_code == 200


async def test_a_correction_changes_gated_fields_resets_kyc_and_records_who_what_why(
    client: httpx.AsyncClient, database: Database
) -> None:
    old_bvn, new_bvn = identity(), identity()
    customer = await create(client, factories.individual(bvn=old_bvn, date_of_birth="1990-05-17"))
    await _approve_kyc(database, customer["id"])
    response = await client.post(
        f"/v1/customers/{customer['id']}/corrections",
        json={
            "date_of_birth": "1990-07-15",
            "bvn": new_bvn,
            "first_name": "Ayodeji",
            "reason": "typo at onboarding, confirmed against the BVN record",
        },
        headers={"X-Request-ID": "req-correction-1"},
    )
    assert response.status_code == 200, response.text
    corrected = response.json()["data"]
    assert corrected["first_name"] == "Ayodeji"
    assert corrected["bvn"] == f"*******{new_bvn[-4:]}"
    assert corrected["kyc_status"] == "not_started"
    assert await read(client, customer["id"]) == corrected

    entry = (await history(client, customer["id"]))[0]
    assert entry["action"] == "customer.corrected"
    assert entry["request_id"] == "req-correction-1"
    assert entry["actor"]["type"] == "api_key"
    changes = entry["changes"]
    assert set(changes) >= {"date_of_birth", "bvn", "first_name", "kyc_status", "correction_reason"}
    assert changes["date_of_birth"] == {"old": "1990-**-**", "new": "1990-**-**"}
    assert changes["correction_reason"]["new"].startswith("typo at onboarding")
    assert new_bvn not in str(entry)
    assert old_bvn not in str(entry)
    # The new BVN finds the customer; the old one no longer does.
    found = await client.post("/v1/customers/lookup", json={"bvn": new_bvn})
    assert [c["id"] for c in found.json()["data"]] == [customer["id"]]
    gone = await client.post("/v1/customers/lookup", json={"bvn": old_bvn})
    assert gone.json()["data"] == []


async def test_a_correction_to_another_customers_bvn_is_a_409(client: httpx.AsyncClient) -> None:
    taken = identity()
    holder = await create(client, factories.individual(bvn=taken))
    customer = await create(client, factories.individual())
    response = await client.post(
        f"/v1/customers/{customer['id']}/corrections", json={"bvn": taken, "reason": "x"}
    )
    error = assert_error(response, 409, "duplicate_customer", "bvn")
    assert error["existing_customer_id"] == holder["id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"bvn": "123", "reason": "typo"}, "bvn"),
        ({"reason": "nothing to correct"}, "body"),
        ({"bvn": "22345678901"}, "reason"),
        ({"bvn": None, "reason": "remove"}, "bvn"),
        ({"email": "a@b.co", "reason": "not gated"}, "email"),
        ({"date_of_birth": "2999-01-01", "reason": "future"}, "date_of_birth"),
    ],
)
async def test_an_invalid_correction_is_a_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    customer = await create(client, factories.individual())
    response = await client.post(f"/v1/customers/{customer['id']}/corrections", json=body)
    assert_error(response, 422, "validation_error", field)
    assert await read(client, customer["id"]) == customer
