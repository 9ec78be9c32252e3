"""Webhook endpoints: registration, changes, secret rotation; their deliveries.

Every change records a `webhook_endpoint.*` event in its transaction, like every other change.
Secrets are encrypted with the vault; the plain `whsec_...` value is returned once, by the
create and the rotation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from customerbase.events import EVENT_TYPES, record, register_event_types
from customerbase.kit.crypto import Vault
from customerbase.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from customerbase.kit.ids import parse_uuid, uuid7
from customerbase.kit.time import isoformat, utcnow
from customerbase.models import WebhookDelivery, WebhookEndpoint
from customerbase.organizations.service import Tenant
from customerbase.webhooks.schemas import (
    DeliveryListParams,
    WebhookEndpointCreate,
    WebhookEndpointListParams,
    WebhookEndpointUpdate,
)
from customerbase.webhooks.signing import ROTATION_OVERLAP, new_secret
from customerbase.webhooks.urls import Resolver, UnsafeURL

register_event_types(
    "webhook_endpoint.created",
    "webhook_endpoint.updated",
    "webhook_endpoint.disabled",
    "webhook_endpoint.enabled",
    "webhook_endpoint.secret_rotated",
    "webhook_endpoint.deleted",
)

SECRET_FIELD = "webhook_endpoints.secret"  # noqa: S105 - a column name
ENABLED = "enabled"
DISABLED = "disabled"


class WebhookEndpointNotFound(NotFound):
    error_type = "webhook_endpoint_not_found"


class WebhookDeliveryNotFound(NotFound):
    error_type = "webhook_delivery_not_found"


class WebhookDeliveryPending(Conflict):
    error_type = "webhook_delivery_pending"


def check_event_types(events: list[str]) -> list[str]:
    """The subscription as given (deduplicated, in order), or a 422 naming each bad entry."""
    errors: list[FieldError] = []
    for index, kind in enumerate(events):
        if kind == "*" or kind in EVENT_TYPES:
            continue
        if kind.endswith(".*") and any(t.startswith(kind[:-1]) for t in EVENT_TYPES):
            continue
        errors.append(FieldError(f"events[{index}]", f"{kind[:64]!r} is not an event type"))
    if errors:
        raise ValidationFailed.for_fields(errors)
    return list(dict.fromkeys(events))


def subscribes(patterns: list[str], event_type: str) -> bool:
    for pattern in patterns:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


async def check_url(resolver: Resolver, url: str) -> str:
    try:
        await resolver.check(url)
    except UnsafeURL as exc:
        raise ValidationFailed.for_field("url", str(exc)) from None
    return url


def endpoint_to_dict(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": str(endpoint.id),
        "url": endpoint.url,
        "description": endpoint.description,
        "events": list(endpoint.events),
        "status": endpoint.status,
        "disabled_reason": endpoint.disabled_reason,
        "previous_secret_expires_at": isoformat(endpoint.previous_secret_expires_at),
        "created_at": isoformat(endpoint.created_at),
        "updated_at": isoformat(endpoint.updated_at),
    }


def delivery_to_dict(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": str(delivery.id),
        "endpoint_id": str(delivery.endpoint_id),
        "event_id": str(delivery.event_id),
        "event_type": delivery.event_type,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "response_status": delivery.response_status,
        "duration_ms": delivery.duration_ms,
        "error": delivery.error,
        "attempted_at": isoformat(delivery.last_attempt_at),
        "next_attempt_at": isoformat(delivery.next_attempt_at)
        if delivery.status == "pending"
        else None,
        "created_at": isoformat(delivery.created_at),
    }


@dataclass(frozen=True, slots=True)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown once


def _tenant_of(endpoint: WebhookEndpoint) -> Tenant:
    return Tenant(endpoint.organization_id, endpoint.environment, uuid.UUID(int=0))


def record_endpoint_event(
    session: AsyncSession, tenant: Tenant, type: str, endpoint: WebhookEndpoint
) -> None:
    record(session, tenant, type, endpoint_to_dict(endpoint), customer_id=None)


async def create_endpoint(
    session: AsyncSession,
    vault: Vault,
    resolver: Resolver,
    tenant: Tenant,
    body: WebhookEndpointCreate,
) -> CreatedEndpoint:
    events = check_event_types(body.events)
    url = await check_url(resolver, body.url)
    secret = new_secret()
    now = utcnow()
    endpoint = WebhookEndpoint(
        id=uuid7(),
        organization_id=tenant.organization_id,
        environment=tenant.environment,
        url=url,
        description=body.description,
        events=events,
        status=ENABLED,
        disabled_reason=None,
        secret=vault.encrypt(secret, organization_id=tenant.organization_id, field=SECRET_FIELD),
        previous_secret=None,
        previous_secret_expires_at=None,
        failing_since=None,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    record_endpoint_event(session, tenant, "webhook_endpoint.created", endpoint)
    return CreatedEndpoint(endpoint, secret)


async def get_endpoint(
    session: AsyncSession, tenant: Tenant, endpoint_id: str, *, for_update: bool = False
) -> WebhookEndpoint:
    parsed = parse_uuid(endpoint_id)
    if parsed is None:
        raise WebhookEndpointNotFound("No webhook endpoint found for this id")
    statement = select(WebhookEndpoint).where(
        WebhookEndpoint.organization_id == tenant.organization_id,
        WebhookEndpoint.environment == tenant.environment,
        WebhookEndpoint.id == parsed,
    )
    if for_update:
        statement = statement.with_for_update()
    endpoint = (await session.scalars(statement)).first()
    if endpoint is None:
        raise WebhookEndpointNotFound("No webhook endpoint found for this id")
    return endpoint


async def list_endpoints(
    session: AsyncSession, tenant: Tenant, params: WebhookEndpointListParams
) -> tuple[list[WebhookEndpoint], dict[str, Any]]:
    statement = select(WebhookEndpoint).where(
        WebhookEndpoint.organization_id == tenant.organization_id,
        WebhookEndpoint.environment == tenant.environment,
    )
    if params.starting_after is not None:
        cursor = parse_uuid(params.starting_after)
        if cursor is None:
            raise ValidationFailed.for_field("starting_after", "must be an id from a previous page")
        statement = statement.where(WebhookEndpoint.id < cursor)
    rows = list(
        (
            await session.scalars(
                statement.order_by(WebhookEndpoint.id.desc()).limit(params.take + 1)
            )
        ).all()
    )
    return _page(rows, params.take, params.starting_after is not None)


def _page(rows: list[Any], take: int, paged: bool) -> tuple[list[Any], dict[str, Any]]:
    items = rows[:take]
    has_next = len(rows) > take
    return items, {
        "take": take,
        "has_next_page": has_next,
        "has_previous_page": paged and bool(items),
        "next_cursor": str(items[-1].id) if has_next else None,
    }


async def update_endpoint(
    session: AsyncSession,
    resolver: Resolver,
    tenant: Tenant,
    endpoint_id: str,
    body: WebhookEndpointUpdate,
) -> WebhookEndpoint:
    given = body.model_fields_set
    for name in ("url", "events"):
        if name in given and getattr(body, name) is None:
            raise ValidationFailed.for_field(name, "may not be null")
    endpoint = await get_endpoint(session, tenant, endpoint_id, for_update=True)
    if body.events is not None:
        endpoint.events = check_event_types(body.events)
    if body.url is not None:
        endpoint.url = await check_url(resolver, body.url)
    if "description" in given:
        endpoint.description = body.description
    endpoint.updated_at = utcnow()
    record_endpoint_event(session, tenant, "webhook_endpoint.updated", endpoint)
    return endpoint


def disable(session: AsyncSession, endpoint: WebhookEndpoint, reason: str) -> None:
    """Disable `endpoint` (by request, or the worker's `gone` / `failing`) and say so."""
    endpoint.status = DISABLED
    endpoint.disabled_reason = reason
    endpoint.updated_at = utcnow()
    record_endpoint_event(session, _tenant_of(endpoint), "webhook_endpoint.disabled", endpoint)


async def set_enabled(
    session: AsyncSession, tenant: Tenant, endpoint_id: str, enabled: bool
) -> WebhookEndpoint:
    endpoint = await get_endpoint(session, tenant, endpoint_id, for_update=True)
    if enabled and endpoint.status != ENABLED:
        endpoint.status = ENABLED
        endpoint.disabled_reason = None
        endpoint.failing_since = None
        endpoint.updated_at = utcnow()
        record_endpoint_event(session, tenant, "webhook_endpoint.enabled", endpoint)
    elif not enabled and endpoint.status != DISABLED:
        disable(session, endpoint, "manual")
    return endpoint


async def rotate_secret(
    session: AsyncSession, vault: Vault, tenant: Tenant, endpoint_id: str
) -> CreatedEndpoint:
    """A new secret signs from now on; the current one keeps signing beside it for 24 hours."""
    endpoint = await get_endpoint(session, tenant, endpoint_id, for_update=True)
    secret = new_secret()
    now = utcnow()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + ROTATION_OVERLAP
    endpoint.secret = vault.encrypt(
        secret, organization_id=tenant.organization_id, field=SECRET_FIELD
    )
    endpoint.updated_at = now
    record_endpoint_event(session, tenant, "webhook_endpoint.secret_rotated", endpoint)
    return CreatedEndpoint(endpoint, secret)


async def delete_endpoint(session: AsyncSession, tenant: Tenant, endpoint_id: str) -> None:
    """Delete the endpoint and its deliveries (those not yet sent are not sent)."""
    endpoint = await get_endpoint(session, tenant, endpoint_id, for_update=True)
    record_endpoint_event(session, tenant, "webhook_endpoint.deleted", endpoint)
    await session.delete(endpoint)


async def list_deliveries(
    session: AsyncSession, tenant: Tenant, endpoint_id: str, params: DeliveryListParams
) -> tuple[list[WebhookDelivery], dict[str, Any]]:
    endpoint = await get_endpoint(session, tenant, endpoint_id)
    statement = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if params.status is not None:
        statement = statement.where(WebhookDelivery.status == params.status)
    if params.starting_after is not None:
        cursor = parse_uuid(params.starting_after)
        if cursor is None:
            raise ValidationFailed.for_field("starting_after", "must be an id from a previous page")
        statement = statement.where(WebhookDelivery.id < cursor)
    statement = statement.order_by(WebhookDelivery.id.desc()).limit(params.take + 1)
    rows = list((await session.scalars(statement)).all())
    return _page(rows, params.take, params.starting_after is not None)


async def retry_delivery(
    session: AsyncSession, tenant: Tenant, endpoint_id: str, delivery_id: str
) -> WebhookDelivery:
    """Send a delivery again now, with a fresh retry schedule (same event, same webhook-id)."""
    endpoint = await get_endpoint(session, tenant, endpoint_id)
    parsed = parse_uuid(delivery_id)
    delivery = None
    if parsed is not None:
        statement = (
            select(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.id == parsed)
            .with_for_update()
        )
        delivery = (await session.scalars(statement)).first()
    if delivery is None:
        raise WebhookDeliveryNotFound("No delivery of this endpoint has this id")
    if delivery.status == "pending":
        raise WebhookDeliveryPending("This delivery is still being tried; wait for its outcome")
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = utcnow()
    return delivery
