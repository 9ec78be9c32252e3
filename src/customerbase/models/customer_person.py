from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from customerbase.kit.ids import uuid7
from customerbase.kit.time import utcnow
from customerbase.models.base import Base, JSONType, UTCDateTime


class CustomerPerson(Base):
    """A person attached to a business customer: director, shareholder, beneficial owner or
    authorised user (one person may hold several roles).

    The identity number, tax id and date of birth are stored only encrypted. Ownership is kept
    in hundredths of a percent (0 to 10,000), so that the business total is an exact integer
    sum; the customer row is locked while it is checked.
    """

    __tablename__ = "customer_people"

    organization_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, default=uuid7)
    environment: Mapped[str] = mapped_column(String(4))
    customer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    first_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(320))
    phone_number: Mapped[str | None] = mapped_column(String(20))
    gender: Mapped[str | None] = mapped_column(String(16))
    date_of_birth_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    nationality: Mapped[str | None] = mapped_column(String(2))
    address: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    identity_type: Mapped[str | None] = mapped_column(String(32))
    identity_number_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    identity_number_last4: Mapped[str | None] = mapped_column(String(4))
    tin_encrypted: Mapped[bytes | None] = mapped_column(LargeBinary)
    tin_last4: Mapped[str | None] = mapped_column(String(4))
    educational_qualification: Mapped[str | None] = mapped_column(String(100))
    person_types: Mapped[list[str]] = mapped_column(JSONType)
    ownership_basis_points: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        PrimaryKeyConstraint("organization_id", "id"),
        ForeignKeyConstraint(
            ["organization_id", "customer_id"],
            ["customers.organization_id", "customers.id"],
            ondelete="CASCADE",
        ),
        Index(None, "organization_id", "environment", "customer_id", "id"),
    )
