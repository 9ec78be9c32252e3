"""The rows behind `Idempotency-Key` (table `idempotency_keys`): claim, look up, complete,
release and purge, each one statement written once with `$1` placeholders.

- PostgreSQL: every statement on the fast pool, in autocommit. The claim is
  `INSERT ... ON CONFLICT DO NOTHING RETURNING id` against the unique index on
  (organization_id, environment, key): of any number of concurrent claims, on any number of
  processes, exactly one gets a row back.
- SQLite: the writes (claim, complete, release, purge) go through the write engine's single
  connection (`BEGIN IMMEDIATE`), which serialises them with every other write, across
  processes too (the database file's write lock); look-ups read on the fast read connection.

Only the fingerprint of a request is stored, never its body; the response is stored as it was
sent, and responses mask personal data already.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database
from customerbase.kit.fastdb import Row, decode_timestamp
from customerbase.kit.ids import uuid7

_PLACEHOLDER = re.compile(r"\$(\d+)")

_CLAIM = (
    "INSERT INTO idempotency_keys"
    " (id, organization_id, environment, key, fingerprint, request_id, created_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7)"
    " ON CONFLICT (organization_id, environment, key) DO NOTHING RETURNING id"
)
# On PostgreSQL the claim commits without waiting for its WAL flush (synchronous_commit off,
# for this one statement's transaction): the change the request then makes commits durably,
# and flushing its commit record flushes the claim's, which precedes it in the WAL. A crash
# can lose a claim only together with everything its request did, so a retry runs it anew;
# the claim saves one fsync per idempotent request. The answer's UPDATE stays durable.
_CLAIM_PG = (
    "INSERT INTO idempotency_keys"
    " (id, organization_id, environment, key, fingerprint, request_id, created_at)"
    " SELECT $1::uuid, $2::uuid, $3::varchar, $4::varchar, $5::varchar, $6::varchar,"
    " $7::timestamptz FROM (SELECT set_config('synchronous_commit', 'off', true)) AS no_flush"
    " ON CONFLICT (organization_id, environment, key) DO NOTHING RETURNING id"
)
_FIND = (
    "SELECT id, fingerprint, request_id, status_code, response_headers, response_body,"
    " created_at FROM idempotency_keys"
    " WHERE organization_id = $1 AND environment = $2 AND key = $3"
)
_COMPLETE = (
    "UPDATE idempotency_keys SET status_code = $2, response_headers = $3, response_body = $4,"
    " completed_at = $5 WHERE id = $1 AND status_code IS NULL RETURNING id"
)
_RELEASE = "DELETE FROM idempotency_keys WHERE id = $1 AND status_code IS NULL RETURNING id"
_DISCARD_EXPIRED = "DELETE FROM idempotency_keys WHERE id = $1 AND created_at < $2 RETURNING id"
_DISCARD_ABANDONED = (
    "DELETE FROM idempotency_keys"
    " WHERE id = $1 AND status_code IS NULL AND created_at < $2 RETURNING id"
)
# A bounded batch (served by the index on created_at), so that a purge never holds the SQLite
# write lock or a PostgreSQL transaction for long.
_PURGE = (
    "DELETE FROM idempotency_keys WHERE id IN"
    " (SELECT id FROM idempotency_keys WHERE created_at < $1 LIMIT $2) RETURNING id"
)


@dataclass(frozen=True, slots=True)
class StoredKey:
    """A key's row. `ref` is the id as the database returns it, to pass back to it."""

    ref: Any
    fingerprint: str
    request_id: str | None
    status_code: int | None
    headers: list[tuple[bytes, bytes]]
    body: bytes
    created_at: datetime


def _headers_from(text: str | None) -> list[tuple[bytes, bytes]]:
    if not text:
        return []
    return [(name.encode("latin-1"), value.encode("latin-1")) for name, value in orjson.loads(text)]


def headers_to_text(headers: list[tuple[bytes, bytes]]) -> str:
    return orjson.dumps([(n.decode("latin-1"), v.decode("latin-1")) for n, v in headers]).decode()


_SEALED_FIELD = "idempotency_response"


class IdempotencyStore:
    def __init__(self, database: Database, vault: Vault | None = None) -> None:
        self.database = database
        # Stored answers are sealed: some carry a secret shown once (a webhook endpoint's
        # signing secret), and none should sit readable in the table for a day.
        self.vault = vault
        self.fast = database.fast
        self._sqlite_sql: dict[str, str] = {}

    async def _write(self, sql: str, *args: Any) -> list[Row]:
        """Run one writing statement (with RETURNING) and commit it."""
        if not self.fast.is_sqlite:
            async with self.fast.connection() as connection:
                return list(await connection.fetch(sql, *args))
        translated = self._sqlite_sql.get(sql)
        if translated is None:
            translated = self._sqlite_sql[sql] = _PLACEHOLDER.sub(r"?\1", sql)
        async with self.database.write_engine.begin() as connection:
            result = await connection.exec_driver_sql(translated, tuple(args))
            return [dict(row._mapping) for row in result.fetchall()]

    async def claim(
        self,
        organization_id: uuid.UUID,
        environment: str,
        key: str,
        fingerprint: str,
        request_id: str | None,
        now: datetime,
    ) -> Any | None:
        """The new row's ref if this request now holds the key, None if a row holds it."""
        fast = self.fast
        rows = await self._write(
            _CLAIM if fast.is_sqlite else _CLAIM_PG,
            fast.uuid(uuid7()),
            fast.uuid(organization_id),
            environment,
            key,
            fingerprint,
            request_id,
            fast.timestamp(now),
        )
        return rows[0]["id"] if rows else None

    async def find(
        self, organization_id: uuid.UUID, environment: str, key: str
    ) -> StoredKey | None:
        async with self.fast.connection() as connection:
            row = await connection.fetchrow(
                _FIND, self.fast.uuid(organization_id), environment, key
            )
        if row is None:
            return None
        created_at = decode_timestamp(row["created_at"])
        assert created_at is not None
        return StoredKey(
            ref=row["id"],
            fingerprint=row["fingerprint"],
            request_id=row["request_id"],
            status_code=row["status_code"],
            headers=_headers_from(row["response_headers"]),
            body=self._open(row["response_body"], organization_id),
            created_at=created_at,
        )

    def _seal(self, body: bytes, organization_id: uuid.UUID) -> bytes:
        assert self.vault is not None, "storing answers needs the vault"
        return self.vault.encrypt(
            body.decode("latin-1"), organization_id=organization_id, field=_SEALED_FIELD
        )

    def _open(self, sealed: Any, organization_id: uuid.UUID) -> bytes:
        if sealed is None:
            return b""
        assert self.vault is not None, "reading answers needs the vault"
        return self.vault.decrypt(
            bytes(sealed), organization_id=organization_id, field=_SEALED_FIELD
        ).encode("latin-1")

    async def complete(
        self,
        ref: Any,
        status_code: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        now: datetime,
        *,
        organization_id: uuid.UUID,
    ) -> bool:
        rows = await self._write(
            _COMPLETE,
            ref,
            status_code,
            headers_to_text(headers),
            self._seal(body, organization_id),
            self.fast.timestamp(now),
        )
        return bool(rows)

    async def release(self, ref: Any) -> None:
        """Free a key whose request stored no answer, so that a retry runs it again."""
        await self._write(_RELEASE, ref)

    async def discard_expired(self, ref: Any, created_before: datetime) -> bool:
        return bool(await self._write(_DISCARD_EXPIRED, ref, self.fast.timestamp(created_before)))

    async def discard_abandoned(self, ref: Any, created_before: datetime) -> bool:
        rows = await self._write(_DISCARD_ABANDONED, ref, self.fast.timestamp(created_before))
        return bool(rows)

    async def purge(self, created_before: datetime, *, batch: int = 1000) -> int:
        """Delete up to `batch` keys created before `created_before`; how many went."""
        return len(await self._write(_PURGE, self.fast.timestamp(created_before), batch))
