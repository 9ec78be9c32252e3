"""The list, count and search statements are served by tenant-scoped indexes, on both
databases, including for a small tenant beside a big one (tenant skew), and the count stops
at its cap instead of scanning the tenant."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from customerbase.customers import queries
from customerbase.customers.queries import CustomerQueries
from customerbase.customers.repository import CustomerFilter, Scope
from customerbase.kit.db import Database
from customerbase.kit.fastdb import Connection, Row
from tests import factories
from tests.conftest import Org, make_org

# Indexes that lead with organization_id (the primary key is (organization_id, id)).
TENANT_INDEXES = ("ix_customers_organization_id_environment", "pk_customers", "sqlite_autoindex")


class Recorder:
    """A connection that records the statements it is given and answers nothing."""

    def __init__(self) -> None:
        self.statements: list[tuple[str, tuple[Any, ...]]] = []

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        self.statements.append((sql, args))
        return None

    async def fetch(self, sql: str, *args: Any) -> Sequence[Row]:
        self.statements.append((sql, args))
        return []

    async def fetchval(self, sql: str, *args: Any) -> Any:
        self.statements.append((sql, args))
        return 0


async def _skewed_tenants(database: Database, big: Org, small: Org) -> None:
    """5,000 customers in one tenant, 3 in another, statistics up to date."""
    dialect = database.dialect
    rows = []
    for n in range(5000):
        org = big if n >= 3 else small
        rows.append(
            {
                "organization_id": org.id.hex if dialect == "sqlite" else org.id,
                "id": uuid.uuid4().hex if dialect == "sqlite" else uuid.uuid4(),
                "email": f"bulk{n}@example.com",
                "name": f"name{n % 50} bulk",
                "last": "bulk",
                "phone": f"234803{n:07d}",
                "national": f"803{n:07d}",
            }
        )
    async with database.write_session() as session:
        await session.execute(
            text(
                "INSERT INTO customers (organization_id, id, environment, customer_type,"
                " email, first_name, last_name, status, blacklisted, kyc_tier, kyc_status,"
                " source, metadata, created_at, updated_at, search_name, search_last,"
                " search_email, search_text, search_phone, search_phone_national)"
                " VALUES (:organization_id, :id, 'test', 'individual', :email,"
                " 'Bulk', 'Bulk', 'active', false, 0, 'not_started', 'banking', '{}',"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, :name, :last, :email, :name, :phone,"
                " :national)"
            ),
            rows,
        )
    async with database.write_engine.connect() as connection:
        await connection.exec_driver_sql("ANALYZE")
        await connection.commit()


async def _plans(database: Database, org: Org, filters: CustomerFilter) -> list[str]:
    recorder = Recorder()
    q = CustomerQueries(database.fast, recorder, Scope(org.id, "test"))
    await q.count(filters)
    await q.count_and_page(filters, offset=0, limit=21)  # PostgreSQL: count + page in one
    await q.page(filters, offset=0, limit=21)
    await q.after(filters, uuid.uuid4(), limit=21)
    plans = []
    async with database.fast.connection() as connection:
        for sql, args in recorder.statements:
            if database.dialect == "sqlite":
                rows = await connection.fetch(f"EXPLAIN QUERY PLAN {sql}", *args)
                plans.append("\n".join(str(row["detail"]) for row in rows))
            else:
                rows = await connection.fetch(f"EXPLAIN {sql}", *args)
                plans.append("\n".join(row[0] for row in rows))
    return plans


@pytest.mark.parametrize(
    "filters",
    [
        CustomerFilter(),
        CustomerFilter(customer_type="individual"),
        CustomerFilter(search="name1"),
        CustomerFilter(search="na"),
        CustomerFilter(search="08031234"),
    ],
    ids=["list", "filtered", "substring-search", "prefix-search", "phone-search"],
)
async def test_list_count_and_search_use_a_tenant_scoped_index(
    database: Database, org: Org, filters: CustomerFilter
) -> None:
    small = await make_org(database, "Small Tenant")
    await _skewed_tenants(database, org, small)
    for tenant in (org, small):
        plans = await _plans(database, tenant, filters)
        if tenant is org and database.dialect == "postgresql":
            # A tenant that is the whole table may be counted by a sequential scan: the count
            # stops at its cap either way (alone, and beside the page in count_and_page). Its
            # pages must still come from the index.
            plans = plans[2:]
        for plan in plans:
            if database.dialect == "sqlite":
                for line in plan.splitlines():
                    full_scan = line.startswith("SCAN customers") and "USING" not in line
                    assert not full_scan or "VIRTUAL TABLE INDEX" in line, plan
                assert any(name in plan for name in (*TENANT_INDEXES, "VIRTUAL TABLE INDEX"))
            else:
                assert "Seq Scan on customers" not in plan, plan
                assert any(name in plan for name in TENANT_INDEXES), plan


async def test_the_count_is_exact_up_to_its_cap_and_a_lower_bound_beyond(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(5):
        assert (await client.post("/v1/customers", json=factories.individual())).status_code == 201
    monkeypatch.setattr(queries, "COUNT_CAP", 5)
    exact = (await client.get("/v1/customers", params={"take": 2})).json()["meta"]
    assert (exact["item_count"], exact["item_count_exact"], exact["page_count"]) == (5, True, 3)

    monkeypatch.setattr(queries, "COUNT_CAP", 3)
    capped = (await client.get("/v1/customers", params={"take": 2})).json()["meta"]
    assert (capped["item_count"], capped["item_count_exact"]) == (3, False)
    assert capped["has_next_page"] is True


def test_recorder_is_a_connection() -> None:
    connection: Connection = Recorder()
    assert connection is not None
