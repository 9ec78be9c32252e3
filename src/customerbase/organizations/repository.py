from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from customerbase.models import APIKey, Organization


class OrganizationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, organization_id: uuid.UUID) -> Organization | None:
        return await self.session.get(Organization, organization_id)

    async def count(self) -> int:
        result = await self.session.scalar(select(func.count()).select_from(Organization))
        return int(result or 0)

    async def first(self) -> Organization | None:
        return await self.session.scalar(select(Organization).order_by(Organization.id).limit(1))

    async def list_all(self) -> Sequence[Organization]:
        result = await self.session.scalars(select(Organization).order_by(Organization.id))
        return result.all()

    def add(self, organization: Organization) -> None:
        self.session.add(organization)


class APIKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get_by_hash(self, key_hash: str) -> APIKey | None:
        return await self.session.scalar(select(APIKey).where(APIKey.key_hash == key_hash))

    async def get(self, key_id: uuid.UUID) -> APIKey | None:
        return await self.session.get(APIKey, key_id)

    async def list_for_organization(self, organization_id: uuid.UUID) -> Sequence[APIKey]:
        result = await self.session.scalars(
            select(APIKey).where(APIKey.organization_id == organization_id).order_by(APIKey.id)
        )
        return result.all()

    def add(self, key: APIKey) -> None:
        self.session.add(key)
