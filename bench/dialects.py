"""A dialect read against the same canonical read, in process (no wrk needed).

    python bench/dialects.py [--postgres URL] [--customers 2000] [--requests 400] [--rounds 5]

Creates a throw-away database (PostgreSQL when --postgres names a server, else SQLite in a
temporary directory), fills one tenant through /v1, then times interleaved rounds of GETs by
id and first list pages through /v1, Bloc, Bitnob, Yativo and Advancly over the ASGI
transport, sequentially.
Prints the median wall-clock µs per request of each and its ratio to /v1 (the requests/s
ratio), and the same for this process's CPU time (client, app and SQLite; PostgreSQL's backend
is not counted), which a shared machine's load disturbs less.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy.engine import make_url

from customerbase.app import create_app
from customerbase.config import Settings
from customerbase.kit.db import create_database
from customerbase.migrations import upgrade
from customerbase.organizations.service import create_organization

SECRET = "bench-master-secret-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105 (a throw-away database)
PATHS = {
    "get by id": {
        "/v1": "/v1/customers/{id}",
        "bloc": "/compat/bloc/v1/customers/{id}",
        "bitnob": "/compat/bitnob/api/v1/customers/{id}",
        "yativo": "/compat/yativo/customer/{id}",
        "advancly": "/compat/advancly/api/v2/client/customers?customer_id={id}",
    },
    "list, first page": {
        "/v1": "/v1/customers?take=20",
        "bloc": "/compat/bloc/v1/customers?per_page=20",
        "bitnob": "/compat/bitnob/api/v1/customers?take=20",
        "yativo": "/compat/yativo/customer?per_page=20",
        "advancly": "/compat/advancly/api/v2/client/customers?page_size=20",
    },
}


async def _database_url(postgres: str | None, directory: Path) -> str:
    if postgres is None:
        return f"sqlite:///{directory / 'bench.db'}"
    admin = make_url(postgres)
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("DROP DATABASE IF EXISTS customerbase_bench_dialects")
        await connection.execute("CREATE DATABASE customerbase_bench_dialects")
    finally:
        await connection.close()
    return admin.set(database="customerbase_bench_dialects").render_as_string(hide_password=False)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = await _database_url(args.postgres, Path(tmp))
        database = create_database(url)
        await upgrade(database)
        async with database.write_session() as session:
            _, keys = await create_organization(session, "Bench")
        app = create_app(Settings(data_dir=Path(tmp), secret_key=SECRET), database=database)
        headers = {"Authorization": f"Bearer {keys['test']}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers
        ) as client:
            ids = []
            for n in range(args.customers):
                response = await client.post(
                    "/v1/customers",
                    json={
                        "first_name": "Ada",
                        "last_name": f"Obi{n}",
                        "email": f"ada.{n}@example.com",
                        "phone_number": f"0803{n:07d}",
                        "country": "NG",
                        "bvn": f"{22200000000 + n}",
                    },
                )
                assert response.status_code == 201, response.text
                ids.append(response.json()["data"]["id"])
            rng = random.Random(7)
            print(f"{database.dialect}, {args.customers} customers, {args.requests} requests a run")
            for operation, paths in PATHS.items():
                samples: dict[str, list[float]] = {name: [] for name in paths}
                cpu: dict[str, list[float]] = {name: [] for name in paths}
                for _ in range(args.rounds):
                    for name, template in paths.items():
                        started, cpu_started = time.perf_counter(), time.process_time()
                        for _ in range(args.requests):
                            path = template.format(id=rng.choice(ids))
                            response = await client.get(path)
                            assert response.status_code == 200, response.text
                        elapsed = time.perf_counter() - started
                        samples[name].append(elapsed / args.requests * 1e6)
                        spent = time.process_time() - cpu_started
                        cpu[name].append(spent / args.requests * 1e6)
                base = statistics.median(samples["/v1"])
                base_cpu = statistics.median(cpu["/v1"])
                for name, values in samples.items():
                    median, median_cpu = statistics.median(values), statistics.median(cpu[name])
                    print(
                        f"  {operation:18} {name:8} {median:8.0f} µs {base / median:5.2f}×"
                        f"   CPU {median_cpu:6.0f} µs {base_cpu / median_cpu:5.2f}×"
                    )
        await database.dispose()
        if args.postgres:
            admin = make_url(args.postgres).set(drivername="postgresql")
            connection = await asyncpg.connect(admin.render_as_string(hide_password=False))
            try:
                await connection.execute(
                    "DROP DATABASE IF EXISTS customerbase_bench_dialects WITH (FORCE)"
                )
            finally:
                await connection.close()


if __name__ == "__main__":
    os.environ.setdefault("CUSTOMERBASE_SECRET_KEY", SECRET)
    sys.exit(asyncio.run(main()))
