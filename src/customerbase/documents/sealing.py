"""Documents encrypted at rest: a random AES-256-GCM data key per document, wrapped by the
master key (`Vault.wrap_key`), and the file sealed in chunks so that it is written and read
back in constant memory.

Layout of a sealed file:

    header  = b"CBDOC" | version (1 byte) | chunk size (4 bytes, big-endian)
    chunk i = AES-GCM(data key, nonce_i, plaintext_i, aad = header | "<org>:<document id>")
    nonce_i = i (11 bytes, big-endian) | 1 if this is the last chunk else 0

The data key is used for this one document only, so a counter is a unique nonce. The counter
in the nonce authenticates the order of the chunks (a swapped chunk fails), the last-chunk flag
their end (a truncated file fails), and the associated data the document it belongs to (a file
copied under another document's name fails).
"""

from __future__ import annotations

import os
import struct
import uuid
from collections.abc import AsyncIterator, Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from customerbase.kit.crypto import DecryptionError, Vault

CHUNK_BYTES = 64 * 1024
TAG_BYTES = 16
DATA_KEY_BYTES = 32
_MAGIC = b"CBDOC"
_VERSION = 1
_HEADER = struct.Struct(">5sBI")
HEADER_BYTES = _HEADER.size


def new_data_key() -> bytes:
    return os.urandom(DATA_KEY_BYTES)


def key_context(document_id: uuid.UUID) -> str:
    return f"document:{document_id}"


def wrap_data_key(
    vault: Vault, key: bytes, *, organization_id: uuid.UUID, document_id: uuid.UUID
) -> bytes:
    return vault.wrap_key(key, organization_id=organization_id, context=key_context(document_id))


def unwrap_data_key(
    vault: Vault, wrapped: bytes, *, organization_id: uuid.UUID, document_id: uuid.UUID
) -> bytes:
    return vault.unwrap_key(
        wrapped, organization_id=organization_id, context=key_context(document_id)
    )


def _nonce(index: int, last: bool) -> bytes:
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def _aad(header: bytes, organization_id: uuid.UUID, document_id: uuid.UUID) -> bytes:
    return header + f"{organization_id}:{document_id}".encode()


def sealed_size(plain_size: int, chunk_bytes: int = CHUNK_BYTES) -> int:
    chunks = max(1, -(-plain_size // chunk_bytes))
    return HEADER_BYTES + plain_size + chunks * TAG_BYTES


def seal(
    content: bytes,
    key: bytes,
    *,
    organization_id: uuid.UUID,
    document_id: uuid.UUID,
    chunk_bytes: int = CHUNK_BYTES,
) -> Iterator[bytes]:
    """The sealed file, piece by piece: the header, then one sealed chunk at a time."""
    header = _HEADER.pack(_MAGIC, _VERSION, chunk_bytes)
    aad = _aad(header, organization_id, document_id)
    aead = AESGCM(key)
    yield header
    view = memoryview(content)
    count = max(1, -(-len(content) // chunk_bytes))
    for index in range(count):
        piece = view[index * chunk_bytes : (index + 1) * chunk_bytes]
        yield aead.encrypt(_nonce(index, index == count - 1), bytes(piece), aad)


async def unseal(
    blocks: AsyncIterator[bytes],
    key: bytes,
    *,
    organization_id: uuid.UUID,
    document_id: uuid.UUID,
) -> AsyncIterator[bytes]:
    """The plaintext of a sealed file read as `blocks` of any size, one chunk at a time: at
    most one sealed chunk and one block are held at once. Raises `DecryptionError` on a file
    that is not this document's, or that was altered, reordered or cut short."""
    buffer = bytearray()
    header: bytes | None = None
    aad = b""
    aead = AESGCM(key)
    sealed_chunk = 0
    index = 0

    def open_chunk(data: bytes, last: bool) -> bytes:
        try:
            return aead.decrypt(_nonce(index, last), data, aad)
        except InvalidTag:
            raise DecryptionError(f"document {document_id} did not authenticate") from None

    async for block in blocks:
        buffer += block
        if header is None:
            if len(buffer) < HEADER_BYTES:
                continue
            header = bytes(buffer[:HEADER_BYTES])
            magic, version, chunk_bytes = _HEADER.unpack(header)
            if magic != _MAGIC or version != _VERSION or not 0 < chunk_bytes <= 16 * 1024 * 1024:
                raise DecryptionError(f"document {document_id} is not a sealed document")
            del buffer[:HEADER_BYTES]
            aad = _aad(header, organization_id, document_id)
            sealed_chunk = chunk_bytes + TAG_BYTES
        # Only a chunk with more bytes after it is known not to be the last.
        while len(buffer) > sealed_chunk:
            yield open_chunk(bytes(buffer[:sealed_chunk]), last=False)
            del buffer[:sealed_chunk]
            index += 1
    if header is None or len(buffer) < TAG_BYTES:
        raise DecryptionError(f"document {document_id} is cut short")
    yield open_chunk(bytes(buffer), last=True)
