"""Processes, load generators and what is measured of them: CPU from /proc/<pid>/stat, peak RSS
from /proc/<pid>/status, wrk and pgbench runs parsed into requests/s and latency percentiles."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

CLK_TCK = os.sysconf("SC_CLK_TCK")
THREADS = 2


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stat_fields(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mb(pid: int, key: str = "VmRSS") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


class PostgresCPU:
    """CPU seconds of the PostgreSQL backends serving one database (found by the process title
    "postgres: user database host..."), so that other databases of a shared server do not count.
    `sample()` polls while a run lasts: a backend that exits at the run's end (pgbench's) keeps
    the CPU last seen, at most one poll (0.1 s) short."""

    def __init__(self, postmaster: int | None, database: str = "") -> None:
        self.postmaster = postmaster
        self.marker = f" {database} ".encode()

    def backends(self) -> dict[int, float]:
        found: dict[int, float] = {}
        if self.postmaster is None:
            return found
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = _stat_fields(int(entry.name))
                if int(fields[1]) != self.postmaster:
                    continue
                if self.marker not in (entry / "cmdline").read_bytes():
                    continue
            except (OSError, ValueError):
                continue
            found[int(entry.name)] = (int(fields[11]) + int(fields[12])) / CLK_TCK
        return found

    def total(self) -> float | None:
        return sum(self.backends().values()) if self.postmaster is not None else None

    @contextmanager
    def sample(self) -> Iterator[Callable[[], float | None]]:
        """Yields a function giving the backends' CPU seconds since the block began."""
        if self.postmaster is None:
            yield lambda: None
            return
        baseline = self.backends()
        last = dict(baseline)
        stop = threading.Event()

        def poll() -> None:
            while not stop.is_set():
                last.update(self.backends())
                stop.wait(0.1)

        thread = threading.Thread(target=poll, daemon=True)
        thread.start()
        try:
            yield lambda: sum(cpu - baseline.get(pid, 0.0) for pid, cpu in last.items())
        finally:
            stop.set()
            thread.join()


async def postmaster_pid(dsn: str) -> int | None:
    connection = await asyncpg.connect(dsn)
    try:
        data_directory = await connection.fetchval("SHOW data_directory")
        backend = await connection.fetchval("SELECT pg_backend_pid()")
        try:
            pid = int(Path(data_directory, "postmaster.pid").read_text().split()[0])  # noqa: ASYNC240
            # The database is local only if this connection's backend is the postmaster's child.
            return pid if int(_stat_fields(backend)[1]) == pid else None
        except (OSError, ValueError, IndexError):
            return None
    finally:
        await connection.close()


def wait_idle(cpu_seconds: Callable[[], float], *, limit: float = 10.0) -> float:
    """Wait until the servers and the database stop working off what a finished run left queued
    (a client that hangs up does not cancel a handler already running): until `cpu_seconds`
    grows by less than 10% of a core twice in a row. Returns the seconds waited."""
    started = time.monotonic()
    quiet = 0
    while time.monotonic() - started < limit and quiet < 2:
        before = cpu_seconds()
        time.sleep(0.15)
        quiet = quiet + 1 if cpu_seconds() - before < 0.15 * 0.10 else 0
    return time.monotonic() - started


class RSSSampler:
    """Polls a process's VmRSS while running; `peak` is the highest seen."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            self._stop.wait(0.1)

    def __enter__(self) -> RSSSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb(self.pid))


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    base: str
    key: str | None = None
    peak_rss: float = 0.0

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        self.peak_rss = max(self.peak_rss, rss_mb(self.pid, "VmHWM"))
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(
    name: str, command: list[str], env: dict[str, str], health: str, log: Path, attempts: int = 3
) -> Server:
    """Start a server on a free port and wait for `health` to answer; a start that fails (a
    shared database out of connections, say) is retried."""
    for attempt in range(1, attempts + 1):
        try:
            return _start_server(name, command, env, health, log)
        except RuntimeError as exc:
            if attempt == attempts:
                raise SystemExit(str(exc)) from None
            print(f"    {exc}; retrying in 5 s")
            time.sleep(5)
    raise AssertionError("unreachable")


def _start_server(
    name: str, command: list[str], env: dict[str, str], health: str, log: Path
) -> Server:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}; see {log}")
        try:
            if httpx.get(base + health, timeout=2).status_code < 500:
                return Server(name, process, base)
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    process.wait()
    raise RuntimeError(f"{name} did not come up; see {log}")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")


def run_wrk(
    base: str, script: Path, *, duration: int, connections: int, key: str | None
) -> dict[str, Any]:
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
    ]
    if key:
        command += ["-H", f"Authorization: Bearer {key}"]
    output = subprocess.run(
        [*command, base], capture_output=True, text=True, check=True, timeout=duration + 60
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    requests = int(total.group(1)) if total else 0
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "requests": requests,
        # No latency when no request completed within the run.
        "p50_ms": _ms(p50.group(1)) if p50 and requests else float("nan"),
        "p99_ms": _ms(p99.group(1)) if p99 and requests else float("nan"),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "errors": sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    }


def run_pgbench(
    dsn: str,
    script: Path,
    variables: dict[str, Any],
    *,
    duration: int,
    connections: int,
    logs: Path,
) -> dict[str, Any]:
    for old in logs.parent.glob(logs.name + "*"):
        old.unlink()
    command = [
        "pgbench",
        "-n",
        "-M",
        "prepared",
        "-c",
        str(connections),
        "-j",
        str(THREADS),
        "-T",
        str(duration),
        "-f",
        str(script),
        "-l",
        "--sampling-rate",
        "0.05",
        "--log-prefix",
        str(logs),
    ]
    for name, value in variables.items():
        command += ["-D", f"{name}={value}"]
    done = subprocess.run(
        [*command, dsn],
        capture_output=True,
        text=True,
        timeout=duration + 60,
        cwd=logs.parent,
        check=False,
    )
    output = done.stdout + done.stderr
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", output)
    processed = re.search(r"number of transactions actually processed: (\d+)", output)
    failed = re.search(r"number of failed transactions: (\d+)", output)
    latencies: list[float] = []
    for log in logs.parent.glob(logs.name + "*"):
        for line in log.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[2].isdigit():
                latencies.append(int(parts[2]) / 1000)
        log.unlink()
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0.0

    if done.returncode != 0 or not tps:
        print(f"    pgbench failed: {output[-800:]}")
    return {
        "rps": float(tps.group(1)) if tps else 0.0,
        "requests": int(processed.group(1)) if processed else 0,
        "p50_ms": percentile(0.50),
        "p99_ms": percentile(0.99),
        "non2xx": int(failed.group(1)) if failed else (0 if done.returncode == 0 else -1),
        "errors": 0 if done.returncode == 0 else 1,
        "too_many_clients": "too many clients" in output,
    }
