"""The README's error table lists every `error.type` the API can answer, and only those."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import customerbase
from customerbase.kit import handlers
from customerbase.kit.errors import CustomerbaseError

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "src" / "customerbase"
# `error_type="x"` (a raised error's own type) and `error_type = "x"` (a class's).
ERROR_TYPE_LITERAL = re.compile(r'error_type\s*=\s*"([a-z_]+)"')
# The edge middleware's own answers: `answer(413, message, "payload_too_large")`.
EDGE_ANSWER = re.compile(r'answer\(\s*\d{3},[^\n]*"([a-z_]+)"\)')
# Envelopes written by hand where no handler runs (the server's 431): `{"type": "..."`.
ENVELOPE_TYPE = re.compile(r'"error": \{"type": "([a-z_]+)"')


def _subclasses(cls: type[CustomerbaseError]) -> set[type[CustomerbaseError]]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _subclasses(sub)
    return found


def error_types_in_code() -> set[str]:
    for module in pkgutil.walk_packages(customerbase.__path__, "customerbase."):
        if not module.name.startswith("customerbase.migrations"):
            importlib.import_module(module.name)
    types = {CustomerbaseError.error_type}
    types |= {cls.error_type for cls in _subclasses(CustomerbaseError)}
    types |= set(handlers.HTTP_ERROR_TYPES.values()) | {handlers.OTHER_HTTP_ERROR_TYPE}
    for path in SOURCE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        text = path.read_text()
        types |= set(ERROR_TYPE_LITERAL.findall(text)) | set(EDGE_ANSWER.findall(text))
        types |= set(ENVELOPE_TYPE.findall(text))
    return types


def error_types_in_readme() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("| status | when | `error.type` |") :]
    table = table[: table.index("\n\n")]
    rows = table.splitlines()[2:]
    return {name for row in rows for name in re.findall(r"`([a-z_]+)`", row.split("|")[3])}


def test_the_readme_error_table_lists_every_error_type_the_code_can_answer() -> None:
    in_code = error_types_in_code()
    # The collection itself must see the types raised with a literal, not only the classes.
    assert {"customer_not_archived", "missing_client_id", "invalid_json"} <= in_code
    in_readme = error_types_in_readme()
    assert sorted(in_code - in_readme) == []
    assert sorted(in_readme - in_code) == []
