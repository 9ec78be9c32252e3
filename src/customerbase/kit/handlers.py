"""Turn every exception into the error envelope, with the field named where there is one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from customerbase.kit.edge import request_id_of
from customerbase.kit.envelope import error
from customerbase.kit.errors import CustomerbaseError, FieldError

# The error types of the HTTP errors Starlette and FastAPI raise themselves.
HTTP_ERROR_TYPES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}
OTHER_HTTP_ERROR_TYPE = "http_error"

_LOCATIONS = {"body", "query", "path", "header", "cookie"}

_MESSAGES = {
    "missing": "is required",
    "extra_forbidden": "is not allowed here",
    "string_type": "must be a string",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "date_type": "must be a date in ISO 8601 form (YYYY-MM-DD)",
    "date_parsing": "must be a date in ISO 8601 form (YYYY-MM-DD)",
    "date_from_datetime_parsing": "must be a date in ISO 8601 form (YYYY-MM-DD)",
    "date_from_datetime_inexact": "must be a date without a time of day",
    "datetime_type": "must be an ISO 8601 date or timestamp",
    "datetime_parsing": "must be an ISO 8601 date or timestamp",
    "datetime_from_date_parsing": "must be an ISO 8601 date or timestamp",
    "json_invalid": "is not valid JSON",
}


def _field_name(loc: Sequence[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    # Union members show up as type names in the location: keep only the field path.
    # (A "date" after a list index is a field of that name, not a union member.)
    parts = [
        p
        for i, p in enumerate(parts)
        if not (
            isinstance(p, str)
            and ("[" in p or (p in {"date", "datetime"} and i and isinstance(parts[i - 1], str)))
        )
    ]
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or "body"


def _unit(kind: str, err: dict[str, Any]) -> str:
    is_text = kind.startswith("string") or isinstance(err.get("input"), str)
    return "characters" if is_text else "entries"


def _message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "value_error":
        return str(ctx.get("error", err.get("msg", "is invalid")))
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    # "too_long" is pydantic's name for a length checked after a validator ran, and speaks of
    # "items" even for a string.
    if kind in {"string_too_long", "too_long"}:
        return f"must be at most {ctx.get('max_length')} {_unit(kind, err)}"
    if kind in {"string_too_short", "too_short"}:
        return f"must be at least {ctx.get('min_length')} {_unit(kind, err)}"
    if kind in {"less_than_equal", "less_than"}:
        return f"must be at most {ctx.get('le', ctx.get('lt'))}"
    if kind in {"greater_than_equal", "greater_than"}:
        return f"must be at least {ctx.get('ge', ctx.get('gt'))}"
    if kind == "enum":
        return f"must be one of {ctx.get('expected')}"
    msg = str(err.get("msg", "is invalid"))
    return msg.replace("Input should be", "must be", 1)


def field_errors(errors: Sequence[Any]) -> list[FieldError]:
    """Pydantic's errors as (field, message) pairs, without ever echoing the input value."""
    seen: dict[str, FieldError] = {}
    for err in errors:
        # A body that is not JSON: the location is a byte offset, the field is the body.
        loc = ("body",) if err.get("type") == "json_invalid" else err.get("loc", ())
        name = _field_name(loc)
        if name not in seen:
            seen[name] = FieldError(name, _message(err))
    return list(seen.values())


# Renders an error in another envelope than the API's own: (request, status, message, error
# body with `type` and `fields`, headers, the exception). A provider dialect registers one for
# its path prefix, so that its clients get errors in the shape they were written against.
ErrorRenderer = Callable[
    [Request, int, str, dict[str, Any], dict[str, str] | None, Exception], Response
]


def register_error_renderer(app: FastAPI, prefix: str, renderer: ErrorRenderer) -> None:
    """Errors of requests under `prefix` (a path segment boundary) go through `renderer`."""
    renderers: tuple[tuple[str, ErrorRenderer], ...] = getattr(app.state, "error_renderers", ())
    app.state.error_renderers = (*renderers, (prefix.rstrip("/"), renderer))


def _render(
    request: Request,
    exc: Exception,
    status_code: int,
    message: str,
    body: dict[str, Any],
    headers: dict[str, str] | None,
) -> Response:
    path: str = request.scope["path"]
    renderers: tuple[tuple[str, ErrorRenderer], ...] = getattr(
        request.app.state, "error_renderers", ()
    )
    for prefix, renderer in renderers:
        if path == prefix or path.startswith(f"{prefix}/"):
            return renderer(request, status_code, message, body, headers, exc)
    return error(status_code, message, body, request_id_of(request.scope), headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CustomerbaseError)
    async def _domain_error(request: Request, exc: CustomerbaseError) -> Response:
        return _render(request, exc, exc.status_code, exc.message, exc.error_body(), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        fields = field_errors(exc.errors())
        message = "; ".join(f"{f.field}: {f.message}" for f in fields)
        body = {"type": "validation_error", "fields": [f.as_dict() for f in fields]}
        return _render(request, exc, 422, message, body, None)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        kind = HTTP_ERROR_TYPES.get(exc.status_code, OTHER_HTTP_ERROR_TYPE)
        message = "No such endpoint" if exc.status_code == 404 else str(exc.detail)
        headers = dict(exc.headers) if exc.headers else None
        return _render(
            request, exc, exc.status_code, message, {"type": kind, "fields": []}, headers
        )
