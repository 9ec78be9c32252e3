"""Account numbers (10-digit NUBAN) and virtual card numbers.

NUBAN, the Central Bank of Nigeria's account number standard: nine serial digits and a check
digit computed over the institution's three-digit code followed by the serial, with the
weights 3, 7, 3, 3, 7, 3, 3, 7, 3, 3, 7, 3; the check digit is 10 minus the weighted sum
modulo 10 (0 when that is 10).
"""

from __future__ import annotations

import secrets
from datetime import date

# The institution code the check digit is computed with (a code reserved for testing).
INSTITUTION_CODE = "999"
_WEIGHTS = (3, 7, 3, 3, 7, 3, 3, 7, 3, 3, 7, 3)


def nuban_check_digit(serial: str, institution_code: str = INSTITUTION_CODE) -> str:
    digits = institution_code + serial
    if len(digits) != 12 or not digits.isdigit():
        raise ValueError("a NUBAN check digit needs a 3-digit code and a 9-digit serial")
    total = sum(int(d) * w for d, w in zip(digits, _WEIGHTS, strict=True))
    return str((10 - total % 10) % 10)


def is_valid_nuban(number: str, institution_code: str = INSTITUTION_CODE) -> bool:
    return (
        len(number) == 10
        and number.isdigit()
        and nuban_check_digit(number[:9], institution_code) == number[9]
    )


def new_account_number() -> str:
    """A random 10-digit NUBAN (uniqueness is the unique index's job)."""
    serial = f"{secrets.randbelow(10**9):09d}"
    return serial + nuban_check_digit(serial)


# Issuer prefixes (BIN ranges) by brand, for the virtual card numbers.
_PREFIXES = {"verve": "506099", "visa": "4", "mastercard": "5399"}


def _luhn_check_digit(payload: str) -> str:
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:  # every second digit from the right, the check digit excluded
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def is_valid_luhn(number: str) -> bool:
    return number.isdigit() and _luhn_check_digit(number[:-1]) == number[-1]


def new_card_number(brand: str) -> str:
    """A 16-digit Luhn-valid card number of `brand`. The caller keeps only its last four."""
    prefix = _PREFIXES[brand]
    body = prefix + "".join(str(secrets.randbelow(10)) for _ in range(15 - len(prefix)))
    return body + _luhn_check_digit(body)


def card_expiry(today: date, years: int = 3) -> tuple[int, int]:
    """(month, year) of a card issued `today`: the same month, `years` later."""
    return today.month, today.year + years
