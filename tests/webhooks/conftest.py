from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from customerbase.config import Settings
from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database
from customerbase.webhooks.worker import Worker
from tests.conftest import TEST_SECRET
from tests.webhooks.support import Clock, Receiver


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The app of these tests registers receivers on 127.0.0.1."""
    return Settings(
        data_dir=tmp_path / "data",
        secret_key=TEST_SECRET,
        embedded_worker=False,
        webhook_allow_private=True,
    )


@pytest_asyncio.fixture(loop_scope="session")
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    await receiver.start()
    yield receiver
    await receiver.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest_asyncio.fixture(loop_scope="session")
async def worker(database: Database, vault: Vault, clock: Clock) -> AsyncIterator[Worker]:
    worker = Worker(database, vault, allow_private=True, clock=clock, lease_seconds=20)
    yield worker
    await worker.aclose()
