"""HTTP endpoints of the KYC API v1. Each parses, authenticates and calls one service."""

from __future__ import annotations

from fastapi import APIRouter, Request

from customerbase.config import Settings
from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database
from customerbase.kit.dependencies import ReadSessionDep, VaultDep, WriteSessionDep
from customerbase.kit.envelope import OrjsonResponse, error_responses, ok
from customerbase.kit.routing import JsonRoute
from customerbase.kyc import service, tiers
from customerbase.kyc.flows import issue_and_mail
from customerbase.kyc.schemas import KycLinkRequest, KycReview, KycTiersUpdate, KycUpgrade
from customerbase.organizations.auth import TenantDep

router = APIRouter(
    prefix="/v1",
    tags=["kyc"],
    responses=error_responses(401, 422),
    route_class=JsonRoute,
)

WRITE = error_responses(404, 409)


def _parts(request: Request) -> tuple[Database, Vault, Settings]:
    return request.app.state.database, request.app.state.vault, request.app.state.settings


@router.get("/customers/{customer_id}/kyc", responses=error_responses(404))
async def get_kyc(customer_id: str, tenant: TenantDep, session: ReadSessionDep) -> OrjsonResponse:
    """The customer's KYC: tier, status, checks, and what the next tier still needs."""
    data = await service.kyc_overview(session, tenant, customer_id)
    return ok(data, "KYC retrieved successfully")


@router.post("/customers/{customer_id}/kyc/upgrade", responses=WRITE)
async def upgrade_kyc(
    customer_id: str, body: KycUpgrade, tenant: TenantDep, request: Request
) -> OrjsonResponse:
    """Move the customer to a higher tier; 422 naming each requirement that did not verify."""
    database, vault, settings = _parts(request)
    # The checks made on the way are kept even when the upgrade is refused: the transaction
    # commits, then the refusal is answered.
    async with database.write_session() as session:
        outcome = await service.upgrade(session, vault, settings, tenant, customer_id, body)
    if outcome.refused is not None:
        raise outcome.refused
    if outcome.submitted:
        return ok(outcome.overview, "Documents submitted for review", status_code=202)
    return ok(outcome.overview, f"Customer upgraded to tier {outcome.customer.kyc_tier}")


@router.post("/customers/{customer_id}/kyc/review", responses=WRITE)
async def review_kyc(
    customer_id: str,
    body: KycReview,
    tenant: TenantDep,
    session: WriteSessionDep,
    vault: VaultDep,
) -> OrjsonResponse:
    """Approve or reject the KYC documents waiting for review (tiers 2 and 3)."""
    data = await service.review(session, vault, tenant, customer_id, body)
    return ok(data, "KYC review recorded")


@router.post("/customers/{customer_id}/kyc/link", responses=WRITE)
async def create_kyc_link(
    customer_id: str, tenant: TenantDep, request: Request, body: KycLinkRequest | None = None
) -> OrjsonResponse:
    """A signed, expiring, single-use link to the hosted KYC page; `send_kyc_mail` emails it."""
    body = body or KycLinkRequest()
    data = await issue_and_mail(
        request, tenant, customer_id, send_kyc_mail=body.send_kyc_mail, expires_in=body.expires_in
    )
    return ok(data, "KYC link created successfully", status_code=201)


@router.get("/kyc/tiers")
async def get_kyc_tiers(tenant: TenantDep, session: ReadSessionDep) -> OrjsonResponse:
    """The tiers, their requirements and this organization's limits."""
    return ok(await tiers.get_tiers(session, tenant), "KYC tiers retrieved successfully")


@router.put("/kyc/tiers")
async def update_kyc_tiers(
    body: KycTiersUpdate, tenant: TenantDep, session: WriteSessionDep
) -> OrjsonResponse:
    """Override tier limits for this organization and environment."""
    return ok(await tiers.update_tiers(session, tenant, body), "KYC tiers updated successfully")
