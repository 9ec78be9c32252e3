from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from customerbase.models.base import Base, JSONType, UTCDateTime


class WebhookEndpoint(Base):
    """A URL that receives signed deliveries of the events it subscribes to.

    `secret` (and, during a rotation, `previous_secret` until `previous_secret_expires_at`) is
    the `whsec_...` signing secret, encrypted with the vault (bound to the organization and to
    the column); it is shown once, when created or rotated. `failing_since` is the time of the
    first failure since the last success: five days of it disable the endpoint.
    """

    __tablename__ = "webhook_endpoints"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    environment: Mapped[str] = mapped_column(String(4))
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(String(500))
    events: Mapped[list[str]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16))  # "enabled" | "disabled"
    disabled_reason: Mapped[str | None] = mapped_column(String(32))
    secret: Mapped[bytes] = mapped_column(LargeBinary)
    previous_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index(None, "organization_id", "environment", "id"),)
