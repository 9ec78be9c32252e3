from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from customerbase.kit.ids import uuid7
from customerbase.kit.time import utcnow
from customerbase.models.base import Base, UTCDateTime


class Organization(Base):
    """A platform using customerbase: the tenant. Every other row belongs to one."""

    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
