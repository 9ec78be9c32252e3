from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from customerbase.models.base import Base, JSONType, UTCDateTime


class Document(Base):
    """A file a customer (or one of a business customer's people) handed over: an identity
    document, a proof of address, a certificate.

    The file itself is in the object store, sealed with its own data key; this row holds that
    key wrapped by the master key (`wrapped_key`), so deleting the row makes the object
    unreadable even before the object is removed. The original file name is personal data
    (it often is the person's name) and is stored encrypted. `status` is the review state:
    `pending_review`, `verified` or `rejected` (with `review_reasons`).
    """

    __tablename__ = "documents"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid)
    environment: Mapped[str] = mapped_column(String(4))
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    person_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    document_type: Mapped[str] = mapped_column(String(32))
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    filename_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    wrapped_key: Mapped[bytes] = mapped_column(LargeBinary)
    storage_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    review_reasons: Mapped[list[Any] | None] = mapped_column(JSONType)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        PrimaryKeyConstraint("organization_id", "id"),
        ForeignKeyConstraint(
            ["organization_id", "customer_id"],
            ["customers.organization_id", "customers.id"],
            ondelete="CASCADE",
        ),
        # A person's documents go before the person does (see documents.service).
        ForeignKeyConstraint(
            ["organization_id", "person_id"],
            ["customer_people.organization_id", "customer_people.id"],
        ),
        Index(None, "organization_id", "environment", "customer_id", "id"),
    )
