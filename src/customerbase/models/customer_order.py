from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from customerbase.models.base import Base, JSONType, UTCDateTime


class CustomerOrder(Base):
    """One of a customer's orders as Advancly loads them (for credit decisions). Amounts in
    the order currency's minor units; the item as sent is kept in `data`."""

    __tablename__ = "customer_orders"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("organizations.id", ondelete="CASCADE")
    )
    environment: Mapped[str] = mapped_column(String(4))
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    order_id: Mapped[str] = mapped_column(String(100))
    currency: Mapped[str] = mapped_column(String(3))
    order_amount: Mapped[int] = mapped_column(BigInteger)
    order_date: Mapped[datetime] = mapped_column(UTCDateTime)
    is_credit: Mapped[bool] = mapped_column(Boolean)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index(None, "organization_id", "environment", "customer_id", "order_id", unique=True),
    )
