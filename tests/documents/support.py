"""Sample files and helpers for the documents tests."""

from __future__ import annotations

import base64
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from customerbase.kit.db import Database
from customerbase.models import Document
from tests.factories import individual


def png(extra: int = 0) -> bytes:
    """A valid 1x1 PNG, with `extra` random bytes in a private ancillary chunk (for size)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header)
    if extra:
        body += chunk(b"prVt", os.urandom(extra))
    body += chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def pdf(text: str = "Utility bill for Ayo Oladeji, 12 Marina Road, Lagos") -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
        b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n"
        + f"% {text}\n".encode()
        + b"trailer <</Root 1 0 R>>\n%%EOF\n"
    )


def jpeg() -> bytes:
    return (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + os.urandom(64)
        + b"\xff\xd9"
    )


def exe() -> bytes:
    """The start of a Windows executable (MZ header, PE signature)."""
    return (
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
        + b"\x00" * 44
        + (struct.pack("<I", 64) + b"PE\x00\x00" + os.urandom(200))
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


async def new_customer(client: httpx.AsyncClient, **overrides: Any) -> str:
    response = await client.post("/v1/customers", json=individual(**overrides))
    assert response.status_code == 201, response.text
    return str(response.json()["data"]["id"])


async def upload(
    client: httpx.AsyncClient,
    customer_id: str,
    content: bytes,
    *,
    filename: str = "passport.png",
    document_type: str = "passport",
    mime: str = "application/octet-stream",
) -> httpx.Response:
    return await client.post(
        f"/v1/customers/{customer_id}/documents",
        files={"file": (filename, content, mime)},
        data={"document_type": document_type},
    )


async def count_rows(database: Database) -> int:
    async with database.read_session() as session:
        return int((await session.execute(select(func.count()).select_from(Document))).scalar_one())


def stored_files(root: Path) -> list[Path]:
    """Every file under the local store (partial ones included)."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
