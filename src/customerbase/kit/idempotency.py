"""Idempotent requests: the `Idempotency-Key` header on every POST, PUT, PATCH and DELETE under
/v1, for every route there is or will be (a pure ASGI middleware; no endpoint opts in).

A key belongs to the organization and environment of the authenticated key. The first request
with a key claims it (one INSERT whose unique index is the lock), runs, and stores its answer
(one UPDATE) before the answer is sent; a later request with the same key and the same
fingerprint (SHA-256 of the method, path, query and body: JSON bodies canonicalised, so that
key order and spacing do not matter) gets that answer again, byte for byte, with
`Idempotent-Replayed: true`. The same key with another fingerprint is a 422
`idempotency_key_reused`. A request that finds the key still running waits for its answer for
up to `WAIT_SECONDS` (woken at once in the same process, polling across processes), then gives
up with a 409 `idempotency_key_in_progress` and `Retry-After`.

What is stored: every 2xx, and the 4xx that answer a request that ran (404, 405, 409, ...).
What is not (the key is freed, and a retry with it runs again, as with Stripe): 5xx and
unhandled errors; 400, 413, 415 and 422 (the request was refused before it did anything:
correct it and send it again with the same key); 401/403; 408, 425 and 429; and the 409 of a key
in progress. Nor is a response that is streamed past `MAX_STORED_BODY`.

Keys live at least `TTL` (24 hours) after their first request: an older key counts as new (its
row is dropped when it is met), and every process purges expired rows, a bounded batch at most
once a minute, after answering an idempotent request (`customerbase idempotency purge` does it
on demand). A row whose request never finished (the process died) is taken over after
`LOCK_TIMEOUT`.

Without the header, a request pays one method check and one pass over its header list.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import re
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from customerbase.kit.db import Database
from customerbase.kit.edge import exception_chain, request_id_of
from customerbase.kit.envelope import error
from customerbase.kit.errors import Conflict, CustomerbaseError, FieldError, ValidationFailed
from customerbase.kit.fastdb import Connection
from customerbase.kit.idempotency_store import IdempotencyStore, StoredKey
from customerbase.kit.routing import is_json_media_type
from customerbase.kit.time import utcnow

HEADER_NAME = "Idempotency-Key"
_HEADER = b"idempotency-key"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 255

TTL = timedelta(hours=24)
LOCK_TIMEOUT = timedelta(minutes=5)
WAIT_SECONDS = 5.0
RETRY_AFTER_SECONDS = 1
_FIRST_POLL_SECONDS = 0.01
_MAX_POLL_SECONDS = 0.2
PURGE_EVERY = timedelta(minutes=1)
PURGE_BATCH = 1000

# Bodies up to this size are fingerprinted in memory (every JSON body: the edge refuses larger
# ones); larger ones (file uploads) are spooled to disk as they arrive.
IN_MEMORY_BODY = 1024 * 1024
MAX_STORED_BODY = 1024 * 1024
_SPOOL_CHUNK = 64 * 1024

# Statuses answered without running the request, or transient: the key is freed instead.
NOT_STORED = frozenset({400, 401, 403, 408, 413, 415, 422, 425, 429, 431})
# Response headers that describe one transmission, not the answer.
# (content-length stays: the body replayed is the same, byte for byte.)
_NOT_REPLAYED = frozenset({b"date", b"server", b"set-cookie", b"connection", b"transfer-encoding"})

log = logging.getLogger("customerbase.idempotency")

# (organization id, environment) of the request's credentials, or None when they do not
# authenticate (the request then runs as it would without the header, and gets its 401).
ScopeResolver = Callable[[Scope, Connection], Awaitable[tuple[uuid.UUID, str] | None]]


class IdempotencyKeyReused(ValidationFailed):
    error_type = "idempotency_key_reused"

    def __init__(self) -> None:
        message = "was already used with another request (method, path or body) in the last 24h"
        super().__init__(
            f"{HEADER_NAME}: {message}; use a new key for a new request",
            fields=[FieldError(HEADER_NAME, message)],
        )


class IdempotencyKeyInProgress(Conflict):
    error_type = "idempotency_key_in_progress"

    def __init__(self) -> None:
        super().__init__(
            "A request with this Idempotency-Key is still running; retry after the "
            "Retry-After seconds to get its answer",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )


def parse_key(raw: bytes) -> str:
    """The key: 1 to 255 printable ASCII characters (surrounding spaces dropped)."""
    key = raw.strip(b" \t")
    if not key:
        raise ValidationFailed.for_field(HEADER_NAME, "must not be empty")
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed.for_field(
            HEADER_NAME, f"must be at most {MAX_KEY_LENGTH} characters"
        )
    if any(byte < 0x20 or byte > 0x7E for byte in key):
        raise ValidationFailed.for_field(HEADER_NAME, "must be printable ASCII characters")
    return key.decode("ascii")


def is_stored(status: int) -> bool:
    return 200 <= status < 300 or (400 <= status < 500 and status not in NOT_STORED)


class _Body:
    """The request body, read once: in memory, or spooled to a file past `IN_MEMORY_BODY`."""

    def __init__(self, spool_dir: Path | None, *, in_memory: bool = False) -> None:
        self._in_memory = in_memory
        self._chunks: list[bytes] = []
        self._size = 0
        self._file: IO[bytes] | None = None
        self._hash = hashlib.sha256()
        self._spool_dir = spool_dir

    def add(self, chunk: bytes) -> None:
        if self._file is None and (self._in_memory or self._size + len(chunk) <= IN_MEMORY_BODY):
            self._chunks.append(chunk)
            self._size += len(chunk)
            return
        if self._file is None:
            if self._spool_dir is not None:
                self._spool_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            # Unlinked at once: nothing is left behind, whatever happens to the process.
            self._file = tempfile.TemporaryFile(dir=self._spool_dir)  # noqa: SIM115 (closed by close())
            for kept in self._chunks:
                self._file.write(kept)
                self._hash.update(kept)
            self._chunks = []
        self._file.write(chunk)
        self._hash.update(chunk)
        self._size += len(chunk)

    def digest(self, content_type: str | None) -> bytes:
        if self._file is not None:
            return self._hash.digest()
        body = b"".join(self._chunks)
        if body and is_json_media_type(content_type):
            with contextlib.suppress(orjson.JSONDecodeError):
                body = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
        return hashlib.sha256(body).digest()

    def replaying(self, receive: Receive) -> Receive:
        """A `receive` that hands the app the body again, then the client's own messages."""
        if self._file is None:
            pending: list[Message] = [
                {"type": "http.request", "body": b"".join(self._chunks), "more_body": False}
            ]
        else:
            self._file.seek(0)
            pending = []
        spooled = self._file

        async def replay() -> Message:
            if pending:
                return pending.pop()
            if spooled is not None and not spooled.closed:
                chunk = spooled.read(_SPOOL_CHUNK)
                more = len(chunk) == _SPOOL_CHUNK
                if not more:
                    spooled.close()
                return {"type": "http.request", "body": chunk, "more_body": more}
            return await receive()

        return replay

    def close(self) -> None:
        if self._file is not None and not self._file.closed:
            self._file.close()
        self._chunks = []


async def _read_body(
    receive: Receive, spool_dir: Path | None, *, in_memory: bool = False
) -> _Body | None:
    """The whole body, or None if the client went away before sending it."""
    body = _Body(spool_dir, in_memory=in_memory)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            body.close()
            return None
        body.add(message.get("body", b""))
        if not message.get("more_body", False):
            return body


def fingerprint(scope: Scope, body_digest: bytes) -> str:
    query = scope.get("query_string", b"")
    head = f"{scope['method']}\n{scope['path']}\n".encode("utf-8", "surrogateescape")
    return hashlib.sha256(head + query + b"\n" + body_digest).hexdigest()


async def _answer_error(scope: Scope, receive: Receive, send: Send, exc: CustomerbaseError) -> None:
    response = error(
        exc.status_code, exc.message, exc.error_body(), request_id_of(scope), exc.headers or None
    )
    await response(scope, receive, send)


async def _replay(send: Send, stored: StoredKey) -> None:
    assert stored.status_code is not None
    headers = [*stored.headers, (b"idempotent-replayed", b"true")]
    if stored.request_id:
        headers.append((b"original-request-id", stored.request_id.encode("latin-1")))
    await send({"type": "http.response.start", "status": stored.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body, "more_body": False})


Ident = tuple[uuid.UUID, str, str]


class IdempotencyMiddleware:
    """Honours `Idempotency-Key` on the write methods under `prefix`. Placed inside the edge
    middleware, so that its answers carry the request id and the edge's headers."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        resolve_scope: ScopeResolver,
        prefix: str = "/v1",
        spool_dir: Path | None = None,
        in_memory_paths: re.Pattern[str] | None = None,
    ) -> None:
        self.app = app
        # Paths whose bodies never go to the spool, whatever their size (the edge bounds it):
        # a document's plaintext must not reach a disk.
        self.in_memory_paths = in_memory_paths
        self.resolve_scope = resolve_scope
        self.prefix = prefix
        self._prefix_dir = prefix.rstrip("/") + "/"
        self.spool_dir = spool_dir
        # The keys this process is running, so that a waiter here is woken the moment its
        # answer is stored (waiters in other processes poll).
        self._running: dict[Ident, asyncio.Event] = {}
        self._stores: dict[int, IdempotencyStore] = {}
        self._last_purge: datetime | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in WRITE_METHODS:
            path: str = scope["path"]
            if path.startswith(self._prefix_dir) or path == self.prefix:
                for name, value in scope["headers"]:
                    if name == _HEADER:
                        await self._idempotent(scope, receive, send, value)
                        return
        await self.app(scope, receive, send)

    def _store(self, database: Database) -> IdempotencyStore:
        store = self._stores.get(id(database))
        if store is None or store.database is not database:
            store = self._stores[id(database)] = IdempotencyStore(database)
        return store

    async def _idempotent(self, scope: Scope, receive: Receive, send: Send, raw: bytes) -> None:
        database: Database = scope["app"].state.database
        async with database.fast.connection() as connection:
            tenant = await self.resolve_scope(scope, connection)
        if tenant is None:
            await self.app(scope, receive, send)
            return
        try:
            key = parse_key(raw)
        except ValidationFailed as exc:
            await _answer_error(scope, receive, send, exc)
            return
        in_memory = bool(self.in_memory_paths and self.in_memory_paths.fullmatch(scope["path"]))
        body = await _read_body(receive, self.spool_dir, in_memory=in_memory)
        if body is None:
            return
        try:
            content_type = None
            for name, value in scope["headers"]:
                if name == b"content-type":
                    content_type = value.decode("latin-1")
            signature = fingerprint(scope, body.digest(content_type))
            store = self._store(database)
            ident: Ident = (tenant[0], tenant[1], key)
            try:
                outcome = await self._acquire(store, ident, signature, request_id_of(scope))
            except CustomerbaseError as exc:
                await _answer_error(scope, receive, send, exc)
                return
            if isinstance(outcome, StoredKey):
                await _replay(send, outcome)
                return
            await self._run(scope, body.replaying(receive), send, store, ident, outcome)
        finally:
            body.close()
        await self._maybe_purge(store)

    async def _acquire(
        self, store: IdempotencyStore, ident: Ident, signature: str, request_id: str | None
    ) -> StoredKey | Any:
        """The ref of the row this request now holds, or the stored answer to replay. Raises
        the 422 of a reused key or, after waiting, the 409 of a key still in progress."""
        organization_id, environment, key = ident
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_SECONDS
        delay = _FIRST_POLL_SECONDS
        claim_next = True
        while True:
            now = utcnow()
            if claim_next:
                ref = await store.claim(
                    organization_id, environment, key, signature, request_id, now
                )
                if ref is not None:
                    return ref
            claim_next = True
            stored = await store.find(organization_id, environment, key)
            if stored is None:  # freed since: claim it
                continue
            if stored.created_at <= now - TTL:
                await store.discard_expired(stored.ref, now - TTL)
                continue
            if stored.fingerprint != signature:
                raise IdempotencyKeyReused()
            if stored.status_code is not None:
                return stored
            if stored.created_at <= now - LOCK_TIMEOUT:  # its process died mid-request
                await store.discard_abandoned(stored.ref, now - LOCK_TIMEOUT)
                continue
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise IdempotencyKeyInProgress()
            running = self._running.get(ident)
            if running is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(running.wait(), remaining)
            else:
                await asyncio.sleep(min(delay, remaining))
                delay = min(delay * 2, _MAX_POLL_SECONDS)
            claim_next = False

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        store: IdempotencyStore,
        ident: Ident,
        ref: Any,
    ) -> None:
        """Run the request as the key's holder; store its answer before sending it."""
        done = asyncio.Event()
        self._running[ident] = done
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0
        settled = False  # stored or released: the key's row needs nothing more

        async def settle(status: int, body: bytes | None) -> None:
            nonlocal settled
            settled = True
            try:
                if body is not None and is_stored(status):
                    assert start is not None
                    headers = [
                        (name, value)
                        for name, value in start.get("headers", [])
                        if name.lower() not in _NOT_REPLAYED
                    ]
                    await store.complete(ref, status, headers, body, utcnow())
                else:
                    await store.release(ref)
            except Exception as exc:
                # The change itself has committed: answer it. The row stays claimed and is
                # taken over after LOCK_TIMEOUT.
                log.warning(
                    "idempotency: could not settle key %s request_id=%s",
                    exception_chain(exc),
                    request_id_of(scope),
                )
            finally:
                done.set()

        async def holding_send(message: Message) -> None:
            nonlocal start, size
            if settled:
                await send(message)
                return
            kind = message["type"]
            if kind == "http.response.start":
                start = message
                return
            if kind != "http.response.body" or start is None:
                await settle(0, None)
                if start is not None:
                    await send(start)
                await send(message)
                return
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            more = message.get("more_body", False)
            if more and size <= MAX_STORED_BODY:
                return
            body = b"".join(chunks)
            await settle(start["status"], None if more else body)
            await send(start)
            await send({"type": "http.response.body", "body": body, "more_body": more})

        try:
            await self.app(scope, receive, holding_send)
        except BaseException:
            if not settled:
                with contextlib.suppress(Exception):
                    await asyncio.shield(settle(0, None))
            raise
        finally:
            if not settled:
                await settle(0, None)
            done.set()
            if self._running.get(ident) is done:
                del self._running[ident]

    async def _maybe_purge(self, store: IdempotencyStore) -> None:
        now = utcnow()
        last = self._last_purge
        if last is not None and last <= now < last + PURGE_EVERY:
            return
        self._last_purge = now
        try:
            await store.purge(now - TTL, batch=PURGE_BATCH)
        except Exception as exc:
            log.warning("idempotency: purge failed %s", exception_chain(exc))


async def purge_expired(database: Database, *, now: datetime | None = None) -> int:
    """Delete every key older than `TTL`, in batches; how many went (for the CLI or a worker)."""
    store = IdempotencyStore(database)
    cutoff = (now or utcnow()) - TTL
    total = 0
    while True:
        purged = await store.purge(cutoff, batch=PURGE_BATCH)
        total += purged
        if purged < PURGE_BATCH:
            return total
