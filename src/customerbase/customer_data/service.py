"""Advancly's customer data: orders and stock loaded for credit decisions, and the insights
drawn from them.

A load is all or nothing: every item is validated (a bad one is named by its index, e.g.
`data[3].order_amount`) before anything is written, in one transaction. Loads are idempotent:
an order is keyed by its `order_id`, a stock entry by `product_id` and `date`; sending one
again replaces it rather than adding a second.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from customerbase.accounts.money import to_minor
from customerbase.accounts.service import customer_for_change, ensure_customer_changeable
from customerbase.customer_data.schemas import OrdersLoad, StockLoad
from customerbase.customers import service as customers
from customerbase.events import record, register_event_types
from customerbase.kit.errors import FieldError, ValidationFailed
from customerbase.kit.fastdb import Connection, FastDB, decode_json, decode_timestamp, decode_uuid
from customerbase.kit.ids import uuid7
from customerbase.kit.time import isoformat, utcnow
from customerbase.models import CustomerOrder, CustomerStock
from customerbase.organizations.service import Tenant

register_event_types("customer.orders_loaded", "customer.stock_loaded")

TOP_CATEGORIES = 5


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _minor(errors: list[FieldError], path: str, value: Decimal | None, currency: str) -> int | None:
    if value is None:
        return None
    try:
        return to_minor(value, currency)
    except ValueError as exc:
        errors.append(FieldError(path, str(exc)))
        return None


def _duplicate(
    errors: list[FieldError], seen: dict[Any, int], key: Any, index: int, path: str
) -> None:
    """A second item with the same key in one call is an error: which one should win?"""
    if key in seen:
        errors.append(FieldError(path, f"repeats item {seen[key]} of this call"))
    else:
        seen[key] = index


def _order_rows(tenant: Tenant, customer_id: uuid.UUID, body: OrdersLoad) -> list[dict[str, Any]]:
    errors: list[FieldError] = []
    rows: list[dict[str, Any]] = []
    seen: dict[Any, int] = {}
    now = utcnow()
    for index, order in enumerate(body.data):
        at = f"data[{index}]"
        currency = order.order_currency
        _duplicate(errors, seen, order.order_id, index, f"{at}.order_id")
        amounts = {
            name: _minor(errors, f"{at}.{name}", getattr(order, name), currency)
            for name in ("order_sub_amount", "discount_amount", "tax_amount", "order_amount")
        }
        items = []
        for number, item in enumerate(order.order_items):
            item_at = f"{at}.order_items[{number}]"
            items.append(
                {
                    **item.model_dump(exclude={"unit_price", "amount"}),
                    "unit_price": _minor(
                        errors, f"{item_at}.unit_price", item.unit_price, currency
                    ),
                    "amount": _minor(errors, f"{item_at}.amount", item.amount, currency),
                }
            )
        data = order.model_dump(mode="json", exclude=set(amounts) | {"order_items"})
        data.update(amounts)
        data["order_items"] = items
        rows.append(
            {
                "id": uuid7(),
                "organization_id": tenant.organization_id,
                "environment": tenant.environment,
                "customer_id": customer_id,
                "order_id": order.order_id,
                "currency": currency,
                "order_amount": amounts["order_amount"],
                "order_date": _utc(order.order_date),
                "is_credit": order.is_credit,
                "data": data,
                "created_at": now,
                "updated_at": now,
            }
        )
    if errors:
        raise ValidationFailed.for_fields(errors)
    return rows


def _stock_rows(tenant: Tenant, customer_id: uuid.UUID, body: StockLoad) -> list[dict[str, Any]]:
    errors: list[FieldError] = []
    rows: list[dict[str, Any]] = []
    seen: dict[Any, int] = {}
    now = utcnow()
    for index, stock in enumerate(body.data):
        at = f"data[{index}]"
        currency = stock.currency
        date = _utc(stock.date)
        _duplicate(errors, seen, (stock.product_id, date), index, f"{at}.date")
        prices = {
            name: _minor(errors, f"{at}.{name}", getattr(stock, name), currency)
            for name in ("unit_price", "tax_amount", "discount_amount", "net_price")
        }
        data = stock.model_dump(mode="json", exclude=set(prices))
        data.update(prices)
        rows.append(
            {
                "id": uuid7(),
                "organization_id": tenant.organization_id,
                "environment": tenant.environment,
                "customer_id": customer_id,
                "product_id": stock.product_id,
                "date": date,
                "product_category": stock.product_category,
                "currency": currency,
                "available_quantity": stock.available_quantity,
                "unit_price": prices["unit_price"] or 0,
                "data": data,
                "created_at": now,
                "updated_at": now,
            }
        )
    if errors:
        raise ValidationFailed.for_fields(errors)
    return rows


async def _upsert(
    session: AsyncSession, model: Any, rows: list[dict[str, Any]], keys: tuple[str, ...]
) -> None:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model).values(rows)
    replaced = {
        name: statement.excluded[name]
        for name in rows[0]
        if name not in ("id", "created_at", *keys)
    }
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["organization_id", "environment", "customer_id", *keys],
            set_=replaced,
        )
    )


async def _load(
    session: AsyncSession,
    tenant: Tenant,
    customer_id: uuid.UUID,
    kind: str,
    model: Any,
    rows: list[dict[str, Any]],
    keys: tuple[str, ...],
) -> dict[str, Any]:
    columns = [getattr(model, key) for key in keys]
    existing = set()
    for start in range(0, len(rows), 200):
        chunk = rows[start : start + 200]
        wanted = {tuple(row[key] for key in keys) for row in chunk}
        found = await session.execute(
            select(*columns).where(
                model.organization_id == tenant.organization_id,
                model.environment == tenant.environment,
                model.customer_id == customer_id,
                columns[0].in_({key[0] for key in wanted}),
            )
        )
        existing |= {tuple(_utc(v) if isinstance(v, datetime) else v for v in r) for r in found}
    updated = sum(1 for row in rows if tuple(row[key] for key in keys) in existing)
    await _upsert(session, model, rows, keys)
    result = {
        "customer_id": str(customer_id),
        "kind": kind,
        "received": len(rows),
        "created": len(rows) - updated,
        "updated": updated,
    }
    record(session, tenant, f"customer.{kind}_loaded", result, customer_id=customer_id)
    return result


async def load_orders(
    session: AsyncSession, tenant: Tenant, key: str, body: OrdersLoad
) -> dict[str, Any]:
    customer = await customer_for_change(session, tenant, key)
    ensure_customer_changeable(customer)
    rows = _order_rows(tenant, customer.id, body)
    return await _load(session, tenant, customer.id, "orders", CustomerOrder, rows, ("order_id",))


async def load_stock(
    session: AsyncSession, tenant: Tenant, key: str, body: StockLoad
) -> dict[str, Any]:
    customer = await customer_for_change(session, tenant, key)
    ensure_customer_changeable(customer)
    rows = _stock_rows(tenant, customer.id, body)
    return await _load(
        session, tenant, customer.id, "stock", CustomerStock, rows, ("product_id", "date")
    )


_ORDER_TOTALS = (
    "SELECT currency, COUNT(*) AS count, SUM(order_amount) AS total,"
    " SUM(CASE WHEN is_credit THEN 1 ELSE 0 END) AS on_credit,"
    " MIN(order_date) AS first_at, MAX(order_date) AS last_at FROM customer_orders"
    " WHERE organization_id = $1 AND environment = $2 AND customer_id = $3"
    " GROUP BY currency ORDER BY currency"
)
_ORDER_ITEMS = (
    "SELECT data FROM customer_orders"
    " WHERE organization_id = $1 AND environment = $2 AND customer_id = $3"
)
# Each product's latest stock entry, valued at its unit price.
_STOCK_VALUE = (
    "SELECT s.currency, COUNT(*) AS products, SUM(s.available_quantity * s.unit_price) AS value,"
    " MAX(s.date) AS as_of FROM customer_stock AS s"
    " WHERE s.organization_id = $1 AND s.environment = $2 AND s.customer_id = $3"
    " AND s.date = (SELECT MAX(t.date) FROM customer_stock AS t"
    "  WHERE t.organization_id = s.organization_id AND t.environment = s.environment"
    "  AND t.customer_id = s.customer_id AND t.product_id = s.product_id)"
    " GROUP BY s.currency ORDER BY s.currency"
)


def _average(total: int, count: int) -> int:
    """total / count in whole minor units, half up (amounts are never negative)."""
    return (2 * total + count) // (2 * count)


async def insights(db: FastDB, connection: Connection, tenant: Tenant, key: str) -> dict[str, Any]:
    """Orders counted, totalled and averaged per currency, first and last order, the share on
    credit, the top product categories (by quantity ordered) and the current stock value."""
    customer = await customers.get_customer(db, connection, tenant, key)
    customer_id = uuid.UUID(decode_uuid(customer["id"]))
    args = (db.uuid(tenant.organization_id), tenant.environment, db.uuid(customer_id))
    totals = await connection.fetch(_ORDER_TOTALS, *args)
    by_currency: dict[str, dict[str, int]] = {}
    count = on_credit = 0
    firsts, lasts = [], []
    for row in totals:
        n, total = int(row["count"]), int(row["total"])
        by_currency[row["currency"]] = {"count": n, "total": total, "average": _average(total, n)}
        count += n
        on_credit += int(row["on_credit"])
        firsts.append(decode_timestamp(row["first_at"]))
        lasts.append(decode_timestamp(row["last_at"]))
    categories: dict[str, dict[str, int]] = {}
    for row in await connection.fetch(_ORDER_ITEMS, *args):
        for item in decode_json(row["data"]).get("order_items", []):
            name = item.get("product_category")
            if name:
                entry = categories.setdefault(name, {"items": 0, "quantity": 0})
                entry["items"] += 1
                entry["quantity"] += int(item.get("quantity") or 0)
    top = sorted(categories.items(), key=lambda pair: (-pair[1]["quantity"], pair[0]))
    stock_value: dict[str, int] = {}
    products = 0
    as_of = []
    for row in await connection.fetch(_STOCK_VALUE, *args):
        stock_value[row["currency"]] = int(row["value"] or 0)
        products += int(row["products"])
        as_of.append(decode_timestamp(row["as_of"]))
    return {
        "customer_id": str(customer_id),
        "orders": {
            "count": count,
            "by_currency": by_currency,
            "first_order_at": isoformat(min((f for f in firsts if f), default=None)),
            "last_order_at": isoformat(max((t for t in lasts if t), default=None)),
            "share_on_credit": round(on_credit / count, 4) if count else None,
        },
        "top_product_categories": [
            {"category": name, **values} for name, values in top[:TOP_CATEGORIES]
        ],
        "stock": {
            "products": products,
            "value": stock_value,
            "as_of": isoformat(max((a for a in as_of if a), default=None)),
        },
    }
