"""HTTP endpoints of the event log (`/v1/events`) and of a customer's history."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from customerbase.customers import service as customers
from customerbase.events.queries import EventFilter, EventQueries, parse_types
from customerbase.events.schemas import EventListParams, HistoryParams
from customerbase.events.service import event_to_dict
from customerbase.kit.db import Database
from customerbase.kit.envelope import OrjsonResponse, error_responses, ok
from customerbase.kit.errors import NotFound, ValidationFailed
from customerbase.kit.fastdb import Row, decode_json, decode_timestamp, decode_uuid
from customerbase.kit.ids import parse_uuid
from customerbase.kit.keyset import cursor as _cursor
from customerbase.kit.keyset import page_meta
from customerbase.kit.routing import JsonRoute
from customerbase.kit.time import isoformat
from customerbase.organizations.auth import authenticate_request

router = APIRouter(tags=["events"], responses=error_responses(401, 422), route_class=JsonRoute)


class EventNotFound(NotFound):
    error_type = "event_not_found"


@router.get("/v1/events")
async def list_events(
    params: Annotated[EventListParams, Query()], request: Request
) -> OrjsonResponse:
    """List events, newest first, filtered by type, customer and time; cursor pagination."""
    database: Database = request.app.state.database
    if params.starting_after and params.ending_before:
        raise ValidationFailed.for_field("ending_before", "cannot be combined with starting_after")
    try:
        types = parse_types(params.type)
    except ValueError as exc:
        raise ValidationFailed.for_field("type", str(exc)) from None
    customer_id = None
    if params.customer is not None:
        customer_id = parse_uuid(params.customer)
        if customer_id is None:
            raise ValidationFailed.for_field("customer", "must be a customer id")
    after = _cursor("starting_after", params.starting_after)
    before = _cursor("ending_before", params.ending_before)
    start, end = customers.created_bounds(params.created_from, params.created_to)
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        queries = EventQueries(
            database.fast, connection, tenant.organization_id, tenant.environment
        )
        rows = await queries.page(
            EventFilter(types, customer_id, start, end),
            after=after,
            before=before,
            limit=params.take + 1,
        )
    items, meta = page_meta(rows, params.take, after=after, before=before)
    return ok([event_to_dict(row) for row in items], "Events retrieved successfully", meta=meta)


@router.get("/v1/events/{event_id}", responses=error_responses(404))
async def get_event(event_id: str, request: Request) -> OrjsonResponse:
    """Get one event."""
    database: Database = request.app.state.database
    parsed = parse_uuid(event_id)
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        row = None
        if parsed is not None:
            queries = EventQueries(
                database.fast, connection, tenant.organization_id, tenant.environment
            )
            row = await queries.get(parsed)
    if row is None:
        raise EventNotFound("No event found for this id")
    return ok(event_to_dict(row), "Event retrieved successfully")


def history_entry(row: Row) -> dict[str, Any]:
    return {
        "id": decode_uuid(row["id"]),
        "customer_id": decode_uuid(row["customer_id"]),
        "action": row["action"],
        "actor": {"type": row["actor_type"], "id": row["actor_id"]},
        "request_id": row["request_id"],
        "event_id": decode_uuid(row["event_id"]) if row["event_id"] is not None else None,
        "changes": decode_json(row["changes"]),
        "created_at": isoformat(decode_timestamp(row["created_at"])),
    }


@router.get("/v1/customers/{key}/history", tags=["customers"], responses=error_responses(404))
async def customer_history(
    key: str, params: Annotated[HistoryParams, Query()], request: Request
) -> OrjsonResponse:
    """Every change to a customer, newest first: who, when, through which request, and each
    changed field's old and new value (personal data masked). Append-only."""
    database: Database = request.app.state.database
    if params.starting_after and params.ending_before:
        raise ValidationFailed.for_field("ending_before", "cannot be combined with starting_after")
    after = _cursor("starting_after", params.starting_after)
    before = _cursor("ending_before", params.ending_before)
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        customer = await customers.get_customer(database.fast, connection, tenant, key)
        queries = EventQueries(
            database.fast, connection, tenant.organization_id, tenant.environment
        )
        rows = await queries.history(
            uuid.UUID(decode_uuid(customer["id"])),
            after=after,
            before=before,
            limit=params.take + 1,
        )
    items, meta = page_meta(rows, params.take, after=after, before=before)
    return ok([history_entry(row) for row in items], "History retrieved successfully", meta=meta)
