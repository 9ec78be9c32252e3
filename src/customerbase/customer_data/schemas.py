"""Advancly's customer data payloads: orders and stock, `{"data": [...]}`, up to 1,000 items.

Amounts come in major units as Advancly sends them (`1500.50`); the service turns them into
exact integers of the currency's minor units, refusing more decimals than the currency has.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, StrictBool, StringConstraints

from customerbase.accounts.money import DEFAULT_CURRENCY
from customerbase.accounts.schemas import CurrencyCode
from customerbase.customers.schemas import _Strict

MAX_ITEMS = 1000

Key = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Text = Annotated[str, StringConstraints(max_length=200)]
Amount = Annotated[Decimal, Field(ge=0, allow_inf_nan=False, max_digits=24)]
Count = Annotated[int, Field(ge=0, le=10**12)]


class OrderItem(_Strict):
    product_id: Key
    product_category: Text | None = None
    product_rating: Text | None = None
    unit_price: Amount | None = None
    quantity: Count = 0
    amount: Amount | None = None


class Order(_Strict):
    order_id: Key
    order_sub_amount: Amount | None = None
    discount_amount: Amount | None = None
    tax_amount: Amount | None = None
    order_amount: Amount
    order_date: datetime
    order_currency: CurrencyCode
    payment_type: Text | None = None
    customer_rating: Text | None = None
    customer_category: Text | None = None
    store_name: Text | None = None
    address: Annotated[str, StringConstraints(max_length=300)] | None = None
    city: Text | None = None
    state: Text | None = None
    country: Text | None = None
    gps_location: Text | None = None
    is_credit: StrictBool = False
    total_items: Count | None = None
    order_items: list[OrderItem] = Field(default_factory=list, max_length=MAX_ITEMS)


class Stock(_Strict):
    product_id: Key
    product_category: Text | None = None
    minimum_stock_quantity: Count = 0
    total_quantity: Count = 0
    available_quantity: Count = 0
    reserved_quantity: Count = 0
    unit_price: Amount = Decimal(0)
    tax_amount: Amount | None = None
    discount_amount: Amount | None = None
    net_price: Amount | None = None
    stock_level: Text | None = None
    date: datetime
    currency: CurrencyCode = Field(
        DEFAULT_CURRENCY, description="The prices' currency (not in Advancly's payload: NGN)"
    )


class OrdersLoad(_Strict):
    data: list[Order] = Field(min_length=1, max_length=MAX_ITEMS)


class StockLoad(_Strict):
    data: list[Stock] = Field(min_length=1, max_length=MAX_ITEMS)
