"""Throughput of the customers API on this machine: `make bench`.

Starts `customerbase serve` on a free port (SQLite in a temporary folder, or PostgreSQL when
CUSTOMERBASE_BENCH_POSTGRES_URL or --postgres names a database), seeds customers, then drives
each scenario with wrk (Debian package `wrk`) over loopback and prints requests/s and latency.
Every run is bounded: a fixed duration per scenario and 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

CLI = Path(sys.executable).parent / "customerbase"
LUA = Path(__file__).resolve().parent / "lua"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(base: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not come up")


async def seed(base: str, key: str, count: int) -> list[str]:
    headers = {"Authorization": f"Bearer {key}"}
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as http:
        semaphore = asyncio.Semaphore(16)

        async def one(n: int) -> str:
            async with semaphore:
                response = await http.post(
                    "/v1/customers",
                    json={
                        "first_name": f"Seed{n}",
                        "last_name": "Customer",
                        "email": f"seed{n}@bench.example",
                        "phone_number": f"+234803{n:07d}",
                        "reference": f"seed_{n}",
                    },
                )
                response.raise_for_status()
                return str(response.json()["data"]["id"])

        return await asyncio.gather(*(one(n) for n in range(count)))


def wrk(url: str, key: str, script: Path, *, duration: int, connections: int) -> dict[str, str]:
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "-H",
        f"Authorization: Bearer {key}",
        "-s",
        str(script),
        url,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": rps.group(1) if rps else "?",
        "p50": p50.group(1) if p50 else "?",
        "p99": p99.group(1) if p99 else "?",
        "non2xx": errors.group(1) if errors else "0",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", default=os.environ.get("CUSTOMERBASE_BENCH_POSTGRES_URL"))
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seed", type=int, default=2000)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")

    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CUSTOMERBASE_")}
        env["CUSTOMERBASE_DATA_DIR"] = folder
        env["CUSTOMERBASE_LOG_LEVEL"] = "WARNING"
        if args.postgres:
            env["CUSTOMERBASE_DATABASE_URL"] = args.postgres
        subprocess.run([CLI, "migrate"], env=env, check=True, capture_output=True)  # noqa: S603
        created = subprocess.run(  # noqa: S603
            [CLI, "orgs", "create", "Bench"], env=env, check=True, capture_output=True, text=True
        )
        key = json.loads(created.stdout)["test_secret_key"]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([CLI, "serve", "--port", str(port)], env=env)  # noqa: S603
        try:
            wait_healthy(base, server)
            ids = asyncio.run(seed(base, key, args.seed))
            ids_file = Path(folder) / "ids.lua"
            ids_file.write_text("ids = {" + ",".join(f'"{i}"' for i in ids) + "}\n")
            env_lua = f'dofile("{ids_file}")\n'
            scenarios = {
                "GET /v1/customers/{id}": "get_by_id.lua",
                "GET /v1/customers?take=20": "list.lua",
                "GET /v1/customers?q=seed12": "search.lua",
                "POST /v1/customers": "create.lua",
            }
            database = "postgresql" if args.postgres else "sqlite"
            print(
                f"\ncustomerbase bench: {database}, {args.seed} customers seeded, "
                f"wrk -t2 -c{args.connections} -d{args.duration}s, one server process\n"
            )
            print(f"{'scenario':32} {'req/s':>9} {'p50':>9} {'p99':>9} {'non-2xx':>8}")
            for name, lua in scenarios.items():
                script = Path(folder) / lua
                script.write_text(env_lua + (LUA / lua).read_text())
                result = wrk(
                    base, key, script, duration=args.duration, connections=args.connections
                )
                print(
                    f"{name:32} {result['rps']:>9} {result['p50']:>9} {result['p99']:>9} "
                    f"{result['non2xx']:>8}"
                )
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
