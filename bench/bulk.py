"""Bulk import and export rates: `python bench/bulk.py [--rows 100000] [--postgres URL]`.

Generates a CSV of realistic customers (fixed seed) in a temporary folder, imports it into a
fresh database (a SQLite file, or a new database on the PostgreSQL server named by --postgres)
through the same code as `customerbase import`, then exports every customer as JSON lines and
as CSV through the code behind `GET /v1/customers/export`. Prints rows/s and the peak RSS of
this process and of the validation workers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from customerbase.customers import export, imports
from customerbase.customers.repository import CustomerFilter
from customerbase.kit.crypto import Vault
from customerbase.kit.db import create_database
from customerbase.migrations import upgrade
from customerbase.organizations.service import Tenant, create_organization

FIRST = ["Ada", "Chinedu", "Ngozi", "Tunde", "Amaka", "Bola", "Ifeoma", "Sadé", "Emeka", "Kemi"]
LAST = ["Okafor", "Adeyemi", "Balogun", "Eze", "Nwosu", "Ọlá", "Bello", "Okonkwo", "Afolabi"]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w") as out:
        out.write(
            "first_name,last_name,email,phone_number,country,bvn,date_of_birth,reference,"
            "address.city,metadata.segment\n"
        )
        for n in range(rows):
            out.write(
                f"{rng.choice(FIRST)},{rng.choice(LAST)},user{n}@example.com,"
                f"0803{n:07d},NG,{22_000_000_000 + n},"
                f"19{rng.randint(50, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)},"
                f"ref_{n},Lagos,{rng.choice(['retail', 'sme', 'premium'])}\n"
            )


def peak_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the machine may be shared: the
    rate per CPU-second is the figure that does not depend on the neighbours)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a database is created)")
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="customerbase-bulk-"))
    source = folder / "customers.csv"
    generate(source, args.rows)
    dropped: str | None = None
    if args.postgres:
        admin = make_url(args.postgres).set(drivername="postgresql")
        name = f"customerbase_bulk_{uuid.uuid4().hex[:8]}"
        connection = await asyncpg.connect(admin.render_as_string(hide_password=False))
        await connection.execute(f'CREATE DATABASE "{name}"')
        await connection.close()
        url = admin.set(database=name).render_as_string(hide_password=False)
        dropped = name
    else:
        url = f"sqlite:///{folder / 'bulk.db'}"
    database = create_database(url)
    vault = Vault("bench-master-secret-0123456789-abcdefghijklmnop")
    try:
        await upgrade(database)
        async with database.write_session() as session:
            organization, _ = await create_organization(session, "Bench")
            tenant = Tenant(organization.id, "test", uuid.UUID(int=0))
            job = await imports.create_job(
                session,
                tenant,
                file_format="csv",
                dry_run=False,
                filename=source.name,
                size=source.stat().st_size,
            )
        started, cpu = time.perf_counter(), cpu_seconds()
        progress = await imports.run_import(
            database, vault, tenant, job.id, source, workers=args.workers
        )
        imported, imported_cpu = time.perf_counter() - started, cpu_seconds() - cpu
        assert progress.rows_imported == args.rows, progress
        results = {
            "database": database.dialect,
            "rows": args.rows,
            "import_rows_per_s": round(args.rows / imported),
            "import_seconds": round(imported, 2),
            "import_rows_per_cpu_s": round(args.rows / imported_cpu),
        }
        for file_format in ("jsonl", "csv"):
            started, cpu = time.perf_counter(), cpu_seconds()
            size = 0
            async for chunk in export.stream_customers(
                database, vault, tenant, CustomerFilter(), file_format
            ):
                size += len(chunk)
            took, took_cpu = time.perf_counter() - started, cpu_seconds() - cpu
            results[f"export_{file_format}_rows_per_s"] = round(args.rows / took)
            results[f"export_{file_format}_rows_per_cpu_s"] = round(args.rows / took_cpu)
            results[f"export_{file_format}_mib"] = round(size / 2**20, 1)
        results["peak_rss_mib"] = round(peak_mib(resource.RUSAGE_SELF))
        results["peak_rss_worker_mib"] = round(peak_mib(resource.RUSAGE_CHILDREN))
        print(json.dumps(results, indent=2))
    finally:
        await database.dispose()
        if dropped:
            connection = await asyncpg.connect(admin.render_as_string(hide_password=False))
            await connection.execute(f'DROP DATABASE IF EXISTS "{dropped}" WITH (FORCE)')
            await connection.close()


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
