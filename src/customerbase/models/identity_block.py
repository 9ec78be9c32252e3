from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from customerbase.kit.ids import uuid7
from customerbase.kit.time import utcnow
from customerbase.models.base import Base, UTCDateTime


class IdentityBlock(Base):
    """An identity that may not be onboarded again: the blind index (never the value) of a BVN,
    NIN, email or phone number of a blacklisted customer that was erased.

    Erasure removes the personal data, but a blacklist must outlive it: otherwise erasing a
    blacklisted customer would let the same person back in clean. An operator lifts a block
    with `customerbase blocks lift`.
    """

    __tablename__ = "identity_blocks"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    environment: Mapped[str] = mapped_column(String(4))
    kind: Mapped[str] = mapped_column(String(16))  # bvn, nin, email, phone_number
    blind_index: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index(None, "organization_id", "environment", "kind", "blind_index", unique=True),
    )
