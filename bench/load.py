"""Loading generated customers into a tenant, and sampling them back for the load generators.

The target is `customerbase import FILE` (the bulk import). Until that command exists the
benchmark falls back to a direct loader: the rows the service's `create_customer` would write
(E.164 phone and dial code, AES-GCM ciphertexts and blind indexes through `kit.crypto.Vault`),
COPY into PostgreSQL, `executemany` into SQLite. It fills only the columns it knows and refuses
to run if the table grew a required column it does not.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from customerbase.customers.search import search_text_of, search_values
from customerbase.kit.crypto import Vault
from customerbase.kit.ids import uuid7

BATCH = 20_000

DIAL_CODES = ("+234", "+233", "+254", "+44", "+1")

# Columns the direct loader writes (those of the schema as `create_customer` fills them).
KNOWN = (
    "organization_id id environment reference customer_type first_name middle_name last_name "
    "company_name email phone_number dial_code country date_of_birth_encrypted gender address "
    "bvn_encrypted bvn_index bvn_last4 nin_encrypted nin_index nin_last4 status blacklisted "
    "blacklist_reason kyc_tier kyc_status source metadata created_at updated_at archived_at "
    "blacklisted_at deleted_at search_name search_middle search_last search_company "
    "search_email search_reference search_phone search_phone_national search_text"
).split()


@dataclass(frozen=True)
class LoadResult:
    rows: int
    seconds: float
    method: str  # "customerbase import" or "direct loader (fallback)"

    @property
    def per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def import_command(cli: Path) -> list[str] | None:
    """`customerbase import` with the options it takes for a tenant, if the command exists."""
    top = subprocess.run([cli, "--help"], capture_output=True, text=True, check=False)
    if not re.search(r"^\W*import\b", top.stdout, re.M):
        return None
    help_text = subprocess.run(
        [cli, "import", "--help"], capture_output=True, text=True, check=False
    ).stdout
    command = [str(cli), "import", "{file}"]
    for options, placeholder in (
        (("--org", "--organization", "--organization-id"), "{org}"),
        (("--env", "--environment"), "{env}"),
    ):
        for option in options:
            if re.search(rf"{option}\b", help_text):
                command += [option, placeholder]
                break
    return command


def run_import(
    template: list[str], file: Path, org: str, environment: str, env: dict[str, str], rows: int
) -> LoadResult:
    command = [
        part.format(file=file, org=org, env=environment) for part in template
    ]  # a template is ours
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return LoadResult(rows, elapsed, "customerbase import")


def _dial_code(phone: str) -> str:
    for code in DIAL_CODES:
        if phone.startswith(code):
            return code
    raise ValueError(f"no dial code known for {phone}")


def customer_rows(
    file: Path, vault: Vault, organization_id: uuid.UUID, environment: str
) -> Iterator[dict[str, Any]]:
    """The customers table's rows for a JSON-lines file in the create shape, as
    `create_customer` builds them."""
    encrypt, blind = vault.encrypt, vault.blind_index
    # Spread creation over the last two years, oldest first like the ids.
    moment = datetime.now(UTC) - timedelta(days=730)
    step = timedelta(seconds=5)
    with file.open("rb") as lines:
        for line in lines:
            data = orjson.loads(line)
            moment += step
            bvn, nin, dob = data.get("bvn"), data.get("nin"), data.get("date_of_birth")
            phone = data["phone_number"]
            names = {
                "first_name": data.get("first_name"),
                "middle_name": None,
                "last_name": data.get("last_name"),
                "company_name": data.get("company_name"),
                "email": data["email"].lower(),
                "reference": data.get("reference"),
            }
            searched = search_values(**names, phone_number=phone)
            searched["search_text"] = search_text_of(**names)
            yield searched | {
                "organization_id": organization_id,
                "id": uuid7(),
                "environment": environment,
                "reference": data.get("reference"),
                "customer_type": data["customer_type"],
                "first_name": data.get("first_name"),
                "middle_name": None,
                "last_name": data.get("last_name"),
                "company_name": data.get("company_name"),
                "email": data["email"].lower(),
                "phone_number": phone,
                "dial_code": _dial_code(phone),
                "country": data.get("country"),
                "date_of_birth_encrypted": (
                    encrypt(dob, organization_id=organization_id, field="date_of_birth")
                    if dob
                    else None
                ),
                "gender": None,
                "address": None,
                "bvn_encrypted": (
                    encrypt(bvn, organization_id=organization_id, field="bvn") if bvn else None
                ),
                "bvn_index": (
                    blind(bvn, organization_id=organization_id, field="bvn") if bvn else None
                ),
                "bvn_last4": bvn[-4:] if bvn else None,
                "nin_encrypted": (
                    encrypt(nin, organization_id=organization_id, field="nin") if nin else None
                ),
                "nin_index": (
                    blind(nin, organization_id=organization_id, field="nin") if nin else None
                ),
                "nin_last4": nin[-4:] if nin else None,
                "status": "active",
                "blacklisted": False,
                "blacklist_reason": None,
                "kyc_tier": 0,
                "kyc_status": "not_started",
                "source": "banking",
                "metadata": data.get("metadata") or {},
                "created_at": moment,
                "updated_at": moment,
                "archived_at": None,
                "blacklisted_at": None,
                "deleted_at": None,
            }


def _check_columns(columns: list[tuple[str, bool]]) -> list[str]:
    """The known columns present; fails on a required column the loader cannot fill."""
    names = {name for name, _ in columns}
    missing = [name for name, required in columns if required and name not in KNOWN]
    if missing:
        raise RuntimeError(
            f"the customers table has required columns the direct loader does not know: "
            f"{missing}; load through `customerbase import` or teach bench/load.py"
        )
    unknown = sorted(names - set(KNOWN))
    if unknown:
        print(f"  note: the direct loader leaves these new columns to their defaults: {unknown}")
    return [name for name in KNOWN if name in names]


async def _load_postgres(
    dsn: str, file: Path, vault: Vault, organization_id: uuid.UUID, environment: str
) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        described = await connection.fetch(
            "SELECT column_name, is_nullable = 'NO' AND column_default IS NULL "
            "AND is_generated = 'NEVER' AS required FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = 'customers'"
        )
        columns = _check_columns([(r["column_name"], r["required"]) for r in described])
        json_columns = {"metadata", "address"}
        count = 0
        batch: list[tuple[Any, ...]] = []

        async def flush() -> None:
            await connection.copy_records_to_table("customers", records=batch, columns=columns)
            batch.clear()

        for row in customer_rows(file, vault, organization_id, environment):
            batch.append(
                tuple(
                    orjson.dumps(row[c]).decode()
                    if c in json_columns and row[c] is not None
                    else row[c]
                    for c in columns
                )
            )
            count += 1
            if len(batch) >= BATCH:
                await flush()
        if batch:
            await flush()
        return count
    finally:
        await connection.close()


def _sqlite_value(column: str, value: Any) -> Any:
    """The encodings SQLAlchemy's column types give SQLite (as the service writes them):
    UUIDs as 32 hex digits, timestamps as naive UTC text, JSON as text (None as 'null')."""
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if column in ("metadata", "address"):
        return orjson.dumps(value).decode()
    if isinstance(value, bool):
        return int(value)
    return value


def _load_sqlite(
    path: Path, file: Path, vault: Vault, organization_id: uuid.UUID, environment: str
) -> int:
    connection = sqlite3.connect(path)
    try:
        described = connection.execute("PRAGMA table_info(customers)").fetchall()
        columns = _check_columns([(r[1], bool(r[3]) and r[4] is None) for r in described])
        statement = (
            f"INSERT INTO customers ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)})"
        )
        count = 0
        batch: list[tuple[Any, ...]] = []
        for row in customer_rows(file, vault, organization_id, environment):
            batch.append(tuple(_sqlite_value(c, row[c]) for c in columns))
            count += 1
            if len(batch) >= BATCH:
                with connection:
                    connection.executemany(statement, batch)
                batch.clear()
        if batch:
            with connection:
                connection.executemany(statement, batch)
        return count
    finally:
        connection.close()


def direct_load(
    url: str, file: Path, secret: str, organization_id: str, environment: str
) -> LoadResult:
    vault = Vault(secret)
    org = uuid.UUID(organization_id)
    started = time.perf_counter()
    if url.startswith("sqlite"):
        rows = _load_sqlite(Path(url.removeprefix("sqlite:///")), file, vault, org, environment)
    else:
        rows = asyncio.run(_load_postgres(url, file, vault, org, environment))
    return LoadResult(rows, time.perf_counter() - started, "direct loader (fallback)")


async def _analyze_postgres(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("ANALYZE customers")
    finally:
        await connection.close()


def analyze(url: str) -> None:
    """Fresh planner statistics once everything is loaded."""
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        try:
            connection.execute("ANALYZE")
        finally:
            connection.close()
    else:
        asyncio.run(_analyze_postgres(url))


# --- Sampling --------------------------------------------------------------------------------


@dataclass
class Sample:
    """Customers of the measured tenant for the load generators to pick from."""

    ids: list[str]
    emails: list[str]
    first_names: list[str]
    last_names: list[str]


async def _sample_postgres(dsn: str, org: str, environment: str, size: int) -> Sample:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT id::text, email, first_name, last_name FROM customers "
            "WHERE organization_id = $1 AND environment = $2 AND status = 'active' "
            "ORDER BY md5(id::text) LIMIT $3",
            uuid.UUID(org),
            environment,
            size,
        )
    finally:
        await connection.close()
    return Sample(
        [r[0] for r in rows],
        [r[1] for r in rows],
        [r[2] or "" for r in rows],
        [r[3] or "" for r in rows],
    )


def _sample_sqlite(path: Path, org: str, environment: str, size: int) -> Sample:
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute(
            "SELECT id, email, first_name, last_name FROM customers "
            "WHERE organization_id = ? AND environment = ? AND status = 'active' "
            "ORDER BY random() LIMIT ?",
            (uuid.UUID(org).hex, environment, size),
        ).fetchall()
    finally:
        connection.close()
    return Sample(
        [str(uuid.UUID(r[0])) for r in rows],
        [r[1] for r in rows],
        [r[2] or "" for r in rows],
        [r[3] or "" for r in rows],
    )


def sample(url: str, org: str, environment: str, size: int) -> Sample:
    if url.startswith("sqlite"):
        return _sample_sqlite(Path(url.removeprefix("sqlite:///")), org, environment, size)
    return asyncio.run(_sample_postgres(url, org, environment, size))
