"""CUSTOMERBASE_DOCUMENT_STORE: the URLs understood, and a clear refusal of the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from customerbase.config import ConfigurationError
from customerbase.documents.endpoints import UPLOAD_PATHS, upload_body_limit
from customerbase.documents.storage import LocalStore, S3Store, open_object_store


def test_no_url_is_the_documents_folder_of_the_data_dir(tmp_path: Path) -> None:
    store = open_object_store(None, tmp_path)
    assert isinstance(store, LocalStore)
    assert store.root == tmp_path / "documents"


def test_a_file_url_is_that_folder(tmp_path: Path) -> None:
    store = open_object_store(f"file://{tmp_path}/vault", Path("/unused"))
    assert isinstance(store, LocalStore)
    assert store.root == tmp_path / "vault"


def test_an_s3_url_names_bucket_prefix_endpoint_and_region() -> None:
    store = open_object_store(
        "s3://kyc-docs/tenant-a/?endpoint_url=http://127.0.0.1:9000&region=eu-west-1", Path(".")
    )
    assert isinstance(store, S3Store)
    assert (store.bucket, store.prefix) == ("kyc-docs", "tenant-a/")
    assert store._client.meta.endpoint_url == "http://127.0.0.1:9000"
    assert store._client.meta.region_name == "eu-west-1"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("s3://", "needs a bucket"),
        ("s3://bucket?secret=x", "unknown parameter(s) secret"),
        ("ftp://host/documents", "must be file:///path or s3://bucket"),
    ],
)
def test_another_url_is_refused_at_start_up(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        open_object_store(url, Path("."))


@pytest.mark.parametrize(
    ("path", "matches"),
    [
        ("/v1/customers/abc/documents", True),
        ("/v1/customers/abc/people/p1/documents", True),
        ("/v1/customers/abc/documents/d1/review", False),
        ("/v1/customers/abc", False),
        ("/v1/customers/abc/people/p1", False),
    ],
)
def test_the_upload_paths_get_the_document_body_limit(path: str, matches: bool) -> None:
    assert bool(UPLOAD_PATHS.fullmatch(path)) is matches
    assert upload_body_limit(10 * 1024 * 1024) == 4 * 3495254 + 256 * 1024
