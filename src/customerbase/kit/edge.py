"""The edge of every request: request id, body size limit, access log, last-resort errors,
and the response headers set by path prefix.

One pure ASGI middleware (no BaseHTTPMiddleware overhead) placed around the routes, so that
every response it sees, including a 413 or a 500, carries X-Request-ID and the error envelope.
"""

from __future__ import annotations

import logging
import re
import time
import traceback
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from customerbase.kit.db import is_database_unavailable
from customerbase.kit.envelope import error
from customerbase.kit.errors import ServiceUnavailable
from customerbase.kit.ids import uuid7

_SANE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
access_log = logging.getLogger("customerbase.access")
error_log = logging.getLogger("customerbase.errors")
DATABASE_UNAVAILABLE = "The database is unavailable; retry shortly"


class _BodyTooLarge(HTTPException):
    """Raised while the body is read. An HTTPException, so that FastAPI's body parsing lets it
    through (it turns other exceptions into a 400) and the error handlers answer 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes")


class _ResponseAborted(RuntimeError):
    """Re-raised to the server, in place of a failure after the response started, so that the
    server's own log of it carries no message of ours (a message can hold personal data)."""


def exception_chain(exc: BaseException) -> str:
    """The classes of `exc` and of what caused it, e.g. `DBAPIError <- ConnectionDoesNotExistError`:
    never their messages, which can quote a statement, its parameters or the request's data."""
    names: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(names) < 10:
        names.append(type(current).__name__)
        current = current.__cause__ or current.__context__
    return " <- ".join(names)


def _frames(exc: BaseException) -> str:
    """Where `exc` was raised: file, line and source of each frame, without any message."""
    return "".join(traceback.format_tb(exc.__traceback__)).rstrip()


def request_id_of(scope: Scope) -> str | None:
    state: dict[str, Any] = scope.get("state") or {}
    value = state.get("request_id")
    return value if isinstance(value, str) else None


class EdgeMiddleware:
    """X-Request-ID on every response (the client's own if it is sane, otherwise a new one),
    a request body limit answered with 413, the access log, and the 500 envelope for whatever
    escaped the error handlers.

    The access log names the route template, never the raw path or query string: paths and
    filters can carry an email address or a phone number, which must not reach the logs.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        headers_by_prefix: Sequence[tuple[str, Mapping[str, str]]] = (),
        body_limits: dict[str, int] | None = None,
        body_limit_patterns: Sequence[tuple[re.Pattern[str], int]] = (),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # Response headers for the paths under a prefix (e.g. no caching of personal data),
        # encoded once here so that each response only extends its header list.
        self.headers_by_prefix = [
            (prefix, [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in h.items()])
            for prefix, h in headers_by_prefix
        ]
        # Larger limits for the paths (exact) that take a file, such as the bulk import.
        self.body_limits = body_limits or {}
        # The same for path templates (e.g. a customer's documents), tried in order; only for
        # the methods that send a body.
        self.body_limit_patterns = tuple(body_limit_patterns)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_body_bytes = self.body_limits.get(scope["path"], self.max_body_bytes)
        if self.body_limit_patterns and scope["method"] not in ("GET", "HEAD"):
            for pattern, limit in self.body_limit_patterns:
                if pattern.fullmatch(scope["path"]):
                    max_body_bytes = limit
                    break
        incoming = declared_length = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
            elif name == b"content-length":
                declared_length = value
        request_id = incoming if incoming and _SANE.match(incoming) else f"req_{uuid7().hex}"
        scope.setdefault("state", {})["request_id"] = request_id
        added = [(b"x-request-id", request_id.encode("latin-1"))]
        path: str = scope["path"]
        for prefix, prefix_headers in self.headers_by_prefix:
            if path.startswith(prefix):
                added += prefix_headers
        started = time.perf_counter()
        status = 500
        response_started = False
        received = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [*message.get("headers", []), *added]
            await send(message)

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_body_bytes:
                    raise _BodyTooLarge(max_body_bytes)
            return message

        async def answer(
            status_code: int, message: str, kind: str, headers: dict[str, str] | None = None
        ) -> None:
            body = {"type": kind, "fields": []}
            response = error(status_code, message, body, request_id, headers)
            await response(scope, receive, send_with_id)

        too_large = f"The request body is larger than {max_body_bytes} bytes"
        try:
            if (
                declared_length is not None
                and declared_length.isdigit()
                and (int(declared_length) > max_body_bytes)
            ):
                await answer(413, too_large, "payload_too_large")
                return
            await self.app(scope, receive_limited, send_with_id)
        except _BodyTooLarge:
            if response_started:
                raise
            await answer(413, too_large, "payload_too_large")
        except Exception as exc:
            # Exception classes and frames only, never messages: a database error's message
            # quotes its statement, and any message may quote the request's personal data.
            unavailable = is_database_unavailable(exc)
            if unavailable:
                error_log.warning(
                    "database unavailable %s request_id=%s", exception_chain(exc), request_id
                )
            else:
                error_log.error(
                    "unhandled %s request_id=%s\n%s",
                    exception_chain(exc),
                    request_id,
                    _frames(exc),
                )
            if response_started:
                raise _ResponseAborted(type(exc).__name__) from None
            if unavailable:
                outage = ServiceUnavailable(DATABASE_UNAVAILABLE)
                await answer(outage.status_code, outage.message, outage.type, outage.headers)
            else:
                await answer(500, "An unexpected error occurred; it has been logged", "api_error")
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
