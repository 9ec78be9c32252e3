"""Where each field of Advancly's two onboarding calls lives in the canonical API.

`onboard_individual` and `onboard_corporate` send flat bodies; the canonical API nests the
next of kin, the bank account and the address. `FIELDS` maps each Advancly field to its
canonical dotted path; `to_canonical` builds a canonical `POST /v1/customers` body from an
Advancly one (the dialects layer can use it). The people of `corporate_customer_people` are
accepted by the canonical API as they are (see `customers.schemas.PersonCreate`).
"""

from __future__ import annotations

from typing import Any

# Advancly field -> canonical dotted path (in the POST /v1/customers body).
FIELDS: dict[str, str] = {
    "first_name": "first_name",
    "last_name": "last_name",
    "gender": "gender",
    "date_of_birth": "date_of_birth",
    "educational_qualification": "educational_qualification",
    "customer_unique_identifier": "reference",
    "next_of_kin_first_name": "next_of_kin.first_name",
    "next_of_kin_last_name": "next_of_kin.last_name",
    "next_of_kin_email": "next_of_kin.email",
    "next_of_kin_phone_number": "next_of_kin.phone_number",
    "next_of_kin_gender": "next_of_kin.gender",
    "relationship_with_next_kin": "next_of_kin.relationship",
    "next_of_kin_dial_code": "next_of_kin.dial_code",
    "next_of_kin_street": "next_of_kin.address.street",
    "next_of_kin_city": "next_of_kin.address.city",
    "next_of_kin_state": "next_of_kin.address.state",
    "next_of_kin_country": "next_of_kin.address.country",
    "phone_number": "phone_number",
    "email": "email",
    "bank_code": "bank_account.bank_code",
    "bank_account_number": "bank_account.account_number",
    "bank_account_name": "bank_account.account_name",
    "bank_name": "bank_account.bank_name",
    "routing_number": "bank_account.routing_number",
    "swift_code": "bank_account.swift_code",
    "address": "address.street",
    "postal_code": "address.postal_code",
    "city": "address.city",
    "state": "address.state",
    "country_code": "country",
    "customer_category": "customer_category",
    "customer_onboarding_type": "onboarding_type",
    "partner_date_registered": "partner_date_registered",
    "tax_identification_number": "tax_identification_number",
    "photo_url": "photo_url",
    "company_name": "company_name",
    "business_registration_number": "business_registration_number",
    "business_registration_date": "business_registration_date",
    "corporate_customer_people": "people",
}

# Advancly fields whose home is another part of customerbase.
ELSEWHERE: dict[str, str] = {
    "customer_documents": "documents: inline on create and /v1/customers/{id}/documents",
    "create_wallet": "accounts: a wallet per customer",
}


def to_canonical(body: dict[str, Any], *, corporate: bool) -> dict[str, Any]:
    """The canonical create body for an Advancly onboarding body ("" means absent)."""
    result: dict[str, Any] = {"customer_type": "business" if corporate else "individual"}
    for field, value in body.items():
        path = FIELDS.get(field)
        if path is None or value == "" or value is None:
            continue
        target = result
        *parents, leaf = path.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
        target[leaf] = value
    return result
