"""HTTP endpoints of sanctions screening."""

from __future__ import annotations

from fastapi import APIRouter

from customerbase.customers.endpoints import WRITE
from customerbase.customers.serializers import customer_to_dict
from customerbase.kit.dependencies import VaultDep, WriteSessionDep
from customerbase.kit.envelope import OrjsonResponse, error_responses, ok
from customerbase.kit.routing import JsonRoute
from customerbase.organizations.auth import TenantDep
from customerbase.screening import review
from customerbase.screening.schemas import Decision, ScreeningReview

router = APIRouter(
    prefix="/v1/customers",
    tags=["screening"],
    responses=error_responses(401, 422),
    route_class=JsonRoute,
)


@router.post("/{customer_id}/screening/review", responses=WRITE)
async def review_screening_hit(
    customer_id: str,
    body: ScreeningReview,
    tenant: TenantDep,
    session: WriteSessionDep,
    vault: VaultDep,
) -> OrjsonResponse:
    """Confirm a screening hit (the customer is blacklisted with the reason) or dismiss it."""
    customer = await review.review_hit(session, vault, tenant, customer_id, body)
    message = (
        "Screening match confirmed; customer blacklisted"
        if body.decision is Decision.confirm
        else "Screening hit dismissed"
    )
    return ok(customer_to_dict(customer, vault), message)
