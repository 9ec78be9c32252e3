"""What a new user found in the core, pinned down: search meaning (phone digits, Unicode),
unambiguous look-ups, blocks that outlive erasure, address merging, previous cursors, and
erased data gone from SQLite's WAL. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from customerbase.customers import blocks
from customerbase.kit.db import Database
from customerbase.models import IdentityBlock
from tests import factories
from tests.cli_support import cli_env, run_cli
from tests.customers.test_lifecycle import (
    assert_error,
    assert_validation_error,
    create,
    read,
)


async def ids_for(client: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await client.get("/v1/customers", params={"take": 100, **params})
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["data"]]


# --- 1. Phone search --------------------------------------------------------------------


async def test_phone_search_drops_one_trunk_zero_only(client: httpx.AsyncClient) -> None:
    phones = ["+2348021234567", "+2348032222222", "+2347012345672", "+2349022220000"]
    for n, phone in enumerate(phones):
        await create(client, factories.individual(phone_number=phone, email=f"p{n}@example.com"))

    for text in ("0002", "0000002", "2", "22", "002", "0"):
        assert await ids_for(client, q=text) == [], text


async def test_phone_search_needs_four_digits_and_matches_the_number_start(
    client: httpx.AsyncClient,
) -> None:
    target = await create(client, factories.individual(phone_number="+2348031234567"))
    await create(client, factories.individual(phone_number="+2348059876543"))

    assert await ids_for(client, q="08031") == [target["id"]]  # local form, trunk 0 dropped
    assert await ids_for(client, q="0803") == []  # three digits once the trunk 0 is gone
    assert await ids_for(client, q="803") == []
    assert await ids_for(client, q="8031") == [target["id"]]
    assert await ids_for(client, q="2348031") == [target["id"]]
    assert await ids_for(client, q="+234 803 123") == [target["id"]]
    assert await ids_for(client, q="1234567") == []  # not a prefix of the number


# --- 2. Unicode names -------------------------------------------------------------------


async def test_unicode_names_are_found_case_and_accent_insensitively(
    client: httpx.AsyncClient,
) -> None:
    sade = await create(client, factories.individual(first_name="Ṣadé", last_name="Ẹniọlá"))
    muller = await create(client, factories.individual(first_name="Jörg", last_name="Müller"))
    await create(client, factories.individual(first_name="Tunde", last_name="Okoro"))

    for text in ("Ṣadé", "ṣadé", "ṣa", "Ẹniọlá", "sade", "eniola", "SADE ENI", "ṢADÉ"):
        assert await ids_for(client, q=text) == [sade["id"]], text
    for text in ("muller", "MÜLLER", "jorg m"):
        assert await ids_for(client, q=text) == [muller["id"]], text


async def test_a_name_sent_decomposed_is_stored_composed_and_found_by_either_form(
    client: httpx.AsyncClient,
) -> None:
    decomposed = unicodedata.normalize("NFD", "Ṣadé")
    assert decomposed != "Ṣadé"
    created = await create(client, factories.individual(first_name=decomposed))

    assert created["first_name"] == "Ṣadé"
    assert unicodedata.is_normalized("NFC", created["first_name"])
    assert await ids_for(client, q="Ṣadé") == [created["id"]]
    assert await ids_for(client, q=decomposed) == [created["id"]]


async def test_search_follows_an_update_of_the_name(client: httpx.AsyncClient) -> None:
    created = await create(client, factories.individual(first_name="Ayo"))
    response = await client.patch(f"/v1/customers/{created['id']}", json={"first_name": "Ìbùkún"})
    assert response.status_code == 200, response.text

    assert await ids_for(client, q="ibukun") == [created["id"]]
    assert await ids_for(client, q="ayo olad") == []
    assert await ids_for(client, q="ibukun olad") == [created["id"]]


# --- 3. Unambiguous look-ups ------------------------------------------------------------


@pytest.mark.parametrize("reference", ["a@b", "a/b", "a?b", "a#b", "a b", "a\tb"])
async def test_a_reference_with_a_reserved_character_is_422_naming_reference(
    client: httpx.AsyncClient, reference: str
) -> None:
    response = await client.post("/v1/customers", json=factories.individual(reference=reference))
    assert_validation_error(response, "reference")
    existing = await create(client, factories.individual())
    patched = await client.patch(f"/v1/customers/{existing['id']}", json={"reference": reference})
    assert_validation_error(patched, "reference")


async def test_a_uuid_shaped_reference_is_found_when_no_customer_has_that_id(
    client: httpx.AsyncClient,
) -> None:
    reference = "0190c4f2-6d7e-7c3a-9b1e-2f4a5b6c7d8e"
    created = await create(client, factories.individual(reference=reference))
    assert (await read(client, reference))["id"] == created["id"]


# --- 4. Blocks outlive erasure ----------------------------------------------------------


async def _erase_blacklisted(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    created = await create(client, factories.individual(**fields))
    response = await client.post(
        f"/v1/customers/{created['id']}/blacklist", json={"blacklist": True, "reason": "fraud"}
    )
    assert response.status_code == 200, response.text
    erased = await client.delete(f"/v1/customers/{created['id']}")
    assert erased.status_code == 200, erased.text
    data: dict[str, Any] = erased.json()["data"]
    return data


@pytest.mark.parametrize(
    ("field", "fresh"),
    [
        ("bvn", {"bvn": "22212345678"}),
        ("nin", {"nin": "33312345678"}),
        ("email", {"email": "bad.actor@example.com"}),
        ("phone_number", {"phone_number": "+2348031112233"}),
    ],
)
async def test_erasing_a_blacklisted_customer_blocks_each_identity(
    client: httpx.AsyncClient, field: str, fresh: dict[str, str]
) -> None:
    erased = await _erase_blacklisted(
        client,
        bvn="22212345678",
        nin="33312345678",
        email="bad.actor@example.com",
        phone_number="+2348031112233",
    )
    assert erased["status"] == "deleted"
    assert erased["blacklisted"] is True  # the erased record says it was blacklisted
    assert erased["email"] is None

    response = await client.post("/v1/customers", json=factories.individual(**fresh))
    assert_error(response, 409, "blocked_identity", field)


async def test_a_blocked_email_or_phone_cannot_come_back_by_update(
    client: httpx.AsyncClient,
) -> None:
    await _erase_blacklisted(client, email="bad.actor@example.com", phone_number="+2348031112233")
    other = await create(client, factories.individual())

    by_email = await client.patch(
        f"/v1/customers/{other['id']}", json={"email": "BAD.actor@example.com"}
    )
    assert_error(by_email, 409, "blocked_identity", "email")
    by_phone = await client.patch(
        f"/v1/customers/{other['id']}", json={"phone_number": "+2348031112233"}
    )
    assert_error(by_phone, 409, "blocked_identity", "phone_number")


async def test_erasing_a_customer_who_is_not_blacklisted_blocks_nothing(
    client: httpx.AsyncClient,
) -> None:
    created = await create(client, factories.individual(bvn="22212345678"))
    assert (await client.delete(f"/v1/customers/{created['id']}")).status_code == 200
    again = await create(client, factories.individual(bvn="22212345678"))
    assert again["blacklisted"] is False


async def test_the_block_list_holds_no_plaintext_and_lifting_it_allows_onboarding(
    client: httpx.AsyncClient, database: Database
) -> None:
    erased = await _erase_blacklisted(
        client, bvn="22212345678", email="bad.actor@example.com", phone_number="+2348031112233"
    )
    async with database.read_session() as session:
        rows = (await session.scalars(select(IdentityBlock))).all()
    assert sorted(row.kind for row in rows) == ["bvn", "email", "phone_number"]
    for row in rows:
        assert row.customer_id.hex == erased["id"].replace("-", "")
        assert row.blind_index not in {"22212345678", "bad.actor@example.com", "+2348031112233"}
        assert len(row.blind_index) == 64

    async with database.write_session() as session:
        lifted = await blocks.lift_blocks(session, customer_id=rows[0].customer_id)
    assert lifted == 3
    again = await create(
        client,
        factories.individual(
            bvn="22212345678", email="bad.actor@example.com", phone_number="+2348031112233"
        ),
    )
    assert again["blacklisted"] is False


async def test_blocks_are_per_tenant(client: httpx.AsyncClient, org: Any) -> None:
    await _erase_blacklisted(client, bvn="22212345678")
    live = await client.post(
        "/v1/customers", json=factories.individual(bvn="22212345678"), headers=org.auth("live")
    )
    assert live.status_code == 201, live.text


# --- 5. Address merges ------------------------------------------------------------------


async def test_patch_of_address_merges_and_a_null_key_removes_it(
    client: httpx.AsyncClient,
) -> None:
    created = await create(
        client,
        factories.individual(
            address={"street": "12 Admiralty Way", "city": "Lagos", "country": "NG"}
        ),
    )
    url = f"/v1/customers/{created['id']}"

    first = await client.patch(url, json={"address": {"city": "Abuja"}})
    assert first.status_code == 200, first.text
    assert first.json()["data"]["address"] == {
        "street": "12 Admiralty Way",
        "city": "Abuja",
        "country": "NG",
    }
    second = await client.patch(url, json={"address": {"street": None, "state": "FCT"}})
    assert second.json()["data"]["address"] == {"city": "Abuja", "country": "NG", "state": "FCT"}
    assert (await read(client, created["id"]))["address"] == second.json()["data"]["address"]

    cleared = await client.patch(url, json={"address": None})
    assert cleared.json()["data"]["address"] is None


# --- 6. Previous cursors ----------------------------------------------------------------


async def _three(client: httpx.AsyncClient) -> list[str]:
    return [(await create(client, factories.individual()))["id"] for _ in range(3)][::-1]


async def test_a_page_past_the_end_gives_a_previous_cursor_to_the_last_page(
    client: httpx.AsyncClient,
) -> None:
    newest_first = await _three(client)
    response = await client.get("/v1/customers", params={"take": 2, "page": 999})
    meta = response.json()["meta"]
    assert response.json()["data"] == []
    assert meta["has_previous_page"] is True
    assert meta["previous_cursor"] is not None

    back = await client.get(
        "/v1/customers", params={"take": 2, "ending_before": meta["previous_cursor"]}
    )
    assert [c["id"] for c in back.json()["data"]] == newest_first[-2:]


async def test_every_page_with_a_previous_page_gives_its_cursor(
    client: httpx.AsyncClient,
) -> None:
    newest_first = await _three(client)
    pages = [
        {"take": 1, "page": 2},
        {"take": 2, "starting_after": newest_first[0]},
        {"take": 2, "starting_after": newest_first[-1]},  # past the oldest: empty
    ]
    for params in pages:
        meta = (await client.get("/v1/customers", params=params)).json()["meta"]
        assert meta["has_previous_page"] is True, params
        assert meta["previous_cursor"] is not None, params
        back = await client.get(
            "/v1/customers", params={"take": 2, "ending_before": meta["previous_cursor"]}
        )
        assert back.status_code == 200
        assert back.json()["data"], params


async def test_an_empty_tenant_has_no_previous_or_next_page(client: httpx.AsyncClient) -> None:
    meta = (await client.get("/v1/customers", params={"page": 5})).json()["meta"]
    assert meta["has_previous_page"] is False
    assert meta["previous_cursor"] is None
    assert meta["has_next_page"] is False


# --- 10. Erased data leaves the SQLite WAL ----------------------------------------------


def _sqlite_bytes(path: Path) -> tuple[int, bytes]:
    """(size of the -wal file, the database and -wal files' bytes)."""
    wal = path.with_name(path.name + "-wal")
    wal_bytes = wal.read_bytes() if wal.exists() else b""
    return len(wal_bytes), path.read_bytes() + wal_bytes


async def test_erasure_leaves_no_copy_in_the_sqlite_wal(
    client: httpx.AsyncClient, database: Database, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("the write-ahead log file is SQLite's")
    created = await create(
        client,
        factories.individual(
            first_name="Canaryfirstname",
            last_name="Canarylastname",
            email="canary.person@example.com",
            reference="canary-reference-77",
        ),
    )
    # Later writes to other customers, as a real database sees them.
    for _ in range(3):
        await create(client, factories.individual())
    assert (await client.delete(f"/v1/customers/{created['id']}")).status_code == 200

    wal_size, stored = _sqlite_bytes(Path(str(database.url.database)))
    assert wal_size == 0
    for canary in (b"Canaryfirstname", b"canarylastname", b"canary.person", b"canary-reference"):
        assert canary not in stored.lower(), canary


async def test_blocks_list_and_lift_commands(
    client: httpx.AsyncClient, database_url: str, tmp_path: Path
) -> None:
    erased = await _erase_blacklisted(client, bvn="22212345678", email="bad.actor@example.com")
    env = cli_env(tmp_path / "cli-data", database_url)

    listed = await run_cli(env, "blocks", "list")
    assert listed.code == 0, listed.err
    rows = json.loads(listed.out)
    assert sorted(row["kind"] for row in rows) == ["bvn", "email", "phone_number"]
    assert {row["customer_id"] for row in rows} == {erased["id"]}
    assert "22212345678" not in listed.out
    assert "bad.actor" not in listed.out

    one = await run_cli(env, "blocks", "lift", rows[0]["id"])
    assert one.code == 0, one.err
    assert json.loads(one.out) == {"lifted": 1}
    rest = await run_cli(env, "blocks", "lift", "--customer", erased["id"])
    assert json.loads(rest.out) == {"lifted": 2}
    assert json.loads((await run_cli(env, "blocks", "list")).out) == []
    again = await run_cli(env, "blocks", "lift", "--customer", erased["id"])
    assert again.code != 0
    assert "No such block" in again.err
