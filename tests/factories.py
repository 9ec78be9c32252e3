"""Request payloads for tests: valid by default, every field overridable."""

from __future__ import annotations

import itertools
from typing import Any

_counter = itertools.count(1)


# Valid Nigerian mobile numbers (libphonenumber accepts 0803 xxx xxxx).
def nigerian_phone(n: int) -> str:
    return f"0803{n % 10_000_000:07d}"


def individual(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    payload: dict[str, Any] = {
        "customer_type": "individual",
        "first_name": "Ayo",
        "last_name": "Oladeji",
        "email": f"ayo.{n}@example.com",
        "phone_number": nigerian_phone(n),
        "country": "NG",
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not ...}


def business(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    payload: dict[str, Any] = {
        "customer_type": "business",
        "company_name": f"Kola Foods {n} Ltd",
        "email": f"finance.{n}@kolafoods.example",
        "phone_number": f"+234803{n % 10_000_000:07d}",
    }
    payload.update(overrides)
    return {k: v for k, v in payload.items() if v is not ...}
