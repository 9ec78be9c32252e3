"""The minimal reference service: what a team writes in an afternoon.

FastAPI and an asyncpg pool doing only the bare statement per request, pydantic models in and
out; no authentication, validation beyond the models, events or envelope. It serves one tenant
(BENCH_ORG_ID, BENCH_ENVIRONMENT) of the customers table customerbase uses, in the database
BENCH_DATABASE_URL names.

    BENCH_DATABASE_URL=postgresql://... BENCH_ORG_ID=... python bench/minimal/app.py --port 8100
"""

from __future__ import annotations

import argparse
import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Any

import asyncpg
import uvicorn
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel
from uuid_utils import compat

COLUMNS = (
    "id, reference, customer_type, first_name, middle_name, last_name, company_name, email, "
    "phone_number, country, status, metadata, created_at, updated_at, archived_at"
)
TENANT = "organization_id = $1 AND environment = $2"


class CustomerIn(BaseModel):
    customer_type: str = "individual"
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    email: str
    phone_number: str
    country: str | None = None
    bvn: str | None = None
    nin: str | None = None
    date_of_birth: date | None = None
    reference: str | None = None
    metadata: dict[str, Any] | None = None


class CustomerPatch(BaseModel):
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None


class CustomerOut(BaseModel):
    id: uuid.UUID
    reference: str | None
    customer_type: str
    first_name: str | None
    middle_name: str | None
    last_name: str | None
    company_name: str | None
    email: str | None
    phone_number: str | None
    country: str | None
    status: str
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None


async def _init(connection: asyncpg.Connection) -> None:
    await connection.set_type_codec(
        "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
    )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(
        os.environ["BENCH_DATABASE_URL"], min_size=1, max_size=20, init=_init
    )
    app.state.tenant = (uuid.UUID(os.environ["BENCH_ORG_ID"]), os.environ.get("BENCH_ENV", "test"))
    yield
    await app.state.pool.close()


app = FastAPI(lifespan=lifespan)


async def _one(request: Request, sql: str, *args: Any) -> CustomerOut:
    row = await request.app.state.pool.fetchrow(sql, *request.app.state.tenant, *args)
    if row is None:
        raise HTTPException(404)
    return CustomerOut(**dict(row))


async def _many(request: Request, sql: str, *args: Any) -> list[CustomerOut]:
    rows = await request.app.state.pool.fetch(sql, *request.app.state.tenant, *args)
    return [CustomerOut(**dict(row)) for row in rows]


@app.get("/customers/by-email/{email}", response_model=CustomerOut)
async def get_by_email(email: str, request: Request) -> CustomerOut:
    return await _one(
        request, f"SELECT {COLUMNS} FROM customers WHERE {TENANT} AND email = $3", email.lower()
    )


@app.get("/customers/search", response_model=list[CustomerOut])
async def search(
    request: Request, prefix: str | None = None, contains: str | None = None
) -> list[CustomerOut]:
    if prefix:
        low = prefix.lower()
        high = low[:-1] + chr(ord(low[-1]) + 1)
        return await _many(
            request,
            f"SELECT {COLUMNS} FROM customers WHERE {TENANT} AND status <> 'deleted' AND ("
            "(lower(first_name) >= $3 AND lower(first_name) < $4) OR "
            "(lower(last_name) >= $3 AND lower(last_name) < $4)) ORDER BY id DESC LIMIT 20",
            low,
            high,
        )
    pattern = "%" + (contains or "").lower().replace("%", "").replace("_", "") + "%"
    return await _many(
        request,
        f"SELECT {COLUMNS} FROM customers WHERE {TENANT} AND status <> 'deleted' AND "
        "lower(coalesce(first_name, '') || ' ' || coalesce(last_name, '')) LIKE $3 "
        "ORDER BY id DESC LIMIT 20",
        pattern,
    )


@app.get("/customers/{customer_id}", response_model=CustomerOut)
async def get_by_id(customer_id: uuid.UUID, request: Request) -> CustomerOut:
    return await _one(
        request, f"SELECT {COLUMNS} FROM customers WHERE {TENANT} AND id = $3", customer_id
    )


@app.get("/customers", response_model=list[CustomerOut])
async def list_customers(
    request: Request, status: str | None = None, starting_after: uuid.UUID | None = None
) -> list[CustomerOut]:
    if starting_after is not None:
        return await _many(
            request,
            f"SELECT {COLUMNS} FROM customers WHERE {TENANT} AND status <> 'deleted' "
            "AND id < $3 ORDER BY id DESC LIMIT 20",
            starting_after,
        )
    return await _many(
        request,
        f"SELECT {COLUMNS} FROM customers WHERE {TENANT} AND status = $3 ORDER BY id DESC LIMIT 20",
        status or "active",
    )


@app.post("/customers", response_model=CustomerOut, status_code=201)
async def create(body: CustomerIn, request: Request) -> CustomerOut:
    return await _one(
        request,
        "INSERT INTO customers (organization_id, environment, id, customer_type, first_name, "
        "last_name, company_name, email, phone_number, country, reference, metadata, status, "
        "blacklisted, kyc_tier, kyc_status, source, created_at, updated_at) VALUES ($1, $2, $3, "
        "$4, $5, $6, $7, $8, $9, $10, $11, $12, 'active', false, 0, 'not_started', 'banking', "
        f"now(), now()) RETURNING {COLUMNS}",
        compat.uuid7(),
        body.customer_type,
        body.first_name,
        body.last_name,
        body.company_name,
        body.email.lower(),
        body.phone_number,
        body.country,
        body.reference,
        body.metadata or {},
    )


@app.patch("/customers/{customer_id}", response_model=CustomerOut)
async def update(customer_id: uuid.UUID, body: CustomerPatch, request: Request) -> CustomerOut:
    changes = body.model_dump(exclude_unset=True)
    names = [name for name in ("first_name", "middle_name", "last_name") if name in changes]
    assignments = "".join(f"{name} = ${n}, " for n, name in enumerate(names, start=4))
    return await _one(
        request,
        f"UPDATE customers SET {assignments}updated_at = now() WHERE {TENANT} AND id = $3 "
        f"RETURNING {COLUMNS}",
        customer_id,
        *(changes[name] for name in names),
    )


@app.post("/customers/{customer_id}/archive", response_model=CustomerOut)
async def archive(customer_id: uuid.UUID, request: Request) -> CustomerOut:
    return await _one(
        request,
        "UPDATE customers SET status = 'archived', archived_at = now(), updated_at = now() "
        f"WHERE {TENANT} AND id = $3 RETURNING {COLUMNS}",
        customer_id,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8100)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, workers=1, log_level="warning")


if __name__ == "__main__":
    main()
