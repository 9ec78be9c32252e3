"""The route class of the API: request bodies are JSON, and say so.

FastAPI answers a body of another media type with a 422 about the body's shape, and an
unparsable JSON body with a 422 (broken) or a bare 400 (not UTF-8, nested too deeply). Here a
body that is not declared `application/json` (or `+json`) is a 415 naming the expected type, and
one that cannot be parsed is a 400 `invalid_json`. The check costs one header look-up per
request with a body, and nothing for the others.
"""

from __future__ import annotations

import email.message
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from customerbase.kit.errors import InvalidJSON, UnsupportedMediaType

JSON_MEDIA_TYPE = "application/json"


def is_json_media_type(content_type: str | None) -> bool:
    """`application/json` or `application/*+json`, with any parameters (charset)."""
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    if message.get_content_maintype() != "application":
        return False
    subtype = message.get_content_subtype()
    return subtype == "json" or subtype.endswith("+json")


def _unparsable(cause: BaseException | None) -> InvalidJSON:
    if isinstance(cause, RecursionError):
        return InvalidJSON("The request body is not valid JSON: it is nested too deeply")
    if isinstance(cause, UnicodeDecodeError):
        return InvalidJSON(
            "The request body is not valid JSON: it is not UTF-8 text (send it uncompressed)"
        )
    return InvalidJSON()


class JsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler

        async def json_body_handler(request: Request) -> Response:
            headers = request.headers
            encoding = headers.get("content-encoding")
            if encoding and encoding.strip().lower() != "identity":
                raise UnsupportedMediaType(
                    f"Content-Encoding {encoding.strip()[:40]!r} is not supported: "
                    f"send the body uncompressed, as {JSON_MEDIA_TYPE}",
                    headers={"Accept-Encoding": "identity"},
                )
            if not is_json_media_type(headers.get("content-type")) and await request.body():
                raise UnsupportedMediaType()
            try:
                return await handler(request)
            except RequestValidationError as exc:
                errors = exc.errors()
                if errors and errors[0].get("type") == "json_invalid":
                    ctx = errors[0].get("ctx") or {}
                    reason = ctx.get("error")
                    position = errors[0].get("loc", (None, None))[-1]
                    detail = f": {reason} at position {position}" if reason else ""
                    raise InvalidJSON(f"The request body is not valid JSON{detail}") from None
                raise
            except HTTPException as exc:
                # FastAPI's answer to a body json.loads could not read (anything but a syntax
                # error); nothing else in the API raises a bare 400.
                if exc.status_code == 400:
                    raise _unparsable(exc.__cause__) from None
                raise

        return json_body_handler
