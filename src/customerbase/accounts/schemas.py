"""Request schemas of accounts, cards and transactions. Responses are dicts (`serializers`)."""

from __future__ import annotations

import enum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
)

from customerbase.accounts.money import DEFAULT_CURRENCY, MAX_AMOUNT, normalize_currency
from customerbase.customers.schemas import DayOrMoment, _Strict


class AccountType(enum.StrEnum):
    wallet = "wallet"
    virtual_account = "virtual_account"


class CardBrand(enum.StrEnum):
    verve = "verve"
    visa = "visa"
    mastercard = "mastercard"


class Direction(enum.StrEnum):
    credit = "credit"
    debit = "debit"


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


CurrencyCode = Annotated[
    str,
    AfterValidator(normalize_currency),
    WithJsonSchema(
        {"type": "string", "pattern": "^[A-Za-z]{3}$", "description": "ISO 4217, e.g. NGN"}
    ),
]
TransactionReference = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:\-]+$"),
]


class AccountCreate(_Strict):
    """A new wallet or virtual account."""

    type: Annotated[AccountType, BeforeValidator(_lower)] = AccountType.wallet
    currency: CurrencyCode = DEFAULT_CURRENCY


class CardCreate(_Strict):
    """A new virtual card on one of the customer's accounts."""

    account_id: str = Field(max_length=64)
    brand: Annotated[CardBrand, BeforeValidator(_lower)]


class TransactionCreate(_Strict):
    """A credit or a debit, in the currency's minor units (kobo for NGN)."""

    direction: Annotated[Direction, BeforeValidator(_lower)]
    amount: StrictInt = Field(gt=0, le=MAX_AMOUNT, description="In minor units: 150000 = ₦1,500")
    currency: CurrencyCode
    reference: TransactionReference = Field(
        description="Unique per account: a retry with the same reference never posts twice"
    )
    narration: Annotated[str, StringConstraints(max_length=500)] | None = None


class TransactionListParams(_Strict):
    """Filters and cursor pagination of a transaction list (newest first)."""

    take: int = Field(20, ge=1, le=100)
    starting_after: str | None = Field(None, description="Older than this transaction id")
    ending_before: str | None = Field(None, description="Newer than this transaction id")
    direction: Annotated[Direction, BeforeValidator(_lower)] | None = None
    currency: CurrencyCode | None = None
    created_from: DayOrMoment | None = None
    created_to: DayOrMoment | None = None
    min_amount: int | None = Field(None, ge=0, le=MAX_AMOUNT, description="In minor units")
    max_amount: int | None = Field(None, ge=0, le=MAX_AMOUNT, description="In minor units")


class PageParams(_Strict):
    take: int = Field(20, ge=1, le=100)
    starting_after: str | None = None
    ending_before: str | None = None
