from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from customerbase.kit.ids import uuid7
from customerbase.kit.time import utcnow
from customerbase.models.base import Base, UTCDateTime


class APIKey(Base):
    """A secret key of one organization and environment, stored only as its SHA-256 digest.

    Keys carry 238 bits of randomness, so a fast digest is the right tool: a slow password hash
    would only add latency to every request. Looked up by digest on every request, so this is
    a small table that a distributed deployment keeps as a reference table.
    """

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    environment: Mapped[str] = mapped_column(String(4))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # What a person may see of the key afterwards: "sk_test_...abcd".
    last4: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (Index(None, "organization_id", "environment"),)
