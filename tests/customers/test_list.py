"""GET /v1/customers: order, envelope, page and cursor pagination, filters, search, tenancy."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from customerbase.kit.db import Database
from tests import factories
from tests.conftest import Org, make_org

META_KEYS = {
    "page",
    "take",
    "item_count",
    "item_count_exact",
    "page_count",
    "has_previous_page",
    "has_next_page",
    "next_cursor",
}


# --- helpers -----------------------------------------------------------------------------


async def create(
    client: httpx.AsyncClient,
    payload: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = await client.post(
        "/v1/customers", json=payload or factories.individual(), headers=headers
    )
    assert response.status_code == 201, response.text
    customer: dict[str, Any] = response.json()["data"]
    return customer


async def create_many(client: httpx.AsyncClient, count: int) -> list[str]:
    """Ids of `count` new individuals, oldest first."""
    return [(await create(client))["id"] for _ in range(count)]


async def list_customers(
    client: httpx.AsyncClient,
    headers: dict[str, str] | None = None,
    **params: Any,
) -> dict[str, Any]:
    response = await client.get("/v1/customers", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def ids_for(client: httpx.AsyncClient, **params: Any) -> list[str]:
    body = await list_customers(client, take=100, **params)
    if not {"starting_after", "ending_before"} & set(params):
        assert body["meta"]["item_count"] == len(body["data"])
    return [customer["id"] for customer in body["data"]]


async def assert_invalid(client: httpx.AsyncClient, field: str, **params: Any) -> None:
    response = await client.get("/v1/customers", params=params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["success"] is False
    assert body["error"]["type"] == "validation_error"
    assert field in [f["field"] for f in body["error"]["fields"]], body


def newest_first(ids: list[str]) -> list[str]:
    return list(reversed(ids))


def parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- order and envelope ------------------------------------------------------------------


async def test_list_returns_newest_first_in_the_list_envelope(client: httpx.AsyncClient) -> None:
    created = await create_many(client, 3)

    response = await client.get("/v1/customers")

    assert response.status_code == 200
    assert response.headers["X-Request-ID"]
    body = response.json()
    assert body["success"] is True
    assert isinstance(body["message"], str)
    assert body["message"]
    assert [c["id"] for c in body["data"]] == newest_first(created)
    assert set(body["meta"]) >= META_KEYS
    meta = body["meta"]
    assert meta["page"] == 1
    assert meta["take"] == 20
    assert meta["item_count"] == 3
    assert meta["page_count"] == 1
    assert meta["has_previous_page"] is False
    assert meta["has_next_page"] is False
    assert meta["next_cursor"] is None
    first = body["data"][0]
    assert first["status"] == "active"
    assert first["environment"] == "test"


async def test_list_of_an_empty_tenant_has_no_pages(client: httpx.AsyncClient) -> None:
    body = await list_customers(client)

    assert body["data"] == []
    assert body["meta"]["item_count"] == 0
    assert body["meta"]["page_count"] == 0
    assert body["meta"]["has_previous_page"] is False
    assert body["meta"]["has_next_page"] is False


async def test_default_take_is_twenty(client: httpx.AsyncClient) -> None:
    created = await create_many(client, 21)

    body = await list_customers(client)

    assert [c["id"] for c in body["data"]] == newest_first(created)[:20]
    assert body["meta"]["take"] == 20
    assert body["meta"]["item_count"] == 21
    assert body["meta"]["page_count"] == 2
    assert body["meta"]["has_next_page"] is True


async def test_take_of_one_hundred_is_allowed(client: httpx.AsyncClient) -> None:
    body = await list_customers(client, take=100)

    assert body["meta"]["take"] == 100


async def test_take_above_one_hundred_is_rejected_naming_take(client: httpx.AsyncClient) -> None:
    await assert_invalid(client, "take", take=101)


async def test_take_zero_is_rejected_naming_take(client: httpx.AsyncClient) -> None:
    await assert_invalid(client, "take", take=0)


async def test_take_not_a_number_is_rejected_naming_take(client: httpx.AsyncClient) -> None:
    await assert_invalid(client, "take", take="ten")


async def test_page_zero_is_rejected_naming_page(client: httpx.AsyncClient) -> None:
    await assert_invalid(client, "page", page=0)


async def test_unknown_query_parameter_is_rejected_naming_it(client: httpx.AsyncClient) -> None:
    await assert_invalid(client, "limit", limit=5)
    await assert_invalid(client, "sort", sort="name")


# --- page / take -------------------------------------------------------------------------


async def test_pages_split_the_customers_without_overlap(client: httpx.AsyncClient) -> None:
    created = await create_many(client, 7)
    expected = newest_first(created)

    pages = [await list_customers(client, page=n, take=3) for n in (1, 2, 3)]

    assert [[c["id"] for c in p["data"]] for p in pages] == [
        expected[0:3],
        expected[3:6],
        expected[6:7],
    ]
    seen = [c["id"] for p in pages for c in p["data"]]
    assert len(seen) == len(set(seen)) == 7
    assert set(seen) == set(created)
    for number, body in zip((1, 2, 3), pages, strict=True):
        meta = body["meta"]
        assert meta["page"] == number
        assert meta["take"] == 3
        assert meta["item_count"] == 7
        assert meta["page_count"] == 3
        assert meta["has_previous_page"] is (number > 1)
        assert meta["has_next_page"] is (number < 3)
    assert pages[2]["meta"]["next_cursor"] is None


async def test_page_beyond_the_end_is_empty_with_the_true_count(
    client: httpx.AsyncClient,
) -> None:
    await create_many(client, 7)

    body = await list_customers(client, page=4, take=3)

    assert body["data"] == []
    meta = body["meta"]
    assert meta["page"] == 4
    assert meta["item_count"] == 7
    assert meta["page_count"] == 3
    assert meta["has_previous_page"] is True
    assert meta["has_next_page"] is False


# --- cursor pagination -------------------------------------------------------------------


async def test_starting_after_returns_the_next_older_customers(
    client: httpx.AsyncClient,
) -> None:
    c = await create_many(client, 7)  # c[0] oldest ... c[6] newest

    body = await list_customers(client, starting_after=c[4], take=2)

    assert [x["id"] for x in body["data"]] == [c[3], c[2]]
    meta = body["meta"]
    assert meta["page"] is None
    assert meta["take"] == 2
    assert meta["item_count"] is None  # cursor mode counts only when asked
    assert meta["page_count"] is None
    counted = await list_customers(client, starting_after=c[4], take=2, include_count="true")
    assert counted["meta"]["item_count"] == 7
    assert counted["meta"]["item_count_exact"] is True
    assert counted["meta"]["page_count"] == 4
    assert meta["has_previous_page"] is True
    assert meta["has_next_page"] is True
    assert meta["next_cursor"] == c[2]


async def test_starting_after_near_the_end_has_no_next_page(client: httpx.AsyncClient) -> None:
    c = await create_many(client, 4)

    body = await list_customers(client, starting_after=c[1], take=3)

    assert [x["id"] for x in body["data"]] == [c[0]]
    assert body["meta"]["has_next_page"] is False
    assert body["meta"]["next_cursor"] is None
    assert body["meta"]["page"] is None


async def test_starting_after_the_oldest_customer_is_empty(client: httpx.AsyncClient) -> None:
    c = await create_many(client, 2)

    body = await list_customers(client, starting_after=c[0])

    assert body["data"] == []
    assert body["meta"]["has_next_page"] is False
    assert body["meta"]["next_cursor"] is None


async def test_cursor_walk_returns_every_customer_once_in_order(
    client: httpx.AsyncClient,
) -> None:
    created = await create_many(client, 7)

    first = await list_customers(client, take=3)
    walked = [c["id"] for c in first["data"]]
    cursor = first["meta"]["next_cursor"]
    assert cursor == walked[-1]
    requests = 0
    while cursor is not None:
        body = await list_customers(client, take=3, starting_after=cursor)
        requests += 1
        assert body["meta"]["page"] is None
        walked += [c["id"] for c in body["data"]]
        if body["meta"]["has_next_page"]:
            assert body["meta"]["next_cursor"] == body["data"][-1]["id"]
        else:
            assert body["meta"]["next_cursor"] is None
        cursor = body["meta"]["next_cursor"]
        assert requests < 10

    assert requests == 2
    assert walked == newest_first(created)


async def test_cursor_walk_neither_skips_nor_repeats_while_customers_are_created(
    client: httpx.AsyncClient,
) -> None:
    original = await create_many(client, 7)

    first = await list_customers(client, take=3)
    walked = [c["id"] for c in first["data"]]
    cursor = first["meta"]["next_cursor"]
    added: list[str] = []
    while cursor is not None:
        added += await create_many(client, 2)  # created between page requests
        body = await list_customers(client, take=3, starting_after=cursor, include_count="true")
        assert body["meta"]["item_count"] == len(original) + len(added)
        walked += [c["id"] for c in body["data"]]
        cursor = body["meta"]["next_cursor"]
        assert len(walked) <= len(original)

    assert walked == newest_first(original)
    assert not set(added) & set(walked)
    # The new ones are at the head of a fresh listing.
    fresh = await list_customers(client, take=4)
    assert [c["id"] for c in fresh["data"]] == newest_first(added)[:4]


async def test_cursor_walk_survives_the_cursor_customer_being_erased(
    client: httpx.AsyncClient,
) -> None:
    c = await create_many(client, 5)

    first = await list_customers(client, take=2)
    cursor = first["meta"]["next_cursor"]
    assert cursor == c[3]
    erased = await client.delete(f"/v1/customers/{cursor}")
    assert erased.status_code == 200, erased.text

    body = await list_customers(client, take=2, starting_after=cursor)

    assert [x["id"] for x in body["data"]] == [c[2], c[1]]


async def test_cursor_respects_filters(client: httpx.AsyncClient) -> None:
    b1 = (await create(client, factories.business()))["id"]
    await create(client)
    b2 = (await create(client, factories.business()))["id"]
    await create(client)
    b3 = (await create(client, factories.business()))["id"]

    body = await list_customers(
        client, customer_type="business", starting_after=b3, take=5, include_count="true"
    )

    assert [x["id"] for x in body["data"]] == [b2, b1]
    assert body["meta"]["item_count"] == 3


async def test_ending_before_returns_the_newer_neighbours(client: httpx.AsyncClient) -> None:
    c = await create_many(client, 7)

    body = await list_customers(client, ending_before=c[2], take=2)

    # The two customers just newer than c[2], still newest first.
    assert [x["id"] for x in body["data"]] == [c[4], c[3]]
    meta = body["meta"]
    assert meta["page"] is None
    assert meta["has_previous_page"] is True
    assert meta["has_next_page"] is True


async def test_ending_before_near_the_newest_has_no_previous_page(
    client: httpx.AsyncClient,
) -> None:
    c = await create_many(client, 7)

    body = await list_customers(client, ending_before=c[4], take=3)

    assert [x["id"] for x in body["data"]] == [c[6], c[5]]
    assert body["meta"]["has_previous_page"] is False


async def test_starting_after_that_is_not_a_uuid_is_rejected(client: httpx.AsyncClient) -> None:
    await assert_invalid(client, "starting_after", starting_after="not-a-uuid")


async def test_ending_before_that_is_not_a_uuid_is_rejected(client: httpx.AsyncClient) -> None:
    await assert_invalid(client, "ending_before", ending_before="12345")


async def test_page_with_a_cursor_is_rejected_naming_page(client: httpx.AsyncClient) -> None:
    c = await create_many(client, 2)

    await assert_invalid(client, "page", page=2, starting_after=c[1])


async def test_both_cursors_together_are_rejected(client: httpx.AsyncClient) -> None:
    c = await create_many(client, 3)

    await assert_invalid(client, "ending_before", starting_after=c[2], ending_before=c[0])


# --- filters -----------------------------------------------------------------------------


async def test_filter_email_is_exact_and_case_insensitive(client: httpx.AsyncClient) -> None:
    target = await create(client, factories.individual(email="Ada.Obi@Example.com"))
    await create(client, factories.individual(email="ada.obi2@example.com"))
    await create(client, factories.individual(email="xada.obi@example.com"))

    assert await ids_for(client, email="ADA.OBI@example.COM") == [target["id"]]
    assert await ids_for(client, email="ada.obi@example.com") == [target["id"]]
    assert await ids_for(client, email="ada.obi") == []


async def test_filter_phone_number_matches_e164(client: httpx.AsyncClient) -> None:
    target = await create(client, factories.individual(phone_number="08031234567"))
    await create(client, factories.individual(phone_number="08031234568"))

    assert target["phone_number"] == "+2348031234567"
    assert await ids_for(client, phone_number="+2348031234567") == [target["id"]]
    # An international number written with spaces is normalised before matching.
    assert await ids_for(client, phone_number="+234 803 123 4567") == [target["id"]]
    assert await ids_for(client, phone_number="+2348031234569") == []


async def test_filter_customer_type_with_aliases(client: httpx.AsyncClient) -> None:
    person = (await create(client, factories.individual()))["id"]
    company = (await create(client, factories.business()))["id"]

    assert await ids_for(client, customer_type="individual") == [person]
    assert await ids_for(client, customer_type="business") == [company]
    assert await ids_for(client, customer_type="personal") == [person]
    assert await ids_for(client, customer_type="Personal") == [person]
    assert await ids_for(client, customer_type="corporate") == [company]


async def test_filter_customer_type_unknown_is_rejected(client: httpx.AsyncClient) -> None:
    await assert_invalid(client, "customer_type", customer_type="robot")


async def test_filter_status(client: httpx.AsyncClient) -> None:
    active, archived, deleted = await create_many(client, 3)
    assert (await client.post(f"/v1/customers/{archived}/archive")).status_code == 200
    assert (await client.delete(f"/v1/customers/{deleted}")).status_code == 200

    assert await ids_for(client, status="active") == [active]
    assert await ids_for(client, status="archived") == [archived]
    assert await ids_for(client, status="deleted") == [deleted]


async def test_deleted_customers_are_left_out_and_archived_ones_listed_by_default(
    client: httpx.AsyncClient,
) -> None:
    active, archived, deleted = await create_many(client, 3)
    assert (await client.post(f"/v1/customers/{archived}/archive")).status_code == 200
    assert (await client.delete(f"/v1/customers/{deleted}")).status_code == 200

    body = await list_customers(client)

    assert [c["id"] for c in body["data"]] == [archived, active]
    assert body["meta"]["item_count"] == 2
    statuses = {c["id"]: c["status"] for c in body["data"]}
    assert statuses == {archived: "archived", active: "active"}


async def test_status_deleted_lists_erased_customers_without_personal_data(
    client: httpx.AsyncClient,
) -> None:
    customer = await create(client, factories.individual(reference="ERASE-ME"))
    assert (await client.delete(f"/v1/customers/{customer['id']}")).status_code == 200

    body = await list_customers(client, status="deleted")

    assert [c["id"] for c in body["data"]] == [customer["id"]]
    erased = body["data"][0]
    assert erased["status"] == "deleted"
    for field in ("email", "phone_number", "first_name", "last_name", "reference"):
        assert erased[field] is None
    # The erased customer's search terms and filters no longer find it.
    assert await ids_for(client, email=customer["email"], status="deleted") == []
    assert await ids_for(client, q="ayo", status="deleted") == []


async def test_filter_status_invalid_is_rejected_naming_status(client: httpx.AsyncClient) -> None:
    await assert_invalid(client, "status", status="frozen")


async def test_filter_blacklisted(client: httpx.AsyncClient) -> None:
    clean, listed = await create_many(client, 2)
    response = await client.post(
        f"/v1/customers/{listed}/blacklist", json={"blacklist": True, "reason": "fraud"}
    )
    assert response.status_code == 200, response.text

    assert await ids_for(client, blacklisted="true") == [listed]
    assert await ids_for(client, blacklisted="false") == [clean]
    assert sorted(await ids_for(client)) == sorted([clean, listed])


async def test_filter_blacklisted_lifted_is_listed_as_not_blacklisted(
    client: httpx.AsyncClient,
) -> None:
    (customer,) = await create_many(client, 1)
    for flag in (True, False):
        response = await client.post(
            f"/v1/customers/{customer}/blacklist", json={"blacklist": flag}
        )
        assert response.status_code == 200, response.text

    assert await ids_for(client, blacklisted="true") == []
    assert await ids_for(client, blacklisted="false") == [customer]


async def test_filter_blacklisted_not_a_boolean_is_rejected(client: httpx.AsyncClient) -> None:
    await assert_invalid(client, "blacklisted", blacklisted="perhaps")


async def test_filter_kyc_tier(client: httpx.AsyncClient) -> None:
    created = await create_many(client, 2)

    assert await ids_for(client, kyc_tier=0) == newest_first(created)
    assert await ids_for(client, kyc_tier=1) == []


async def test_filter_source(client: httpx.AsyncClient) -> None:
    banking = (await create(client, factories.individual(source="banking")))["id"]
    payment = (await create(client, factories.individual(source="payment")))["id"]
    default = (await create(client, factories.individual()))["id"]

    assert await ids_for(client, source="payment") == [payment]
    assert await ids_for(client, source="banking") == [default, banking]


async def test_filter_reference_is_exact(client: httpx.AsyncClient) -> None:
    target = (await create(client, factories.individual(reference="REF-001")))["id"]
    await create(client, factories.individual(reference="REF-0011"))
    await create(client, factories.individual(reference="XREF-001"))

    assert await ids_for(client, reference="REF-001") == [target]
    assert await ids_for(client, reference="REF-00") == []


async def test_filters_combine(client: httpx.AsyncClient) -> None:
    await create(client, factories.business(source="banking"))
    await create(client, factories.individual(source="payment"))
    wanted = (await create(client, factories.business(source="payment")))["id"]

    assert await ids_for(client, customer_type="business", source="payment") == [wanted]


async def test_filter_created_from_and_to_with_timestamps(client: httpx.AsyncClient) -> None:
    c1, c2, c3 = [await create(client) for _ in range(3)]
    assert c1["created_at"] < c2["created_at"] < c3["created_at"]

    # Both bounds are inclusive.
    assert await ids_for(client, created_from=c2["created_at"]) == [c3["id"], c2["id"]]
    assert await ids_for(client, created_to=c2["created_at"]) == [c2["id"], c1["id"]]
    assert await ids_for(client, created_from=c2["created_at"], created_to=c2["created_at"]) == [
        c2["id"]
    ]
    after_c3 = (parse_ts(c3["created_at"]) + timedelta(microseconds=1)).isoformat()
    assert await ids_for(client, created_from=after_c3) == []


async def test_filter_created_from_with_a_utc_offset(client: httpx.AsyncClient) -> None:
    c1, c2 = [await create(client) for _ in range(2)]
    lagos = parse_ts(c2["created_at"]).astimezone(timezone(timedelta(hours=1)))
    assert lagos.isoformat().endswith("+01:00")

    assert await ids_for(client, created_from=lagos.isoformat()) == [c2["id"]]
    assert await ids_for(client, created_to=lagos.isoformat()) == [c2["id"], c1["id"]]


async def test_filter_created_from_and_to_with_dates(client: httpx.AsyncClient) -> None:
    created = await create_many(client, 2)
    customer = await client.get(f"/v1/customers/{created[0]}")
    day = parse_ts(customer.json()["data"]["created_at"]).date()
    last = await client.get(f"/v1/customers/{created[1]}")
    last_day = parse_ts(last.json()["data"]["created_at"]).date()
    expected = newest_first(created)

    # A date in created_to covers that whole day.
    assert await ids_for(client, created_from=day.isoformat(), created_to=last_day.isoformat()) == (
        expected
    )
    assert await ids_for(client, created_to=last_day.isoformat()) == expected
    assert await ids_for(client, created_from=day.isoformat()) == expected
    assert await ids_for(client, created_to=(day - timedelta(days=1)).isoformat()) == []
    assert await ids_for(client, created_from=(last_day + timedelta(days=1)).isoformat()) == []


async def test_created_to_before_created_from_is_rejected(client: httpx.AsyncClient) -> None:
    await assert_invalid(client, "created_to", created_from="2024-05-02", created_to="2024-05-01")
    await assert_invalid(
        client,
        "created_to",
        created_from="2024-05-01T12:00:00Z",
        created_to="2024-05-01T11:59:59Z",
    )


async def test_created_from_not_a_date_is_rejected(client: httpx.AsyncClient) -> None:
    await assert_invalid(client, "created_from", created_from="yesterday")


# --- q search ----------------------------------------------------------------------------


async def _search_people(client: httpx.AsyncClient) -> tuple[str, str, str]:
    ayo = await create(
        client,
        factories.individual(
            first_name="Ayo",
            last_name="Oladeji",
            email="mail.one@example.com",
            phone_number="+2348031234567",
            reference="KX-100",
        ),
    )
    chi = await create(
        client,
        factories.individual(
            first_name="Chiamaka",
            last_name="Okafor",
            email="tobi.two@example.com",
            phone_number="+2348059876543",
            reference="RQ-200",
        ),
    )
    biz = await create(
        client,
        factories.business(
            company_name="Zenith Foods Ltd",
            email="books@kola.example",
            phone_number="+2348091112222",
            reference="BZ-300",
        ),
    )
    return ayo["id"], chi["id"], biz["id"]


async def test_q_searches_names_case_insensitively_by_prefix(client: httpx.AsyncClient) -> None:
    ayo, chi, biz = await _search_people(client)

    assert await ids_for(client, q="AYO") == [ayo]  # first name
    assert await ids_for(client, q="olad") == [ayo]  # last name
    assert await ids_for(client, q="OKA") == [chi]
    assert await ids_for(client, q="o") == [chi, ayo]  # both last names, newest first
    assert await ids_for(client, q="ayo olad") == [ayo]  # full name
    assert await ids_for(client, q="Chiamaka Okafor") == [chi]
    assert await ids_for(client, q="zenith f") == [biz]  # company name
    assert await ids_for(client, q="ZEN") == [biz]


async def test_q_searches_email_reference_and_phone(client: httpx.AsyncClient) -> None:
    ayo, chi, biz = await _search_people(client)

    assert await ids_for(client, q="TOBI.T") == [chi]  # email
    assert await ids_for(client, q="books@kola") == [biz]
    assert await ids_for(client, q="rq-2") == [chi]  # reference, case-insensitive
    assert await ids_for(client, q="KX-100") == [ayo]
    assert await ids_for(client, q="803123") == [ayo]  # phone digits
    assert await ids_for(client, q="+234805") == [chi]
    assert await ids_for(client, q="0809111") == [biz]  # local form of the number


async def test_q_without_a_match_is_empty(client: httpx.AsyncClient) -> None:
    await _search_people(client)

    body = await list_customers(client, q="xylophone")

    assert body["data"] == []
    assert body["meta"]["item_count"] == 0
    assert body["meta"]["page_count"] == 0


async def test_q_combines_with_filters(client: httpx.AsyncClient) -> None:
    ayo, chi, _ = await _search_people(client)

    assert await ids_for(client, q="o", email="tobi.two@example.com") == [chi]
    assert await ids_for(client, q="o", customer_type="business") == []
    assert await ids_for(client, q="o", reference="KX-100") == [ayo]


async def test_q_treats_like_wildcards_literally(client: httpx.AsyncClient) -> None:
    await _search_people(client)

    for text in ("%", "_", "a_o", "%kafor", "%oo%", "\\", "\\%"):
        body = await list_customers(client, q=text)
        assert body["data"] == [], text
        assert body["meta"]["item_count"] == 0, text

    odd = (await create(client, factories.individual(first_name="%Promo", last_name="_Under")))[
        "id"
    ]

    assert await ids_for(client, q="%") == [odd]
    assert await ids_for(client, q="%pro") == [odd]
    assert await ids_for(client, q="_") == [odd]
    assert await ids_for(client, q="%promo _u") == [odd]
    assert await ids_for(client, q="a_o") == []


async def test_q_blank_is_rejected_naming_q(client: httpx.AsyncClient) -> None:
    await assert_invalid(client, "q", q="   ")
    await assert_invalid(client, "q", q="")


# --- tenancy -----------------------------------------------------------------------------


async def test_other_organizations_and_live_customers_never_appear(
    client: httpx.AsyncClient, database: Database, org: Org
) -> None:
    other = await make_org(database, "Other Fintech")
    mine = await create_many(client, 2)
    for _ in range(3):
        await create(client, factories.individual(), headers=other.auth("test"))
        await create(client, factories.individual(), headers=org.auth("live"))
    shared_email = "shared.person@example.com"
    theirs = await create(
        client, factories.individual(email=shared_email), headers=other.auth("test")
    )
    live = await create(client, factories.individual(email=shared_email), headers=org.auth("live"))

    body = await list_customers(client)
    assert [c["id"] for c in body["data"]] == newest_first(mine)
    assert body["meta"]["item_count"] == 2
    assert body["meta"]["page_count"] == 1
    assert {c["organization_id"] for c in body["data"]} == {str(org.id)}

    assert await ids_for(client, email=shared_email) == []
    assert await ids_for(client, q="ayo") == newest_first(mine)
    assert await ids_for(client, starting_after=mine[1]) == [mine[0]]
    assert await ids_for(client, ending_before=mine[0]) == [mine[1]]

    # Each tenant sees only its own.
    other_body = await list_customers(client, headers=other.auth("test"))
    assert other_body["meta"]["item_count"] == 4
    assert other_body["data"][0]["id"] == theirs["id"]
    live_body = await list_customers(client, headers=org.auth("live"))
    assert live_body["meta"]["item_count"] == 4
    assert live_body["data"][0]["id"] == live["id"]
    assert {c["environment"] for c in live_body["data"]} == {"live"}
    assert not {c["id"] for c in live_body["data"]} & set(mine)
