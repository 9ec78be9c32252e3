"""Query parameters of the events and history endpoints."""

from __future__ import annotations

from pydantic import Field

from customerbase.customers.schemas import DayOrMoment, _Strict


class EventListParams(_Strict):
    """Filters and cursor pagination of `GET /v1/events`, newest first."""

    type: str | None = Field(
        None,
        max_length=400,
        description="An event type, a family such as `customer.*`, or several, comma-separated",
    )
    customer: str | None = Field(None, max_length=100, description="A customer id")
    created_from: DayOrMoment | None = None
    created_to: DayOrMoment | None = None
    starting_after: str | None = Field(None, description="The events before this event id")
    ending_before: str | None = Field(None, description="The events after this event id")
    take: int = Field(20, ge=1, le=100)


class HistoryParams(_Strict):
    """Cursor pagination of a customer's history, newest first."""

    starting_after: str | None = Field(None, description="The entries before this entry id")
    ending_before: str | None = Field(None, description="The entries after this entry id")
    take: int = Field(20, ge=1, le=100)
