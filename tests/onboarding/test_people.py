"""The people of a business: create, list, get, update, remove; inline on create (also as
Advancly's corporate_customer_people); ownership never above 100%, under concurrency too."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import func, select

from customerbase.kit.db import Database
from customerbase.models import Customer, CustomerPerson
from tests import factories
from tests.onboarding.support import assert_error, create, director, events, history, identity


def people_url(customer_id: str, person_id: str | None = None) -> str:
    base = f"/v1/customers/{customer_id}/people"
    return f"{base}/{person_id}" if person_id else base


async def add(client: httpx.AsyncClient, customer_id: str, person: dict[str, Any]) -> Any:
    response = await client.post(people_url(customer_id), json=person)
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def test_people_are_added_listed_read_updated_and_removed(
    client: httpx.AsyncClient,
) -> None:
    business = await create(client, factories.business())
    number = identity()
    adaeze = await add(
        client, business["id"], director("Adaeze", 60, identity_number=number, middle_name="N")
    )
    assert adaeze["full_name"] == "Adaeze N Adeyemi"
    assert adaeze["identity_number"] == f"*******{number[-4:]}"
    assert adaeze["date_of_birth"] == "1980-**-**"
    assert adaeze["person_type"] == ["director", "shareholder"]
    assert adaeze["ownership_percentage"] == 60
    assert adaeze["phone_number"] == "+2348031112222"
    tunde = await add(client, business["id"], director("Tunde", person_type="authorized_user"))
    assert tunde["person_type"] == ["authorized_user"]

    listed = await client.get(people_url(business["id"]))
    assert listed.status_code == 200
    assert [p["id"] for p in listed.json()["data"]] == [adaeze["id"], tunde["id"]]
    assert listed.json()["meta"] == {"item_count": 2}
    one = await client.get(people_url(business["id"], adaeze["id"]))
    assert one.json()["data"] == adaeze

    changed = await client.patch(
        people_url(business["id"], adaeze["id"]),
        json={"ownership_percentage": 75.5, "person_type": ["director", "beneficial_owner"]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["ownership_percentage"] == 75.5
    assert changed.json()["data"]["person_type"] == ["director", "beneficial_owner"]

    removed = await client.delete(people_url(business["id"], tunde["id"]))
    assert removed.status_code == 200
    assert (await client.get(people_url(business["id"], tunde["id"]))).status_code == 404
    kinds = [e["type"] for e in await events(client, business["id"])]
    assert kinds[:4] == [
        "customer.person.removed",
        "customer.person.updated",
        "customer.person.created",
        "customer.person.created",
    ]
    trail = await history(client, business["id"])
    assert trail[0]["action"] == "customer.person.removed"
    assert number not in str(trail)
    assert "Adaeze" not in str(trail)


async def test_a_business_is_created_with_two_directors_inline_in_one_transaction(
    client: httpx.AsyncClient,
) -> None:
    payload = factories.business(people=[director("Chidi", 50), director("Ngozi", 50)])
    created = await create(client, payload)
    people = (await client.get(people_url(created["id"]))).json()["data"]
    assert [(p["first_name"], p["ownership_percentage"]) for p in people] == [
        ("Chidi", 50),
        ("Ngozi", 50),
    ]
    kinds = sorted(e["type"] for e in await events(client, created["id"]))
    assert kinds == ["customer.created", "customer.person.created", "customer.person.created"]


async def test_advancly_corporate_customer_people_with_numeric_person_type_are_accepted(
    client: httpx.AsyncClient,
) -> None:
    advancly_person = {
        "first_name": "antonio",
        "last_name": "banderas",
        "middle_name": "",
        "email": "antband@yopmail.com",
        "gender": "male",
        "date_of_birth": "1992-04-14",
        "address": "neisndf",
        "city": "neodnrtb",
        "state": "nasmddi",
        "phone_number": "08182834494",  # the seed's 0918 prefix is not allocated
        "country_code": "NG",
        "person_type": 1,
        "identity_number": "22397319289",
        "individual_tax_identification-number": "",
        "educational_qualification": "Emeritus",
    }
    created = await create(client, factories.business(corporate_customer_people=[advancly_person]))
    (person,) = (await client.get(people_url(created["id"]))).json()["data"]
    assert person["person_type"] == ["director"]
    assert person["middle_name"] is None
    assert person["address"] == {
        "street": "neisndf",
        "city": "neodnrtb",
        "state": "nasmddi",
        "country": "NG",
    }
    assert person["phone_number"] == "+2348182834494"
    assert person["identity_number"] == "*******9289"
    assert person["educational_qualification"] == "Emeritus"


async def test_an_invalid_inline_person_leaves_nothing_stored(
    client: httpx.AsyncClient, database: Database
) -> None:
    payload = factories.business(
        people=[director("Chidi", 60), director("Ngozi", 50, phone_number="0803")]
    )
    response = await client.post("/v1/customers", json=payload)
    assert response.status_code == 422, response.text
    fields = [f["field"] for f in response.json()["error"]["fields"]]
    assert fields == ["people[1].phone_number", "people[1].ownership_percentage"]
    async with database.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(Customer)) == 0
        assert await session.scalar(select(func.count()).select_from(CustomerPerson)) == 0


async def test_people_inline_on_an_individual_is_a_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/v1/customers", json=factories.individual(people=[director("Chidi")])
    )
    assert_error(response, 422, "validation_error", "people")


async def test_a_person_of_an_individual_is_a_409_not_a_business(
    client: httpx.AsyncClient,
) -> None:
    individual = await create(client, factories.individual())
    response = await client.post(people_url(individual["id"]), json=director("Chidi"))
    assert_error(response, 409, "not_a_business")


async def test_person_validation_names_each_field(client: httpx.AsyncClient) -> None:
    business = await create(client, factories.business())
    cases: list[tuple[dict[str, Any], str]] = [
        (director("A", 101), "ownership_percentage"),
        (director("A", -1), "ownership_percentage"),
        (director("A", 10.555), "ownership_percentage"),
        (director("A", person_type=["chairman"]), "person_type[0]"),
        (director("A", person_type=[]), "person_type"),
        (director("A", person_type=["director", "director"]), "person_type"),
        (director("A", identity_number="123"), "identity_number"),
        (director("A", email="nope"), "email"),
        (director("A", date_of_birth="2999-01-01"), "date_of_birth"),
        ({k: v for k, v in director("A").items() if k != "last_name"}, "last_name"),
    ]
    for person, field in cases:
        response = await client.post(people_url(business["id"]), json=person)
        assert_error(response, 422, "validation_error", field)
    listed = await client.get(people_url(business["id"]))
    assert listed.json()["data"] == []


async def test_ownership_over_100_is_a_409_and_updates_are_checked_too(
    client: httpx.AsyncClient,
) -> None:
    business = await create(client, factories.business())
    first = await add(client, business["id"], director("Chidi", 70))
    response = await client.post(people_url(business["id"]), json=director("Ngozi", 30.01))
    assert_error(response, 409, "ownership_exceeded", "ownership_percentage")
    await add(client, business["id"], director("Ngozi", 30))
    response = await client.patch(
        people_url(business["id"], first["id"]), json={"ownership_percentage": 70.5}
    )
    assert_error(response, 409, "ownership_exceeded", "ownership_percentage")


async def test_concurrent_additions_never_take_the_total_past_100(
    client: httpx.AsyncClient,
) -> None:
    business = await create(client, factories.business())
    responses = await asyncio.gather(
        *(client.post(people_url(business["id"]), json=director(f"P{n}", 30)) for n in range(8))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 3 + [409] * 5
    people = (await client.get(people_url(business["id"]))).json()["data"]
    assert sum(p["ownership_percentage"] for p in people) == 90


async def test_people_of_another_organization_do_not_exist(
    client: httpx.AsyncClient, database: Database
) -> None:
    from tests.conftest import make_org

    business = await create(client, factories.business())
    person = await add(client, business["id"], director("Chidi"))
    other = await make_org(database, "Other Bank")
    headers = other.auth("test")
    assert (await client.get(people_url(business["id"]), headers=headers)).status_code == 404
    response = await client.get(people_url(business["id"], person["id"]), headers=headers)
    assert response.status_code == 404
    response = await client.delete(people_url(business["id"], person["id"]), headers=headers)
    assert response.status_code == 404


async def test_erasing_a_business_removes_its_people(
    client: httpx.AsyncClient, database: Database
) -> None:
    business = await create(client, factories.business(people=[director("Chidi", 10)]))
    assert (await client.delete(f"/v1/customers/{business['id']}")).status_code == 200
    async with database.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(CustomerPerson)) == 0
