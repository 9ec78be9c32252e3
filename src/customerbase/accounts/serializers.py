"""Accounts, cards and transactions as the API shows them, from fast-path rows or ORM objects
(the same keys either way)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from customerbase.accounts.money import EXPONENTS
from customerbase.kit.fastdb import decode_timestamp, decode_uuid
from customerbase.kit.time import isoformat

ACCOUNT_COLUMNS = (
    "id, customer_id, type, currency, account_number, status, status_reason, balance,"
    " created_at, updated_at, closed_at"
)
CARD_COLUMNS = (
    "id, customer_id, account_id, brand, last4, expiry_month, expiry_year, status,"
    " status_reason, created_at, updated_at"
)
TRANSACTION_COLUMNS = (
    "id, account_id, customer_id, direction, amount, currency, reference, narration,"
    " balance_after, status, created_at"
)


def _stamp(value: Any) -> str | None:
    return isoformat(decode_timestamp(value))


def columns_of(obj: Any, columns: str) -> dict[str, Any]:
    """An ORM object as the mapping a fast-path row of `columns` would be."""
    return {name.strip(): getattr(obj, name.strip()) for name in columns.split(",")}


def account_to_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": decode_uuid(row["id"]),
        "object": "account",
        "customer_id": decode_uuid(row["customer_id"]),
        "type": row["type"],
        "currency": row["currency"],
        "currency_exponent": EXPONENTS[row["currency"]],
        "account_number": row["account_number"],
        "status": row["status"],
        "status_reason": row["status_reason"],
        "balance": int(row["balance"]),
        "created_at": _stamp(row["created_at"]),
        "updated_at": _stamp(row["updated_at"]),
        "closed_at": _stamp(row["closed_at"]),
    }


def card_to_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": decode_uuid(row["id"]),
        "object": "card",
        "customer_id": decode_uuid(row["customer_id"]),
        "account_id": decode_uuid(row["account_id"]),
        "type": "virtual",
        "brand": row["brand"],
        "last4": row["last4"],
        "expiry_month": int(row["expiry_month"]),
        "expiry_year": int(row["expiry_year"]),
        "status": row["status"],
        "status_reason": row["status_reason"],
        "created_at": _stamp(row["created_at"]),
        "updated_at": _stamp(row["updated_at"]),
    }


def transaction_to_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": decode_uuid(row["id"]),
        "object": "transaction",
        "account_id": decode_uuid(row["account_id"]),
        "customer_id": decode_uuid(row["customer_id"]),
        "direction": row["direction"],
        "amount": int(row["amount"]),
        "currency": row["currency"],
        "reference": row["reference"],
        "narration": row["narration"],
        "balance_after": int(row["balance_after"]),
        "status": row["status"],
        "created_at": _stamp(row["created_at"]),
    }
