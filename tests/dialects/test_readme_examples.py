"""The README's dialect examples, run as written against a real server started through the
CLI: each answers in its provider's envelope, and they address one and the same customer."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.cli_support import Server, cli_env, init_keys

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


def _examples() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Provider dialects", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


@pytest_asyncio.fixture(loop_scope="session")
async def server(tmp_path: Path) -> AsyncIterator[tuple[str, str, str]]:
    data = tmp_path / "data"
    env = cli_env(data, f"sqlite:///{data / 'customerbase.db'}")
    keys = await init_keys(env)
    running = Server(env, tmp_path / "server.log")
    try:
        await running.start()
        yield running.base_url, keys["test_secret_key"], keys["id"]
    finally:
        await running.kill()


@pytest.mark.skipif(shutil.which("curl") is None, reason="the README's examples use curl")
def test_the_readme_dialect_examples_answer_as_documented(
    server: tuple[str, str, str],
) -> None:
    base, key, organization_id = server
    examples = _examples()
    assert len(examples) == 4
    script = "set -e\n" + "\n".join(
        re.sub(r"^curl -s ", "curl -s -w '\\n%{http_code}\\n' ", block, flags=re.M).replace(
            "http://127.0.0.1:8000", base
        )
        for block in examples
    )
    result = subprocess.run(
        ["bash", "-c", script],
        env={**os.environ, "KEY": key, "ORG": organization_id},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    pairs = list(zip(lines[::2], lines[1::2], strict=True))
    assert [int(status) for _, status in pairs] == [201, 200, 200, 200, 201, 200, 200]
    created, found, listed, yativo, onboarded, advancly, orders = (
        json.loads(body) for body, _ in pairs
    )
    assert (created["success"], created["message"]) == (True, "Customer added successfully")
    assert created["data"]["full_name"] == "Adeyemi Tola"
    assert found["status"] is True
    assert found["data"]["id"] == created["data"]["id"]
    assert [c["id"] for c in listed["data"]] == [created["data"]["id"]]
    assert listed["meta"]["itemCount"] == 1
    assert (yativo["status"], yativo["status_code"]) == ("success", 200)
    assert yativo["data"]["full_name"] == "Emmanuel A Towoju"
    assert yativo["data"]["kyc_link"].startswith(f"{base}/kyc/")
    assert (onboarded["message"], onboarded["status_code"]) == ("Onboarding successful", 201)
    assert [c["borrower_id"] for c in advancly["data"]] == [onboarded["borrower_id"]]
    assert orders == {
        "message": "Orders data loaded successfully",
        "status": True,
        "status_code": 200,
    }
