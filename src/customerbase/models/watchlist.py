"""Watchlists (sanctions lists): global, not per organization."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from customerbase.kit.time import utcnow
from customerbase.models.base import Base, UTCDateTime


class Watchlist(Base):
    """One imported list (`ofac_sdn`, `un_consolidated`) and its version.

    `version` grows by one on every import that changed an entry; `token` is new on every such
    import, so that a process sees that its in-memory index is stale with one short read, and
    customers screened against an older token are screened again."""

    __tablename__ = "watchlists"

    list_name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    token: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[str] = mapped_column(String(64))
    entry_count: Mapped[int] = mapped_column(Integer, default=0)
    alias_count: Mapped[int] = mapped_column(Integer, default=0)
    source: Mapped[str | None] = mapped_column(String(300))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
