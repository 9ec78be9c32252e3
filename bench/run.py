"""The customerbase benchmark: `make bench` (about 15 minutes on 2 cores), `make bench-quick` (3).

1. Creates a PostgreSQL database (dropped first if it exists), migrates it with
   `customerbase migrate`, creates organizations with `customerbase orgs create`, and loads
   fixed-seed customers (bench/generate.py): one large tenant among several smaller ones, through
   `customerbase import` when the command exists, else through bench/load.py's direct loader.
   The same for SQLite, smaller.
2. Starts the real server as the README does (`customerbase serve`, one worker) and the minimal
   reference service (bench/minimal/app.py, one worker) on the same database.
3. Per round and per operation, interleaved: customerbase on PostgreSQL, the minimal service
   (both driven by wrk over 127.0.0.1), then pgbench -M prepared with the same statements. Then
   customerbase on SQLite.
4. Measures requests/s, p50 and p99, the server's CPU per request (/proc/<pid>/stat), the
   database's CPU per request (the postmaster and its children), the server's peak RSS; takes
   the median of the rounds, times the import and the export, and writes bench/results/latest.json
   and latest.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate
import load
from measure import (
    THREADS,
    PostgresCPU,
    RSSSampler,
    Server,
    postmaster_pid,
    process_cpu,
    run_pgbench,
    run_wrk,
    start_server,
    wait_idle,
)
from report import machine, markdown, median_of, notes

HERE = Path(__file__).resolve().parent
CLI = Path(sys.executable).parent / "customerbase"
RESULTS = HERE / "results"
CACHE = HERE / ".cache"


@dataclass(frozen=True)
class Mode:
    name: str
    pg_customers: int
    pg_others: tuple[int, ...]  # other tenants: two organizations and the live environment
    sqlite_customers: int
    sqlite_others: tuple[int, ...]
    duration: int  # seconds per wrk or pgbench run
    rounds: int
    sqlite_rounds: int


MODES = {
    "full": Mode("full", 1_000_000, (50_000, 20_000, 5_000), 100_000, (10_000, 2_000), 6, 3, 1),
    "quick": Mode("quick", 100_000, (10_000, 2_000, 1_000), 20_000, (2_000,), 3, 1, 1),
}


@dataclass(frozen=True)
class Operation:
    name: str
    label: str
    script: str  # bench/wrk/<script>.lua
    customerbase: str  # path (format with %s for the value)
    minimal: str
    pgbench: str  # bench/pgbench/<file>.sql
    values: str | None  # which sample file the script picks from
    method: str = "GET"
    minimal_script: str | None = None  # the minimal service's own script, when it differs

    def duration(self, base: int) -> int:
        """Searches get at least 4 s: a slow one must complete a few requests to be measured."""
        return max(base, 4) if self.name.startswith("search") else base


OPERATIONS = (
    Operation(
        "get_by_id",
        "get by id",
        "pick",
        "/v1/customers/%s",
        "/customers/%s",
        "get_by_id",
        "ids",
    ),
    Operation(
        "get_by_email",
        "get by email",
        "pick",
        "/v1/customers/%s",
        "/customers/by-email/%s",
        "get_by_email",
        "emails",
    ),
    Operation(
        "list",
        "list, first page, status=active",
        "fixed",
        "/v1/customers?take=20&status=active",
        "/customers?status=active",
        "list",
        None,
    ),
    Operation(
        "deep_page",
        "list, deep cursor page",
        "pick",
        "/v1/customers?take=20&starting_after=%s",
        "/customers?starting_after=%s",
        "deep_page",
        "ids",
    ),
    Operation(
        "search_prefix",
        "search, 3-letter name prefix",
        "pick",
        "/v1/customers?take=20&q=%s",
        "/customers/search?prefix=%s",
        "search_prefix",
        "prefixes",
    ),
    Operation(
        "search_substring",
        "search, substring",
        "pick",
        "/v1/customers?take=20&q=%s",
        "/customers/search?contains=%s",
        "search_substring",
        "substrings",
    ),
    Operation("create", "create", "create", "/v1/customers", "/customers", "create", None, "POST"),
    Operation(
        "update",
        "update (PATCH)",
        "update",
        "/v1/customers/%s",
        "/customers/%s",
        "update",
        "ids",
        "PATCH",
    ),
    Operation(
        "archive",
        "archive",
        "sequence",
        "/v1/customers/%s/archive",
        "/customers/%s/archive",
        "archive",
        "archive",
        "POST",
    ),
    # A posting (balance, transaction, event and audit in one transaction) across 100 accounts,
    # beside the minimal service's insert (the reference: 0.5x or better).
    Operation(
        "post",
        "post a transaction",
        "post",
        "/v1/accounts/%s/transactions",
        "/customers",
        "post",
        "accounts",
        "POST",
        minimal_script="create",
    ),
)
BENCH_ACCOUNTS = 100


# --- Databases and data ----------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


async def _recreate_database(admin_dsn: str, name: str) -> None:
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


def customer_file(count: int, tag: str) -> Path:
    """The generated JSON-lines file, cached by count, seed and tag."""
    path = CACHE / f"customers-{tag}-{count}.jsonl"
    if not path.exists():
        started = time.perf_counter()
        partial = path.with_suffix(".partial")
        generate.write(partial, count, tag=tag)
        partial.rename(path)
        print(f"  generated {count:,} customers in {time.perf_counter() - started:.1f} s")
    return path


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([CLI, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"customerbase {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


@dataclass
class Tenant:
    organization_id: str
    key: str
    live_key: str


def create_org(env: dict[str, str], name: str) -> Tenant:
    created = json.loads(cli(env, "orgs", "create", name))
    return Tenant(created["id"], created["test_secret_key"], created["live_secret_key"])


DIRECT_LOAD_ABOVE = 200_000


def load_tenants(
    env: dict[str, str], url: str, secret: str, main: int, others: tuple[int, ...], tag: str
) -> tuple[Tenant, load.LoadResult]:
    """The measured tenant (test environment of the first organization) and smaller ones."""
    template = load.import_command(CLI)
    main_tenant = create_org(env, "Bench main")
    plan = [(main_tenant.organization_id, "test", main, f"{tag}m")]
    for n, count in enumerate(others):
        if n == len(others) - 1:  # the live environment of the measured organization
            plan.append((main_tenant.organization_id, "live", count, f"{tag}l"))
        else:
            plan.append(
                (create_org(env, f"Bench other {n}").organization_id, "test", count, f"{tag}o{n}")
            )
    measured: load.LoadResult | None = None
    fallback: load.LoadResult | None = None
    for organization_id, environment, count, file_tag in plan:
        file = customer_file(count, file_tag)
        # A tenant beyond DIRECT_LOAD_ABOVE goes in by COPY (the import's speed would not fit
        # the bench's time budget); the import is timed on the tenants that follow it.
        if template is not None and count <= DIRECT_LOAD_ABOVE:
            result = load.run_import(template, file, organization_id, environment, env, count)
            measured = measured or result
        else:
            result = load.direct_load(url, file, secret, organization_id, environment)
            fallback = fallback or result
        print(
            f"  loaded {count:,} into {organization_id} ({environment}) with {result.method}: "
            f"{result.per_second:,.0f} customers/s"
        )
    measured = measured or fallback
    assert measured is not None
    load.analyze(url)
    return main_tenant, measured


REFERENCE_INDEXES = (
    "CREATE INDEX IF NOT EXISTS bench_ref_first_name "
    "ON customers (organization_id, environment, lower(first_name))",
    "CREATE INDEX IF NOT EXISTS bench_ref_last_name "
    "ON customers (organization_id, environment, lower(last_name))",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS bench_ref_names_trgm ON customers USING gin "
    "((lower(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))) gin_trgm_ops)",
)


@dataclass
class Values:
    """The sample, split so that no write makes another operation's request fail: reads and
    updates use `ids`, customerbase's archive runs one slice each of `archive_slices`, the
    references re-archive `archive_reference` (their UPDATE does not check the status)."""

    ids: list[str]
    emails: list[str]
    prefixes: list[str]
    substrings: list[str]
    archive_reference: list[str]
    archive_slices: list[list[str]] = field(default_factory=list)


def split_sample(s: load.Sample, *, reads: int, reference: int, slices: int) -> Values:
    ids, emails = s.ids, s.emails
    reads = min(reads, len(ids) // 3)
    reference = min(reference, len(ids) // 3)
    rest = ids[reads + reference :]
    size = len(rest) // max(slices, 1)
    prefixes: list[str] = []
    substrings: list[str] = []
    for first, last in zip(s.first_names, s.last_names, strict=True):
        for name in (first, last):
            word = name.lower()
            if len(word) >= 3 and word[:3].isascii() and word[:3].isalpha():
                prefixes.append(word[:3])
        word = last.lower()
        if "-" in word:
            substrings.append(word.split("-", 1)[1])
        elif len(word) >= 7 and word.isascii() and word.isalpha():
            substrings.append(word[2:6])
    return Values(
        ids=ids[:reads],
        emails=emails[:reads],
        prefixes=prefixes[:2000] or ["ade"],
        substrings=substrings[:2000] or ["illiam"],
        archive_reference=ids[reads : reads + reference],
        archive_slices=[rest[n * size : (n + 1) * size] for n in range(slices)],
    )


async def _reference_tables(dsn: str, values: Values, indexes: bool) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        started = time.perf_counter()
        if indexes:
            for statement in REFERENCE_INDEXES:
                await connection.execute(statement)
        await connection.execute(
            "DROP SCHEMA IF EXISTS bench CASCADE; CREATE SCHEMA bench;"
            "CREATE TABLE bench.sample (n int PRIMARY KEY, id uuid NOT NULL, email text);"
            "CREATE TABLE bench.prefixes (n int PRIMARY KEY, lo text NOT NULL, hi text NOT NULL);"
            "CREATE TABLE bench.substrings (n int PRIMARY KEY, pattern text NOT NULL);"
        )
        rows = [
            (n, i, e) for n, (i, e) in enumerate(zip(values.ids, values.emails, strict=True), 1)
        ]
        offset = len(rows)
        rows += [(offset + n, i, None) for n, i in enumerate(values.archive_reference, 1)]
        await connection.copy_records_to_table(
            "sample", schema_name="bench", records=[(n, uuid.UUID(i), e) for n, i, e in rows]
        )
        await connection.copy_records_to_table(
            "prefixes",
            schema_name="bench",
            records=[
                (n, p, p[:-1] + chr(ord(p[-1]) + 1)) for n, p in enumerate(values.prefixes, 1)
            ],
        )
        await connection.copy_records_to_table(
            "substrings",
            schema_name="bench",
            records=[(n, f"%{s}%") for n, s in enumerate(values.substrings, 1)],
        )
        await connection.execute("ANALYZE; SELECT count(*) FROM customers")
        print(f"  reference indexes and pgbench tables in {time.perf_counter() - started:.1f} s")
    finally:
        await connection.close()


# --- One measured run ------------------------------------------------------------------------


@dataclass
class Context:
    workdir: Path
    duration: int
    connections: int
    pg_cpu: PostgresCPU
    servers: list[int] = field(default_factory=list)  # waited for to be idle before each run
    run_counter: int = 0
    value_files: dict[str, Path] = field(default_factory=dict)

    def settle(self) -> None:
        """Before a measured run: wait for the previous one's leftovers to finish."""

        def cpu() -> float:
            alive = [pid for pid in self.servers if Path(f"/proc/{pid}").exists()]
            return sum(process_cpu(pid) for pid in alive) + (self.pg_cpu.total() or 0.0)

        waited = wait_idle(cpu)
        if waited > 2:
            print(f"    (waited {waited:.0f} s for the previous run's backlog)")

    def next_run(self) -> int:
        self.run_counter += 1
        return self.run_counter


def write_values(workdir: Path, name: str, values: list[str]) -> Path:
    path = workdir / f"{name}.txt"
    path.write_text("\n".join(values) + "\n")
    return path


def make_accounts(server: Server, count: int) -> list[str]:
    """`count` customers with one funded NGN wallet each, through the API; their account ids."""
    headers = {"Authorization": f"Bearer {server.key}"}
    ids = []
    with httpx.Client(base_url=server.base, headers=headers, timeout=30) as client:
        for n in range(count):
            customer = client.post(
                "/v1/customers",
                json={
                    "first_name": "Bench",
                    "last_name": f"Account{n}",
                    "email": f"bench.account.{n}.{uuid.uuid4().hex[:8]}@bench.example",
                    "phone_number": "+2348031234567",
                    "create_wallet": True,
                },
            )
            customer.raise_for_status()
            account_id = customer.json()["meta"]["wallet"]["id"]
            funded = client.post(
                f"/v1/accounts/{account_id}/transactions",
                json={
                    "direction": "credit",
                    "amount": 10**12,
                    "currency": "NGN",
                    "reference": "bench-funding",
                },
            )
            funded.raise_for_status()
            ids.append(account_id)
    return ids


def wrk_script(
    ctx: Context, op: Operation, path: str, values: Path | None, run: int, template: str
) -> Path:
    prelude = (
        f"bench = {{sample = {json.dumps(str(values)) if values else 'nil'}, "
        f"path = {json.dumps(path)}, method = {json.dumps(op.method)}, run = {run}, "
        f"threads = {THREADS}}}\n"
    )
    script = ctx.workdir / f"{op.name}-{run}.lua"
    script.write_text(
        prelude
        + (HERE / "wrk" / "common.lua").read_text()
        + (HERE / "wrk" / f"{template}.lua").read_text()
    )
    return script


@contextmanager
def measured(ctx: Context, pid: int | None) -> Iterator[dict[str, Any]]:
    """Adds cpu_us (of `pid`), db_cpu_us and rss_mb per request to the result dict yielded."""
    result: dict[str, Any] = {}
    cpu_before = process_cpu(pid) if pid else None
    with ctx.pg_cpu.sample() as database_cpu:
        if pid:
            with RSSSampler(pid) as sampler:
                yield result
            result["rss_mb"] = sampler.peak
        else:
            yield result
        db_seconds = database_cpu()
    requests = max(result.get("requests", 0), 1)
    if pid and cpu_before is not None:
        result["cpu_us"] = (process_cpu(pid) - cpu_before) * 1e6 / requests
    if db_seconds is not None:
        result["db_cpu_us"] = db_seconds * 1e6 / requests


def run_http(
    ctx: Context,
    server: Server,
    op: Operation,
    path: str,
    values: Path | None,
    *,
    reference: bool = False,
) -> dict:
    name = (op.minimal_script or op.script) if reference else op.script
    script = wrk_script(ctx, op, path, values, ctx.next_run(), name)
    ctx.settle()
    with measured(ctx, server.pid) as result:
        result.update(
            run_wrk(
                server.base,
                script,
                duration=op.duration(ctx.duration),
                connections=ctx.connections,
                key=server.key,
            )
        )
    return result


def _summary(result: dict[str, Any]) -> str:
    text = (
        f"{result['rps']:9,.0f} req/s  p50 {result['p50_ms']:8.1f} ms  "
        f"p99 {result['p99_ms']:8.1f} ms"
    )
    if "cpu_us" in result:
        text += f"  cpu {result['cpu_us']:7,.0f} µs"
    if result.get("db_cpu_us") is not None:
        text += f"  db {result['db_cpu_us']:6,.0f} µs"
    if result.get("non2xx") or result.get("errors"):
        text += f"  non-2xx {result['non2xx']} errors {result['errors']}"
    return text


# --- Export ----------------------------------------------------------------------------------


def time_export(server: Server, expected: int) -> dict[str, Any] | str:
    url = f"{server.base}/v1/customers/export?format=jsonl"
    headers = {"Authorization": f"Bearer {server.key}"}
    try:
        with (
            RSSSampler(server.pid) as sampler,
            httpx.stream(
                "GET", url, headers=headers, timeout=httpx.Timeout(30, read=120)
            ) as response,
        ):
            if response.status_code != 200:
                return f"n/a (HTTP {response.status_code})"
            content_type = response.headers.get("content-type", "")
            # JSON lines (application/x-ndjson) is the stream; a JSON envelope is not.
            if "json" in content_type and not any(
                kind in content_type for kind in ("ndjson", "lines")
            ):
                return "n/a (not a stream)"
            started = time.perf_counter()
            rows = sum(chunk.count(b"\n") for chunk in response.iter_bytes())
            elapsed = time.perf_counter() - started
    except httpx.HTTPError as exc:
        return f"n/a ({type(exc).__name__})"
    return {
        "rows": rows,
        "expected_at_least": expected,
        "seconds": round(elapsed, 2),
        "per_second": rows / elapsed if elapsed else 0.0,
        "method": "GET /v1/customers/export",
        "server_peak_rss_mb": round(sampler.peak, 1),
    }


# --- The benchmark ---------------------------------------------------------------------------


def base_env(workdir: Path, url: str, secret: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMERBASE_")}
    env.update(
        CUSTOMERBASE_DATA_DIR=str(workdir / "data"),
        CUSTOMERBASE_LOG_LEVEL="WARNING",
        CUSTOMERBASE_DATABASE_URL=url,
        CUSTOMERBASE_SECRET_KEY=secret,
    )
    return env


def bench_postgres(
    args: argparse.Namespace, mode: Mode, workdir: Path, secret: str, report: dict[str, Any]
) -> None:
    admin = args.postgres
    dsn = with_database(admin, args.database)
    print(f"PostgreSQL: {dsn}")
    asyncio.run(_recreate_database(admin, args.database))
    env = base_env(workdir, dsn, secret)
    cli(env, "migrate")
    tenant, imported = load_tenants(env, dsn, secret, mode.pg_customers, mode.pg_others, "pg")
    report["import"]["postgres"] = {**imported.__dict__, "per_second": imported.per_second}
    s = load.sample(dsn, tenant.organization_id, "test", min(mode.pg_customers, 400_000))
    values = split_sample(s, reads=50_000, reference=50_000, slices=mode.rounds)
    asyncio.run(_reference_tables(dsn, values, indexes=not args.no_reference_indexes))
    report["postgres_version"] = asyncio.run(_server_version(dsn))

    ctx = Context(
        workdir,
        mode.duration,
        args.connections,
        PostgresCPU(asyncio.run(postmaster_pid(dsn)), args.database),
    )
    files = {
        "ids": write_values(workdir, "pg-ids", values.ids),
        "emails": write_values(workdir, "pg-emails", values.emails),
        "prefixes": write_values(workdir, "pg-prefixes", values.prefixes),
        "substrings": write_values(workdir, "pg-substrings", values.substrings),
        "archive_reference": write_values(workdir, "pg-archive-ref", values.archive_reference),
    }
    slices = [
        write_values(workdir, f"pg-archive-{n}", ids) for n, ids in enumerate(values.archive_slices)
    ]
    variables = {
        "org": tenant.organization_id,
        "env": "test",
        "reads": len(values.ids),
        "prefixes": len(values.prefixes),
        "substrings": len(values.substrings),
        "archive_lo": len(values.ids) + 1,
        "archive_hi": len(values.ids) + len(values.archive_reference),
    }

    wait_for_connections(dsn, 2 * 20 + ctx.connections + 2)  # two pools, then pgbench
    cb = start_server(
        "customerbase (PostgreSQL)",
        [str(CLI), "serve"],
        env,
        "/health",
        workdir / "customerbase-pg.log",
    )
    cb.key = tenant.key
    ctx.servers.append(cb.pid)
    files["accounts"] = write_values(workdir, "pg-accounts", make_accounts(cb, BENCH_ACCOUNTS))
    variables["accounts"] = BENCH_ACCOUNTS
    minimal_env = {
        **env,
        "BENCH_DATABASE_URL": dsn,
        "BENCH_ORG_ID": tenant.organization_id,
        "BENCH_ENV": "test",
    }
    try:
        minimal = start_server(
            "minimal",
            [sys.executable, str(HERE / "minimal" / "app.py")],
            minimal_env,
            "/customers?status=active",
            workdir / "minimal.log",
        )
    except BaseException:
        cb.stop()
        raise
    ctx.servers.append(minimal.pid)
    results: dict[str, dict[str, list[dict[str, Any]]]] = {op.name: {} for op in OPERATIONS}
    try:
        warm = OPERATIONS[0]
        for server in (cb, minimal):
            path = warm.customerbase if server is cb else warm.minimal
            saved, ctx.duration = ctx.duration, 2
            run_http(ctx, server, warm, path, files["ids"])
            ctx.duration = saved
        for round_number in range(mode.rounds):
            print(f"round {round_number + 1}/{mode.rounds}")
            for op in OPERATIONS:
                cb_values = (
                    slices[round_number]
                    if op.values == "archive"
                    else files[op.values]
                    if op.values
                    else None
                )
                ref_values = files["archive_reference"] if op.values == "archive" else cb_values
                runs = results[op.name]
                result = run_http(ctx, cb, op, op.customerbase, cb_values)
                print(f"  {op.name:17} customerbase {_summary(result)}")
                runs.setdefault("customerbase_pg", []).append(result)
                result = run_http(ctx, minimal, op, op.minimal, ref_values, reference=True)
                print(f"  {op.name:17} minimal      {_summary(result)}")
                runs.setdefault("minimal", []).append(result)
                ctx.settle()
                for attempt in range(3):  # a shared server may run out of connections
                    wait_for_connections(dsn, ctx.connections + 2)
                    with measured(ctx, None) as result:
                        result.update(
                            run_pgbench(
                                dsn,
                                HERE / "pgbench" / f"{op.name}.sql",
                                variables,
                                duration=op.duration(ctx.duration),
                                connections=ctx.connections,
                                logs=workdir / "pgbench_log",
                            )
                        )
                    if not result.get("too_many_clients") or attempt == 2:
                        break
                print(f"  {op.name:17} pgbench      {_summary(result)}")
                runs.setdefault("pgbench", []).append(result)
        minimal.stop()
        report["export"]["postgres"] = time_export(cb, mode.pg_customers)
        print(f"  export: {report['export']['postgres']}")
    finally:
        minimal.stop()
        cb.stop()
    report["peak_rss_mb"]["customerbase_pg"] = cb.peak_rss
    report["peak_rss_mb"]["minimal"] = minimal.peak_rss
    report["config"]["pg_total"] = mode.pg_customers + sum(mode.pg_others)
    for op in OPERATIONS:
        for target, rounds in results[op.name].items():
            report["operations"].setdefault(op.name, {"label": op.label})[target] = median_of(
                rounds
            )


async def _free_connections(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(
            await connection.fetchval(
                "SELECT current_setting('max_connections')::int "
                "- current_setting('superuser_reserved_connections')::int "
                "- (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
            )
        )
    finally:
        await connection.close()


def wait_for_connections(dsn: str, needed: int, *, limit: float = 60.0) -> None:
    """A PostgreSQL shared with other work may be out of connections for a moment: wait for
    `needed` free ones (up to `limit` seconds), so that a run does not fail on "too many
    clients"."""
    deadline = time.monotonic() + limit
    while True:
        try:
            free = asyncio.run(_free_connections(dsn))
        except asyncpg.TooManyConnectionsError:
            free = 0
        if free >= needed or time.monotonic() > deadline:
            if free < needed:
                print(f"    only {free} PostgreSQL connections free (wanted {needed})")
            return
        time.sleep(1)


async def _server_version(dsn: str) -> str:
    connection = await asyncpg.connect(dsn)
    try:
        version = await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()
    return f"PostgreSQL {version.split()[0]}"


def bench_sqlite(
    args: argparse.Namespace, mode: Mode, workdir: Path, secret: str, report: dict[str, Any]
) -> None:
    path = workdir / "sqlite" / "customerbase.db"
    path.parent.mkdir(parents=True)
    url = f"sqlite:///{path}"
    print(f"SQLite: {path}")
    env = base_env(workdir, url, secret)
    cli(env, "migrate")
    tenant, imported = load_tenants(
        env, url, secret, mode.sqlite_customers, mode.sqlite_others, "lite"
    )
    report["import"]["sqlite"] = {**imported.__dict__, "per_second": imported.per_second}
    s = load.sample(url, tenant.organization_id, "test", mode.sqlite_customers)
    values = split_sample(s, reads=20_000, reference=0, slices=mode.sqlite_rounds)
    files = {
        "ids": write_values(workdir, "lite-ids", values.ids),
        "emails": write_values(workdir, "lite-emails", values.emails),
        "prefixes": write_values(workdir, "lite-prefixes", values.prefixes),
        "substrings": write_values(workdir, "lite-substrings", values.substrings),
    }
    slices = [
        write_values(workdir, f"lite-archive-{n}", ids)
        for n, ids in enumerate(values.archive_slices)
    ]
    ctx = Context(workdir, mode.duration, args.connections, PostgresCPU(None))
    cb = start_server(
        "customerbase (SQLite)",
        [str(CLI), "serve"],
        env,
        "/health",
        workdir / "customerbase-sqlite.log",
    )
    cb.key = tenant.key
    ctx.servers.append(cb.pid)
    files["accounts"] = write_values(workdir, "lite-accounts", make_accounts(cb, BENCH_ACCOUNTS))
    results: dict[str, list[dict[str, Any]]] = {}
    try:
        for round_number in range(mode.sqlite_rounds):
            print(f"SQLite round {round_number + 1}/{mode.sqlite_rounds}")
            for op in OPERATIONS:
                chosen = (
                    slices[round_number]
                    if op.values == "archive"
                    else files[op.values]
                    if op.values
                    else None
                )
                result = run_http(ctx, cb, op, op.customerbase, chosen)
                print(f"  {op.name:17} customerbase {_summary(result)}")
                results.setdefault(op.name, []).append(result)
        report["export"]["sqlite"] = time_export(cb, mode.sqlite_customers)
        print(f"  export: {report['export']['sqlite']}")
    finally:
        cb.stop()
    report["peak_rss_mb"]["customerbase_sqlite"] = cb.peak_rss
    report["config"]["sqlite_total"] = mode.sqlite_customers + sum(mode.sqlite_others)
    for op in OPERATIONS:
        if op.name in results:
            row = report["operations"].setdefault(op.name, {"label": op.label})
            row["customerbase_sqlite"] = median_of(results[op.name])


def ratios(report: dict[str, Any]) -> None:
    for row in report["operations"].values():
        cb = row.get("customerbase_pg")
        for reference in ("minimal", "pgbench"):
            theirs = row.get(reference)
            if cb and theirs and theirs.get("rps"):
                row[f"ratio_to_{reference}"] = round(cb["rps"] / theirs["rps"], 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=sorted(MODES), default="full")
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "CUSTOMERBASE_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="a PostgreSQL URL with the right to create databases",
    )
    parser.add_argument("--database", default="customerbase_bench")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, help="seconds per run (default: by mode)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default: by mode)")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--no-reference-indexes",
        action="store_true",
        help="do not give the references their search indexes (bench_ref_* on customers)",
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    for tool in ("wrk", "pgbench"):
        if shutil.which(tool) is None:
            raise SystemExit(
                f"the benchmark needs {tool}: apt-get install wrk postgresql-client "
                "(pgbench ships with postgresql-client or postgresql-contrib)"
            )
    mode = MODES[args.mode]
    if args.duration or args.rounds:
        mode = Mode(
            **{
                **mode.__dict__,
                "duration": args.duration or mode.duration,
                "rounds": args.rounds or mode.rounds,
            }
        )
    started = time.perf_counter()
    secret = secrets.token_urlsafe(48)
    report: dict[str, Any] = {
        "machine": machine(),
        "config": {
            "mode": mode.name,
            "pg_customers": mode.pg_customers,
            "sqlite_customers": mode.sqlite_customers,
            "duration": mode.duration,
            "rounds": mode.rounds,
            "sqlite_rounds": mode.sqlite_rounds,
            "connections": args.connections,
            "pg_total": 0,
            "sqlite_total": 0,
            "reference_indexes": not args.no_reference_indexes,
        },
        "postgres_version": "PostgreSQL",
        "import": {},
        "export": {},
        "operations": {},
        "peak_rss_mb": {},
    }
    workdir = Path(tempfile.mkdtemp(prefix="customerbase-bench-"))
    try:
        bench_postgres(args, mode, workdir, secret, report)
        if not args.skip_sqlite:
            bench_sqlite(args, mode, workdir, secret, report)
    finally:
        logs = sorted(workdir.glob("*.log"))
        for log in logs:
            tail = log.read_text(errors="replace").strip().splitlines()[-5:]
            if tail:
                print(f"-- {log.name} (last lines)\n" + "\n".join(tail))
        shutil.rmtree(workdir, ignore_errors=True)
    ratios(report)
    report["machine"]["load_average_at_end"] = round(os.getloadavg()[0], 2)
    if load.import_command(CLI) is None:
        report["import"].setdefault("note", "customerbase import does not exist yet")
    report["notes"] = notes(report)
    report["seconds"] = round(time.perf_counter() - started)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "latest.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    (args.output / "latest.md").write_text(markdown(report))
    print(markdown(report))
    print(f"written to {args.output}/latest.json and latest.md in {report['seconds']} s")


if __name__ == "__main__":
    main()
