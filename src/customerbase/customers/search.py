"""What a customer is found by: the folded search columns and the `q` condition over them.

`q` matches, case- and accent-insensitively, a prefix of the full name ("first last"), of the
first, middle or last name alone, of the company name, the email or the reference; and, for a
phone-like query of at least four digits (one trunk 0 dropped), a prefix of the phone number's
digits with or without its country code. A query of three characters or more also matches
inside the names, the email and the reference (`williams` in "Adebayo-Williams", an email's
domain), through a trigram index on both databases.
"""

from __future__ import annotations

from customerbase.kit.search import (
    fold,
    phone_search_digits,
)
from customerbase.models import Customer


def search_values(
    *,
    first_name: str | None,
    middle_name: str | None,
    last_name: str | None,
    company_name: str | None,
    email: str | None,
    reference: str | None,
    phone_number: str | None,
) -> dict[str, str | None]:
    whole = " ".join(part for part in (first_name, last_name) if part) or None
    phone, national = phone_search_digits(phone_number)
    return {
        "search_name": fold(whole),
        "search_middle": fold(middle_name),
        "search_last": fold(last_name),
        "search_company": fold(company_name),
        "search_email": fold(email),
        "search_reference": fold(reference),
        "search_phone": phone,
        "search_phone_national": national,
    }


SEPARATOR = "\x1f"  # between fields: a query (folded, so never holding it) cannot span two


def search_text_of(
    *,
    first_name: str | None,
    middle_name: str | None,
    last_name: str | None,
    company_name: str | None,
    email: str | None,
    reference: str | None,
) -> str | None:
    """The folded text that substring search looks inside: the full name (first middle last),
    the company name, the email and the reference."""
    whole = " ".join(part for part in (first_name, middle_name, last_name) if part)
    fields = (fold(value) for value in (whole or None, company_name, email, reference))
    return SEPARATOR.join(field for field in fields if field) or None


_TEXT_FIELDS = ("first_name", "middle_name", "last_name", "company_name", "email", "reference")


def refresh_search(customer: Customer) -> None:
    """Recompute the search columns from the customer's current fields."""
    fields = {name: getattr(customer, name) for name in _TEXT_FIELDS}
    values = search_values(**fields, phone_number=customer.phone_number)
    values["search_text"] = search_text_of(**fields)
    for name, value in values.items():
        setattr(customer, name, value)
