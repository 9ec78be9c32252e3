"""Reusable field validators: each returns the normalised value or raises ValueError with a
message that reads after the field's name ("email: is not a valid email address")."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email

_DIAL_CODE = re.compile(r"^\+?(\d{1,4})$")


def normalize_email(value: str) -> str:
    """Syntax-checked, normalised and lower-cased (emails are unique without regard to case)."""
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"is not a valid email address ({exc})") from None
    return result.normalized.lower()


def normalize_country(value: str) -> str:
    """An ISO 3166-1 alpha-2 code, upper-cased."""
    code = value.strip().upper()
    if len(code) != 2 or not code.isalpha() or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, such as NG or US")
    return code


def normalize_dial_code(value: str) -> str:
    """A country calling code as '+234'."""
    match = _DIAL_CODE.match(value.strip())
    if not match:
        raise ValueError("must be a country calling code such as +234")
    code = int(match.group(1))
    if phonenumbers.region_code_for_country_code(code) == phonenumbers.UNKNOWN_REGION:
        raise ValueError(f"+{code} is not a country calling code in use")
    return f"+{code}"


def eleven_digits(value: str) -> str:
    """BVN and NIN: exactly eleven digits. The value itself never appears in the message."""
    stripped = value.strip()
    if len(stripped) != 11 or not stripped.isascii() or not stripped.isdigit():
        raise ValueError("must be exactly 11 digits")
    return stripped


def past_date(value: date) -> date:
    if value > date.today():
        raise ValueError("must not be in the future")
    if value.year < 1900:
        raise ValueError("must be on or after 1900-01-01")
    return value


def not_blank(value: str) -> str:
    """Stripped and in Unicode NFC: a name sent decomposed is stored as its composed form."""
    stripped = unicodedata.normalize("NFC", value.strip())
    if not stripped:
        raise ValueError("must not be blank")
    return stripped


_REFERENCE_FORBIDDEN = frozenset("@/?#")


def reference(value: str) -> str:
    """A platform's own id for a customer. Never '@' (so it is never taken for an email in
    a look-up), nor '/', '?', '#' or whitespace (so every reference can be fetched by GET)."""
    text = not_blank(value)
    if any(ch in _REFERENCE_FORBIDDEN or ch.isspace() for ch in text):
        raise ValueError("must not contain '@', '/', '?', '#' or whitespace")
    return text


class PhoneError(ValueError):
    pass


# What a phone number can look like before it is placed in a country: digits with the usual
# separators, and a leading + for the international form. Also the OpenAPI pattern.
PHONE_PATTERN = r"^\+?[0-9 ().-]{1,32}$"
_PHONE_SHAPE = re.compile(PHONE_PATTERN)


def phone_shape(value: str) -> str:
    """Rejects what no dial code or country could make a phone number, without needing them,
    so that the error stands beside any other field's error. An international number is
    checked in full here; a local one is placed (and checked) by `parse_phone`."""
    raw = value.strip()
    if not _PHONE_SHAPE.match(raw) or not any(ch.isdigit() for ch in raw):
        raise ValueError("is not a valid phone number")
    if raw.startswith("+"):
        try:
            parsed = phonenumbers.parse(raw, None)
        except phonenumbers.NumberParseException:
            raise ValueError("is not a valid phone number") from None
        if not phonenumbers.is_valid_number(parsed):
            raise ValueError("is not a valid phone number")
    return raw


def parse_phone(number: str, *, dial_code: str | None, country: str | None) -> tuple[str, str]:
    """(E.164 number, dial code) for a number in international form, or a local number with a
    dial code or country to place it."""
    raw = number.strip()
    region: str | None = None
    if not raw.startswith("+"):
        if dial_code:
            region = phonenumbers.region_code_for_country_code(int(dial_code[1:]))
        elif country:
            region = country
        else:
            raise PhoneError(
                "a local number needs dial_code or country; or send it in international "
                "format such as +2348012345678"
            )
    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise PhoneError("is not a valid phone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise PhoneError("is not a valid phone number")
    if dial_code and raw.startswith("+") and f"+{parsed.country_code}" != dial_code:
        raise PhoneError(f"has the calling code +{parsed.country_code}, not {dial_code}")
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return e164, f"+{parsed.country_code}"


def loose_phone(value: str) -> str:
    """A phone number used as a filter: E.164 when it parses as an international number."""
    try:
        parsed = phonenumbers.parse(value.strip(), None)
    except phonenumbers.NumberParseException:
        return value.strip()
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def check_metadata(value: dict[str, Any] | None, *, allow_null_values: bool = False) -> None:
    """Stripe's limits: at most 50 keys, keys up to 40 characters, values up to 500."""
    if value is None:
        return
    if len(value) > 50:
        raise ValueError("must have at most 50 keys")
    for key, item in value.items():
        if not key or len(key) > 40:
            raise ValueError(f"key {key[:40]!r} must be 1 to 40 characters")
        if item is None and allow_null_values:
            continue
        if isinstance(item, str):
            if len(item) > 500:
                raise ValueError(f"value of {key!r} must be at most 500 characters")
        elif isinstance(item, bool):
            continue
        elif isinstance(item, int):
            if not -(2**63) <= item < 2**63:
                raise ValueError(f"value of {key!r} must be a 64-bit integer")
        elif isinstance(item, float):
            if not math.isfinite(item):
                raise ValueError(f"value of {key!r} must be a finite number")
        else:
            raise ValueError(f"value of {key!r} must be a string, number or boolean")


def http_url(value: str) -> str:
    """An absolute http(s) URL with a host (a photo or a website), without spaces."""
    text = value.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http or https URL")
    if any(ch.isspace() for ch in text):
        raise ValueError("must be an absolute http or https URL")
    return text


def document_number(value: str) -> str:
    """A passport, licence or other document number: 5 to 30 letters and digits (spaces and
    hyphens are dropped). The value never appears in the message."""
    number = re.sub(r"[\s-]", "", value).upper()
    if not 5 <= len(number) <= 30 or not number.isascii() or not number.isalnum():
        raise ValueError("must be 5 to 30 letters and digits")
    return number
