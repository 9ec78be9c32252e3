"""The results: medians of the rounds, the machine, and the Markdown table."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from measure import THREADS

METRICS = ("rps", "p50_ms", "p99_ms", "cpu_us", "db_cpu_us", "rss_mb", "non2xx", "errors")


def median_of(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {"rounds": [round(r["rps"], 1) for r in rounds]}
    for metric in METRICS:
        values = [r[metric] for r in rounds if r.get(metric) is not None]
        if values:
            merged[metric] = (
                max(values)
                if metric == "rss_mb"
                else sum(values)
                if metric in ("non2xx", "errors")
                else statistics.median(values)
            )
    return merged


def machine() -> dict[str, Any]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    pgbench_version = subprocess.run(
        ["pgbench", "--version"], capture_output=True, text=True, check=False
    )
    return {
        "nproc": os.cpu_count(),
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "cpu": cpu,
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "wrk": (wrk_version.stdout + wrk_version.stderr).split("\n")[0].strip(),
        "pgbench": pgbench_version.stdout.strip(),
    }


def _fmt(value: Any, digits: int = 0) -> str:
    if value is None or value != value:  # None or NaN
        return "–"
    return f"{value:,.{digits}f}"


def _ratio(ours: dict[str, Any] | None, theirs: dict[str, Any] | None) -> str:
    if not ours or not theirs or not theirs.get("rps"):
        return "–"
    return f"{ours['rps'] / theirs['rps']:.2f}×"


def markdown(report: dict[str, Any]) -> str:
    m, cfg = report["machine"], report["config"]
    lines = [
        "# customerbase benchmark",
        "",
        f"{cfg['mode']} run, {m['date']}, on {m['nproc']} × {m['cpu']} ({m['memory_gb']} GB), "
        f"Python {m['python']}, {report['postgres_version']}, {m['wrk'].split(' Copyright')[0]}; "
        f"load average {m['load_average_at_start']} at the start, "
        f"{m.get('load_average_at_end', '?')} at the end (the machine may be shared).",
        f"PostgreSQL: {cfg['pg_customers']:,} customers in the measured tenant "
        f"({cfg['pg_total']:,} in the table); SQLite: {cfg['sqlite_customers']:,} "
        f"({cfg['sqlite_total']:,}). wrk -t{THREADS} -c{cfg['connections']} "
        f"-d{cfg['duration']}s over 127.0.0.1, pgbench -M prepared -c{cfg['connections']} "
        f"-j{THREADS} -T{cfg['duration']}; median of {cfg['rounds']} interleaved round(s) "
        "(SQLite: "
        f"{cfg['sqlite_rounds']}). One server process each. CPU and DB CPU are µs per request "
        "(the server process; the PostgreSQL processes); RSS is the server's peak in MB.",
        "",
        "| operation | customerbase PG req/s | p50 ms | p99 ms | CPU µs | DB CPU µs | RSS MB "
        "| minimal req/s | p50 ms | p99 ms | CPU µs | pgbench tps | p99 ms "
        "| × minimal | × pgbench | SQLite req/s | p50 ms | p99 ms | CPU µs |",
        "|---" * 19 + "|",
    ]
    notes: list[str] = []
    for row in report["operations"].values():
        cb, mini, pgb, lite = (
            row.get(k) or {}
            for k in ("customerbase_pg", "minimal", "pgbench", "customerbase_sqlite")
        )
        lines.append(
            f"| {row['label']} | {_fmt(cb.get('rps'))} | {_fmt(cb.get('p50_ms'), 1)} "
            f"| {_fmt(cb.get('p99_ms'), 1)} | {_fmt(cb.get('cpu_us'))} "
            f"| {_fmt(cb.get('db_cpu_us'))} | {_fmt(cb.get('rss_mb'))} "
            f"| {_fmt(mini.get('rps'))} | {_fmt(mini.get('p50_ms'), 1)} "
            f"| {_fmt(mini.get('p99_ms'), 1)} | {_fmt(mini.get('cpu_us'))} "
            f"| {_fmt(pgb.get('rps'))} | {_fmt(pgb.get('p99_ms'), 1)} "
            f"| {_ratio(cb, mini)} | {_ratio(cb, pgb)} "
            f"| {_fmt(lite.get('rps'))} | {_fmt(lite.get('p50_ms'), 1)} "
            f"| {_fmt(lite.get('p99_ms'), 1)} | {_fmt(lite.get('cpu_us'))} |"
        )
        for name, result in (
            ("customerbase PG", cb),
            ("minimal", mini),
            ("pgbench", pgb),
            ("customerbase SQLite", lite),
        ):
            if result.get("non2xx") or result.get("errors"):
                notes.append(
                    f"- {row['label']}, {name}: {result.get('non2xx', 0)} non-2xx responses, "
                    f"{result.get('errors', 0)} socket errors or timeouts"
                )
    lines += ["", "| bulk | PostgreSQL | SQLite |", "|---|---|---|"]
    for label, key in (("import", "import"), ("export", "export")):
        cells = []
        for db in ("postgres", "sqlite"):
            item = report[key].get(db)
            if isinstance(item, dict):
                cells.append(f"{item['per_second']:,.0f} customers/s ({item['method']})")
            else:
                cells.append(str(item))
        lines.append(f"| {label} | {cells[0]} | {cells[1]} |")
    rss = report["peak_rss_mb"]
    lines += [
        "",
        "Peak RSS over the whole run (VmHWM): "
        + ", ".join(f"{name} {value:,.0f} MB" for name, value in rss.items()),
    ]
    if notes:
        lines += ["", "Failures counted in the runs above:", *notes]
    lines += ["", *(f"- {note}" for note in report["notes"])]
    return "\n".join(lines) + "\n"


def notes(report: dict[str, Any]) -> list[str]:
    out = [
        "The minimal service (bench/minimal/app.py) and pgbench (bench/pgbench/*.sql) run the "
        "same bare statements; pgbench takes its ids, emails and search texts from small "
        "bench.* tables by scalar subquery (one more index probe per statement).",
        "Search references: prefix on lower(first_name)/lower(last_name) with explicit bounds, "
        "substring LIKE over the names with pg_trgm; the bench adds their indexes (bench_ref_*) "
        "unless --no-reference-indexes. customerbase searches with its own `q` semantics.",
        "Archive: customerbase archives each id once (a second archive is a 409); the "
        "references re-archive their own range (their UPDATE does not check the status).",
    ]
    for db in ("postgres", "sqlite"):
        item = report["import"].get(db)
        if isinstance(item, dict) and item.get("method") != "customerbase import":
            out.append(
                f"{db}: loaded with the direct fallback loader (`customerbase import` missing); "
                "the import figure is the fallback's, not the product's."
            )
    return out
