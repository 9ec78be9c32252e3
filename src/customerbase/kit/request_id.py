"""X-Request-ID on every response: the client's own if it is sane, otherwise a new one."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from customerbase.kit.envelope import error
from customerbase.kit.ids import uuid7

_SANE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
access_log = logging.getLogger("customerbase.access")
error_log = logging.getLogger("customerbase.errors")


def request_id_of(scope: Scope) -> str | None:
    state: dict[str, Any] = scope.get("state") or {}
    value = state.get("request_id")
    return value if isinstance(value, str) else None


class RequestIdMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware overhead). Also writes the access log line, and turns
    an unhandled exception into the 500 envelope.

    The access log names the route template, never the raw path or query string: paths and
    filters can carry an email address or a phone number, which must not reach the logs.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if incoming and _SANE.match(incoming) else f"req_{uuid7().hex}"
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode("latin-1"))
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        started_response = False

        async def send_tracked(message: Message) -> None:
            nonlocal started_response
            if message["type"] == "http.response.start":
                started_response = True
            await send_with_id(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception as exc:
            # The last resort, inside this middleware so that a 500 carries X-Request-ID too.
            # The exception type and traceback only: never the request body or personal data.
            error_log.error(
                "unhandled %s request_id=%s", type(exc).__name__, request_id, exc_info=exc
            )
            if started_response:
                raise
            response = error(
                500,
                "An unexpected error occurred; it has been logged",
                {"type": "api_error", "fields": []},
                request_id,
            )
            await response(scope, receive, send_with_id)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                route = scope.get("route")
                path = getattr(route, "path", None) or "<unmatched>"
                access_log.info(
                    "%s %s %s %.1fms request_id=%s",
                    scope["method"],
                    path,
                    status,
                    (time.perf_counter() - started) * 1000,
                    request_id,
                )
