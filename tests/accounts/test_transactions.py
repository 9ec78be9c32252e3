"""Postings: money exact under concurrency, idempotent by reference, refused with the reason;
lists with filters and cursors; the summary matches the transactions it summarises.

Every test runs on SQLite and on PostgreSQL (the `client` fixture is parametrized over both).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
from sqlalchemy import func, select

from customerbase.kit.db import Database
from customerbase.models import AuditEntry, Event, Transaction
from tests.accounts.helpers import credit, new_account, new_customer, post
from tests.conftest import Org, make_org


async def _balance(client: httpx.AsyncClient, account_id: str) -> int:
    response = await client.get(f"/v1/accounts/{account_id}")
    assert response.status_code == 200, response.text
    balance: int = response.json()["data"]["balance"]
    return balance


async def _all(client: httpx.AsyncClient, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"take": 100, **params}
        if cursor:
            query["starting_after"] = cursor
        response = await client.get(path, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["data"]
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            return items


async def test_50_concurrent_debits_never_overdraw_and_every_debit_that_fits_succeeds(
    client: httpx.AsyncClient, database: Database
) -> None:
    customer_id = await new_customer(client)
    account = await new_account(client, customer_id)
    await credit(client, account["id"], 10_000, "funding")

    responses = await asyncio.gather(
        *(post(client, account["id"], "debit", 300, f"debit-{n}") for n in range(50))
    )

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 33, 409: 17}  # 33 x 300 = 9,900 fits in 10,000; the 34th does not
    assert {r.json()["error"]["type"] for r in responses if r.status_code == 409} == {
        "insufficient_funds"
    }
    assert await _balance(client, account["id"]) == 100
    # Each success left a distinct balance: the postings were applied one after another.
    after = sorted(r.json()["data"]["balance_after"] for r in responses if r.status_code == 201)
    assert after == [10_000 - 300 * n for n in range(33, 0, -1)]
    async with database.read_session() as session:
        posted = await session.scalar(
            select(func.count()).select_from(Transaction).where(Transaction.direction == "debit")
        )
        events = await session.scalar(
            select(func.count()).select_from(Event).where(Event.type == "transaction.created")
        )
        audits = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "transaction.created")
        )
    assert (posted, events, audits) == (33, 34, 34)


async def test_50_concurrent_debits_that_all_fit_all_succeed(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    account = await new_account(client, customer_id)
    await credit(client, account["id"], 5_000, "funding")

    responses = await asyncio.gather(
        *(post(client, account["id"], "debit", 100, f"d{n}") for n in range(50))
    )

    assert [r.status_code for r in responses] == [201] * 50
    assert await _balance(client, account["id"]) == 0


async def test_concurrent_credits_and_debits_leave_the_exact_balance(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    account = await new_account(client, customer_id)
    await credit(client, account["id"], 1_000, "funding")
    credits = [post(client, account["id"], "credit", 7, f"c{n}") for n in range(20)]
    debits = [post(client, account["id"], "debit", 11, f"d{n}") for n in range(20)]

    responses = await asyncio.gather(*credits, *debits)

    assert [r.status_code for r in responses] == [201] * 40
    assert await _balance(client, account["id"]) == 1_000 + 20 * 7 - 20 * 11


async def test_a_retry_with_the_same_reference_returns_the_first_posting_and_posts_nothing(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    account = await new_account(client, customer_id)
    first = await post(client, account["id"], "credit", 2_500, "pay-001", narration="salary")
    again = await post(client, account["id"], "credit", 2_500, "pay-001", narration="salary")

    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["data"] == first.json()["data"]
    assert await _balance(client, account["id"]) == 2_500


async def test_concurrent_retries_of_one_reference_post_once(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    account = await new_account(client, customer_id)

    responses = await asyncio.gather(
        *(post(client, account["id"], "credit", 100, "same-ref") for _ in range(10))
    )

    assert [r.status_code for r in responses] == [201] * 10
    assert len({r.json()["data"]["id"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 9
    assert await _balance(client, account["id"]) == 100


async def test_a_reference_reused_for_another_amount_is_a_409_naming_the_first_posting(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    account = await new_account(client, customer_id)
    first = await post(client, account["id"], "credit", 100, "ref-1")
    other = await post(client, account["id"], "credit", 200, "ref-1")

    assert other.status_code == 409
    error = other.json()["error"]
    assert error["type"] == "duplicate_reference"
    assert error["existing_transaction_id"] == first.json()["data"]["id"]
    assert [f["field"] for f in error["fields"]] == ["amount"]
    assert await _balance(client, account["id"]) == 100


async def test_the_same_reference_on_two_accounts_posts_twice(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    one = await new_account(client, customer_id)
    two = await new_account(client, customer_id)
    await credit(client, one["id"], 100, "shared")
    await credit(client, two["id"], 100, "shared")
    assert (await _balance(client, one["id"]), await _balance(client, two["id"])) == (100, 100)


async def test_a_debit_that_would_overdraw_is_a_409_and_changes_nothing(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    account = await new_account(client, customer_id)
    await credit(client, account["id"], 500, "funding")

    response = await post(client, account["id"], "debit", 501, "too-much")

    assert response.status_code == 409
    assert response.json()["error"]["type"] == "insufficient_funds"
    assert response.json()["error"]["balance"] == 500
    assert await _balance(client, account["id"]) == 500
    listed = await client.get(f"/v1/accounts/{account['id']}/transactions")
    assert [t["reference"] for t in listed.json()["data"]] == ["funding"]


async def test_postings_are_refused_with_the_reason_for_archived_blacklisted_and_inactive(
    client: httpx.AsyncClient,
) -> None:
    archived = await new_customer(client)
    archived_account = await new_account(client, archived)
    assert (await client.post(f"/v1/customers/{archived}/archive")).status_code == 200
    blacklisted = await new_customer(client)
    blacklisted_account = await new_account(client, blacklisted)
    response = await client.post(
        f"/v1/customers/{blacklisted}/blacklist", json={"blacklist": True, "reason": "fraud"}
    )
    assert response.status_code == 200
    closing = await new_customer(client)
    closed_account = await new_account(client, closing)
    assert (await client.post(f"/v1/accounts/{closed_account['id']}/close")).status_code == 200

    refusals = {}
    for name, account in (
        ("archived", archived_account),
        ("blacklisted", blacklisted_account),
        ("closed", closed_account),
    ):
        response = await post(client, account["id"], "credit", 100, f"r-{name}")
        assert response.status_code == 409, response.text
        refusals[name] = response.json()["error"]["type"]

    assert refusals == {
        "archived": "customer_archived",
        "blacklisted": "customer_blacklisted",
        "closed": "account_closed",
    }


async def test_a_posting_in_another_currency_than_the_account_is_a_422_naming_currency(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    account = await new_account(client, customer_id)
    response = await post(client, account["id"], "credit", 100, "usd", currency="USD")
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == [
        {"field": "currency", "message": "must be the account's currency, NGN"}
    ]


async def test_invalid_postings_are_422s_naming_each_field(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    account = await new_account(client, customer_id)
    response = await client.post(
        f"/v1/accounts/{account['id']}/transactions",
        json={"direction": "sideways", "amount": 10.5, "currency": "XYZ", "reference": ""},
    )
    assert response.status_code == 422
    fields = sorted(f["field"] for f in response.json()["error"]["fields"])
    assert fields == ["amount", "currency", "direction", "reference"]
    for amount in (0, -5, "100", 10**16):
        response = await post(client, account["id"], "credit", amount, "x")  # type: ignore[arg-type]
        assert response.status_code == 422, amount
        assert [f["field"] for f in response.json()["error"]["fields"]] == ["amount"]
    assert await _balance(client, account["id"]) == 0


async def test_posting_to_an_unknown_account_is_a_404(client: httpx.AsyncClient) -> None:
    for key in ("01a1fcd2-80a4-7c1e-9c31-5a3c6f0d1b2e", "not-an-id"):
        response = await post(client, key, "credit", 100, "x")
        assert response.status_code == 404
        assert response.json()["error"]["type"] == "account_not_found"


async def test_another_tenant_sees_none_of_the_accounts_or_transactions(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    customer_id = await new_customer(client)
    account = await new_account(client, customer_id)
    await credit(client, account["id"], 100, "mine")
    other = await make_org(database, "Other Fintech")

    for headers in (other.auth("test"), org.auth("live")):
        paths = (
            f"/v1/accounts/{account['id']}",
            f"/v1/accounts/{account['id']}/transactions",
            f"/v1/customers/{customer_id}/transactions",
            f"/v1/customers/{customer_id}/accounts",
            f"/v1/customers/{customer_id}/summary",
        )
        for path in paths:
            response = await app_client.get(path, headers=headers)
            assert response.status_code == 404, path
        response = await app_client.post(
            f"/v1/accounts/{account['id']}/transactions",
            json={"direction": "debit", "amount": 100, "currency": "NGN", "reference": "theirs"},
            headers=headers,
        )
        assert response.status_code == 404
    assert await _balance(client, account["id"]) == 100


async def test_transactions_page_by_cursor_without_gaps_or_repeats(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    account = await new_account(client, customer_id)
    for n in range(25):
        await credit(client, account["id"], n + 1, f"t{n:02d}")
    path = f"/v1/accounts/{account['id']}/transactions"

    pages = []
    cursor = None
    for _ in range(3):
        params: dict[str, Any] = {"take": 10}
        if cursor:
            params["starting_after"] = cursor
        body = (await client.get(path, params=params)).json()
        pages.append([t["reference"] for t in body["data"]])
        cursor = body["meta"]["next_cursor"]

    assert pages == [
        [f"t{n:02d}" for n in range(24, 14, -1)],
        [f"t{n:02d}" for n in range(14, 4, -1)],
        [f"t{n:02d}" for n in range(4, -1, -1)],
    ]
    assert cursor is None
    last_page = (await client.get(path, params={"take": 10, "starting_after": "x"})).json()
    assert last_page["error"]["fields"][0]["field"] == "starting_after"
    second_id = (await client.get(path, params={"take": 10})).json()["data"][-1]["id"]
    back = (await client.get(path, params={"take": 3, "ending_before": second_id})).json()
    assert [t["reference"] for t in back["data"]] == ["t18", "t17", "t16"]


async def test_transaction_filters_by_direction_amount_and_date(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    one = await new_account(client, customer_id)
    two = await new_account(client, customer_id)
    await credit(client, one["id"], 1_000, "c-1000")
    await credit(client, two["id"], 50, "c-50")
    assert (await post(client, one["id"], "debit", 300, "d-300")).status_code == 201
    path = f"/v1/customers/{customer_id}/transactions"

    async def refs(**params: Any) -> list[str]:
        response = await client.get(path, params=params)
        assert response.status_code == 200, response.text
        return [t["reference"] for t in response.json()["data"]]

    assert await refs() == ["d-300", "c-50", "c-1000"]
    assert await refs(direction="credit") == ["c-50", "c-1000"]
    assert await refs(min_amount=100) == ["d-300", "c-1000"]
    assert await refs(min_amount=50, max_amount=300) == ["d-300", "c-50"]
    assert await refs(created_from="2020-01-01", created_to="2999-12-31") == [
        "d-300",
        "c-50",
        "c-1000",
    ]
    assert await refs(created_to="2020-01-01") == []
    bad = await client.get(path, params={"min_amount": 10, "max_amount": 5})
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["field"] == "max_amount"
    unknown = await client.get(path, params={"amount": 5})
    assert unknown.status_code == 422


async def test_the_summary_matches_the_transactions_it_summarises(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    naira = await new_account(client, customer_id)
    dollars = await new_account(client, customer_id, type="virtual_account", currency="usd")
    await credit(client, naira["id"], 10_000, "n1")
    await credit(client, naira["id"], 2_550, "n2")
    assert (await post(client, naira["id"], "debit", 1_234, "n3")).status_code == 201
    assert (
        await post(client, dollars["id"], "credit", 999, "u1", currency="USD")
    ).status_code == 201
    assert (await post(client, dollars["id"], "debit", 99, "u2", currency="USD")).status_code == 201

    summary = (await client.get(f"/v1/customers/{customer_id}/summary")).json()["data"]
    transactions = await _all(client, f"/v1/customers/{customer_id}/transactions")

    def totals(direction: str) -> dict[str, int]:
        result: dict[str, int] = {}
        for t in transactions:
            if t["direction"] == direction:
                result[t["currency"]] = result.get(t["currency"], 0) + t["amount"]
        return result

    assert summary["transactions"]["count"] == len(transactions) == 5
    assert summary["transactions"]["credits"] == {"count": 3, "totals": totals("credit")}
    assert summary["transactions"]["debits"] == {"count": 2, "totals": totals("debit")}
    assert totals("credit") == {"NGN": 12_550, "USD": 999}
    assert summary["balances"] == {"NGN": 11_316, "USD": 900}
    assert summary["accounts"] == {
        "count": 2,
        "by_status": {"active": 2, "inactive": 0, "closed": 0},
    }
    assert summary["first_activity_at"] == min(t["created_at"] for t in transactions)
    assert summary["last_activity_at"] == max(t["created_at"] for t in transactions)


async def test_a_posting_records_its_event_and_audit_entry_with_the_balance(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    account = await new_account(client, customer_id)
    posted = (await post(client, account["id"], "credit", 4_200, "evt-1")).json()["data"]

    events = (await client.get("/v1/events", params={"type": "transaction.created"})).json()
    history = (await client.get(f"/v1/customers/{customer_id}/history")).json()["data"]

    assert [e["data"]["object"] for e in events["data"]] == [posted]
    assert events["data"][0]["customer_id"] == customer_id
    entry = history[0]
    assert entry["action"] == "transaction.created"
    assert entry["event_id"] == events["data"][0]["id"]
    assert entry["changes"]["balance_after"] == {"old": None, "new": 4_200}
    assert entry["changes"]["customer_id"] == {"old": None, "new": customer_id}
    got = await client.get(f"/v1/transactions/{posted['id']}")
    assert got.json()["data"] == posted
