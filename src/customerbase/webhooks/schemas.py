"""Request bodies and query parameters of `/v1/webhook_endpoints`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from customerbase.customers.schemas import _Strict

MAX_EVENT_TYPES = 50

EventList = list[str]


class WebhookEndpointCreate(_Strict):
    url: str = Field(max_length=2048, description="An https:// (or http://) URL")
    events: EventList = Field(
        min_length=1,
        max_length=MAX_EVENT_TYPES,
        description='Event types (`customer.updated`), families (`customer.*`), or `["*"]`',
    )
    description: str | None = Field(None, max_length=500)


class WebhookEndpointUpdate(_Strict):
    url: str | None = Field(None, max_length=2048)
    events: EventList | None = Field(None, min_length=1, max_length=MAX_EVENT_TYPES)
    description: str | None = Field(None, max_length=500)


class WebhookEndpointListParams(_Strict):
    starting_after: str | None = Field(None, description="The endpoints before this id")
    take: int = Field(20, ge=1, le=100)


class DeliveryListParams(_Strict):
    status: Literal["pending", "succeeded", "failed"] | None = None
    starting_after: str | None = Field(None, description="The deliveries before this id")
    take: int = Field(20, ge=1, le=100)
