from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from customerbase.models.base import Base, JSONType, UTCDateTime


class KycCheck(Base):
    """One verification done for a customer's KYC: an identity-number look-up at a provider
    (`bvn`, `nin`) or a document review (`document`). Kept whatever its result, so that every
    refusal can be explained later. `details` holds the per-field outcome (name, date of birth,
    phone), never the identity number or the record the provider returned."""

    __tablename__ = "kyc_checks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    environment: Mapped[str] = mapped_column(String(4))
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    check_type: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(32))
    tier: Mapped[int] = mapped_column(Integer)
    result: Mapped[str] = mapped_column(String(16))  # verified | failed | pending
    score: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSONType)
    details: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index(None, "organization_id", "environment", "customer_id", "id"),)
