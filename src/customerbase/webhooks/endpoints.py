"""HTTP endpoints of `/v1/webhook_endpoints`: register, change, rotate, inspect deliveries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from customerbase.config import Settings
from customerbase.kit.dependencies import ReadSessionDep, VaultDep, WriteSessionDep
from customerbase.kit.envelope import OrjsonResponse, error_responses, ok
from customerbase.kit.routing import JsonRoute
from customerbase.organizations.auth import TenantDep
from customerbase.webhooks import service
from customerbase.webhooks.schemas import (
    DeliveryListParams,
    WebhookEndpointCreate,
    WebhookEndpointListParams,
    WebhookEndpointUpdate,
)
from customerbase.webhooks.urls import Resolver

router = APIRouter(
    prefix="/v1/webhook_endpoints",
    tags=["webhooks"],
    responses=error_responses(401, 422),
    route_class=JsonRoute,
)
ONE = error_responses(404)


def _resolver(request: Request) -> Resolver:
    settings: Settings = request.app.state.settings
    return Resolver(allow_private=settings.webhook_allow_private)


@router.post("", status_code=201)
async def create_webhook_endpoint(
    body: WebhookEndpointCreate,
    request: Request,
    tenant: TenantDep,
    session: WriteSessionDep,
    vault: VaultDep,
) -> OrjsonResponse:
    """Register a URL for events; the signing secret (`whsec_...`) is shown this once."""
    created = await service.create_endpoint(session, vault, _resolver(request), tenant, body)
    data = {**service.endpoint_to_dict(created.endpoint), "secret": created.secret}
    return ok(data, "Webhook endpoint created successfully", status_code=201)


@router.get("")
async def list_webhook_endpoints(
    params: Annotated[WebhookEndpointListParams, Query()],
    tenant: TenantDep,
    session: ReadSessionDep,
) -> OrjsonResponse:
    """List the webhook endpoints, newest first; cursor pagination."""
    items, meta = await service.list_endpoints(session, tenant, params)
    data = [service.endpoint_to_dict(endpoint) for endpoint in items]
    return ok(data, "Webhook endpoints retrieved successfully", meta=meta)


@router.get("/{endpoint_id}", responses=ONE)
async def get_webhook_endpoint(
    endpoint_id: str, tenant: TenantDep, session: ReadSessionDep
) -> OrjsonResponse:
    """Get one webhook endpoint (never its secret)."""
    endpoint = await service.get_endpoint(session, tenant, endpoint_id)
    return ok(service.endpoint_to_dict(endpoint), "Webhook endpoint retrieved successfully")


@router.patch("/{endpoint_id}", responses=ONE)
async def update_webhook_endpoint(
    endpoint_id: str,
    body: WebhookEndpointUpdate,
    request: Request,
    tenant: TenantDep,
    session: WriteSessionDep,
) -> OrjsonResponse:
    """Change an endpoint's URL, events or description."""
    endpoint = await service.update_endpoint(session, _resolver(request), tenant, endpoint_id, body)
    return ok(service.endpoint_to_dict(endpoint), "Webhook endpoint updated successfully")


@router.post("/{endpoint_id}/disable", responses=ONE)
async def disable_webhook_endpoint(
    endpoint_id: str, tenant: TenantDep, session: WriteSessionDep
) -> OrjsonResponse:
    """Stop delivering to an endpoint; its pending deliveries wait until it is enabled."""
    endpoint = await service.set_enabled(session, tenant, endpoint_id, False)
    return ok(service.endpoint_to_dict(endpoint), "Webhook endpoint disabled")


@router.post("/{endpoint_id}/enable", responses=ONE)
async def enable_webhook_endpoint(
    endpoint_id: str, tenant: TenantDep, session: WriteSessionDep
) -> OrjsonResponse:
    """Deliver to an endpoint again (after a manual or automatic disable)."""
    endpoint = await service.set_enabled(session, tenant, endpoint_id, True)
    return ok(service.endpoint_to_dict(endpoint), "Webhook endpoint enabled")


@router.post("/{endpoint_id}/rotate_secret", responses=ONE)
async def rotate_webhook_secret(
    endpoint_id: str, tenant: TenantDep, session: WriteSessionDep, vault: VaultDep
) -> OrjsonResponse:
    """A new secret (shown this once); the old one keeps signing beside it for 24 hours."""
    rotated = await service.rotate_secret(session, vault, tenant, endpoint_id)
    data = {**service.endpoint_to_dict(rotated.endpoint), "secret": rotated.secret}
    return ok(data, "Webhook secret rotated successfully")


@router.delete("/{endpoint_id}", responses=ONE)
async def delete_webhook_endpoint(
    endpoint_id: str, tenant: TenantDep, session: WriteSessionDep
) -> OrjsonResponse:
    """Delete an endpoint and its deliveries."""
    await service.delete_endpoint(session, tenant, endpoint_id)
    return ok({"id": endpoint_id, "deleted": True}, "Webhook endpoint deleted successfully")


@router.get("/{endpoint_id}/deliveries", responses=ONE)
async def list_webhook_deliveries(
    endpoint_id: str,
    params: Annotated[DeliveryListParams, Query()],
    tenant: TenantDep,
    session: ReadSessionDep,
) -> OrjsonResponse:
    """An endpoint's deliveries, newest first: event, status, response code, duration, last
    attempt and next try; cursor pagination."""
    items, meta = await service.list_deliveries(session, tenant, endpoint_id, params)
    data = [service.delivery_to_dict(delivery) for delivery in items]
    return ok(data, "Deliveries retrieved successfully", meta=meta)


@router.post("/{endpoint_id}/deliveries/{delivery_id}/retry", responses=error_responses(404, 409))
async def retry_webhook_delivery(
    endpoint_id: str, delivery_id: str, tenant: TenantDep, session: WriteSessionDep
) -> OrjsonResponse:
    """Send a delivery again now (same event, same `webhook-id`)."""
    delivery = await service.retry_delivery(session, tenant, endpoint_id, delivery_id)
    return ok(service.delivery_to_dict(delivery), "Delivery scheduled")
