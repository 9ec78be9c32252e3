from __future__ import annotations

from sqlalchemy import ForeignKeyConstraint, Integer, PrimaryKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from customerbase.models.base import Base


class WatchlistAlias(Base):
    """Another name of a watchlist entry (OFAC's alt.csv, the UN's ALIAS elements)."""

    __tablename__ = "watchlist_aliases"

    list_name: Mapped[str] = mapped_column(String(32))
    entry_id: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(500))
    alias_type: Mapped[str | None] = mapped_column(String(32))  # aka, fka, nka; good, low

    __table_args__ = (
        PrimaryKeyConstraint("list_name", "entry_id", "position"),
        ForeignKeyConstraint(
            ["list_name", "entry_id"],
            ["watchlist_entries.list_name", "watchlist_entries.entry_id"],
            ondelete="CASCADE",
        ),
    )
