from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from customerbase.kit.time import utcnow
from customerbase.models.base import Base, JSONType, UTCDateTime


class WatchlistEntry(Base):
    """A sanctioned person, organization, vessel or aircraft of one list.

    `entry_hash` digests everything the list says about the entry (names, aliases, programs,
    remarks): a dismissed screening hit comes back only when it changes."""

    __tablename__ = "watchlist_entries"

    list_name: Mapped[str] = mapped_column(
        String(32), ForeignKey("watchlists.list_name", ondelete="CASCADE")
    )
    entry_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # person | organization | vessel | aircraft
    name: Mapped[str] = mapped_column(String(500))
    programs: Mapped[str | None] = mapped_column(String(500))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    entry_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (PrimaryKeyConstraint("list_name", "entry_id"),)
