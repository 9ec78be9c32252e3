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


def full_name(customer: Customer) -> str | None:
    if customer.customer_type == "business" and customer.company_name:
        return customer.company_name
    parts = [customer.first_name, customer.middle_name, customer.last_name]
    name = " ".join(part for part in parts if part)
    return name or None


def _masked(last4: str | None) -> str | None:
    return f"*******{last4}" if last4 else None


def masked_date_of_birth(customer: Customer, vault: Vault) -> str | None:
    """Only the year of birth is shown: enough to see an age band, not to impersonate."""
    if customer.date_of_birth_encrypted is None:
        return None
    value = vault.decrypt(
        customer.date_of_birth_encrypted,
        organization_id=customer.organization_id,
        field="date_of_birth",
    )
    return f"{value[:4]}-**-**"


def customer_to_dict(customer: Customer, vault: Vault) -> dict[str, Any]:
    return {
        "id": str(customer.id),
        "organization_id": str(customer.organization_id),
        "environment": customer.environment,
        "reference": customer.reference,
        "customer_type": customer.customer_type,
        "first_name": customer.first_name,
        "middle_name": customer.middle_name,
        "last_name": customer.last_name,
        "full_name": full_name(customer),
        "company_name": customer.company_name,
        "email": customer.email,
        "phone_number": customer.phone_number,
        "dial_code": customer.dial_code,
        "country": customer.country,
        "date_of_birth": masked_date_of_birth(customer, vault),
        "gender": customer.gender,
        "address": customer.address,
        "bvn": _masked(customer.bvn_last4),
        "nin": _masked(customer.nin_last4),
        "status": customer.status,
        "blacklisted": customer.blacklisted,
        "blacklist_reason": customer.blacklist_reason,
        "kyc_tier": customer.kyc_tier,
        "kyc_status": customer.kyc_status,
        "source": customer.source,
        "metadata": customer.metadata_,
        "created_at": isoformat(customer.created_at),
        "updated_at": isoformat(customer.updated_at),
        "archived_at": isoformat(customer.archived_at),
    }


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
    "source",
    "metadata",
    "created_at",
    "updated_at",
    "archived_at",
)


def _ts(value: Any) -> str | None:
    return isoformat(decode_timestamp(value))


def row_to_dict(row: Row, vault: Vault, organization_id: uuid.UUID) -> dict[str, Any]:
    """The customer object from a row of `RESPONSE_COLUMNS` of the caller's own tenant (the
    date of birth decrypts under `organization_id`)."""
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
        "source": row["source"],
        "metadata": decode_json(row["metadata"]),
        "created_at": _ts(row["created_at"]),
        "updated_at": _ts(row["updated_at"]),
        "archived_at": _ts(row["archived_at"]),
    }
