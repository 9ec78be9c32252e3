"""The hosted page's links: signed, expiring, single-use, superseded by a newer one; every
link that cannot be used shows a page that says why."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from customerbase.kit.time import utcnow
from customerbase.kyc import page
from tests.documents.support import png
from tests.kyc.support import make_customer


async def issue(client: httpx.AsyncClient, customer_id: str, **body: object) -> dict[str, str]:
    response = await client.post(f"/v1/customers/{customer_id}/kyc/link", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, str] = response.json()["data"]
    return data


def path_of(url: str) -> str:
    return url.removeprefix("http://testserver")


async def test_a_link_is_issued_onto_the_customer_and_opens_the_page(
    client: httpx.AsyncClient,
) -> None:
    customer = await make_customer(client)
    link = await issue(client, customer["id"])
    assert link["kyc_link"].startswith("http://testserver/kyc/")
    assert link["tos_link"] == link["kyc_link"] + "/terms"
    assert link["mail_status"] == "not_requested"
    got = (await client.get(f"/v1/customers/{customer['id']}")).json()["data"]
    assert (got["kyc_link"], got["tos_link"]) == (link["kyc_link"], link["tos_link"])
    assert got["tos_status"] == "pending"
    assert got["rejection_reasons"] == []
    response = await client.get(path_of(link["kyc_link"]))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert 'name="viewport"' in response.text or "name=viewport" in response.text
    assert "id=id_number" in response.text
    events = (await client.get(f"/v1/events?customer={customer['id']}")).json()["data"]
    assert events[0]["type"] == "customer.kyc.link_created"


@pytest.mark.parametrize("part", [0, 1, 2])
async def test_a_tampered_link_shows_the_not_valid_page(
    client: httpx.AsyncClient, part: int
) -> None:
    customer = await make_customer(client)
    link = await issue(client, customer["id"])
    token = path_of(link["kyc_link"]).removeprefix("/kyc/")
    pieces = token.split(".")
    pieces[part] = pieces[part][:-1] + ("0" if pieces[part][-1] != "0" else "1")
    response = await client.get("/kyc/" + ".".join(pieces))
    assert response.status_code == 404
    assert "This link is not valid" in response.text
    assert "Traceback" not in response.text
    garbage = await client.get("/kyc/not-a-token")
    assert garbage.status_code == 404
    assert "This link is not valid" in garbage.text


async def test_an_expired_link_shows_the_expired_page(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = await make_customer(client)
    link = await issue(client, customer["id"], expires_in=60)
    later = utcnow() + timedelta(seconds=61)
    monkeypatch.setattr(page, "utcnow", lambda: later)
    response = await client.get(path_of(link["kyc_link"]))
    assert response.status_code == 410
    assert "This link has expired" in response.text
    posted = await client.post(
        path_of(link["kyc_link"]),
        data={"id_type": "bvn", "id_number": "22200000001", "accept_terms": "yes"},
    )
    assert posted.status_code == 410
    assert "This link has expired" in posted.text


async def test_a_newer_link_replaces_the_older_one(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    first = await issue(client, customer["id"])
    second = await issue(client, customer["id"])
    old = await client.get(path_of(first["kyc_link"]))
    assert old.status_code == 410
    assert "This link has been replaced" in old.text
    assert (await client.get(path_of(second["kyc_link"]))).status_code == 200


async def test_the_page_verifies_once_then_the_link_is_used(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    link = await issue(client, customer["id"])
    url = path_of(link["kyc_link"])
    refused = await client.post(
        url, data={"id_type": "bvn", "id_number": "22200000002", "accept_terms": "yes"}
    )
    assert refused.status_code == 422
    assert "the name does not match the BVN record" in refused.text
    # The terms were accepted even though the identity did not verify; the link still works.
    got = (await client.get(f"/v1/customers/{customer['id']}")).json()["data"]
    assert got["tos_status"] == "accepted"
    assert got["kyc_tier"] == 0
    verified = await client.post(url, data={"id_type": "bvn", "id_number": "22200000001"})
    assert verified.status_code == 200, verified.text
    assert "your identity is verified" in verified.text
    got = (await client.get(f"/v1/customers/{customer['id']}")).json()["data"]
    assert (got["kyc_tier"], got["kyc_status"]) == (1, "approved")
    used = await client.get(url)
    assert used.status_code == 410
    assert "This link has already been used" in used.text
    types = [
        e["type"]
        for e in (await client.get(f"/v1/events?customer={customer['id']}")).json()["data"]
    ]
    assert types[:3] == [
        "customer.kyc.link_used",
        "customer.kyc.upgraded",
        "customer.kyc.checked",
    ]
    assert "customer.kyc.terms_accepted" in types


async def test_the_page_refuses_a_form_without_terms_or_number(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client, date_of_birth=None)
    link = await issue(client, customer["id"])
    response = await client.post(
        path_of(link["kyc_link"]), data={"id_type": "bvn", "id_number": "12"}
    )
    assert response.status_code == 422
    assert "Accept the terms of service to continue" in response.text
    assert "BVN: must be exactly 11 digits" in response.text
    assert "id=date_of_birth" in response.text
    overview = (await client.get(f"/v1/customers/{customer['id']}/kyc")).json()["data"]
    assert overview["checks"] == []


async def test_accepting_the_terms_page_records_it(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    link = await issue(client, customer["id"])
    terms = await client.get(path_of(link["tos_link"]))
    assert terms.status_code == 200
    assert "Terms of service" in terms.text
    accepted = await client.post(path_of(link["tos_link"]))
    assert accepted.status_code == 303
    got = (await client.get(f"/v1/customers/{customer['id']}")).json()["data"]
    assert got["tos_status"] == "accepted"
    history = (await client.get(f"/v1/customers/{customer['id']}/history")).json()["data"]
    assert history[0]["action"] == "customer.kyc.terms_accepted"
    assert history[0]["actor"]["type"] == "customer"
    assert history[1]["action"] == "customer.consent.recorded"
    ledger = (await client.get(f"/v1/customers/{customer['id']}/consents")).json()["data"]
    assert [(c["type"], c["version"], c["granted"]) for c in ledger] == [
        ("terms_of_service", "2026-12-01", True)
    ]


async def test_the_page_takes_the_id_document_and_selfie_for_review(
    client: httpx.AsyncClient,
) -> None:
    customer = await make_customer(client)
    link = await issue(client, customer["id"])
    response = await client.post(
        path_of(link["kyc_link"]),
        data={
            "id_type": "bvn",
            "id_number": "22200000001",
            "accept_terms": "yes",
            "id_document_type": "national_id",
        },
        files={"id_document": ("id.png", png()), "selfie": ("me.png", png())},
    )
    assert response.status_code == 200, response.text
    assert "being reviewed" in response.text
    overview = (await client.get(f"/v1/customers/{customer['id']}/kyc")).json()["data"]
    assert (overview["tier"], overview["kyc_status"]) == (1, "pending")
    assert {d["document_type"]: d["status"] for d in overview["documents"]} == {
        "national_id": "pending_review",
        "selfie": "pending_review",
    }
    reviewed = await client.post(
        f"/v1/customers/{customer['id']}/kyc/review", json={"decision": "approve"}
    )
    assert reviewed.json()["data"]["tier"] == 2


async def test_a_rejected_customer_resubmits_through_a_new_link(
    client: httpx.AsyncClient,
) -> None:
    customer = await make_customer(client)
    kyc = f"/v1/customers/{customer['id']}/kyc"
    assert (await client.post(f"{kyc}/upgrade", json={"tier": 1, "bvn": "22200000001"})).is_success
    link = await issue(client, customer["id"])
    url = path_of(link["kyc_link"])
    page_text = (await client.get(url)).text
    assert "id=id_number" not in page_text  # tier 1 is done: only the documents are asked
    missing = await client.post(url, data={"accept_terms": "yes"})
    assert missing.status_code == 422
    assert "Upload your ID document and a selfie" in missing.text
    files = {"id_document": ("id.png", png()), "selfie": ("me.png", png())}
    form = {"accept_terms": "yes", "id_document_type": "passport"}
    sent = await client.post(url, data=form, files=files)
    assert sent.status_code == 200, sent.text
    rejected = await client.post(
        f"{kyc}/review", json={"decision": "reject", "reasons": ["the ID has expired"]}
    )
    assert rejected.json()["data"]["kyc_status"] == "rejected"
    again = await issue(client, customer["id"])
    shown = await client.get(path_of(again["kyc_link"]))
    assert "the ID has expired" in shown.text
    resent = await client.post(
        path_of(again["kyc_link"]), data={"accept_terms": "yes"}, files=files
    )
    assert resent.status_code == 200
    got = (await client.get(f"/v1/customers/{customer['id']}")).json()["data"]
    assert (got["kyc_status"], got["rejection_reasons"]) == ("pending", [])


async def test_the_page_refuses_a_file_that_is_not_a_document(client: httpx.AsyncClient) -> None:
    customer = await make_customer(client)
    kyc = f"/v1/customers/{customer['id']}/kyc"
    assert (await client.post(f"{kyc}/upgrade", json={"tier": 1, "bvn": "22200000001"})).is_success
    link = await issue(client, customer["id"])
    files = {"id_document": ("id.exe", b"MZ" + b"\x00" * 200), "selfie": ("me.png", png())}
    response = await client.post(
        path_of(link["kyc_link"]), data={"accept_terms": "yes"}, files=files
    )
    assert response.status_code == 422
    assert "ID document:" in response.text
    assert (await client.get(path_of(link["kyc_link"]))).status_code == 200  # not used up
