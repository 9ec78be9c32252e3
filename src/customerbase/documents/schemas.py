"""Request schemas of the documents API. Responses are plain dicts (`serializers`)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)


class DocumentType(enum.StrEnum):
    passport = "passport"
    national_id = "national_id"
    drivers_license = "drivers_license"
    voters_card = "voters_card"
    nin_slip = "nin_slip"
    utility_bill = "utility_bill"
    bank_statement = "bank_statement"
    cac_certificate = "cac_certificate"
    memart = "memart"
    selfie = "selfie"
    other = "other"


# What KYC tiers ask for: a government-issued identity document, and a proof of address.
GOVERNMENT_ID_TYPES = frozenset(
    {
        DocumentType.passport,
        DocumentType.national_id,
        DocumentType.drivers_license,
        DocumentType.voters_card,
        DocumentType.nin_slip,
    }
)
PROOF_OF_ADDRESS_TYPES = frozenset({DocumentType.utility_bill, DocumentType.bank_statement})


class DocumentStatus(enum.StrEnum):
    pending_review = "pending_review"
    verified = "verified"
    rejected = "rejected"


# Spellings the providers' clients send for our types (Advancly's document_type_code is free
# text in its documentation): compared after lower-casing and turning spaces and dashes into _.
DOCUMENT_TYPE_ALIASES = {
    "international_passport": "passport",
    "intl_passport": "passport",
    "national_id_card": "national_id",
    "national_identity_card": "national_id",
    "nin": "nin_slip",
    "nin_card": "nin_slip",
    "drivers_licence": "drivers_license",
    "driver_license": "drivers_license",
    "driver_licence": "drivers_license",
    "driving_license": "drivers_license",
    "driving_licence": "drivers_license",
    "voter_card": "voters_card",
    "voters_id": "voters_card",
    "pvc": "voters_card",
    "utility": "utility_bill",
    "proof_of_address": "utility_bill",
    "statement_of_account": "bank_statement",
    "cac": "cac_certificate",
    "certificate_of_incorporation": "cac_certificate",
    "memorandum_and_articles_of_association": "memart",
    "mem_art": "memart",
    "photo": "selfie",
    "passport_photograph": "selfie",
}


def normalize_document_type(value: Any) -> Any:
    if isinstance(value, str):
        key = value.strip().lower().replace(" ", "_").replace("-", "_")
        return DOCUMENT_TYPE_ALIASES.get(key, key)
    return value


DocumentTypeIn = Annotated[DocumentType, BeforeValidator(normalize_document_type)]
Filename = Annotated[str, StringConstraints(max_length=255)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# Pairs of (canonical name, Advancly's name) for the same value.
UPLOAD_NAME_PAIRS = (
    ("document_type", "document_type_code"),
    ("content_base64", "base64_file_string"),
    ("filename", "filename_with_extension"),
)


class DocumentUpload(_Strict):
    """A document sent as JSON, its file base64-encoded. Advancly's names
    (`document_type_code`, `base64_file_string`, `filename_with_extension`) are accepted for
    the canonical ones; send one name of each pair."""

    document_type: DocumentTypeIn | None = None
    document_type_code: DocumentTypeIn | None = None
    content_base64: str | None = Field(
        default=None, description="The file, base64-encoded (a data: URL prefix is allowed)"
    )
    base64_file_string: str | None = None
    filename: Filename | None = None
    filename_with_extension: Filename | None = None

    @property
    def kind(self) -> DocumentType | None:
        return self.document_type or self.document_type_code

    @property
    def type_field(self) -> str:
        return "document_type_code" if self.document_type_code else "document_type"

    @property
    def content(self) -> str | None:
        return self.content_base64 if self.content_base64 is not None else self.base64_file_string

    @property
    def content_field(self) -> str:
        return "base64_file_string" if self.base64_file_string is not None else "content_base64"

    @property
    def name(self) -> str | None:
        return self.filename or self.filename_with_extension


class ReviewRequest(_Strict):
    """The outcome of a review (by an operator, or by a KYC check)."""

    status: DocumentStatus
    reasons: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=10
    )


class DocumentOut(BaseModel):
    """The document object (documentation of the response; responses are built as dicts)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    customer_id: str
    person_id: str | None
    document_type: DocumentType
    filename: str | None
    content_type: str = Field(description="application/pdf, image/jpeg or image/png")
    size_bytes: int
    sha256: str = Field(description="SHA-256 of the file, hex")
    status: DocumentStatus
    review_reasons: list[str]
    reviewed_at: datetime | None
    created_at: datetime
    updated_at: datetime
