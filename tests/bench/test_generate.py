"""The benchmark's customer generator: fixed-seed, unique where the API requires it, and valid
under the API's own create rules (so a benchmark load never measures rejections)."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

from customerbase.customers.schemas import CustomerCreate
from customerbase.kit import validators as v

_SPEC = importlib.util.spec_from_file_location(
    "bench_generate", Path(__file__).resolve().parents[2] / "bench" / "generate.py"
)
assert _SPEC is not None
assert _SPEC.loader is not None
generate = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(generate)


def test_the_same_seed_and_tag_give_the_same_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    generate.write(first, 2_000, seed=7, tag="x")
    generate.write(second, 2_000, seed=7, tag="x")
    assert first.read_bytes() == second.read_bytes()
    assert list(generate.customers(50, seed=8, tag="x")) != list(
        generate.customers(50, seed=7, tag="x")
    )


def test_unique_fields_are_unique_within_a_file_and_emails_across_tags() -> None:
    rows = list(generate.customers(20_000, tag="a"))
    for name in ("email", "reference", "bvn", "nin"):
        values = [row[name] for row in rows if row[name] is not None]
        assert len(values) == len(set(values)), name
    others = {row["email"] for row in generate.customers(20_000, tag="b")}
    assert not others & {row["email"] for row in rows}


def test_rows_pass_the_api_create_rules_and_include_the_hard_cases() -> None:
    rows = list(generate.customers(3_000, tag="v"))
    for row in rows:
        body = CustomerCreate.model_validate({k: x for k, x in row.items() if x is not None})
        phone, _ = v.parse_phone(body.phone_number, dial_code=None, country=body.country)
        assert phone == row["phone_number"]
    assert {row["customer_type"] for row in rows} == {"individual", "business"}
    assert any("-" in (row["last_name"] or "") for row in rows)
    assert any(not (row["first_name"] or "a").isascii() for row in rows)
    assert {row["country"] for row in rows} >= {"NG", "GH", "KE", "GB", "US"}


def test_csv_has_the_create_fields_and_json_metadata(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    generate.write(path, 100, tag="c")
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(generate.FIELDS)
    expected = list(generate.customers(100, tag="c"))
    assert [row["email"] for row in rows] == [row["email"] for row in expected]
    for row, original in zip(rows, expected, strict=True):
        assert (json.loads(row["metadata"]) if row["metadata"] else None) == original["metadata"]
        assert (row["bvn"] or None) == original["bvn"]
