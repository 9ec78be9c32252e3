from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from customerbase.models.base import Base, JSONType, UTCDateTime


class CustomerStock(Base):
    """One product's stock on one date, as Advancly loads it. Prices in minor units."""

    __tablename__ = "customer_stock"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    environment: Mapped[str] = mapped_column(String(4))
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    product_id: Mapped[str] = mapped_column(String(100))
    date: Mapped[datetime] = mapped_column(UTCDateTime)
    product_category: Mapped[str | None] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    available_quantity: Mapped[int] = mapped_column(BigInteger)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index(
            None,
            "organization_id",
            "environment",
            "customer_id",
            "product_id",
            "date",
            unique=True,
        ),
    )
