"""One customer, every dialect: the dialects store nothing of their own, so a customer created
or changed through one is the same customer in /v1 and in the other dialect."""

from __future__ import annotations

import httpx

BLOC = "/compat/bloc/v1"
BITNOB = "/compat/bitnob/api/v1"


async def test_a_customer_created_in_bloc_is_the_same_in_bitnob_and_v1(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post(
        f"{BLOC}/customers",
        json={
            "email": "ayo@example.com",
            "phone_number": "08012345678",
            "bvn": "00000000000",
            "first_name": "Ayo",
            "last_name": "Oladeji",
            "customer_type": "Personal",
        },
    )
    assert created.status_code == 201, created.text
    bloc = created.json()["data"]

    canonical = (await client.get(f"/v1/customers/{bloc['id']}")).json()["data"]
    assert canonical["id"] == bloc["id"]
    assert (canonical["first_name"], canonical["last_name"]) == ("Ayo", "Oladeji")
    assert canonical["phone_number"] == "+2348012345678"
    assert canonical["customer_type"] == "individual"
    assert canonical["source"] == "banking"
    assert canonical["bvn"] == bloc["bvn"]
    assert canonical["created_at"] == bloc["created_at"]

    found = await client.get(f"{BITNOB}/customers/ayo@example.com")
    assert found.status_code == 200, found.text
    assert found.json()["data"] == {
        "id": bloc["id"],
        "firstName": "Ayo",
        "lastName": "Oladeji",
        "email": "ayo@example.com",
        "phone": "+2348012345678",
        "countryCode": "+234",
        "blacklist": False,
        "createdAt": bloc["created_at"],
        "updatedAt": bloc["updated_at"],
    }


async def test_blacklisted_in_bitnob_is_blacklisted_in_v1_while_blocs_status_stays(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post(
        f"{BLOC}/customers",
        json={
            "email": "ayo@example.com",
            "phone_number": "08012345678",
            "first_name": "Ayo",
            "last_name": "Oladeji",
        },
    )
    customer_id = created.json()["data"]["id"]
    found = (await client.get(f"{BITNOB}/customers/ayo@example.com")).json()["data"]
    response = await client.post(
        f"{BITNOB}/customers/{found['id']}/blacklist", json={"blacklist": True}
    )
    assert response.status_code == 200, response.text

    canonical = (await client.get(f"/v1/customers/{customer_id}")).json()["data"]
    assert canonical["blacklisted"] is True
    bloc = (await client.get(f"{BLOC}/customers/{customer_id}")).json()["data"]
    assert bloc["status"] == "active"  # Bloc's object has no blacklist field
    assert "blacklist" not in bloc
    assert "blacklisted" not in bloc


async def test_changes_through_one_dialect_show_in_the_others(client: httpx.AsyncClient) -> None:
    created = await client.post(
        f"{BITNOB}/customers",
        json={
            "firstName": "Kwame",
            "lastName": "Mensah",
            "email": "kwame@example.com",
            "phone": "241234567",
            "countryCode": "+233",
        },
    )
    assert created.status_code == 201, created.text
    customer_id = created.json()["data"]["id"]

    renamed = await client.put(f"{BLOC}/customers/{customer_id}", json={"first_name": "Kofi"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["data"]["full_name"] == "Mensah Kofi"
    assert renamed.json()["data"]["phone_number"] == "+233241234567"

    bitnob = (await client.get(f"{BITNOB}/customers/{customer_id}")).json()["data"]
    assert bitnob["firstName"] == "Kofi"
    archived = await client.put(f"{BLOC}/customers/{customer_id}/archive")
    assert archived.status_code == 200
    assert (await client.get(f"/v1/customers/{customer_id}")).json()["data"]["status"] == (
        "archived"
    )
    frozen = await client.put(f"{BITNOB}/customers/{customer_id}", json={"firstName": "Ama"})
    assert frozen.status_code == 409
    assert frozen.json()["status"] is False
    assert frozen.json()["error"]["type"] == "customer_archived"

    listed = (await client.get(f"{BITNOB}/customers", params={"take": 5})).json()
    assert [c["id"] for c in listed["data"]] == [customer_id]
    canonical_list = (await client.get("/v1/customers", params={"take": 5})).json()
    assert [c["id"] for c in canonical_list["data"]] == [customer_id]


async def test_writes_through_the_dialects_record_their_events_and_history(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post(
        f"{BLOC}/customers",
        json={
            "email": "ayo@example.com",
            "phone_number": "08012345678",
            "first_name": "Ayo",
            "last_name": "Oladeji",
        },
    )
    customer_id = created.json()["data"]["id"]
    await client.put(f"{BLOC}/customers/{customer_id}", json={"first_name": "Tunde"})
    await client.put(f"{BLOC}/customers/{customer_id}/archive")
    await client.put(f"{BLOC}/customers/{customer_id}/unarchive")
    await client.post(f"{BITNOB}/customers/{customer_id}/blacklist", json={"blacklist": True})
    await client.put(f"{BITNOB}/customers/{customer_id}", json={"lastName": "Bello"})

    history = await client.get(f"/v1/customers/{customer_id}/history")
    assert history.status_code == 200, history.text
    actions = [entry["action"] for entry in reversed(history.json()["data"])]
    assert actions == [
        "customer.created",
        "customer.updated",
        "customer.archived",
        "customer.unarchived",
        "customer.blacklisted",
        "customer.updated",
    ]
    events = (await client.get("/v1/events")).json()["data"]
    assert len(events) == 6


YATIVO = "/compat/yativo"
ADVANCLY = "/compat/advancly/api/v2/client/customers"


async def test_created_in_yativo_found_and_blacklisted_in_bitnob_is_blacklisted_in_v1(
    client: httpx.AsyncClient,
) -> None:
    """The issue's round trip: Yativo -> Bitnob by email -> blacklisted there -> /v1; Bloc's
    `status` stays as Bloc defines it, and Advancly's GET finds the same customer."""
    created = await client.post(
        f"{YATIVO}/customer",
        json={
            "customer_name": "Emmanuel A Towoju",
            "customer_email": "tbash7676@gmail.com",
            "customer_phone": "+2349039395114",
            "customer_country": "USA",
            "send_kyc_mail": False,
        },
    )
    assert created.status_code == 200, created.text
    yativo = created.json()["data"]

    found = await client.get(f"{BITNOB}/customers/tbash7676@gmail.com")
    assert found.status_code == 200, found.text
    bitnob = found.json()["data"]
    assert bitnob["id"] == yativo["id"]
    assert (bitnob["firstName"], bitnob["lastName"]) == ("Emmanuel", "Towoju")
    assert bitnob["createdAt"] == yativo["created_at"]
    blacklisted = await client.post(
        f"{BITNOB}/customers/{bitnob['id']}/blacklist", json={"blacklist": True}
    )
    assert blacklisted.status_code == 200, blacklisted.text

    canonical = (await client.get(f"/v1/customers/{yativo['id']}")).json()["data"]
    assert canonical["blacklisted"] is True
    assert canonical["kyc_link"] == yativo["kyc_link"]
    bloc = (await client.get(f"{BLOC}/customers/{yativo['id']}")).json()["data"]
    assert (bloc["status"], bloc["full_name"]) == ("active", "Towoju Emmanuel A")
    again = (await client.get(f"{YATIVO}/customer/{yativo['id']}")).json()["data"]
    assert again["id"] == yativo["id"]
    advancly = (await client.get(ADVANCLY, params={"email": "tbash7676@gmail.com"})).json()
    assert [c["borrower_id"] for c in advancly["data"]] == [yativo["id"]]
    assert advancly["data"][0]["country_code"] == "US"


async def test_onboarded_in_advancly_is_the_same_customer_in_every_dialect(
    client: httpx.AsyncClient,
) -> None:
    onboarded = await client.post(
        f"{ADVANCLY}/onboard_individual",
        json={
            "first_name": "Amaka",
            "last_name": "Obi",
            "gender": "female",
            "date_of_birth": "1993-08-21",
            "customer_unique_identifier": "adv-cust-001",
            "phone_number": "08039990000",
            "email": "amaka@example.com",
            "address": "12 Allen Avenue",
            "country_code": "NG",
            "customer_onboarding_type": 2,
            "create_wallet": False,
        },
    )
    assert onboarded.status_code == 201, onboarded.text
    customer_id = onboarded.json()["borrower_id"]
    by_reference = (await client.get(f"{BITNOB}/customers/adv-cust-001")).json()["data"]
    assert by_reference["id"] == customer_id
    bloc = (await client.get(f"{BLOC}/customers/{customer_id}")).json()["data"]
    assert (bloc["full_name"], bloc["phone_number"]) == ("Obi Amaka", "08039990000")
    assert bloc["address"] == {"street": "12 Allen Avenue"}
    yativo = (await client.get(f"{YATIVO}/customer/amaka@example.com")).json()["data"]
    assert (yativo["id"], yativo["full_name"], yativo["type"]) == (
        customer_id,
        "Amaka Obi",
        "individual",
    )
    renamed = await client.put(f"{BLOC}/customers/{customer_id}", json={"first_name": "Ada"})
    assert renamed.status_code == 200, renamed.text
    listed = (await client.get(ADVANCLY, params={"customer_id": customer_id})).json()["data"]
    assert listed[0]["first_name"] == "Ada"
