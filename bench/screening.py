"""Sanctions screening speed: `python bench/screening.py [--entries 18000] [--customers 100000]
[--postgres URL]`.

1. Writes an SDN-sized list in OFAC's own format (`sdn.csv` + `alt.csv`, fixed seed: persons
   of several naming cultures, companies with legal forms, vessels; about 0.8 aliases per
   entry), parses it and builds the in-memory index, as `customerbase watchlists import` and
   the first screening do.
2. Screens 20,000 names one at a time (a tenth of them variants of listed names, the rest
   ordinary customers' names) and prints the p50, p99 and maximum of one lookup.
3. Imports the list into a fresh database (SQLite, or a new database on the PostgreSQL server
   named by --postgres), inserts --customers customers, and times one continuous-screening
   sweep over all of them (`rescreen_customers`, as after a list update).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from customerbase.kit.crypto import Vault
from customerbase.kit.db import create_database
from customerbase.kit.ids import uuid7
from customerbase.kit.time import utcnow
from customerbase.migrations import upgrade
from customerbase.models import Customer
from customerbase.organizations.service import create_organization
from customerbase.screening import service
from customerbase.screening.continuous import rescreen_customers
from customerbase.screening.formats import parse_sdn
from customerbase.screening.matcher import IndexedEntry, WatchlistIndex
from customerbase.screening.normalize import ORGANIZATION, PERSON
from customerbase.screening.watchlists import import_list

SYLLABLES = {
    "arabic": [
        "ab",
        "dul",
        "rah",
        "man",
        "mu",
        "ham",
        "mad",
        "sa",
        "lim",
        "kha",
        "lid",
        "ha",
        "san",
        "hus",
        "sein",
        "far",
        "ouk",
        "ja",
        "mal",
        "na",
        "sir",
        "ka",
        "rim",
        "zai",
    ],
    "russian": [
        "vla",
        "di",
        "mir",
        "ser",
        "gei",
        "ole",
        "g",
        "ivan",
        "ov",
        "pet",
        "rov",
        "ko",
        "val",
        "yev",
        "ge",
        "niy",
        "dmi",
        "try",
        "bor",
        "is",
        "ale",
        "xei",
        "nik",
    ],
    "chinese": [
        "li",
        "wang",
        "zhang",
        "liu",
        "chen",
        "yang",
        "huang",
        "zhao",
        "wu",
        "zhou",
        "xu",
        "sun",
        "ma",
        "zhu",
        "hu",
        "guo",
        "he",
        "lin",
        "luo",
        "gao",
    ],
    "spanish": [
        "jo",
        "se",
        "lu",
        "is",
        "car",
        "los",
        "mi",
        "guel",
        "ro",
        "dri",
        "go",
        "fer",
        "nan",
        "dez",
        "gar",
        "cia",
        "mar",
        "ti",
        "nez",
        "lo",
        "pez",
        "ra",
    ],
    "african": [
        "chi",
        "ne",
        "du",
        "ngo",
        "zi",
        "tun",
        "de",
        "ade",
        "ye",
        "mi",
        "ba",
        "lo",
        "gun",
        "o",
        "ka",
        "for",
        "bel",
        "lo",
        "emek",
        "a",
        "olu",
        "wa",
        "se",
        "un",
    ],
}
FORMS = ["LTD", "LIMITED", "LLC", "GMBH", "AG", "S.A.", "PJSC", "CO., LTD.", "FZE", "JSC", ""]
WORDS = [
    "TRADING",
    "SHIPPING",
    "GLOBAL",
    "PETROLEUM",
    "INDUSTRIES",
    "HOLDING",
    "BANK",
    "INVESTMENT",
    "ENERGY",
    "LOGISTICS",
    "MARINE",
    "GENERAL",
    "IMPORT EXPORT",
]
CUSTOMER_FIRST = [
    "Ada",
    "Chinedu",
    "Ngozi",
    "Tunde",
    "Amaka",
    "Bola",
    "Ifeoma",
    "Sade",
    "Emeka",
    "Kemi",
    "Musa",
    "Aisha",
    "Ibrahim",
    "Fatima",
    "John",
    "Mary",
    "Yusuf",
    "Grace",
]
CUSTOMER_LAST = [
    "Okafor",
    "Adeyemi",
    "Balogun",
    "Eze",
    "Nwosu",
    "Ola",
    "Bello",
    "Okonkwo",
    "Afolabi",
    "Abubakar",
    "Mohammed",
    "Danjuma",
    "Smith",
    "Johnson",
    "Obi",
]


def _word(rng: random.Random, culture: str, parts: int) -> str:
    return "".join(rng.choice(SYLLABLES[culture]) for _ in range(parts)).capitalize()


def _person(rng: random.Random) -> str:
    culture = rng.choice(list(SYLLABLES))
    last = _word(rng, culture, rng.randint(2, 3)).upper()
    given = " ".join(_word(rng, culture, rng.randint(1, 3)) for _ in range(rng.randint(1, 3)))
    return f"{last}, {given}"


def _company(rng: random.Random) -> str:
    culture = rng.choice(list(SYLLABLES))
    name = _word(rng, culture, rng.randint(2, 4)).upper()
    words = " ".join(rng.sample(WORDS, rng.randint(0, 2)))
    return " ".join(part for part in (name, words, rng.choice(FORMS)) if part)


def write_list(folder: Path, entries: int, seed: int = 11) -> list[str]:
    """sdn.csv and alt.csv of `entries` entries; returns the primary names."""
    rng = random.Random(seed)
    names: list[str] = []
    alias_number = 0
    with (
        (folder / "sdn.csv").open("w", newline="") as sdn,
        (folder / "alt.csv").open("w", newline="") as alt,
    ):
        for number in range(1, entries + 1):
            roll = rng.random()
            if roll < 0.6:
                kind, name = "individual", _person(rng)
            elif roll < 0.95:
                kind, name = "-0- ", _company(rng)
            else:
                kind, name = "vessel", _word(rng, "spanish", 2).upper()
            names.append(name)
            cells = [str(number), name, kind, "SDGT", *["-0- "] * 7, "-0- "]
            sdn.write(",".join(f'"{c}"' if i else c for i, c in enumerate(cells)) + "\r\n")
            for _ in range(rng.choice((0, 0, 1, 1, 1, 2, 3))):
                alias_number += 1
                alias = _person(rng) if kind == "individual" else _company(rng)
                alt.write(f'{number},{alias_number},"aka","{alias}","-0- "\r\n')
        sdn.write("\x1a")
        alt.write("\x1a")
    return names


def _variant(rng: random.Random, name: str) -> str:
    """A reordered, misspelt or lower-cased form of a listed name."""
    parts = name.replace(",", "").split()
    rng.shuffle(parts)
    text = " ".join(parts)
    if len(text) > 6 and rng.random() < 0.5:
        i = rng.randrange(1, len(text) - 1)
        text = text[:i] + text[i + 1 :]
    return text.lower()


def measure_lookups(index: WatchlistIndex, names: list[str], count: int) -> dict[str, float]:
    rng = random.Random(5)
    queries: list[tuple[str, str]] = []
    for n in range(count):
        if n % 10 == 0:
            listed = rng.choice(names)
            kind = ORGANIZATION if any(form and form in listed for form in FORMS) else PERSON
            queries.append((_variant(rng, listed), kind))
        elif n % 10 == 1:
            queries.append((f"{rng.choice(CUSTOMER_LAST)} {rng.choice(WORDS)} LTD", ORGANIZATION))
        else:
            first, last = rng.choice(CUSTOMER_FIRST), rng.choice(CUSTOMER_LAST)
            queries.append((f"{first} {rng.choice(CUSTOMER_FIRST)} {last}", PERSON))
    timings: list[float] = []
    cpu: list[float] = []
    hits = 0
    for name, kind in queries:
        started, started_cpu = time.perf_counter_ns(), time.thread_time_ns()
        found = index.search(name, kind)
        cpu.append((time.thread_time_ns() - started_cpu) / 1e6)
        timings.append((time.perf_counter_ns() - started) / 1e6)
        hits += bool(found)
    timings.sort()
    cpu.sort()
    return {
        "lookups": count,
        "p50_ms": statistics.median(timings),
        "p99_ms": timings[int(len(timings) * 0.99) - 1],
        "max_ms": timings[-1],
        "cpu_p50_ms": statistics.median(cpu),
        "cpu_p99_ms": cpu[int(len(cpu) * 0.99) - 1],
        "with_hits": hits,
    }


async def _database(postgres: str | None, folder: Path) -> tuple[str, str | None]:
    if postgres is None:
        return f"sqlite:///{folder / 'bench.db'}", None
    admin = make_url(postgres)
    name = f"customerbase_screening_bench_{uuid.uuid4().hex[:8]}"
    dsn = admin.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return admin.set(database=name).render_as_string(hide_password=False), name


async def _drop(postgres: str, name: str) -> None:
    dsn = make_url(postgres).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def _customer_rows(
    organization_id: uuid.UUID, count: int, names: list[str]
) -> list[dict[str, Any]]:
    rng = random.Random(3)
    now = utcnow()
    rows = []
    for n in range(count):
        first, last = rng.choice(CUSTOMER_FIRST), rng.choice(CUSTOMER_LAST)
        if n % 1000 == 0:  # a few sanctioned customers among them
            listed = rng.choice(names).replace(",", "").split()
            first, last = listed[-1].title(), listed[0].title()
        rows.append(
            {
                "organization_id": organization_id,
                "id": uuid7(),
                "environment": "test",
                "customer_type": "individual",
                "first_name": first,
                "last_name": last,
                "email": f"c{n}@example.com",
                "status": "active",
                "blacklisted": False,
                "kyc_tier": 0,
                "kyc_status": "not_started",
                "source": "banking",
                "metadata_": {},
                "screening_status": "clear",
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


async def measure_rescreen(
    folder: Path, postgres: str | None, customers: int, names: list[str]
) -> dict[str, float]:
    url, created = await _database(postgres, folder)
    database = create_database(url)
    try:
        await upgrade(database)
        async with database.write_session() as session:
            organization, _keys = await create_organization(session, "Bench")
            await import_list(session, parse_sdn(folder / "sdn.csv", folder / "alt.csv"))
        rows = _customer_rows(organization.id, customers, names)
        for start in range(0, len(rows), 5000):
            async with database.write_session() as session:
                await session.execute(insert(Customer), rows[start : start + 5000])
        vault = Vault("bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz")
        async with database.read_session() as session:  # the index, built once (warm)
            await service.current_index(session)
        summary = await rescreen_customers(database, vault)
        return {
            "customers": customers,
            "seconds": summary.seconds,
            "per_second": summary.screened / summary.seconds,
            "changed": summary.changed,
            "database": database.dialect,
        }
    finally:
        await database.dispose()
        if postgres is not None and created is not None:
            await _drop(postgres, created)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=18_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=20_000)
    parser.add_argument("--postgres", help="a PostgreSQL server URL (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        names = write_list(folder, args.entries)
        started = time.perf_counter()
        parsed = parse_sdn(folder / "sdn.csv", folder / "alt.csv")
        parse_seconds = time.perf_counter() - started
        started = time.perf_counter()
        index = WatchlistIndex.build(
            IndexedEntry(
                "ofac_sdn",
                e.entry_id,
                e.kind,
                e.name,
                e.entry_hash(),
                tuple(a.name for a in e.aliases),
            )
            for e in parsed.entries
            if e.kind in (PERSON, ORGANIZATION)
        )
        build_seconds = time.perf_counter() - started
        gc.freeze()  # as the service does once an index is built
        print(
            f"list: {len(parsed.entries):,} entries, {parsed.alias_count:,} aliases; parsed in "
            f"{parse_seconds:.2f} s; index of {len(index.names):,} names built in "
            f"{build_seconds:.2f} s"
        )
        lookups = measure_lookups(index, names, args.lookups)
        print(
            f"one name: p50 {lookups['p50_ms']:.3f} ms, p99 {lookups['p99_ms']:.3f} ms, "
            f"max {lookups['max_ms']:.2f} ms (CPU time: p50 {lookups['cpu_p50_ms']:.3f} ms, "
            f"p99 {lookups['cpu_p99_ms']:.3f} ms) over {lookups['lookups']:,} lookups "
            f"({lookups['with_hits']:,} with hits); load average {os.getloadavg()[0]:.1f}"
        )
        if args.customers:
            swept = asyncio.run(measure_rescreen(folder, args.postgres, args.customers, names))
            print(
                f"re-screening ({swept['database']}): {swept['customers']:,} customers in "
                f"{swept['seconds']:.1f} s ({swept['per_second']:,.0f}/s), "
                f"{swept['changed']:,} changed"
            )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
