"""Where sealed documents are kept: an object store behind one small interface.

- `LocalStore`: files under a folder (`<data_dir>/documents` by default), written to a
  temporary name, flushed to disk and renamed, so a file is either whole or absent; 0600 files
  in 0700 folders.
- `S3Store`: any S3-compatible service through boto3, configured by URL:
  `s3://bucket/optional/prefix?endpoint_url=https://...&region=eu-west-1`. Credentials come
  from boto3's usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, a profile, an instance
  role), never from the URL.

Objects hold ciphertext only (see `sealing`); keys are `<organization id>/<document id>`, with
no name or personal data in them. boto3 and file writes are blocking: they run in a worker
thread, never on the event loop.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import anyio.to_thread

from customerbase.config import ConfigurationError, Settings

READ_BLOCK_BYTES = 64 * 1024


class ObjectStore(Protocol):
    async def put(self, key: str, pieces: Iterable[bytes]) -> None:
        """Store the concatenation of `pieces` under `key` (iterated in a worker thread)."""

    def read(self, key: str) -> AsyncIterator[bytes]:
        """The object's bytes, in blocks of at most `READ_BLOCK_BYTES`."""

    async def delete(self, key: str) -> None:
        """Remove the object; removing one that is not there is not an error."""


class ObjectMissing(Exception):
    """A document's row names an object the store does not hold."""


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, key: str) -> Path:
        return self.root.joinpath(*key.split("/"))

    def _write(self, key: str, pieces: Iterable[bytes]) -> None:
        path = self.path(key)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.partial")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                for piece in pieces:
                    handle.write(piece)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise

    async def put(self, key: str, pieces: Iterable[bytes]) -> None:
        await anyio.to_thread.run_sync(self._write, key, pieces)

    async def read(self, key: str) -> AsyncIterator[bytes]:
        try:
            handle = await anyio.to_thread.run_sync(self.path(key).open, "rb")
        except FileNotFoundError:
            raise ObjectMissing(key) from None
        try:
            while block := await anyio.to_thread.run_sync(handle.read, READ_BLOCK_BYTES):
                yield block
        finally:
            handle.close()

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(self._unlink, key)

    def _unlink(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)


class S3Store:
    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
    ) -> None:
        import boto3  # imported only when an S3 store is configured
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self._client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}),
        )

    def _key(self, key: str) -> str:
        return self.prefix + key

    async def put(self, key: str, pieces: Iterable[bytes]) -> None:
        def upload() -> None:
            body = b"".join(pieces)  # a document is at most a few megabytes
            self._client.put_object(Bucket=self.bucket, Key=self._key(key), Body=body)

        await anyio.to_thread.run_sync(upload)

    async def read(self, key: str) -> AsyncIterator[bytes]:
        client = self._client

        def get() -> Any:
            try:
                return client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
            except client.exceptions.NoSuchKey:
                return None

        body = await anyio.to_thread.run_sync(get)
        if body is None:
            raise ObjectMissing(key)
        try:
            while block := await anyio.to_thread.run_sync(body.read, READ_BLOCK_BYTES):
                yield block
        finally:
            body.close()

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(
            lambda: self._client.delete_object(Bucket=self.bucket, Key=self._key(key))
        )


def open_object_store(url: str | None, data_dir: Path) -> ObjectStore:
    """The store a `CUSTOMERBASE_DOCUMENT_STORE` URL names (default: `<data_dir>/documents`)."""
    if not url:
        return LocalStore(data_dir / "documents")
    parts = urlsplit(url)
    if parts.scheme == "file":
        return LocalStore(Path(parts.path))
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ConfigurationError("CUSTOMERBASE_DOCUMENT_STORE: s3://BUCKET needs a bucket")
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        unknown = set(query) - {"endpoint_url", "region"}
        if unknown:
            raise ConfigurationError(
                f"CUSTOMERBASE_DOCUMENT_STORE: unknown parameter(s) {', '.join(sorted(unknown))}"
                " (endpoint_url and region are understood)"
            )
        return S3Store(
            parts.netloc,
            prefix=parts.path,
            endpoint_url=query.get("endpoint_url"),
            region=query.get("region"),
        )
    raise ConfigurationError(
        "CUSTOMERBASE_DOCUMENT_STORE must be file:///path or s3://bucket[/prefix]"
        "[?endpoint_url=...&region=...]"
    )


@dataclass(frozen=True, slots=True)
class DocumentStorage:
    """The store and the limits of documents: what `documents.service` needs besides the
    session and the vault."""

    store: ObjectStore
    max_document_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> DocumentStorage:
        return cls(
            open_object_store(settings.document_store, settings.data_dir),
            settings.max_document_bytes,
        )
