"""Running the `customerbase` command as a subprocess, and a real server started through it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import pty
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

CLI = Path(sys.executable).parent / "customerbase"
TIMEOUT = 30  # seconds for one CLI command to finish
WAIT = 20.0  # seconds for a server to answer /health, or to exit once killed


@dataclass
class Result:
    code: int
    out: str
    err: str


def cli_env(data_dir: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    """The current environment without any CUSTOMERBASE_ setting, then the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMERBASE_")}
    env["CUSTOMERBASE_DATA_DIR"] = str(data_dir)
    env["CUSTOMERBASE_EMBEDDED_WORKER"] = "0"  # a test that wants it passes "1"
    if database_url is not None:
        env["CUSTOMERBASE_DATABASE_URL"] = database_url
    env.update(extra)
    return env


async def run_cli(env: dict[str, str], *args: str, cwd: Path | None = None) -> Result:
    process = await asyncio.create_subprocess_exec(
        str(CLI),
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode is not None
    return Result(process.returncode, out.decode(), err.decode())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def json_after_banner(output: str) -> dict[str, Any]:
    """`init` prints one line of advice, then the JSON object."""
    result: dict[str, Any] = json.loads(output[output.index("{") :])
    return result


def first_organization_file(env: dict[str, str]) -> Path:
    return Path(env["CUSTOMERBASE_DATA_DIR"]) / "first-organization.json"


async def init_keys(env: dict[str, str]) -> dict[str, Any]:
    """`customerbase init` (stdout not a terminal); returns the organization and keys it saved."""
    result = await run_cli(env, "init")
    assert result.code == 0, result.err
    assert "sk_" not in result.out + result.err
    saved: dict[str, Any] = json.loads(first_organization_file(env).read_text())
    return saved


def run_cli_on_a_terminal(env: dict[str, str], *args: str) -> Result:
    """Run the command with its stdout on a pseudo-terminal (stderr stays a pipe)."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [str(CLI), *args], env=env, stdout=follower, stderr=subprocess.PIPE
        )
    finally:
        os.close(follower)
    chunks = []
    try:
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the last writer closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(leader)
    assert process.stderr is not None
    err = process.stderr.read()
    code = process.wait(timeout=TIMEOUT)
    # A terminal turns "\n" into "\r\n".
    return Result(code, b"".join(chunks).decode().replace("\r\n", "\n"), err.decode())


class Server:
    """One `customerbase serve` process, its output appended to a log file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = await asyncio.create_subprocess_exec(
                str(CLI),
                "serve",
                "--port",
                str(self.port),
                env=self.env,
                stdout=output,
                stderr=output,
            )
        deadline = time.monotonic() + WAIT
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2) as client:
            while True:
                if self.process.returncode is not None:
                    pytest.fail(f"the server exited with {self.process.returncode}:\n{self.output}")
                with contextlib.suppress(httpx.TransportError):
                    response = await client.get("/health")
                    if response.status_code == 200:
                        return
                if time.monotonic() > deadline:
                    pytest.fail(f"the server did not answer /health within {WAIT}s:\n{self.output}")
                await asyncio.sleep(0.1)

    async def kill(self) -> None:
        """kill -9: no shutdown, no checkpoint, no flush."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await asyncio.wait_for(self.process.wait(), timeout=WAIT)

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), timeout=10)
        except TimeoutError:
            await self.kill()

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""
