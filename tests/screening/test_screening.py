"""Sanctions screening through the API and the lists, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import func, select

from customerbase.app import create_app
from customerbase.config import Settings
from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database
from customerbase.models import Event, Watchlist, WatchlistAlias, WatchlistEntry
from customerbase.screening import service
from customerbase.screening.continuous import ContinuousScreening, rescreen_customers
from customerbase.screening.formats import read_lists
from customerbase.screening.watchlists import ImportResult, import_list
from tests import factories
from tests.cli_support import cli_env, run_cli

DATA = Path(__file__).parent / "data"
OFAC, OFAC_UPDATE, UN = DATA / "ofac", DATA / "ofac_update", DATA / "un"


async def import_lists(database: Database, *paths: Path) -> list[ImportResult]:
    results = []
    for parsed in read_lists(list(paths)):
        async with database.write_session() as session:
            results.append(await import_list(session, parsed))
    return results


async def create(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post("/v1/customers", json=factories.individual(**fields))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


async def read(client: httpx.AsyncClient, customer_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/customers/{customer_id}")
    assert response.status_code == 200
    data: dict[str, Any] = response.json()["data"]
    return data


async def review(client: httpx.AsyncClient, customer_id: str, **body: Any) -> httpx.Response:
    return await client.post(f"/v1/customers/{customer_id}/screening/review", json=body)


async def event_types(database: Database, customer_id: str) -> list[str]:
    async with database.read_session() as session:
        rows = await session.scalars(
            select(Event.type).where(Event.customer_id == uuid.UUID(customer_id)).order_by(Event.id)
        )
        return list(rows)


async def test_importing_both_formats_stores_entries_aliases_and_a_version(
    database: Database,
) -> None:
    results = await import_lists(database, OFAC, UN)
    assert [(r.list_name, r.version, r.changed, r.entries, r.aliases) for r in results] == [
        ("ofac_sdn", 1, True, 12, 9),
        ("un_consolidated", 1, True, 5, 9),
    ]
    async with database.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(WatchlistEntry)) == 17
        assert await session.scalar(select(func.count()).select_from(WatchlistAlias)) == 18
        token = (await session.get(Watchlist, "ofac_sdn")).token  # type: ignore[union-attr]

    [again] = await import_lists(database, OFAC)  # the same file: nothing changes
    assert (again.version, again.changed, again.added, again.updated, again.removed) == (
        1,
        False,
        0,
        0,
        0,
    )
    [update] = await import_lists(database, OFAC_UPDATE)
    assert (update.version, update.changed, update.added, update.updated, update.removed) == (
        2,
        True,
        1,
        1,
        1,
    )
    async with database.read_session() as session:
        watchlist = await session.get(Watchlist, "ofac_sdn")
        assert watchlist is not None
        assert watchlist.token != token
        assert watchlist.entry_count == 12
        removed = await session.get(WatchlistEntry, ("ofac_sdn", "36"))
        assert removed is None


@pytest.mark.parametrize(
    ("first_name", "last_name"),
    [
        ("Vladimir", "Putin"),
        ("Putin", "Vladimir"),  # reordered
        ("Владимир", "Путин"),  # Cyrillic
        ("Vladimir", "Putn"),  # misspelt
    ],
)
async def test_a_sanctioned_name_and_its_variants_are_caught_at_onboarding(
    database: Database, client: httpx.AsyncClient, first_name: str, last_name: str
) -> None:
    await import_lists(database, OFAC, UN)
    customer = await create(client, first_name=first_name, last_name=last_name)
    assert customer["screening_status"] == "potential_match"
    [hit] = customer["screening_hits"]
    assert set(hit) == {
        "id",
        "list",
        "entry_id",
        "name",
        "matched_name",
        "score",
        "status",
        "reason",
        "reviewed_at",
    }
    assert (hit["list"], hit["entry_id"], hit["name"], hit["status"]) == (
        "ofac_sdn",
        "27450",
        "PUTIN, Vladimir Vladimirovich",
        "open",
    )
    assert 0.84 <= hit["score"] <= 1.0
    assert await read(client, customer["id"]) == customer  # stored with the customer


async def test_a_business_and_an_alias_are_caught_and_a_plain_name_is_clear(
    database: Database, client: httpx.AsyncClient
) -> None:
    await import_lists(database, OFAC, UN)
    response = await client.post(
        "/v1/customers", json=factories.business(company_name="Kola Foods Ltd")
    )
    business = response.json()["data"]
    assert business["screening_status"] == "potential_match"
    assert [(h["entry_id"], h["matched_name"]) for h in business["screening_hits"]] == [
        ("30001", "KOLA FOODS LIMITED")
    ]
    osama = await create(client, first_name="Osama", last_name="bin Laden")
    assert [(h["entry_id"], h["matched_name"]) for h in osama["screening_hits"]] == [
        ("2674", "BIN LADEN, Osama")
    ]
    plain = await create(client, first_name="Ayo", last_name="Oladeji")
    assert (plain["screening_status"], plain["screening_hits"]) == ("clear", [])
    shared_first_name = await create(client, first_name="Vladimir", last_name="Oladeji")
    assert shared_first_name["screening_status"] == "clear"


async def test_without_lists_every_customer_is_clear(client: httpx.AsyncClient) -> None:
    customer = await create(client, first_name="Vladimir", last_name="Putin")
    assert (customer["screening_status"], customer["screening_hits"]) == ("clear", [])


async def test_a_name_change_screens_the_customer_again(
    database: Database, client: httpx.AsyncClient
) -> None:
    await import_lists(database, OFAC, UN)
    customer = await create(client, first_name="Ayo", last_name="Oladeji")
    renamed = await client.patch(
        f"/v1/customers/{customer['id']}", json={"first_name": "Yevgeniy", "last_name": "Prigozhin"}
    )
    assert renamed.json()["data"]["screening_status"] == "potential_match"
    assert [h["entry_id"] for h in renamed.json()["data"]["screening_hits"]] == ["25555"]
    back = await client.patch(
        f"/v1/customers/{customer['id']}", json={"first_name": "Ayo", "last_name": "Oladeji"}
    )
    assert back.json()["data"]["screening_status"] == "clear"
    assert (await event_types(database, customer["id"]))[-2:] == [
        "customer.updated",
        "customer.updated",
    ]


async def test_after_a_list_update_every_customer_is_screened_again(
    database: Database, client: httpx.AsyncClient, vault: Vault
) -> None:
    await import_lists(database, OFAC, UN)
    # Clear under the first lists; ADEYEMI is added by the update, in a misspelt, reordered form.
    customer = await create(client, first_name="Adeyemi", last_name="Oluwaseun")
    business = (
        await client.post("/v1/customers", json=factories.business(company_name="Kola Foods"))
    ).json()["data"]
    dismissed = await review(client, business["id"], decision="dismiss", reason="other Kola")
    assert dismissed.json()["data"]["screening_status"] == "clear"
    assert customer["screening_status"] == "clear"

    await import_lists(database, OFAC_UPDATE)
    summary = await rescreen_customers(database, vault, batch_size=1)
    assert (summary.screened, summary.changed, summary.skipped) == (2, 2, 0)

    after = await read(client, customer["id"])
    assert after["screening_status"] == "potential_match"
    assert [(h["entry_id"], h["name"]) for h in after["screening_hits"]] == [
        ("30004", "ADEYEMI, Oluwaseun Babatunde")
    ]
    # Kola Foods' entry changed (its remarks): the dismissed hit comes back as a new open hit.
    again = await read(client, business["id"])
    assert again["screening_status"] == "potential_match"
    [hit] = again["screening_hits"]
    assert hit["status"] == "open"
    assert hit["id"] != dismissed.json()["data"]["id"]
    assert (await event_types(database, customer["id"]))[-1] == "customer.screening_updated"
    # A second sweep has nothing left to do.
    assert (await rescreen_customers(database, vault)).screened == 0


async def test_a_dismissed_hit_does_not_come_back_while_its_entry_is_unchanged(
    database: Database, client: httpx.AsyncClient, vault: Vault
) -> None:
    await import_lists(database, OFAC, UN)
    customer = await create(client, first_name="Vladimir", last_name="Putin")
    [hit] = customer["screening_hits"]
    response = await review(client, customer["id"], decision="dismiss", reason="a namesake")
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["screening_status"], data["screening_hits"], data["blacklisted"]) == (
        "clear",
        [],
        False,
    )
    await import_lists(database, OFAC_UPDATE)  # the lists change, Putin's entry does not
    summary = await rescreen_customers(database, vault)
    assert summary.screened == 1
    assert summary.changed == 0
    assert (await read(client, customer["id"]))["screening_status"] == "clear"
    assert (await event_types(database, customer["id"]))[-1] == "customer.screening_reviewed"
    assert hit["id"]


async def test_confirming_a_hit_blacklists_the_customer_with_the_reason(
    database: Database, client: httpx.AsyncClient, vault: Vault
) -> None:
    await import_lists(database, OFAC, UN)
    customer = await create(client, first_name="Yevgeniy", last_name="Prigozhin")
    response = await review(
        client, customer["id"], decision="confirm", reason="DOB and nationality match"
    )
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["screening_status"] == "confirmed_match"
    assert (data["blacklisted"], data["blacklist_reason"]) == (True, "DOB and nationality match")
    [hit] = data["screening_hits"]
    assert (hit["status"], hit["reason"]) == ("confirmed", "DOB and nationality match")
    await import_lists(database, OFAC_UPDATE)
    await rescreen_customers(database, vault)
    assert (await read(client, customer["id"]))["screening_status"] == "confirmed_match"
    history = await client.get(f"/v1/customers/{customer['id']}/history")
    assert history.json()["data"][0]["action"] == "customer.screening_reviewed"


async def test_review_errors(database: Database, client: httpx.AsyncClient) -> None:
    await import_lists(database, OFAC, UN)
    plain = await create(client, first_name="Ayo", last_name="Oladeji")
    none = await review(client, plain["id"], decision="confirm", reason="x")
    assert (none.status_code, none.json()["error"]["type"]) == (409, "no_open_screening_hit")

    two = await create(client, first_name="Ayman", last_name="al-Zawahiri")  # SDN and UN
    assert sorted(h["list"] for h in two["screening_hits"]) == ["ofac_sdn", "un_consolidated"]
    several = await review(client, two["id"], decision="dismiss", reason="x")
    assert several.status_code == 422
    assert several.json()["error"]["fields"][0]["field"] == "hit_id"
    unknown = await review(client, two["id"], decision="dismiss", reason="x", hit_id="nope")
    assert (unknown.status_code, unknown.json()["error"]["type"]) == (
        404,
        "screening_hit_not_found",
    )
    first = two["screening_hits"][0]["id"]
    assert (
        await review(client, two["id"], decision="dismiss", reason="x", hit_id=first)
    ).is_success
    twice = await review(client, two["id"], decision="confirm", reason="x", hit_id=first)
    assert (twice.status_code, twice.json()["error"]["type"]) == (
        409,
        "screening_hit_already_reviewed",
    )
    left = await review(client, two["id"], decision="dismiss", reason="x")  # one open hit left
    assert left.json()["data"]["screening_status"] == "clear"

    missing = await review(
        client, "01a1fcd2-80a4-7c1e-9c31-5a3c6f0d1b2e", decision="dismiss", reason="x"
    )
    assert (missing.status_code, missing.json()["error"]["type"]) == (404, "customer_not_found")
    bad = await review(client, plain["id"], decision="maybe", reason="")
    assert bad.status_code == 422
    assert {f["field"] for f in bad.json()["error"]["fields"]} == {"decision", "reason"}


async def test_the_background_task_screens_customers_behind_the_lists(
    database: Database, client: httpx.AsyncClient, vault: Vault
) -> None:
    customer = await create(client, first_name="Qasem", last_name="Soleimani")
    worker = ContinuousScreening(database, vault, interval=3600)
    assert await worker.run_once() is None  # no lists yet
    await import_lists(database, OFAC, UN)
    summary = await worker.run_once()
    assert summary is not None
    assert summary.changed == 1
    assert (await read(client, customer["id"]))["screening_hits"][0]["entry_id"] == "15035"
    assert await worker.run_once() is None  # nothing behind any more
    worker.start()
    await worker.stop()


async def test_the_watchlists_commands(
    tmp_path: Path, database_url: str, client: httpx.AsyncClient
) -> None:
    customer = await create(client, first_name="Alisher", last_name="Usmanov")
    env = cli_env(tmp_path / "data", database_url)
    imported = await run_cli(env, "watchlists", "import", str(OFAC), str(UN / "consolidated.xml"))
    assert imported.code == 0, imported.err
    assert '"list": "ofac_sdn"' in imported.out
    assert '"list": "un_consolidated"' in imported.out
    listed = await run_cli(env, "watchlists", "list")
    assert listed.code == 0
    assert '"entries": 12' in listed.out
    swept = await run_cli(env, "watchlists", "rescreen")
    assert swept.code == 0
    assert '"screened": 1' in swept.out
    assert (await read(client, customer["id"]))["screening_status"] == "clear"
    refused = await run_cli(env, "watchlists", "import", str(tmp_path / "missing.csv"))
    assert refused.code == 1
    assert "no such file or folder" in refused.err


async def test_a_request_screens_with_the_previous_lists_while_the_new_index_builds(
    database: Database, client: httpx.AsyncClient
) -> None:
    await import_lists(database, OFAC)
    await create(client, first_name="Ayo", last_name="Oladeji")  # builds the first index
    async with database.read_session() as session:
        first_token = await service.lists_token(session)
    await import_lists(database, OFAC_UPDATE)
    service.configure(serve_previous_while_building=True)
    try:
        async with database.read_session() as session:
            new_token = await service.lists_token(session)
            served, index = await service.current_index(session)
        assert (served, new_token != first_token) == (first_token, True)
        assert index is not None
        assert index.version == first_token
        customer = await create(client, first_name="Vladimir", last_name="Putin")
        assert customer["screening_status"] == "potential_match"  # the previous lists have him
    finally:
        service.configure(serve_previous_while_building=False)
    async with database.read_session() as session:
        served, index = await service.current_index(session)  # waits for the new index
    assert served == new_token


async def test_the_app_runs_continuous_screening_while_it_serves(
    settings: Settings, database: Database
) -> None:
    app = create_app(settings.model_copy(update={"screening_interval": 3600.0}), database=database)
    async with LifespanManager(app):
        worker = app.state.continuous_screening
        assert isinstance(worker, ContinuousScreening)
        assert worker._task is not None
        assert service.config.serve_previous_while_building
    assert worker._task is None
    assert not service.config.serve_previous_while_building
