"""Search text: one normalisation, done in Python, so that SQLite and PostgreSQL give the same
answers. Stored values and queries both go through `fold`: case-folded, compatibility-decomposed
(NFKD), combining marks removed, whitespace collapsed. "Ṣadé Ẹniọlá" is stored "sade eniola"
and found by "Ṣadé", "ṣa", "sade" or "ENIOLA"; "Müller" by "muller".

Prefixes are matched with explicit bounds (`col >= q AND col < upper(q)`) over columns compared
byte-wise (binary collation on both databases), so that a B-tree index serves them and a generic
plan stays right.
"""

from __future__ import annotations

import unicodedata

import phonenumbers

# A search column holds at most this many characters: a longer query cannot match.
MAX_SEARCH_LENGTH = 200
MIN_PHONE_DIGITS = 4


def fold(value: str | None) -> str | None:
    if value is None:
        return None
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Casefolding can recompose nothing, but NFKD of some letters yields spacing forms: NFC
    # gives the canonical shape back without the marks we removed.
    text = " ".join(unicodedata.normalize("NFC", stripped).split())
    return text[:MAX_SEARCH_LENGTH] or None


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string that starts with `prefix` (code point
    order, which is UTF-8 byte order)."""
    last = ord(prefix[-1])
    if last >= 0x10FFFF:
        return prefix + "\U0010ffff"
    if 0xD7FF < last + 1 < 0xE000:  # skip the surrogate block
        return prefix[:-1] + "\ue000"
    return prefix[:-1] + chr(last + 1)


def phone_search_digits(e164: str | None) -> tuple[str | None, str | None]:
    """(all digits, national significant digits) of a stored E.164 number."""
    if not e164:
        return None, None
    digits = e164.lstrip("+")
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return digits, None
    return digits, phonenumbers.national_significant_number(parsed)


def phone_query_digits(text: str) -> str | None:
    """The digits to look for in phone numbers, or None when `text` is not a phone query.

    Only a phone-like text (digits, spaces, '+', '-', '(', ')') counts. One national trunk
    prefix may be dropped (the leading 0 of a local number such as 0803...); no other zero is.
    Fewer than four digits match nothing by phone: "2" would match nearly everyone.
    """
    if not text or not all(ch.isdigit() or ch in "+-() " for ch in text):
        return None
    digits = "".join(ch for ch in text if ch.isascii() and ch.isdigit())
    if not text.lstrip().startswith("+") and digits.startswith("0"):
        digits = digits[1:]
    return digits if len(digits) >= MIN_PHONE_DIGITS else None
