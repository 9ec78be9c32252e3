"""The real server (`customerbase serve`) over real sockets: request heads are bounded in size
and in time, slow clients do not hold others up, and the command says when it is serving or why
it cannot."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from customerbase.server import HEAD_TIMEOUT_SECONDS, MAX_HEAD_BYTES
from tests.cli_support import CLI, WAIT, cli_env, free_port, run_cli

pytestmark = pytest.mark.e2e


@dataclass
class Served:
    port: int
    banner: str
    first_status: int  # of a request sent the moment the banner appeared


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Served]:
    """One `customerbase serve` for the module, its banner and the answer to a request sent as
    soon as the banner was printed."""
    root = tmp_path_factory.mktemp("server")
    port = free_port()
    migrated = await run_cli(cli_env(root / "data"), "migrate")
    assert migrated.code == 0, migrated.err
    with (root / "server.log").open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            str(CLI),
            "serve",
            "--port",
            str(port),
            env=cli_env(root / "data"),
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
        )
    assert process.stdout is not None
    try:
        banner = await asyncio.wait_for(process.stdout.readline(), timeout=WAIT)
        status = 0
        with contextlib.suppress(ConnectionError):  # refused: the banner came too early
            status, _, _ = await _exchange(port, _head())
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:  # the other tests need the server, banner or not
            with contextlib.suppress(ConnectionError):
                if (await _exchange(port, _head()))[0] == 200:
                    break
            await asyncio.sleep(0.1)
        yield Served(port, banner.decode(), status)
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=WAIT)


async def _exchange(port: int, head: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send one request head; the status, headers and body of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head)
        await writer.drain()
        raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
        lines = raw.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        return int(lines[0].split()[1]), headers, body
    finally:
        writer.close()


def _head(path: str = "/health", **headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _closed_by_server(reader: asyncio.StreamReader) -> bool:
    """Whether the server closes the connection within the head timeout (and a margin)."""
    try:
        while await asyncio.wait_for(reader.read(65536), timeout=HEAD_TIMEOUT_SECONDS + 3):
            pass  # an answer (a 431, a 408) is fine; the connection must end
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return True


async def test_request_headers_over_16_kb_are_refused_with_431(server: Served) -> None:
    near_limit = "Bearer " + "a" * (MAX_HEAD_BYTES - 1024)
    status, _, _ = await _exchange(server.port, _head("/v1/customers", Authorization=near_limit))
    assert status == 401  # read and answered as usual

    over_limit = "Bearer " + "a" * (MAX_HEAD_BYTES + 1024)
    status, headers, body = await _exchange(
        server.port, _head("/v1/customers", Authorization=over_limit)
    )
    assert status == 431
    assert headers["connection"] == "close"
    envelope = json.loads(body)
    assert envelope == {
        "success": False,
        "message": f"The request headers are larger than {MAX_HEAD_BYTES} bytes",
        "error": {
            "type": "headers_too_large",
            "fields": [],
            "request_id": headers["x-request-id"],
        },
    }

    many = {f"X-Padding-{i}": "p" * 100 for i in range(200)}  # 20 KB in small headers
    status, _, _ = await _exchange(server.port, _head(**many))
    assert status == 431


async def test_a_50_mb_header_does_not_stall_other_requests(server: Served) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    huge = b"GET /health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + b"a" * 50_000_000

    async def send_huge() -> None:
        with contextlib.suppress(ConnectionError):
            writer.write(huge)
            await writer.drain()

    sending = asyncio.create_task(send_huge())
    try:
        await asyncio.sleep(0.05)  # the server is reading the huge header now
        slowest = 0.0
        for _ in range(10):
            started = time.perf_counter()
            status, _, _ = await _exchange(server.port, _head())
            slowest = max(slowest, time.perf_counter() - started)
            assert status == 200
        assert slowest < 0.5, f"a request waited {slowest:.2f}s behind the huge header"
        # The huge request itself is cut short, not read to its end.
        await asyncio.wait_for(sending, timeout=5)
        answer = b""
        with contextlib.suppress(ConnectionError):
            answer = await asyncio.wait_for(reader.read(100), timeout=5)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 431")
    finally:
        sending.cancel()
        writer.close()


async def test_slow_and_idle_connections_are_closed_and_do_not_hold_up_others(
    server: Served,
) -> None:
    # 250 connections that never send a byte, 250 stuck half-way through their headers.
    connections = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(500)]
    for _, writer in connections[250:]:
        writer.write(b"GET /health HTTP/1.1\r\nHost: x\r\n")
    # One that drips a header byte every half second, and one idle after a keep-alive request.
    drip_reader, drip_writer = await asyncio.open_connection("127.0.0.1", server.port)
    drip_writer.write(b"GET /health HTTP/1.1\r\nX-Slow: ")
    idle_reader, idle_writer = await asyncio.open_connection("127.0.0.1", server.port)
    idle_writer.write(_head())
    await asyncio.wait_for(idle_reader.readuntil(b"\r\n\r\n"), timeout=5)

    async def drip() -> None:
        with contextlib.suppress(ConnectionError):
            while not drip_writer.is_closing():
                drip_writer.write(b"a")
                await drip_writer.drain()
                await asyncio.sleep(0.5)

    dripping = asyncio.create_task(drip())
    try:
        started = time.perf_counter()
        status, _, _ = await _exchange(server.port, _head())
        assert status == 200
        assert time.perf_counter() - started < 1.0

        readers = [reader for reader, _ in connections] + [drip_reader, idle_reader]
        closed = await asyncio.gather(*(_closed_by_server(reader) for reader in readers))
        assert all(closed[:250]), f"{closed[:250].count(False)} silent connections left open"
        assert all(closed[250:500]), f"{closed[250:500].count(False)} half-sent heads left open"
        assert closed[500], "a header sent one byte at a time kept its connection"
        assert closed[501], "an idle keep-alive connection was kept"
    finally:
        dripping.cancel()
        for _, writer in [*connections, (None, drip_writer), (None, idle_writer)]:
            writer.close()


async def test_the_banner_is_printed_once_the_port_accepts_requests(server: Served) -> None:
    assert server.banner == (
        f"customerbase serving on http://127.0.0.1:{server.port} "
        f"(docs: http://127.0.0.1:{server.port}/docs)\n"
    )
    assert server.first_status == 200  # sent at once: no retry, no wait


async def test_a_port_in_use_is_a_one_line_error_with_exit_code_2(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert (await run_cli(cli_env(tmp_path / "data"), "migrate")).code == 0
        result = await run_cli(cli_env(tmp_path / "data"), "serve", "--port", str(port))
    assert result.code == 2
    assert result.err == f"error: cannot listen on 127.0.0.1:{port}: the port is in use\n"
    assert "serving on" not in result.out
