"""The response envelope the seed providers use: `{"success", "message", "data"}` (+ `meta`)."""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse


class OrjsonResponse(JSONResponse):
    """JSON rendered by orjson: about 50x cheaper than the stdlib encoder for one customer."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def ok(
    data: Any,
    message: str,
    *,
    status_code: int = 200,
    meta: dict[str, Any] | None = None,
) -> OrjsonResponse:
    body: dict[str, Any] = {"success": True, "message": message, "data": data}
    if meta is not None:
        body["meta"] = meta
    return OrjsonResponse(body, status_code=status_code)


def error(
    status_code: int,
    message: str,
    error_body: dict[str, Any],
    request_id: str | None,
    headers: dict[str, str] | None = None,
) -> OrjsonResponse:
    body = {
        "success": False,
        "message": message,
        "error": {**error_body, "request_id": request_id},
    }
    return OrjsonResponse(body, status_code=status_code, headers=headers)


# --- The same shapes as pydantic models, for the OpenAPI documentation only --------------
# Responses are built as dicts (above); tests validate real responses against these models,
# so the documentation cannot drift from what the API sends.


T = TypeVar("T")


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Envelope(_Doc, Generic[T]):
    success: Literal[True]
    message: str
    data: T


class PageMeta(_Doc):
    page: int | None = Field(description="The page number; null in cursor mode")
    take: int
    item_count: int | None = Field(
        description="How many items match the filters: exact up to 1,000, at least that many "
        "beyond (see item_count_exact); in cursor mode null unless include_count=true"
    )
    item_count_exact: bool | None = Field(
        description="false when item_count is a lower bound; null when not counted"
    )
    page_count: int | None
    has_previous_page: bool
    has_next_page: bool
    next_cursor: str | None = Field(description="Pass as starting_after for the next page")
    previous_cursor: str | None = Field(description="Pass as ending_before for the previous page")


class ListEnvelope(_Doc, Generic[T]):
    success: Literal[True]
    message: str
    data: list[T]
    meta: PageMeta


class FieldErrorDoc(_Doc):
    field: str
    message: str


class ErrorDoc(BaseModel):
    model_config = ConfigDict(extra="allow")  # some errors add keys, e.g. existing_customer_id

    type: str
    fields: list[FieldErrorDoc]
    request_id: str | None


class ErrorEnvelope(_Doc):
    success: Literal[False]
    message: str
    error: ErrorDoc


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the error statuses an endpoint can answer."""
    descriptions = {
        401: "Missing, invalid or revoked API key",
        404: "No such customer in this organization and environment",
        409: "Conflicts with the stored state (duplicate, archived, erased)",
        422: "Invalid input; `error.fields` names each field",
    }
    return {
        status: {"model": ErrorEnvelope, "description": descriptions.get(status, "Error")}
        for status in statuses
    }
