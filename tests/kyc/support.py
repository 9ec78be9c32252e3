"""Helpers of the KYC tests."""

from __future__ import annotations

from typing import Any

import httpx

AYO = {
    "first_name": "Ayọ̀",
    "last_name": "Oladeji",
    "email": "ayo@example.com",
    "phone_number": "08031234567",
    "country": "NG",
    "date_of_birth": "1994-04-14",
}


async def make_customer(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    payload = {**AYO, **overrides}
    payload = {key: value for key, value in payload.items() if value is not None}
    response = await client.post("/v1/customers", json=payload)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def requirement(overview: dict[str, Any], field: str) -> dict[str, Any]:
    found: dict[str, Any] = next(r for r in overview["requirements"] if r["field"] == field)
    return found
