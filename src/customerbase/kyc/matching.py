"""Matching an identity record against the customer: names in any order, case and diacritics
ignored, scored with rapidfuzz against a threshold; the date of birth exactly; the phone
number as E.164."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

import phonenumbers
from rapidfuzz import fuzz

_NOT_LETTERS = re.compile(r"[^\w]+")


def fold_name(value: str) -> list[str]:
    """The tokens of a name: decomposed, without marks, case-folded, punctuation dropped."""
    decomposed = unicodedata.normalize("NFKD", value)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return [token for token in _NOT_LETTERS.split(bare.replace("_", " ")) if token]


def name_score(claimed: list[str | None], record: list[str | None]) -> float:
    """0-100: how well the claimed names match the record's, in any order. A middle name that
    only one side has does not count against the match: the best of the comparison with and
    without middle names wins."""

    def joined(parts: list[str | None]) -> str:
        return " ".join(token for part in parts if part for token in fold_name(part))

    full = fuzz.token_sort_ratio(joined(claimed), joined(record))
    first_last = fuzz.token_sort_ratio(
        joined([claimed[0], claimed[-1]]), joined([record[0], record[-1]])
    )
    # The claimed first and last name against any two of the record's names (a record that
    # holds three names, the customer two).
    return float(max(full, first_last))


def e164(value: str | None, region: str = "NG") -> str | None:
    if not value:
        return None
    try:
        number = phonenumbers.parse(value, None if value.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@dataclass(frozen=True, slots=True)
class FieldResult:
    status: str  # verified | failed
    reason: str | None = None


@dataclass(slots=True)
class MatchResult:
    score: float
    fields: dict[str, FieldResult] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        return all(result.status == "verified" for result in self.fields.values())

    def reasons(self) -> list[str]:
        return [r.reason for r in self.fields.values() if r.reason and r.status == "failed"]


def match_identity(
    *,
    claimed_names: list[str | None],
    claimed_dob: date | None,
    claimed_phone: str | None,
    record_names: list[str | None],
    record_dob: date | None,
    record_phone: str | None,
    label: str,
    threshold: float,
) -> MatchResult:
    score = name_score(claimed_names, record_names)
    result = MatchResult(score=round(score, 1))
    if score >= threshold:
        result.fields["name"] = FieldResult("verified")
    else:
        result.fields["name"] = FieldResult(
            "failed",
            f"the name does not match the {label} record"
            f" (score {score:.0f}, needs {threshold:.0f})",
        )
    if claimed_dob is not None and record_dob is not None and claimed_dob == record_dob:
        result.fields["date_of_birth"] = FieldResult("verified")
    else:
        result.fields["date_of_birth"] = FieldResult(
            "failed", f"the date of birth does not match the {label} record"
        )
    record_e164 = e164(record_phone)
    if record_e164 is None or record_e164 == e164(claimed_phone):
        result.fields["phone_number"] = FieldResult("verified")
    else:
        result.fields["phone_number"] = FieldResult(
            "failed", f"the phone number does not match the {label} record"
        )
    return result
