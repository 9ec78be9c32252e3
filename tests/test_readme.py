"""The README's API examples, run as written against a real server started through the CLI."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "customerbase")

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _api_examples() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## The API", 1)[1].split("## The CLI", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    return [block for block in blocks if "export KEY=" not in block]


@pytest.fixture
def readme_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """`customerbase init` + `customerbase serve` on a free port; yields (base URL, test key)."""
    env = {
        **os.environ,
        "CUSTOMERBASE_DATA_DIR": str(tmp_path / "data"),
        "CUSTOMERBASE_DATABASE_URL": f"sqlite:///{tmp_path / 'data' / 'customerbase.db'}",
    }
    env.pop("CUSTOMERBASE_SECRET_KEY", None)
    init = subprocess.run(
        [CLI, "init"], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    keys = json.loads(init.stdout[init.stdout.index("{") :])
    port = _free_port()
    server = subprocess.Popen(
        [CLI, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not come up within 20 s"
            time.sleep(0.1)
        yield base, keys["test_secret_key"]
    finally:
        server.kill()
        server.wait(timeout=10)


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
    erased = bodies[-1]["data"]
    assert erased["status"] == "deleted"
    assert erased["email"] is None
