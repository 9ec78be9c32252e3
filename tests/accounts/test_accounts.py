"""Accounts and cards: who may hold them, their numbers, their states, and what archiving the
customer does to them (and unarchiving undoes, exactly).

Every test runs on SQLite and on PostgreSQL (the `client` fixture is parametrized over both).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text

from customerbase.accounts.money import to_minor
from customerbase.accounts.numbers import (
    is_valid_luhn,
    is_valid_nuban,
    new_account_number,
    new_card_number,
    nuban_check_digit,
)
from customerbase.kit.db import Database
from tests import factories
from tests.accounts.helpers import credit, new_account, new_card, new_customer, post


def test_nuban_check_digit_follows_the_cbn_weights() -> None:
    # 3*0+7*5+3*8 + 3*0+7*0+3*0+3*0+7*0+3*0+3*0+7*0+3*1 = 62 -> 10 - 2 = 8
    assert nuban_check_digit("000000001", "058") == "8"
    number = new_account_number()
    assert len(number) == 10
    assert is_valid_nuban(number)
    wrong = number[:9] + str((int(number[9]) + 1) % 10)
    assert not is_valid_nuban(wrong)


def test_card_numbers_are_luhn_valid_with_the_brand_prefix() -> None:
    assert new_card_number("verve").startswith("506099")
    assert new_card_number("visa").startswith("4")
    assert all(is_valid_luhn(new_card_number("mastercard")) for _ in range(20))


def test_amounts_become_exact_minor_units_per_currency_exponent() -> None:
    assert to_minor("1500.50", "NGN") == 150050
    assert to_minor(0.1, "USD") + to_minor(0.2, "USD") == to_minor("0.3", "USD") == 30
    assert to_minor(1500, "JPY") == 1500
    assert to_minor("1.234", "BHD") == 1234
    for amount, currency in (("1.005", "NGN"), ("1.5", "JPY")):
        with pytest.raises(ValueError, match="decimal places"):
            to_minor(amount, currency)


async def test_an_account_opens_with_a_nuban_in_an_iso_4217_currency(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    wallet = await new_account(client, customer_id)
    dollars = await new_account(client, customer_id, type="virtual_account", currency="usd")

    assert (wallet["type"], wallet["currency"], wallet["currency_exponent"]) == ("wallet", "NGN", 2)
    assert (dollars["type"], dollars["currency"]) == ("virtual_account", "USD")
    for account in (wallet, dollars):
        assert is_valid_nuban(account["account_number"])
        assert (account["status"], account["balance"], account["customer_id"]) == (
            "active",
            0,
            customer_id,
        )
    assert wallet["account_number"] != dollars["account_number"]
    listed = await client.get(f"/v1/customers/{customer_id}/accounts")
    assert [a["id"] for a in listed.json()["data"]] == [dollars["id"], wallet["id"]]


async def test_opening_an_account_validates_type_and_currency(client: httpx.AsyncClient) -> None:
    customer_id = await new_customer(client)
    response = await client.post(
        f"/v1/customers/{customer_id}/accounts", json={"type": "savings", "currency": "XAU"}
    )
    assert response.status_code == 422
    assert sorted(f["field"] for f in response.json()["error"]["fields"]) == ["currency", "type"]


async def test_an_account_needs_a_customer_that_exists(client: httpx.AsyncClient) -> None:
    for key in ("01a1fcd2-80a4-7c1e-9c31-5a3c6f0d1b2e", "user_1001"):
        response = await client.post(f"/v1/customers/{key}/accounts", json={})
        assert response.status_code == 404
        assert response.json()["error"]["type"] == "customer_not_found"


async def test_blacklisting_blocks_new_accounts_cards_and_transactions(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    account = await new_account(client, customer_id)
    await credit(client, account["id"], 100, "before")
    response = await client.post(
        f"/v1/customers/{customer_id}/blacklist", json={"blacklist": True, "reason": "fraud"}
    )
    assert response.status_code == 200

    refused = [
        await client.post(f"/v1/customers/{customer_id}/accounts", json={}),
        await client.post(
            f"/v1/customers/{customer_id}/cards",
            json={"account_id": account["id"], "brand": "visa"},
        ),
        await post(client, account["id"], "debit", 50, "after"),
    ]
    assert [(r.status_code, r.json()["error"]["type"]) for r in refused] == [
        (409, "customer_blacklisted")
    ] * 3
    lifted = await client.post(f"/v1/customers/{customer_id}/blacklist", json={"blacklist": False})
    assert lifted.status_code == 200
    assert (await post(client, account["id"], "debit", 50, "after")).status_code == 201


async def test_create_wallet_on_customer_create_opens_an_ngn_wallet_in_the_same_request(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/v1/customers", json=factories.individual(create_wallet=True))
    assert response.status_code == 201, response.text
    body = response.json()
    wallet = body["meta"]["wallet"]
    assert (wallet["type"], wallet["currency"], wallet["status"]) == ("wallet", "NGN", "active")
    assert wallet["customer_id"] == body["data"]["id"]
    assert is_valid_nuban(wallet["account_number"])
    listed = await client.get(f"/v1/customers/{body['data']['id']}/accounts")
    assert [a["id"] for a in listed.json()["data"]] == [wallet["id"]]
    events = await client.get("/v1/events", params={"customer": body["data"]["id"]})
    assert [e["type"] for e in events.json()["data"]] == ["account.created", "customer.created"]
    plain = await client.post("/v1/customers", json=factories.individual())
    assert "meta" not in plain.json()
    bad = await client.post("/v1/customers", json=factories.individual(create_wallet="yes"))
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"][0]["field"] == "create_wallet"


async def test_an_account_closes_only_at_a_zero_balance_and_terminates_its_cards(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    account = await new_account(client, customer_id)
    card = await new_card(client, customer_id, account["id"])
    await credit(client, account["id"], 100, "c")

    refused = await client.post(f"/v1/accounts/{account['id']}/close")
    assert refused.status_code == 409
    assert refused.json()["error"]["type"] == "account_balance_not_zero"
    assert (await post(client, account["id"], "debit", 100, "d")).status_code == 201
    closed = await client.post(f"/v1/accounts/{account['id']}/close")

    assert closed.status_code == 200
    assert closed.json()["data"]["status"] == "closed"
    assert closed.json()["data"]["closed_at"] is not None
    assert closed.json()["meta"]["cascade"]["cards"] == [
        {"id": card["id"], "status": {"old": "active", "new": "terminated"}}
    ]
    assert (await client.get(f"/v1/cards/{card['id']}")).json()["data"]["status"] == "terminated"
    again = await client.post(f"/v1/accounts/{account['id']}/close")
    assert again.json()["error"]["type"] == "account_closed"


async def test_a_card_keeps_only_last4_brand_and_expiry(
    client: httpx.AsyncClient, database: Database
) -> None:
    customer_id = await new_customer(client)
    account = await new_account(client, customer_id)
    card = await new_card(client, customer_id, account["id"], brand="mastercard")

    assert set(card) == {
        "id", "object", "customer_id", "account_id", "type", "brand", "last4",
        "expiry_month", "expiry_year", "status", "status_reason", "created_at", "updated_at",
    }  # fmt: skip
    assert card["brand"] == "mastercard"
    assert len(card["last4"]) == 4
    assert card["last4"].isdigit()
    assert card["expiry_year"] >= 2029
    assert 1 <= card["expiry_month"] <= 12
    async with database.read_session() as session:
        row = (await session.execute(text("SELECT * FROM cards"))).mappings().one()
    # No stored value holds more than four consecutive digits of a card number.
    stored = [str(v) for k, v in row.items() if k not in ("expiry_year",)]
    assert not any(value.isdigit() and len(value) > 4 for value in stored)


async def test_a_card_needs_an_active_account_of_the_same_customer(
    client: httpx.AsyncClient,
) -> None:
    mine = await new_customer(client)
    theirs = await new_customer(client)
    their_account = await new_account(client, theirs)
    response = await client.post(
        f"/v1/customers/{mine}/cards", json={"account_id": their_account["id"], "brand": "visa"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "account_id"
    bad_brand = await client.post(
        f"/v1/customers/{theirs}/cards", json={"account_id": their_account["id"], "brand": "amex"}
    )
    assert bad_brand.status_code == 422
    assert bad_brand.json()["error"]["fields"][0]["field"] == "brand"
    assert (await client.post(f"/v1/accounts/{their_account['id']}/close")).status_code == 200
    closed = await client.post(
        f"/v1/customers/{theirs}/cards", json={"account_id": their_account["id"], "brand": "visa"}
    )
    assert closed.status_code == 409
    assert closed.json()["error"]["type"] == "account_closed"


async def test_freeze_unfreeze_and_terminate_move_a_card_through_its_states(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    account = await new_account(client, customer_id)
    card = await new_card(client, customer_id, account["id"])
    path = f"/v1/cards/{card['id']}"

    async def act(action: str) -> tuple[int, str]:
        response = await client.post(f"{path}/{action}")
        body = response.json()
        return response.status_code, body["data"]["status"] if body["success"] else body["error"][
            "type"
        ]

    assert await act("unfreeze") == (409, "card_not_frozen")
    assert await act("freeze") == (200, "frozen")
    assert await act("freeze") == (409, "card_not_active")
    assert await act("unfreeze") == (200, "active")
    assert await act("terminate") == (200, "terminated")
    assert await act("unfreeze") == (409, "card_terminated")
    events = await client.get("/v1/events", params={"type": "card.*"})
    assert [e["type"] for e in events.json()["data"]] == [
        "card.terminated",
        "card.unfrozen",
        "card.frozen",
        "card.created",
    ]
    history = (await client.get(f"/v1/customers/{customer_id}/history")).json()["data"]
    assert history[2]["action"] == "card.frozen"
    assert history[2]["changes"]["status"] == {"old": "active", "new": "frozen"}


async def _statuses(client: httpx.AsyncClient, customer_id: str) -> dict[str, Any]:
    accounts = (await client.get(f"/v1/customers/{customer_id}/accounts")).json()["data"]
    cards = (await client.get(f"/v1/customers/{customer_id}/cards")).json()["data"]
    return {item["id"]: item["status"] for item in accounts + cards}


async def test_archive_deactivates_active_accounts_and_cards_and_unarchive_restores_exactly_those(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    main = await new_account(client, customer_id)
    spare = await new_account(client, customer_id)
    closed = await new_account(client, customer_id)
    assert (await client.post(f"/v1/accounts/{closed['id']}/close")).status_code == 200
    active_card = await new_card(client, customer_id, main["id"])
    frozen_card = await new_card(client, customer_id, main["id"], brand="visa")
    assert (await client.post(f"/v1/cards/{frozen_card['id']}/freeze")).status_code == 200
    gone_card = await new_card(client, customer_id, spare["id"])
    assert (await client.post(f"/v1/cards/{gone_card['id']}/terminate")).status_code == 200
    before = await _statuses(client, customer_id)

    archived = await client.post(f"/v1/customers/{customer_id}/archive")

    assert archived.status_code == 200
    cascade = archived.json()["meta"]["cascade"]
    change = {"old": "active", "new": "inactive"}
    assert cascade == {
        "accounts": [{"id": main["id"], "status": change}, {"id": spare["id"], "status": change}],
        "cards": [{"id": active_card["id"], "status": change}],
    }
    assert await _statuses(client, customer_id) == {
        **before,
        main["id"]: "inactive",
        spare["id"]: "inactive",
        active_card["id"]: "inactive",
    }
    # Nothing of an archived customer changes until it is unarchived.
    assert (await client.post(f"/v1/cards/{frozen_card['id']}/unfreeze")).json()["error"][
        "type"
    ] == "customer_archived"
    assert (await client.post(f"/v1/customers/{customer_id}/accounts", json={})).status_code == 409

    unarchived = await client.post(f"/v1/customers/{customer_id}/unarchive")

    assert unarchived.status_code == 200
    back = {"old": "inactive", "new": "active"}
    assert unarchived.json()["meta"]["cascade"] == {
        "accounts": [{"id": main["id"], "status": back}, {"id": spare["id"], "status": back}],
        "cards": [{"id": active_card["id"], "status": back}],
    }
    assert await _statuses(client, customer_id) == before
    summary = (await client.get(f"/v1/customers/{customer_id}/summary")).json()["data"]
    assert summary["accounts"]["by_status"] == {"active": 2, "inactive": 0, "closed": 1}
    assert summary["cards"]["by_status"] == {
        "active": 1,
        "frozen": 1,
        "inactive": 0,
        "terminated": 1,
    }
    events = (await client.get("/v1/events", params={"customer": customer_id})).json()["data"]
    kinds = [e["type"] for e in events]
    assert kinds.count("account.deactivated") == kinds.count("account.reactivated") == 2
    assert kinds.count("card.deactivated") == kinds.count("card.reactivated") == 1


async def test_an_archive_without_accounts_reports_an_empty_cascade(
    client: httpx.AsyncClient,
) -> None:
    customer_id = await new_customer(client)
    archived = await client.post(f"/v1/customers/{customer_id}/archive")
    assert archived.json()["meta"] == {"cascade": {"accounts": [], "cards": []}}


async def test_another_tenant_cannot_see_or_change_cards(
    client: httpx.AsyncClient, app_client: httpx.AsyncClient, org: Any
) -> None:
    customer_id = await new_customer(client)
    account = await new_account(client, customer_id)
    card = await new_card(client, customer_id, account["id"])
    live = org.auth("live")
    assert (await app_client.get(f"/v1/cards/{card['id']}", headers=live)).status_code == 404
    frozen = await app_client.post(f"/v1/cards/{card['id']}/freeze", headers=live)
    assert frozen.status_code == 404
    assert frozen.json()["error"]["type"] == "card_not_found"
    closing = await app_client.post(f"/v1/accounts/{account['id']}/close", headers=live)
    assert closing.json()["error"]["type"] == "account_not_found"
    opening = await app_client.post(f"/v1/customers/{customer_id}/accounts", json={}, headers=live)
    assert opening.status_code == 404
