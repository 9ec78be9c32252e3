"""Queries over customers. Every query is scoped by organization and environment; a repository
runs queries and nothing else (no commits, no events)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from customerbase.models import Customer


@dataclass(frozen=True, slots=True)
class Scope:
    organization_id: uuid.UUID
    environment: str


@dataclass(slots=True)
class CustomerFilter:
    """Normalised filters; `None` means "any"."""

    email: str | None = None
    phone_number: str | None = None
    customer_type: str | None = None
    statuses: tuple[str, ...] = ("active", "archived")
    blacklisted: bool | None = None
    kyc_tier: int | None = None
    source: str | None = None
    reference: str | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None  # exclusive upper bound
    search: str | None = None  # the raw `q`; `search.search_condition` folds it


class CustomerRepository:
    def __init__(self, session: AsyncSession, scope: Scope) -> None:
        self.session = session
        self.scope = scope

    def _base(self) -> Select[Customer]:
        return select(Customer).where(
            Customer.organization_id == self.scope.organization_id,
            Customer.environment == self.scope.environment,
        )

    async def get_by_id(
        self, customer_id: uuid.UUID, *, for_update: bool = False
    ) -> Customer | None:
        statement = self._base().where(Customer.id == customer_id)
        if for_update:
            statement = statement.with_for_update()
        return await self.session.scalar(statement)

    async def get_by_reference(self, reference: str) -> Customer | None:
        return await self.session.scalar(self._base().where(Customer.reference == reference))

    async def get_by_email(self, email: str) -> Customer | None:
        return await self.session.scalar(self._base().where(Customer.email == email))

    async def find_conflict(
        self,
        *,
        email: str | None,
        reference: str | None,
        bvn_index: str | None,
        nin_index: str | None,
        tin_index: str | None = None,
        exclude_id: uuid.UUID | None = None,
    ) -> tuple[str, uuid.UUID] | None:
        """The first unique field already taken in this tenant, and who holds it."""
        checks = [
            ("email", Customer.email, email),
            ("reference", Customer.reference, reference),
            ("bvn", Customer.bvn_index, bvn_index),
            ("nin", Customer.nin_index, nin_index),
            ("tax_identification_number", Customer.tin_index, tin_index),
        ]
        conditions = [column == value for _, column, value in checks if value is not None]
        if not conditions:
            return None
        statement = (
            select(
                Customer.id,
                Customer.email,
                Customer.reference,
                Customer.bvn_index,
                Customer.nin_index,
                Customer.tin_index,
            )
            .where(
                Customer.organization_id == self.scope.organization_id,
                Customer.environment == self.scope.environment,
                or_(*conditions),
            )
            .limit(5)
        )
        if exclude_id is not None:
            statement = statement.where(Customer.id != exclude_id)
        rows = (await self.session.execute(statement)).all()
        for name, _, value in checks:
            if value is None:
                continue
            for row in rows:
                held = {
                    "email": row.email,
                    "reference": row.reference,
                    "bvn": row.bvn_index,
                    "nin": row.nin_index,
                    "tax_identification_number": row.tin_index,
                }
                if held[name] == value:
                    return name, row.id
        return None

    def add(self, customer: Customer) -> None:
        self.session.add(customer)
