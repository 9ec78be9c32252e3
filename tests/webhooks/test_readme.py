"""The README's Python example verifies a delivery as the worker signs it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson

from customerbase.kit.time import utcnow
from customerbase.webhooks.signing import Signer, new_secret

README = Path(__file__).resolve().parents[2] / "README.md"


def _example() -> str:
    section = README.read_text().split("## Webhooks", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```python\n(.*?)```", section, re.S)
    return block


def test_the_readme_example_accepts_a_signed_delivery_and_refuses_a_tampered_one(
    capsys: Any,
) -> None:
    secret = new_secret()
    code = _example()
    assert 'SECRET = "whsec_' in code
    code = re.sub(r'SECRET = "whsec_[^"]+"', f'SECRET = "{secret}"', code)
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    event = {
        "id": "0193d2b4-7d8e-7000-8000-000000000001",
        "type": "customer.created",
        "data": {"object": {"id": "0193d2b4-7d8e-7000-8000-0000000000aa"}},
    }
    body = orjson.dumps(event)
    now = utcnow()
    headers = Signer(secret).headers(event["id"], body.decode(), timestamp=now, now=now)
    assert namespace["handle"](body, headers) == 200
    assert "customer.created" in capsys.readouterr().out
    assert namespace["handle"](body.replace(b"created", b"deleted"), headers) == 400
    other = Signer(new_secret()).headers(event["id"], body.decode(), timestamp=now, now=now)
    assert namespace["handle"](body, other) == 400
