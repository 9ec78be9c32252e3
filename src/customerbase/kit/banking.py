"""Bank details checked as a bank checks them: each returns the normalised value or raises
ValueError with a message that reads after the field's name. Account numbers and tax ids never
appear in a message.

- SWIFT/BIC: `schwifty` (shape, ISO country code of the institution, location and branch).
- ABA routing number: `python-stdnum`'s `us.rtn` (nine digits, 3-7-1 weighted checksum).
- NUBAN (Nigeria's ten-digit account number): the CBN's check digit over the bank code and the
  nine-digit serial number (no well-kept library implements it; the algorithm is short).
"""

from __future__ import annotations

import re

from schwifty import BIC
from schwifty.exceptions import SchwiftyException
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.us import rtn

_NUBAN_WEIGHTS = (3, 7, 3, 3, 7, 3, 3, 7, 3, 3, 7, 3, 3, 7, 3)
_SEPARATORS = re.compile(r"[\s-]")


def bank_code(value: str) -> str:
    """A Nigerian bank code: three digits (deposit money banks, e.g. 058), five digits (other
    financial institutions, e.g. 50211) or six digits (the 2020 NUBAN revision, e.g. 090267)."""
    code = value.strip()
    if not code.isascii() or not code.isdigit() or len(code) not in (3, 5, 6):
        raise ValueError("must be a bank code of 3, 5 or 6 digits")
    return code


def nuban_check_digit(code: str, serial: str) -> int:
    """The NUBAN check digit of a nine-digit serial number at the bank `code`.

    The bank code is widened to six digits (three-digit codes are left-padded with zeros,
    which the weights turn into the original 12-digit scheme; five-digit OFI codes get the
    revision's leading 9), then 15 digits are weighted 3,7,3,... and the check digit is
    10 minus the sum modulo 10 (10 becomes 0)."""
    widened = code.rjust(6, "0") if len(code) == 3 else ("9" + code if len(code) == 5 else code)
    total = sum(int(d) * w for d, w in zip(widened + serial, _NUBAN_WEIGHTS, strict=True))
    return (10 - total % 10) % 10


def nuban(value: str, code: str) -> str:
    """A ten-digit NUBAN whose last digit is its check digit at the bank `code`."""
    number = _SEPARATORS.sub("", value)
    if len(number) != 10 or not number.isascii() or not number.isdigit():
        raise ValueError("must be a 10-digit NUBAN account number")
    if nuban_check_digit(code, number[:9]) != int(number[9]):
        raise ValueError("is not a valid NUBAN for this bank_code (check digit mismatch)")
    return number


def account_number(value: str) -> str:
    """An account number outside the NUBAN scheme: 4 to 34 letters and digits."""
    number = _SEPARATORS.sub("", value).upper()
    if not 4 <= len(number) <= 34 or not number.isascii() or not number.isalnum():
        raise ValueError("must be 4 to 34 letters and digits")
    return number


def swift_code(value: str) -> str:
    """A SWIFT/BIC code: 8 or 11 characters (bank, ISO country, location, optional branch)."""
    code = _SEPARATORS.sub("", value).upper()
    if len(code) not in (8, 11):
        raise ValueError("must be a SWIFT/BIC code of 8 or 11 characters")
    try:
        BIC(code, enforce_swift_compliance=True)
    except SchwiftyException:
        raise ValueError(
            "is not a valid SWIFT/BIC code (4 letters for the bank, an ISO country code, "
            "2 letters or digits for the location, optionally 3 for the branch)"
        ) from None
    return code


def routing_number(value: str) -> str:
    """An ABA routing transit number: nine digits with the 3-7-1 checksum."""
    number = _SEPARATORS.sub("", value)
    if len(number) != 9 or not number.isascii() or not number.isdigit():
        raise ValueError("must be a 9-digit ABA routing number")
    try:
        rtn.validate(number)
    except StdnumError:
        raise ValueError("is not a valid ABA routing number (checksum mismatch)") from None
    return number


def tax_identification_number(value: str, country: str | None = None) -> str:
    """A tax identification number, without spaces or hyphens. Nigeria (FIRS/JTB): 10 digits,
    or 12 for the older form 12345678-0001; elsewhere 5 to 20 letters and digits."""
    number = _SEPARATORS.sub("", value).upper()
    if not number.isascii() or not number.isalnum() or not 5 <= len(number) <= 20:
        raise ValueError("must be 5 to 20 letters and digits")
    if country == "NG" and not (number.isdigit() and len(number) in (10, 12)):
        raise ValueError("must be a Nigerian TIN: 10 digits, or 12 as in 12345678-0001")
    return number
