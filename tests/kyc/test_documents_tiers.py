"""Tiers 2 and 3: documents (from `customerbase.documents`) submitted, reviewed, approved or
rejected with reasons, resubmitted; tier 0 to 3 through the API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.documents.support import pdf, png
from tests.kyc.support import make_customer, requirement


async def upload(
    client: httpx.AsyncClient, customer_id: str, document_type: str, content: bytes
) -> dict[str, Any]:
    response = await client.post(
        f"/v1/customers/{customer_id}/documents",
        data={"document_type": document_type},
        files={"file": ("file.bin", content)},
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def tier_1(client: httpx.AsyncClient) -> str:
    customer = await make_customer(client)
    response = await client.post(
        f"/v1/customers/{customer['id']}/kyc/upgrade", json={"tier": 1, "bvn": "22200000001"}
    )
    assert response.status_code == 200, response.text
    return str(customer["id"])


async def test_a_customer_goes_from_tier_0_to_tier_3_through_the_api(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await tier_1(client)
    kyc = f"/v1/customers/{customer_id}/kyc"
    overview = (await client.get(kyc)).json()["data"]
    assert requirement(overview, "id_document")["status"] == "missing"

    await upload(client, customer_id, "passport", png())
    await upload(client, customer_id, "selfie", png())
    submitted = await client.post(f"{kyc}/upgrade", json={"tier": 2, "means_of_id": "PASSPORT"})
    assert submitted.status_code == 202, submitted.text
    data = submitted.json()["data"]
    assert (data["tier"], data["kyc_status"]) == (1, "pending")
    assert requirement(data, "id_document") == {
        **requirement(data, "id_document"),
        "status": "pending",
        "reason": "waiting for review",
    }

    approved = await client.post(f"{kyc}/review", json={"decision": "approve"})
    assert approved.status_code == 200, approved.text
    data = approved.json()["data"]
    assert (data["tier"], data["kyc_status"]) == (2, "approved")
    assert {d["document_type"]: d["status"] for d in data["documents"]} == {
        "passport": "verified",
        "selfie": "verified",
    }
    assert data["limits"]["max_balance"] == 500_000

    await upload(client, customer_id, "utility_bill", pdf())
    submitted = await client.post(f"{kyc}/upgrade", json={"tier": 3})
    assert submitted.status_code == 202
    approved = await client.post(f"{kyc}/review", json={"decision": "approved"})
    assert approved.json()["data"]["tier"] == 3
    assert approved.json()["data"]["next_tier"] is None
    assert approved.json()["data"]["requirements"] == []
    got = (await client.get(f"/v1/customers/{customer_id}")).json()["data"]
    assert (got["kyc_tier"], got["kyc_status"]) == (3, "approved")
    types = [
        e["type"]
        for e in (
            await client.get(f"/v1/events?customer={customer_id}&type=customer.kyc.*")
        ).json()["data"]
    ]
    assert types[:4] == [
        "customer.kyc.approved",
        "customer.kyc.submitted",
        "customer.kyc.approved",
        "customer.kyc.submitted",
    ]


async def test_a_rejection_carries_its_reasons_and_a_resubmission_clears_them(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await tier_1(client)
    kyc = f"/v1/customers/{customer_id}/kyc"
    await upload(client, customer_id, "drivers_license", png())
    rejected = await client.post(
        f"{kyc}/review", json={"decision": "reject", "reasons": ["the photo is blurred"]}
    )
    assert rejected.status_code == 200, rejected.text
    data = rejected.json()["data"]
    assert (data["tier"], data["kyc_status"]) == (1, "rejected")
    assert data["rejection_reasons"] == ["the photo is blurred"]
    assert requirement(data, "id_document")["status"] == "failed"
    assert requirement(data, "id_document")["reason"] == "rejected: the photo is blurred"
    got = (await client.get(f"/v1/customers/{customer_id}")).json()["data"]
    assert got["rejection_reasons"] == ["the photo is blurred"]

    refused = await client.post(f"{kyc}/upgrade", json={"tier": 2})
    assert refused.status_code == 422
    assert refused.json()["error"]["fields"] == [
        {"field": "id_document", "message": "rejected: the photo is blurred"}
    ]

    await upload(client, customer_id, "drivers_license", png())
    resubmitted = await client.post(f"{kyc}/upgrade", json={"tier": 2})
    assert resubmitted.status_code == 202
    data = resubmitted.json()["data"]
    assert (data["kyc_status"], data["rejection_reasons"]) == ("pending", [])


async def test_a_review_with_nothing_waiting_is_a_409(client: httpx.AsyncClient) -> None:
    customer_id = await tier_1(client)
    response = await client.post(
        f"/v1/customers/{customer_id}/kyc/review", json={"decision": "approve"}
    )
    assert response.status_code == 409
    assert response.json()["error"]["type"] == "kyc_not_pending"
    no_reason = await client.post(
        f"/v1/customers/{customer_id}/kyc/review", json={"decision": "reject"}
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["error"]["fields"][0]["field"] == "reasons"
