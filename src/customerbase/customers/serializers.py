"""The customer object as the API shows it: identity numbers and date of birth masked.

Built as plain dicts (rendered by orjson): a pydantic model per row costs a list endpoint
30-50% of its throughput on this hardware (see shared/PERFORMANCE-NOTES.md).
"""

from __future__ import annotations

import uuid
from typing import Any

from customerbase.kit.crypto import Vault
from customerbase.kit.fastdb import Row, decode_json, decode_timestamp, decode_uuid
from customerbase.kit.time import isoformat
from customerbase.models import Customer
from customerbase.screening.service import public_hits


def _masked(last4: str | None) -> str | None:
    return f"*******{last4}" if last4 else None


def customer_to_dict(customer: Customer, vault: Vault) -> dict[str, Any]:
    """The customer object from an ORM customer (the write paths): the same rendering as a
    row of the fast path, so that the two cannot drift apart."""
    row = {name: getattr(customer, _ATTRIBUTES.get(name, name)) for name in RESPONSE_COLUMNS}
    return row_to_dict(row, vault, customer.organization_id)


# --- From a raw row (the fast path) -------------------------------------------------------

# The columns a response needs, in the order `SELECT` lists them.
RESPONSE_COLUMNS = (
    "id",
    "organization_id",
    "environment",
    "reference",
    "customer_type",
    "first_name",
    "middle_name",
    "last_name",
    "company_name",
    "email",
    "phone_number",
    "dial_code",
    "country",
    "date_of_birth_encrypted",
    "gender",
    "address",
    "bvn_last4",
    "nin_last4",
    "status",
    "blacklisted",
    "blacklist_reason",
    "kyc_tier",
    "kyc_status",
    "screening_status",
    "screening_hits",
    "kyc_link",
    "tos_link",
    "tos_status",
    "rejection_reasons",
    "source",
    "metadata",
    "created_at",
    "updated_at",
    "archived_at",
    # The onboarding profile (issue 8).
    "place_of_birth",
    "educational_qualification",
    "customer_category",
    "onboarding_type",
    "partner_date_registered",
    "photo_url",
    "tin_last4",
    "next_of_kin",
    "bank_account",
    "bank_account_number_last4",
    "business_registration_number",
    "business_registration_date",
    "industry",
    "website",
    "operating_address",
    "consents",
    "identifiers_blocked",
)


# Columns whose ORM attribute has another name (`metadata` is reserved by SQLAlchemy).
_ATTRIBUTES = {"metadata": "metadata_"}


def _ts(value: Any) -> str | None:
    return isoformat(decode_timestamp(value))


def row_to_dict(row: Row, vault: Vault, organization_id: uuid.UUID) -> dict[str, Any]:
    """The customer object from a row of `RESPONSE_COLUMNS` of the caller's own tenant (the
    date of birth decrypts under `organization_id`). Identity numbers are masked to their last
    four digits; only the year of birth is shown: enough to see an age band, not to
    impersonate."""
    customer_type = row["customer_type"]
    company_name = row["company_name"]
    if customer_type == "business" and company_name:
        name: str | None = company_name
    else:
        parts = (row["first_name"], row["middle_name"], row["last_name"])
        name = " ".join(part for part in parts if part) or None
    dob = row["date_of_birth_encrypted"]
    if dob is not None:
        value = vault.decrypt(bytes(dob), organization_id=organization_id, field="date_of_birth")
        dob = f"{value[:4]}-**-**"
    return {
        "id": decode_uuid(row["id"]),
        "organization_id": str(organization_id),
        "environment": row["environment"],
        "reference": row["reference"],
        "customer_type": customer_type,
        "first_name": row["first_name"],
        "middle_name": row["middle_name"],
        "last_name": row["last_name"],
        "full_name": name,
        "company_name": company_name,
        "email": row["email"],
        "phone_number": row["phone_number"],
        "dial_code": row["dial_code"],
        "country": row["country"],
        "date_of_birth": dob,
        "gender": row["gender"],
        "address": decode_json(row["address"]),
        "bvn": _masked(row["bvn_last4"]),
        "nin": _masked(row["nin_last4"]),
        "status": row["status"],
        "blacklisted": bool(row["blacklisted"]),
        "blacklist_reason": row["blacklist_reason"],
        "kyc_tier": row["kyc_tier"],
        "kyc_status": row["kyc_status"],
        "screening_status": row["screening_status"],
        "screening_hits": public_hits(decode_json(row["screening_hits"])),
        "kyc_link": row["kyc_link"],
        "tos_link": row["tos_link"],
        "tos_status": row["tos_status"],
        "rejection_reasons": decode_json(row["rejection_reasons"]) or [],
        "source": row["source"],
        "metadata": decode_json(row["metadata"]),
        "created_at": _ts(row["created_at"]),
        "updated_at": _ts(row["updated_at"]),
        "archived_at": _ts(row["archived_at"]),
        "place_of_birth": row["place_of_birth"],
        "educational_qualification": row["educational_qualification"],
        "customer_category": row["customer_category"],
        "onboarding_type": row["onboarding_type"],
        "partner_date_registered": row["partner_date_registered"],
        "photo_url": row["photo_url"],
        "tax_identification_number": _masked(row["tin_last4"]),
        "next_of_kin": decode_json(row["next_of_kin"]),
        "bank_account": _bank_account(row),
        "business_registration_number": row["business_registration_number"],
        "business_registration_date": row["business_registration_date"],
        "industry": row["industry"],
        "website": row["website"],
        "operating_address": decode_json(row["operating_address"]),
        "consents": decode_json(row["consents"]) or {},
        "identifiers_blocked": bool(row["identifiers_blocked"]),
    }


def _bank_account(row: Row) -> dict[str, Any] | None:
    """The bank account with its number masked to the last four digits."""
    account = decode_json(row["bank_account"])
    if account is None:
        return None
    last4 = row["bank_account_number_last4"]
    return {**account, "account_number": f"******{last4}" if last4 else None}
