"""HTTP endpoints of Advancly's customer data: orders, stock, and the insights from them."""

from __future__ import annotations

from fastapi import APIRouter, Request

from customerbase.customer_data import service
from customerbase.customer_data.schemas import OrdersLoad, StockLoad
from customerbase.kit.db import Database
from customerbase.kit.dependencies import WriteSessionDep
from customerbase.kit.envelope import OrjsonResponse, error_responses, ok
from customerbase.kit.routing import JsonRoute
from customerbase.organizations.auth import TenantDep, authenticate_request

router = APIRouter(
    prefix="/v1/customers",
    tags=["customer data"],
    responses=error_responses(401, 404, 422),
    route_class=JsonRoute,
)


@router.post("/{customer_id}/data/orders", responses=error_responses(409))
async def load_orders(
    customer_id: str, body: OrdersLoad, tenant: TenantDep, session: WriteSessionDep
) -> OrjsonResponse:
    """Load up to 1,000 orders (Advancly's payload); idempotent by order_id, all or nothing."""
    result = await service.load_orders(session, tenant, customer_id, body)
    return ok(result, "Orders loaded successfully")


@router.post("/{customer_id}/data/stock", responses=error_responses(409))
async def load_stock(
    customer_id: str, body: StockLoad, tenant: TenantDep, session: WriteSessionDep
) -> OrjsonResponse:
    """Load up to 1,000 stock entries; idempotent by product_id and date, all or nothing."""
    result = await service.load_stock(session, tenant, customer_id, body)
    return ok(result, "Stock loaded successfully")


@router.get("/{key}/insights")
async def customer_insights(key: str, request: Request) -> OrjsonResponse:
    """What the loaded orders and stock say about a customer, for a credit decision."""
    database: Database = request.app.state.database
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        data = await service.insights(database.fast, connection, tenant, key)
    return ok(data, "Insights retrieved successfully")
