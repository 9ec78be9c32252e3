"""Reviewing a screening hit: confirm (the customer is blacklisted) or dismiss."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from customerbase.customers.repository import CustomerRepository, Scope
from customerbase.customers.serializers import customer_to_dict
from customerbase.customers.service import CustomerNotFound, CustomerStateConflict
from customerbase.events import record
from customerbase.kit.crypto import Vault
from customerbase.kit.errors import ValidationFailed
from customerbase.kit.ids import parse_uuid
from customerbase.kit.time import isoformat, utcnow
from customerbase.models import Customer
from customerbase.organizations.service import Tenant
from customerbase.screening import service
from customerbase.screening.continuous import SCREENING_REVIEWED
from customerbase.screening.errors import (
    NoOpenScreeningHit,
    ScreeningHitAlreadyReviewed,
    ScreeningHitNotFound,
)
from customerbase.screening.schemas import Decision, ScreeningReview


def _choose(hits: list[dict[str, Any]], hit_id: str | None) -> dict[str, Any]:
    open_hits = [hit for hit in hits if hit["status"] == service.OPEN]
    if hit_id is not None:
        for hit in hits:
            if hit["id"] == hit_id:
                if hit["status"] != service.OPEN:
                    raise ScreeningHitAlreadyReviewed(
                        f"This hit was already reviewed ({hit['status']})"
                    )
                return hit
        raise ScreeningHitNotFound(f"No screening hit {hit_id!r} on this customer")
    if not open_hits:
        raise NoOpenScreeningHit("This customer has no screening hit to review")
    if len(open_hits) > 1:
        raise ValidationFailed.for_field(
            "hit_id", f"is required: the customer has {len(open_hits)} open hits"
        )
    return open_hits[0]


async def review_hit(
    session: AsyncSession, vault: Vault, tenant: Tenant, key: str, data: ScreeningReview
) -> Customer:
    repository = CustomerRepository(session, Scope(tenant.organization_id, tenant.environment))
    customer_id = parse_uuid(key)
    customer = await repository.get_by_id(customer_id, for_update=True) if customer_id else None
    if customer is None:
        raise CustomerNotFound(f"No customer found for {key!r}" if len(key) <= 100 else None)
    if customer.status == "deleted":
        raise CustomerStateConflict(
            "This customer has been erased and cannot be changed", error_type="customer_deleted"
        )
    before = customer_to_dict(customer, vault)
    hits = [dict(hit) for hit in customer.screening_hits or ()]
    hit = _choose(hits, data.hit_id)
    now = utcnow()
    confirmed = data.decision is Decision.confirm
    hit["status"] = service.CONFIRMED if confirmed else service.DISMISSED
    hit["reason"], hit["reviewed_at"] = data.reason, isoformat(now)
    customer.screening_hits = hits
    customer.screening_status = service.status_of(hits)
    if confirmed:
        if not customer.blacklisted:
            customer.blacklisted_at = now
        customer.blacklisted = True
        customer.blacklist_reason = data.reason
    customer.updated_at = now
    await session.flush()
    after = customer_to_dict(customer, vault)
    record(session, tenant, SCREENING_REVIEWED, after, customer_id=customer.id, before=before)
    return customer
