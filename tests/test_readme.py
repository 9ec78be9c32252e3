"""The README's API examples, run as written against a real server started through the CLI."""

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

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.e2e


def _api_examples() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## The API", 1)[1].split("## The CLI", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [block for block in blocks if "export KEY=" not in block]


@pytest_asyncio.fixture(loop_scope="session")
async def readme_server(tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    """`customerbase init` + `customerbase serve` on a free port; yields (base URL, test key)."""
    data = tmp_path / "data"
    env = cli_env(data, f"sqlite:///{data / 'customerbase.db'}")
    keys = await init_keys(env)
    server = Server(env, tmp_path / "server.log")
    try:
        await server.start()
        yield server.base_url, keys["test_secret_key"]
    finally:
        await server.kill()


@pytest.mark.skipif(shutil.which("curl") is None, reason="the README's examples use curl")
def test_every_api_example_in_the_readme_answers_as_documented(
    readme_server: tuple[str, str],
) -> None:
    base, key = readme_server
    examples = _api_examples()
    assert len(examples) >= 8
    # Every curl that starts a line prints its body, then its status code on a line of its own.
    script = "set -e\n" + "\n".join(
        re.sub(r"^curl -s ", "curl -s -w '\\n%{http_code}\\n' ", block, flags=re.M).replace(
            "http://127.0.0.1:8000", base
        )
        for block in examples
    )
    result = subprocess.run(
        ["bash", "-c", script],
        env={**os.environ, "KEY": key},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # The idempotent retry's headers (curl -D /dev/stderr) say that its answer is a replay.
    assert "idempotent-replayed: true" in result.stderr.lower()
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    # Each curl printed a JSON envelope, then its status code.
    pairs = list(zip(lines[::2], lines[1::2], strict=True))
    statuses = [int(status) for _, status in pairs]
    bodies = [json.loads(body) for body, _ in pairs]
    failures = [(s, b) for s, b in zip(statuses, bodies, strict=True) if not b["success"]]
    # The one documented failure: creating the same email again is a 409 naming the first.
    assert [s for s, _ in failures] == [409]
    assert failures[0][1]["error"]["type"] == "duplicate_customer"
    assert all(s in (200, 201) for s, b in zip(statuses, bodies, strict=True) if b["success"])
    # The last customer object shown is the erased one (the events section follows it).
    erased = [
        b["data"]
        for b in bodies
        if isinstance(b.get("data"), dict) and "customer_type" in b["data"]
    ][-1]
    assert erased["status"] == "deleted"
    assert erased["email"] is None
