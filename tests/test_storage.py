"""Storage and data protection: encryption at rest, blind indexes, SQLite durability settings,
migrations that match the models, organization-scoped indexes, uniqueness under concurrency and
logs free of personal data. Each storage test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select, text

from customerbase.kit.crypto import DecryptionError, Vault
from customerbase.kit.db import Database, create_database
from customerbase.migrations import include_object
from customerbase.models import Base, Customer
from tests import factories
from tests.conftest import Org, make_org

# Identity numbers and dates that cannot appear by accident anywhere else in the database
# (phones are +234803..., timestamps are of this decade, ids are hex).
PEOPLE = [
    {"bvn": "41592653589", "nin": "79323846264", "date_of_birth": "1971-04-23"},
    {"bvn": "33832795028", "nin": "84197169399", "date_of_birth": "1983-11-07"},
    {"bvn": "37510582097", "nin": "49445923078", "date_of_birth": "1962-08-19"},
]


def as_text(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("latin-1")
    return str(value)


async def table_names(database: Database) -> list[str]:
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'table'"
        if database.dialect == "sqlite"
        else "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    )
    async with database.read_session() as session:
        return list((await session.scalars(text(query))).all())


async def dump_rows(database: Database) -> str:
    """Every value of every row of every table, as text."""
    parts: list[str] = []
    async with database.read_session() as session:
        for table in await table_names(database):
            query = text(f'SELECT * FROM "{table}"')  # noqa: S608 (names from the catalog)
            rows = (await session.execute(query)).all()
            parts.extend(as_text(value) for row in rows for value in row)
    return "\n".join(parts)


async def pg_dump(database: Database) -> str:
    url = database.url.set(drivername="postgresql").render_as_string(hide_password=False)
    process = await asyncio.create_subprocess_exec(
        "pg_dump",
        "--data-only",
        "--no-owner",
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=20)
    assert process.returncode == 0, err.decode(errors="replace")
    return out.decode("utf-8", errors="replace")


def sqlite_file_bytes(database: Database) -> str:
    path = Path(str(database.url.database))
    chunks = [path.read_bytes()]
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        chunks.append(wal.read_bytes())
    return b"\n".join(chunks).decode("latin-1")


async def create(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post("/v1/customers", json=factories.individual(**overrides))
    assert response.status_code == 201, response.text
    return response.json()["data"]


# --- Encryption at rest -------------------------------------------------------------------


async def test_a_dump_contains_no_identity_number_in_clear(
    client: httpx.AsyncClient, org: Org, database: Database, vault: Vault
) -> None:
    created = [await create(client, **person) for person in PEOPLE]
    business = await client.post(
        "/v1/customers", json=factories.business(bvn="90817263544", nin="65748392011")
    )
    assert business.status_code == 201, business.text
    secrets_ = [v for p in PEOPLE for v in p.values()] + ["90817263544", "65748392011"]
    emails = [c["email"] for c in created]

    dumps = {"rows": await dump_rows(database)}
    if database.dialect == "sqlite":
        dumps["file"] = sqlite_file_bytes(database)
    elif shutil.which("pg_dump"):
        dumps["pg_dump"] = await pg_dump(database)

    for name, dump in dumps.items():
        # The scan does read the data: the customers' emails are stored in clear.
        assert all(email in dump for email in emails), name
        for secret in secrets_:
            assert secret not in dump, f"{secret} found in clear in {name}"

    # The ciphertexts decrypt back, bound to the organization and the field.
    async with database.read_session() as session:
        rows = (await session.execute(select(Customer.__table__))).all()
    by_id = {str(row.id): row for row in rows}
    for person, data in zip(PEOPLE, created, strict=True):
        row = by_id[data["id"]]
        assert row.bvn_encrypted is not None
        assert (
            vault.decrypt(row.bvn_encrypted, organization_id=org.id, field="bvn") == (person["bvn"])
        )
        assert row.nin_encrypted is not None
        assert (
            vault.decrypt(row.nin_encrypted, organization_id=org.id, field="nin") == (person["nin"])
        )
        assert row.date_of_birth_encrypted is not None
        assert (
            vault.decrypt(
                row.date_of_birth_encrypted, organization_id=org.id, field="date_of_birth"
            )
            == person["date_of_birth"]
        )
        assert row.bvn_index == vault.blind_index(
            person["bvn"], organization_id=org.id, field="bvn"
        )
        assert row.nin_index == vault.blind_index(
            person["nin"], organization_id=org.id, field="nin"
        )
        assert data["bvn"] == "*******" + person["bvn"][-4:]
        assert data["nin"] == "*******" + person["nin"][-4:]
        assert data["date_of_birth"] == person["date_of_birth"][:4] + "-**-**"


async def test_same_bvn_in_two_organizations_has_different_blind_indexes(
    app_client: httpx.AsyncClient, org: Org, database: Database, vault: Vault
) -> None:
    bvn, nin = "22233344455", "66677788899"
    other = await make_org(database, "Other Bank")

    async def post(headers: dict[str, str], **overrides: Any) -> httpx.Response:
        return await app_client.post(
            "/v1/customers", json=factories.individual(**overrides), headers=headers
        )

    first = await post(org.auth("test"), bvn=bvn, nin=nin)
    assert first.status_code == 201, first.text
    first_id = first.json()["data"]["id"]

    for field, value in (("bvn", bvn), ("nin", nin)):
        again = await post(org.auth("test"), **{field: value})
        assert again.status_code == 409, again.text
        error = again.json()["error"]
        assert error["type"] == "duplicate_customer"
        assert [f["field"] for f in error["fields"]] == [field]
        assert error["existing_customer_id"] == first_id
        assert value not in again.text

    live = await post(org.auth("live"), bvn=bvn, nin=nin)
    assert live.status_code == 201, live.text
    elsewhere = await post(other.auth("test"), bvn=bvn, nin=nin)
    assert elsewhere.status_code == 201, elsewhere.text

    async with database.read_session() as session:
        rows = (
            await session.execute(
                select(Customer.organization_id, Customer.environment, Customer.bvn_index)
            )
        ).all()
    indexes = {(row.organization_id, row.environment): row.bvn_index for row in rows}
    assert len(indexes) == 3
    expected_ours = vault.blind_index(bvn, organization_id=org.id, field="bvn")
    expected_theirs = vault.blind_index(bvn, organization_id=other.id, field="bvn")
    assert indexes[(org.id, "test")] == expected_ours
    assert indexes[(org.id, "live")] == expected_ours
    assert indexes[(other.id, "test")] == expected_theirs
    assert expected_ours != expected_theirs
    assert bvn not in expected_ours


# --- The vault ----------------------------------------------------------------------------


ORG_A = uuid.UUID("01900000-0000-7000-8000-00000000000a")
ORG_B = uuid.UUID("01900000-0000-7000-8000-00000000000b")


def test_ciphertext_does_not_decrypt_for_another_organization(vault: Vault) -> None:
    sealed = vault.encrypt("12345678901", organization_id=ORG_A, field="bvn")
    assert vault.decrypt(sealed, organization_id=ORG_A, field="bvn") == "12345678901"
    with pytest.raises(DecryptionError):
        vault.decrypt(sealed, organization_id=ORG_B, field="bvn")


def test_ciphertext_does_not_decrypt_for_another_field(vault: Vault) -> None:
    sealed = vault.encrypt("12345678901", organization_id=ORG_A, field="bvn")
    with pytest.raises(DecryptionError):
        vault.decrypt(sealed, organization_id=ORG_A, field="nin")


def test_ciphertext_does_not_decrypt_under_another_master_secret(vault: Vault) -> None:
    sealed = vault.encrypt("12345678901", organization_id=ORG_A, field="bvn")
    other = Vault("another-master-secret-0123456789-abcdefghijklmnop")
    with pytest.raises(DecryptionError):
        other.decrypt(sealed, organization_id=ORG_A, field="bvn")


def test_tampered_ciphertext_fails_to_decrypt(vault: Vault) -> None:
    sealed = vault.encrypt("12345678901", organization_id=ORG_A, field="bvn")
    for position in (1, 13, len(sealed) - 1):  # nonce, body, tag
        tampered = bytearray(sealed)
        tampered[position] ^= 0x01
        with pytest.raises(DecryptionError):
            vault.decrypt(bytes(tampered), organization_id=ORG_A, field="bvn")
    for broken in (sealed[:-1], b"", b"\x02" + sealed[1:]):
        with pytest.raises(DecryptionError):
            vault.decrypt(broken, organization_id=ORG_A, field="bvn")


def test_two_encryptions_of_the_same_value_differ(vault: Vault) -> None:
    first = vault.encrypt("12345678901", organization_id=ORG_A, field="bvn")
    second = vault.encrypt("12345678901", organization_id=ORG_A, field="bvn")
    assert first != second
    assert b"12345678901" not in first


def test_blind_index_is_deterministic_and_scoped(vault: Vault) -> None:
    index = vault.blind_index("12345678901", organization_id=ORG_A, field="bvn")
    assert index == vault.blind_index("12345678901", organization_id=ORG_A, field="bvn")
    assert index != vault.blind_index("12345678901", organization_id=ORG_B, field="bvn")
    assert index != vault.blind_index("12345678901", organization_id=ORG_A, field="nin")
    assert index != vault.blind_index("12345678902", organization_id=ORG_A, field="bvn")
    other = Vault("another-master-secret-0123456789-abcdefghijklmnop")
    assert index != other.blind_index("12345678901", organization_id=ORG_A, field="bvn")


# --- SQLite durability --------------------------------------------------------------------


async def test_sqlite_connections_use_wal_synchronous_full_and_secure_delete(
    tmp_path: Path,
) -> None:
    database = create_database(f"sqlite:///{tmp_path / 'pragmas.db'}")
    try:
        for engine in (database.write_engine, database.read_engine):
            async with engine.connect() as connection:
                pragmas = {
                    name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
                    for name in ("journal_mode", "synchronous", "foreign_keys", "secure_delete")
                }
            assert pragmas == {
                "journal_mode": "wal",
                "synchronous": 2,  # FULL: an acknowledged commit is on disk
                "foreign_keys": 1,
                "secure_delete": 1,
            }
    finally:
        await database.dispose()


# --- Schema -------------------------------------------------------------------------------


async def test_migrations_match_the_models(database: Database) -> None:
    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        return list(compare_metadata(context, Base.metadata))

    async with database.write_engine.connect() as connection:
        diff = await connection.run_sync(differences)
    assert diff == []


async def test_every_unique_index_on_customers_leads_with_organization_id(
    database: Database,
) -> None:
    def reflect(connection: Any) -> dict[str, Any]:
        inspector = inspect(connection)
        return {
            "indexes": inspector.get_indexes("customers"),
            "uniques": inspector.get_unique_constraints("customers"),
            "pk": inspector.get_pk_constraint("customers"),
        }

    async with database.write_engine.connect() as connection:
        schema = await connection.run_sync(reflect)

    unique_columns = [ix["column_names"] for ix in schema["indexes"] if ix["unique"]]
    unique_columns += [uq["column_names"] for uq in schema["uniques"]]
    assert unique_columns, "no unique index found on customers"
    for columns in unique_columns:
        assert columns[:2] == ["organization_id", "environment"], columns
    # The unique fields of the issue are all covered.
    assert {tuple(columns[2:]) for columns in unique_columns} >= {
        ("email",),
        ("reference",),
        ("bvn_index",),
        ("nin_index",),
    }
    assert schema["pk"]["constrained_columns"][0] == "organization_id"


# --- Concurrency --------------------------------------------------------------------------


async def test_50_concurrent_creates_with_one_email_give_one_201_and_49_409(
    client: httpx.AsyncClient, database: Database
) -> None:
    email = "race@example.com"
    spellings = [email, "Race@Example.com", "RACE@EXAMPLE.COM"]
    payloads = [
        factories.individual(email=spellings[n % len(spellings)], first_name=f"Racer{n}")
        for n in range(50)
    ]
    responses = await asyncio.gather(*(client.post("/v1/customers", json=p) for p in payloads))

    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 1, 409: 49}, {r.status_code: r.text for r in responses}
    (winner,) = [r.json()["data"] for r in responses if r.status_code == 201]
    for response in responses:
        if response.status_code == 409:
            error = response.json()["error"]
            assert error["type"] == "duplicate_customer"
            assert [f["field"] for f in error["fields"]] == ["email"]
            assert error["existing_customer_id"] == winner["id"]

    async with database.read_session() as session:
        stored = (await session.scalars(select(Customer.id).where(Customer.email == email))).all()
    assert [str(customer_id) for customer_id in stored] == [winner["id"]]


# --- Logs ---------------------------------------------------------------------------------


async def test_logs_carry_no_identity_number_email_or_date_of_birth(
    client: httpx.AsyncClient,
    database: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bvn, nin, dob = "51234098765", "61234098765", "1979-02-28"
    email = "private.person@example.com"
    bad_bvn = "9876543210X"
    caplog.set_level(logging.DEBUG)

    created = await client.post(
        "/v1/customers",
        json=factories.individual(email=email, bvn=bvn, nin=nin, date_of_birth=dob),
    )
    assert created.status_code == 201, created.text
    customer_id = created.json()["data"]["id"]
    read = await client.get(f"/v1/customers/{email}")
    assert read.status_code == 200
    listed = await client.get("/v1/customers", params={"email": email, "q": "private"})
    assert listed.status_code == 200
    updated = await client.patch(f"/v1/customers/{customer_id}", json={"first_name": "Renamed"})
    assert updated.status_code == 200

    rejected = await client.post(
        "/v1/customers",
        json=factories.individual(email="other." + email, bvn=bad_bvn, date_of_birth=dob),
    )
    assert rejected.status_code == 422
    assert [f["field"] for f in rejected.json()["error"]["fields"]] == ["bvn"]
    assert bad_bvn not in rejected.text

    # Everything the service logs (httpx's own lines are the test client's, not the service's).
    service_records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert any(r.name == "customerbase.access" for r in service_records)
    logged = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}" for record in service_records
    )
    for secret in (bvn, nin, dob, email, bad_bvn, "9876543210"):
        assert secret not in logged, f"{secret!r} reached the logs"
