"""The sealed-file format: round trips at every chunk boundary, and every kind of tampering
refused."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest

from customerbase.documents import sealing
from customerbase.kit.crypto import DecryptionError, Vault
from tests.conftest import TEST_SECRET

ORG = uuid.uuid4()
DOC = uuid.uuid4()
CHUNK = sealing.CHUNK_BYTES


async def _blocks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def _open(
    sealed: bytes, key: bytes, *, block: int = 4096, document: uuid.UUID = DOC
) -> bytes:
    chunks = [
        chunk
        async for chunk in sealing.unseal(
            _blocks(sealed, block), key, organization_id=ORG, document_id=document
        )
    ]
    assert all(len(chunk) <= CHUNK for chunk in chunks)
    return b"".join(chunks)


def _seal(content: bytes, key: bytes) -> bytes:
    return b"".join(sealing.seal(content, key, organization_id=ORG, document_id=DOC))


@pytest.mark.parametrize("size", [1, 100, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 17])
@pytest.mark.parametrize("block", [1000, CHUNK, CHUNK + sealing.TAG_BYTES, 1 << 20])
async def test_a_sealed_file_opens_to_its_content_whatever_the_read_sizes(
    size: int, block: int
) -> None:
    key = sealing.new_data_key()
    content = os.urandom(size)
    sealed = _seal(content, key)
    assert len(sealed) == sealing.sealed_size(size)
    assert await _open(sealed, key, block=block) == content


async def test_a_changed_byte_does_not_open() -> None:
    key = sealing.new_data_key()
    sealed = bytearray(_seal(os.urandom(2 * CHUNK + 5), key))
    sealed[sealing.HEADER_BYTES + CHUNK + 40] ^= 1
    with pytest.raises(DecryptionError):
        await _open(bytes(sealed), key)


async def test_swapped_chunks_do_not_open() -> None:
    key = sealing.new_data_key()
    sealed = _seal(os.urandom(3 * CHUNK), key)
    sealed_chunk = CHUNK + sealing.TAG_BYTES
    header, body = sealed[: sealing.HEADER_BYTES], sealed[sealing.HEADER_BYTES :]
    first, second, third = (body[i * sealed_chunk : (i + 1) * sealed_chunk] for i in range(3))
    with pytest.raises(DecryptionError):
        await _open(header + second + first + third, key)


@pytest.mark.parametrize("cut", ["last chunk", "to the header", "everything"])
async def test_a_file_cut_short_does_not_open(cut: str) -> None:
    key = sealing.new_data_key()
    sealed = _seal(os.urandom(2 * CHUNK + 5), key)
    end = {
        "last chunk": sealing.HEADER_BYTES + 2 * (CHUNK + sealing.TAG_BYTES),
        "to the header": sealing.HEADER_BYTES,
        "everything": 0,
    }[cut]
    with pytest.raises(DecryptionError):
        await _open(sealed[:end], key)


async def test_a_file_opens_only_as_its_own_document() -> None:
    key = sealing.new_data_key()
    sealed = _seal(b"%PDF-1.4 something", key)
    with pytest.raises(DecryptionError):
        await _open(sealed, key, document=uuid.uuid4())


def test_a_wrapped_key_unwraps_only_for_its_organization_and_document() -> None:
    vault = Vault(TEST_SECRET)
    key = sealing.new_data_key()
    wrapped = sealing.wrap_data_key(vault, key, organization_id=ORG, document_id=DOC)
    assert key not in wrapped
    assert sealing.unwrap_data_key(vault, wrapped, organization_id=ORG, document_id=DOC) == key
    with pytest.raises(DecryptionError):
        sealing.unwrap_data_key(vault, wrapped, organization_id=uuid.uuid4(), document_id=DOC)
    with pytest.raises(DecryptionError):
        sealing.unwrap_data_key(vault, wrapped, organization_id=ORG, document_id=uuid.uuid4())
    with pytest.raises(DecryptionError):
        sealing.unwrap_data_key(
            Vault("another-master-secret-0123456789-abcdefgh"),
            wrapped,
            organization_id=ORG,
            document_id=DOC,
        )
