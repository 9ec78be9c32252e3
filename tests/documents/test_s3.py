"""Documents in an S3-compatible store: moto's standalone server, started on 127.0.0.1 for
the session (no network)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from customerbase.config import Settings
from customerbase.documents import service
from customerbase.kit.db import Database
from tests.conftest import TEST_SECRET
from tests.documents.support import b64, count_rows, exe, new_customer, pdf, png, upload
from tests.factories import individual

MAX_BYTES = 200 * 1024
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("moto_server")),
                "-H",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **CREDENTIALS},
        )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto_server did not start: {log.read_text()[-2000:]}")
                time.sleep(0.05)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def bucket(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    name = f"documents-{uuid.uuid4().hex[:12]}"
    s3 = boto3.resource("s3", endpoint_url=moto_endpoint, region_name="us-east-1")
    created = s3.create_bucket(Bucket=name)
    yield created
    created.objects.all().delete()
    created.delete()


@pytest.fixture
def settings(tmp_path: Path, bucket: Any, moto_endpoint: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        secret_key=TEST_SECRET,
        max_document_bytes=MAX_BYTES,
        document_store=f"s3://{bucket.name}/kyc?endpoint_url={moto_endpoint}&region=us-east-1",
    )


def _objects(bucket: Any) -> list[Any]:
    return list(bucket.objects.all())


async def test_an_upload_goes_to_the_bucket_sealed_and_downloads_back(
    client: httpx.AsyncClient, bucket: Any, settings: Settings
) -> None:
    customer_id = await new_customer(client)
    content = pdf("Ayo Oladeji, 12 Marina Road") + os.urandom(150 * 1024)
    response = await upload(client, customer_id, content, filename="bill.pdf")
    assert response.status_code == 201, response.text
    document = response.json()["data"]
    [stored] = _objects(bucket)
    organization_id = stored.key.split("/")[1]
    assert stored.key == f"kyc/{organization_id}/{document['id']}"
    body = stored.get()["Body"].read()
    assert b"Ayo Oladeji" not in body
    assert not body.startswith(b"%PDF")
    download = await client.get(f"/v1/customers/{customer_id}/documents/{document['id']}/download")
    assert download.status_code == 200
    assert download.content == content


async def test_deleting_a_document_removes_its_object(
    client: httpx.AsyncClient, bucket: Any, database: Database
) -> None:
    customer_id = await new_customer(client)
    document = (await upload(client, customer_id, png())).json()["data"]
    assert len(_objects(bucket)) == 1
    response = await client.delete(f"/v1/customers/{customer_id}/documents/{document['id']}")
    assert response.status_code == 200
    assert _objects(bucket) == []
    assert await count_rows(database) == 0


@pytest.mark.parametrize("content", [exe(), png(extra=MAX_BYTES)], ids=["wrong-type", "too-large"])
async def test_a_refused_upload_leaves_the_bucket_empty(
    client: httpx.AsyncClient, bucket: Any, database: Database, content: bytes
) -> None:
    customer_id = await new_customer(client)
    response = await upload(client, customer_id, content)
    assert response.status_code in (413, 415)
    assert _objects(bucket) == []
    assert await count_rows(database) == 0


async def test_a_failed_transaction_removes_the_object_it_wrote(
    client: httpx.AsyncClient,
    bucket: Any,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    customer_id = await new_customer(client)
    seen: list[int] = []
    real_record = service.record

    def failing_record(*args: Any, **kwargs: Any) -> Any:
        if args[2] == "document.created":
            seen.append(len(_objects(bucket)))
            raise RuntimeError("the database went away")
        return real_record(*args, **kwargs)

    monkeypatch.setattr(service, "record", failing_record)
    response = await upload(client, customer_id, png())
    assert response.status_code == 500
    inline = await client.post(
        "/v1/customers",
        json=individual(
            customer_documents=[{"document_type": "passport", "content_base64": b64(png())}]
        ),
    )
    assert inline.status_code == 500
    assert seen == [1, 1]
    assert _objects(bucket) == []
    assert await count_rows(database) == 0


async def test_erasure_removes_the_customer_s_objects(
    client: httpx.AsyncClient, bucket: Any
) -> None:
    customer_id = await new_customer(client)
    for content in (png(), pdf()):
        await upload(client, customer_id, content)
    assert len(_objects(bucket)) == 2
    assert (await client.delete(f"/v1/customers/{customer_id}")).status_code == 200
    assert _objects(bucket) == []
