from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from customerbase.models.base import Base, JSONType, UTCDateTime


class Event(Base):
    """Something that happened, written in the same transaction as the change it records: the
    event log of the API and the outbox that webhook delivery reads (nothing is sent from inside
    the transaction, and nothing committed can be lost before it is sent).

    `data` is `{"object": <the object as the API returns it>, "changes": {...}}`: masked like
    a response, never an identity number, a date of birth or a document.
    """

    __tablename__ = "events"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    environment: Mapped[str] = mapped_column(String(4))
    type: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    api_version: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the webhook worker fanned the event out to its deliveries (NULL: not yet).
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (
        Index(None, "organization_id", "environment", "id"),
        Index(None, "organization_id", "environment", "customer_id", "id"),
        Index(None, "organization_id", "environment", "type", "id"),
        Index(
            "ix_events_undispatched",
            "id",
            postgresql_where=text("dispatched_at IS NULL"),
            sqlite_where=text("dispatched_at IS NULL"),
        ),
    )
