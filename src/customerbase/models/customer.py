from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from customerbase.kit.ids import uuid7
from customerbase.kit.time import utcnow
from customerbase.models.base import Base, JSONType, SearchText, UTCDateTime

# The folded search columns (see `customerbase.kit.search`), each with a tenant-scoped index.
SEARCH_COLUMNS = (
    "search_name",
    "search_middle",
    "search_last",
    "search_company",
    "search_email",
    "search_reference",
    "search_phone",
    "search_phone_national",
)
ERASED_SEARCH_COLUMNS = (*SEARCH_COLUMNS, "search_text")


class Customer(Base):
    """A customer of one organization, in one environment.

    The primary key and every unique index lead with `organization_id`, so that the table can be
    distributed by organization (Citus) without redesign. Identity numbers and the date of birth
    are stored only encrypted; `*_index` columns hold keyed blind indexes for lookup and
    uniqueness, `*_last4` the digits a response may show.
    """

    __tablename__ = "customers"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, default=uuid7)
    environment: Mapped[str] = mapped_column(String(4))
    reference: Mapped[str | None] = mapped_column(String(100))
    customer_type: Mapped[str] = mapped_column(String(16))
    first_name: Mapped[str | None] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    company_name: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    phone_number: Mapped[str | None] = mapped_column(String(20))
    dial_code: Mapped[str | None] = mapped_column(String(8))
    country: Mapped[str | None] = mapped_column(String(2))
    date_of_birth_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    gender: Mapped[str | None] = mapped_column(String(16))
    address: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    bvn_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    bvn_index: Mapped[str | None] = mapped_column(String(64))
    bvn_last4: Mapped[str | None] = mapped_column(String(4))
    nin_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    nin_index: Mapped[str | None] = mapped_column(String(64))
    nin_last4: Mapped[str | None] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(16), default="active")
    blacklisted: Mapped[bool] = mapped_column(Boolean, default=False)
    blacklist_reason: Mapped[str | None] = mapped_column(String(500))
    kyc_tier: Mapped[int] = mapped_column(Integer, default=0)
    kyc_status: Mapped[str] = mapped_column(String(16), default="not_started")
    # The hosted KYC page (see `customerbase.kyc`): the latest link issued, the terms of
    # service, and the reasons of the last rejection.
    kyc_link: Mapped[str | None] = mapped_column(String(500))
    tos_link: Mapped[str | None] = mapped_column(String(500))
    tos_status: Mapped[str] = mapped_column(String(16), default="pending")
    rejection_reasons: Mapped[list[str]] = mapped_column(JSONType, default=list)
    source: Mapped[str] = mapped_column(String(16), default="banking")
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    # The onboarding profile (issue 8). The tax id and the bank account number are stored only
    # encrypted, like the BVN; `bank_account` holds the rest of the account details.
    place_of_birth: Mapped[str | None] = mapped_column(String(100))
    educational_qualification: Mapped[str | None] = mapped_column(String(100))
    customer_category: Mapped[str | None] = mapped_column(String(100))
    onboarding_type: Mapped[str | None] = mapped_column(String(16))
    partner_date_registered: Mapped[str | None] = mapped_column(String(10))
    photo_url: Mapped[str | None] = mapped_column(String(2048))
    tin_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    tin_index: Mapped[str | None] = mapped_column(String(64))
    tin_last4: Mapped[str | None] = mapped_column(String(4))
    next_of_kin: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    bank_account: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    bank_account_number_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    bank_account_number_last4: Mapped[str | None] = mapped_column(String(4))
    business_registration_number: Mapped[str | None] = mapped_column(String(50))
    business_registration_date: Mapped[str | None] = mapped_column(String(10))
    industry: Mapped[str | None] = mapped_column(String(100))
    website: Mapped[str | None] = mapped_column(String(2048))
    operating_address: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # The current state of each consent type (the ledger is `customer_consents`).
    consents: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Blacklisted with `block_identifiers`: its identities are on the block list.
    identifiers_blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    blacklisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Sanctions screening (customerbase.screening): the status, the hits (dismissed ones kept,
    # so that they do not come back), and the lists' token screened against (NULL: not yet).
    screening_status: Mapped[str] = mapped_column(
        String(20), default="clear", server_default="clear"
    )
    screening_hits: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    screened_version: Mapped[str | None] = mapped_column(String(200))
    screened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Folded copies for search (names "first last", then each part; email; reference; phone
    # digits with and without the country code). Cleared with the rest on erasure.
    search_name: Mapped[str | None] = mapped_column(SearchText)
    search_middle: Mapped[str | None] = mapped_column(SearchText)
    search_last: Mapped[str | None] = mapped_column(SearchText)
    search_company: Mapped[str | None] = mapped_column(SearchText)
    search_email: Mapped[str | None] = mapped_column(SearchText)
    search_reference: Mapped[str | None] = mapped_column(SearchText)
    search_phone: Mapped[str | None] = mapped_column(SearchText)
    search_phone_national: Mapped[str | None] = mapped_column(SearchText)
    # Folded fields joined by U+001F, for substring search; its trigram index lives in the
    # migrations (pg_trgm GIN on PostgreSQL, an FTS5 trigram table on SQLite).
    search_text: Mapped[str | None] = mapped_column(
        String(1000).with_variant(String(1000, collation="C"), "postgresql")
    )

    __table_args__ = (
        PrimaryKeyConstraint("organization_id", "id"),
        # Uniqueness per organization and environment. Erasing a customer sets these to NULL,
        # and NULLs never collide, so an erased customer's email and reference become free.
        Index(None, "organization_id", "environment", "email", unique=True),
        Index(None, "organization_id", "environment", "reference", unique=True),
        Index(None, "organization_id", "environment", "bvn_index", unique=True),
        Index(None, "organization_id", "environment", "nin_index", unique=True),
        Index(None, "organization_id", "environment", "tin_index", unique=True),
        # Listing: newest first within a tenant (ids are time-ordered).
        Index(None, "organization_id", "environment", "id"),
        Index(None, "organization_id", "environment", "phone_number"),
        Index(None, "organization_id", "environment", "created_at"),
        *(Index(None, "organization_id", "environment", name) for name in SEARCH_COLUMNS),
        # Continuous screening finds the customers screened against older lists.
        Index(None, "screened_version"),
    )
