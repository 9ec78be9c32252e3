"""Currencies (ISO 4217, from the maintained `iso4217` code list) and amounts in minor units.

Money is an integer count of the currency's minor unit (kobo for NGN, cents for USD, yen for
JPY, fils for BHD), never a float: `to_minor` turns a decimal amount into one exactly, or
refuses an amount with more decimals than the currency has.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from iso4217 import Currency

DEFAULT_CURRENCY = "NGN"
# The largest amount of one posting and the largest balance an account may hold, in minor
# units: far beyond any real posting, and far below the 64-bit integer columns' limit.
MAX_AMOUNT = 10**15
MAX_BALANCE = 10**17


def _exponents() -> dict[str, int]:
    table: dict[str, int] = {}
    for currency in Currency:
        exponent = currency.exponent
        if isinstance(exponent, int):  # funds, metals and testing codes have none
            table[currency.code] = exponent
    return table


EXPONENTS = _exponents()


def currency_exponent(code: str) -> int:
    return EXPONENTS[code]


def normalize_currency(value: str) -> str:
    """An ISO 4217 code of a currency with minor units; raises ValueError otherwise."""
    code = value.strip().upper()
    if code not in EXPONENTS:
        raise ValueError("must be an ISO 4217 currency code, such as NGN or USD")
    return code


def to_minor(amount: Decimal | int | float | str, currency: str) -> int:
    """`amount` (in major units) as an integer of minor units of `currency`, exactly."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise ValueError("must be a number") from None
    if not value.is_finite():
        raise ValueError("must be a finite number")
    minor = value.scaleb(EXPONENTS[currency])
    if minor != minor.to_integral_value():
        places = EXPONENTS[currency]
        raise ValueError(f"has more than {places} decimal places for {currency}")
    result = int(minor)
    if abs(result) > MAX_AMOUNT:
        raise ValueError("is too large")
    return result
