"""Webhook delivery benchmark: deliveries/s from one `customerbase worker` to a local receiver,
and the time from an event's commit to its first attempt at the receiver (p50/p99).

1. Creates a PostgreSQL database (dropped first), migrates it, creates an organization and one
   endpoint subscribed to every event, pointing at a receiver on 127.0.0.1 (aiohttp, its own
   process, answering 200 at once).
2. Throughput: writes `--backlog` events (as the API writes them: one per customer change,
   each with the customer object), then starts one worker and times until the receiver has
   them all.
3. Latency: with the worker idle and running, commits events at `--rate` per second for
   `--seconds` (small batches every 20 ms) and records, per event, the time from its commit to
   its arrival at the receiver.

Writes bench/results/webhooks.json and prints a summary. Targets (issue 7): at least 500
deliveries/s and a p99 under 1 s at that rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import orjson

HERE = Path(__file__).resolve().parent
CLI = Path(sys.executable).parent / "customerbase"
RESULTS = HERE / "results"


# --- the receiver (its own process) ---------------------------------------------------------


def receive(port: int) -> None:
    from aiohttp import web

    arrivals: dict[str, float] = {}
    count = 0

    async def hook(request: web.Request) -> web.Response:
        nonlocal count
        await request.read()
        count += 1
        arrivals.setdefault(request.headers["webhook-id"], time.time())
        return web.Response(text="ok")

    async def stats(_request: web.Request) -> web.Response:
        return web.json_response({"count": count, "arrivals": arrivals})

    async def reset(_request: web.Request) -> web.Response:
        nonlocal count
        arrivals.clear()
        count = 0
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hooks", hook)
    app.router.add_get("/stats", stats)
    app.router.add_post("/reset", reset)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


# --- the benchmark ------------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def customer_object(n: int, customer_id: uuid.UUID, now: datetime) -> dict[str, Any]:
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "id": str(customer_id),
        "customer_type": "individual",
        "first_name": "Ayo",
        "last_name": f"Oladeji{n}",
        "full_name": f"Ayo Oladeji{n}",
        "email": f"ayo.{n}@example.com",
        "phone_number": f"+234803{n % 10_000_000:07d}",
        "country": "NG",
        "status": "active",
        "bvn": "*******5678",
        "date_of_birth": "****-**-17",
        "metadata": {},
        "created_at": stamp,
        "updated_at": stamp,
    }


INSERT = (
    "INSERT INTO events (id, organization_id, environment, type, customer_id, api_version, data,"
    " created_at) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[],"
    " $5::uuid[], $6::text[], $7::jsonb[], $8::timestamptz[])"
)


async def insert_events(
    connection: asyncpg.Connection, organization_id: uuid.UUID, count: int, start: int
) -> list[str]:
    from customerbase.kit.ids import uuid7

    now = datetime.now(UTC)
    ids, customers, data = [], [], []
    for n in range(start, start + count):
        event_id, customer_id = uuid7(), uuid.uuid4()
        ids.append(event_id)
        customers.append(customer_id)
        data.append(orjson.dumps({"object": customer_object(n, customer_id, now)}).decode())
    await connection.execute(
        INSERT,
        ids,
        [organization_id] * count,
        ["test"] * count,
        ["customer.created"] * count,
        customers,
        ["2026-12-01"] * count,
        data,
        [now] * count,
    )
    return [str(event_id) for event_id in ids]


async def setup(url: str, receiver_url: str) -> uuid.UUID:
    from customerbase.kit.crypto import Vault
    from customerbase.kit.db import create_database
    from customerbase.migrations import upgrade
    from customerbase.models import WebhookEndpoint
    from customerbase.organizations.service import Tenant, create_organization
    from customerbase.webhooks import service
    from customerbase.webhooks.schemas import WebhookEndpointCreate
    from customerbase.webhooks.urls import Resolver

    database = create_database(url)
    try:
        await upgrade(database)
        async with database.write_session() as session:
            organization, _keys = await create_organization(session, "Bench webhooks")
        tenant = Tenant(organization.id, "test", uuid.UUID(int=0))
        vault = Vault(os.environ["CUSTOMERBASE_SECRET_KEY"])
        async with database.write_session() as session:
            created = await service.create_endpoint(
                session,
                vault,
                Resolver(allow_private=True),
                tenant,
                WebhookEndpointCreate(url=receiver_url, events=["*"]),
            )
            # Old enough for every event the benchmark writes.
            created.endpoint.created_at = datetime(2000, 1, 1, tzinfo=UTC)
            assert isinstance(created.endpoint, WebhookEndpoint)
        return organization.id
    finally:
        await database.dispose()


async def stats(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/stats")
    result: dict[str, Any] = response.json()
    return result


async def wait_count(client: httpx.AsyncClient, expected: int, limit: float) -> float:
    started = time.perf_counter()
    while (await stats(client))["count"] < expected:
        if time.perf_counter() - started > limit:
            raise SystemExit(f"the receiver did not get {expected} deliveries within {limit} s")
        await asyncio.sleep(0.05)
    return time.perf_counter() - started


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    dsn = with_database(args.postgres, args.database)
    admin = await asyncpg.connect(args.postgres)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{args.database}"')
    finally:
        await admin.close()
    workdir = Path(tempfile.mkdtemp(prefix="customerbase-webhooks-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMERBASE_")}
    env.update(
        CUSTOMERBASE_DATA_DIR=str(workdir / "data"),
        CUSTOMERBASE_DATABASE_URL=dsn,
        CUSTOMERBASE_SECRET_KEY=os.environ.setdefault(
            "CUSTOMERBASE_SECRET_KEY", "bench-secret-" + uuid.uuid4().hex + uuid.uuid4().hex
        ),
        CUSTOMERBASE_WEBHOOK_ALLOW_PRIVATE="1",
        CUSTOMERBASE_LOG_LEVEL="WARNING",
    )
    port = args.receiver_port
    receiver = subprocess.Popen([sys.executable, __file__, "receive", str(port)])  # noqa: ASYNC220
    worker: subprocess.Popen[bytes] | None = None
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for _ in range(100):
                try:
                    await stats(client)
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            organization_id = await setup(dsn, f"http://127.0.0.1:{port}/hooks")
            connection = await asyncpg.connect(dsn)
            try:
                # The endpoint's own created event goes out too.
                for start in range(0, args.backlog, 1000):
                    await insert_events(
                        connection, organization_id, min(1000, args.backlog - start), start
                    )
                with (workdir / "worker.log").open("ab") as log:
                    worker = subprocess.Popen(  # noqa: ASYNC220
                        [str(CLI), "worker"], env=env, stdout=log, stderr=log
                    )
                started = time.perf_counter()
                # The worker's start-up (imports, pools) is not delivery: time from the first.
                await wait_count(client, 1, 30)
                first = time.perf_counter()
                elapsed = await wait_count(client, args.backlog + 1, 600)
                throughput = args.backlog / elapsed
                print(
                    f"throughput: {args.backlog} deliveries in {elapsed:.2f} s = "
                    f"{throughput:.0f}/s (worker start to first delivery {first - started:.2f} s)"
                )

                # Latency at a steady rate, the worker running.
                await client.post("/reset")
                commits: dict[str, float] = {}
                per_tick = max(1, round(args.rate * 0.02))
                ticks = int(args.seconds / 0.02)
                start_at = time.perf_counter()
                n = args.backlog
                for tick in range(ticks):
                    ids = await insert_events(connection, organization_id, per_tick, n)
                    committed = time.time()
                    n += per_tick
                    for event_id in ids:
                        commits[event_id] = committed
                    delay = start_at + (tick + 1) * 0.02 - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
                sent_seconds = time.perf_counter() - start_at
                await wait_count(client, len(commits), 120)
            finally:
                await connection.close()
            arrivals = (await stats(client))["arrivals"]
            latencies = [arrivals[i] - commits[i] for i in commits if i in arrivals]
            result = {
                "backlog": args.backlog,
                "deliveries_per_second": round(throughput, 1),
                "latency_rate_per_second": round(len(commits) / sent_seconds, 1),
                "latency_events": len(latencies),
                "commit_to_first_attempt_p50_ms": round(statistics.median(latencies) * 1000, 1),
                "commit_to_first_attempt_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
                "commit_to_first_attempt_max_ms": round(max(latencies) * 1000, 1),
                "load_average": round(os.getloadavg()[0], 2),
                "cpus": os.cpu_count(),
            }
            print(
                f"latency at {result['latency_rate_per_second']}/s: p50 "
                f"{result['commit_to_first_attempt_p50_ms']} ms, p99 "
                f"{result['commit_to_first_attempt_p99_ms']} ms"
            )
            return result
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(20)
            except subprocess.TimeoutExpired:
                worker.kill()
        receiver.terminate()
        receiver.wait(10)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "receive":
        receive(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "CUSTOMERBASE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL URL with the right to create databases",
    )
    parser.add_argument("--database", default="customerbase_bench_webhooks")
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--receiver-port", type=int, default=18_765)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    result = asyncio.run(bench(args))
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "webhooks.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
