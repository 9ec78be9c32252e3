"""Look-up through blind indexes, and blacklisting with `block_identifiers`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from customerbase.kit.db import Database
from customerbase.models import IdentityBlock
from tests import factories
from tests.conftest import make_org
from tests.onboarding.support import assert_error, create, identity, read

LOOKUP = "/v1/customers/lookup"


async def test_lookup_finds_a_customer_by_each_identifier(client: httpx.AsyncClient) -> None:
    bvn, nin = identity(), identity()
    target = await create(
        client,
        factories.individual(
            bvn=bvn,
            nin=nin,
            tax_identification_number="2345678901",
            phone_number="+2348077776666",
        ),
    )
    await create(client, factories.individual(bvn=identity()))
    for body in (
        {"bvn": bvn},
        {"nin": nin},
        {"tax_identification_number": "23456789-01"},
        {"phone_number": "+2348077776666"},
        {"phone_number": "08077776666", "country": "NG"},
    ):
        response = await client.post(LOOKUP, json=body)
        assert response.status_code == 200, response.text
        assert response.json()["data"] == [target], body
        assert response.json()["meta"] == {"item_count": 1}


async def test_lookup_of_an_unknown_identifier_is_an_empty_list(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(LOOKUP, json={"bvn": identity()})
    assert response.status_code == 200
    assert response.json()["data"] == []


async def test_lookup_does_not_see_other_tenants_or_erased_customers(
    client: httpx.AsyncClient, database: Database
) -> None:
    bvn = identity()
    customer = await create(client, factories.individual(bvn=bvn))
    other = await make_org(database, "Other Bank")
    response = await client.post(LOOKUP, json={"bvn": bvn}, headers=other.auth("test"))
    assert response.json()["data"] == []
    response = await client.post(LOOKUP, json={"bvn": bvn}, headers=other.auth("live"))
    assert response.json()["data"] == []
    await client.delete(f"/v1/customers/{customer['id']}")
    assert (await client.post(LOOKUP, json={"bvn": bvn})).json()["data"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"bvn": "22212345678", "nin": "22212345679"}, "body"),
        ({"bvn": "1234"}, "bvn"),
        ({"phone_number": "08077776666"}, "phone_number"),
        ({"email": "a@b.co"}, "email"),
    ],
)
async def test_an_invalid_lookup_is_a_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    assert_error(await client.post(LOOKUP, json=body), 422, "validation_error", field)


# --- Blacklisting with block_identifiers -----------------------------------------------------


async def _blacklist(client: httpx.AsyncClient, customer_id: str, body: dict[str, Any]) -> Any:
    response = await client.post(f"/v1/customers/{customer_id}/blacklist", json=body)
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_block_identifiers_refuses_each_identity_until_the_blacklist_is_lifted(
    client: httpx.AsyncClient, database: Database
) -> None:
    bvn, nin = identity(), identity()
    customer = await create(
        client,
        factories.individual(
            email="fraud@example.com",
            phone_number="+2348066665555",
            bvn=bvn,
            nin=nin,
            tax_identification_number="3456789012",
        ),
    )
    shown = await _blacklist(
        client, customer["id"], {"blacklist": True, "reason": "fraud", "block_identifiers": True}
    )
    assert shown["identifiers_blocked"] is True
    async with database.read_session() as session:
        kinds = sorted((await session.scalars(select(IdentityBlock.kind))).all())
    assert kinds == ["bvn", "email", "nin", "phone_number", "tin"]

    for fields, named in (
        ({"email": "FRAUD@example.com"}, "email"),
        ({"phone_number": "08066665555"}, "phone_number"),
        ({"bvn": bvn}, "bvn"),
        ({"nin": nin}, "nin"),
        ({"tax_identification_number": "3456789012"}, "tax_identification_number"),
    ):
        response = await client.post("/v1/customers", json=factories.individual(**fields))
        assert_error(response, 409, "blocked_identity", named)

    lifted = await _blacklist(client, customer["id"], {"blacklist": False})
    assert lifted["identifiers_blocked"] is False
    async with database.read_session() as session:
        assert (await session.scalars(select(IdentityBlock))).all() == []
    await create(client, factories.individual(phone_number="08066665555"))
    kinds = [
        e["type"]
        for e in (await client.get("/v1/events", params={"customer": customer["id"]})).json()[
            "data"
        ]
    ]
    assert kinds[:2] == ["customer.unblacklisted", "customer.blacklisted"]


async def test_a_plain_blacklist_blocks_nothing(
    client: httpx.AsyncClient, database: Database
) -> None:
    customer = await create(client, factories.individual(email="plain@example.com"))
    shown = await _blacklist(client, customer["id"], {"blacklist": True, "reason": "late"})
    assert shown["identifiers_blocked"] is False
    async with database.read_session() as session:
        assert (await session.scalars(select(IdentityBlock))).all() == []
    assert (await read(client, customer["id"]))["blacklisted"] is True


async def test_erasing_a_customer_blocked_by_its_blacklist_keeps_the_blocks(
    client: httpx.AsyncClient, database: Database
) -> None:
    bvn = identity()
    customer = await create(client, factories.individual(bvn=bvn))
    await _blacklist(client, customer["id"], {"blacklist": True, "block_identifiers": True})
    assert (await client.delete(f"/v1/customers/{customer['id']}")).status_code == 200
    response = await client.post("/v1/customers", json=factories.individual(bvn=bvn))
    assert_error(response, 409, "blocked_identity", "bvn")
