"""The HTTP server: uvicorn with httptools, guarded against slow and oversized request heads.

uvicorn's httptools protocol has no bound on the request line and headers, and accumulating a
huge header costs time that grows with the square of its size, all on the one event loop: a
single 50 MB `Authorization` header stalled every other request for seconds. Nor does it bound
the time a client may take to send its head, so slow sockets can be held open indefinitely.

`GuardedHttpToolsProtocol` feeds the parser in slices while a head is incomplete and answers 431
once the head passes `MAX_HEAD_BYTES`; a connection that has not completed a request head within
`HEAD_TIMEOUT_SECONDS` of opening or of going idle (keep-alive) is closed.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Callable
from typing import Any

import orjson
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.supervisors import Multiprocess

from customerbase.kit.ids import uuid7

MAX_HEAD_BYTES = 16 * 1024  # request line and headers together
HEAD_TIMEOUT_SECONDS = 5.0
KEEP_ALIVE_SECONDS = 5
_SLICE = 4096  # bytes handed to the parser at a time while a head is incomplete
STARTUP_FAILURE = 3


class PortUnavailable(Exception):
    """The address to listen on cannot be bound (in use, not ours, not an address here)."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a size and a time limit on each request head."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = True  # bytes that arrive now belong to a request head
        self._head_fed = 0  # bytes fed to the parser while the current head is incomplete
        self._head_bytes = 0  # bytes of the current head's request line and headers parsed
        self._heads_completed = 0
        self._rejected = False
        self._head_timer: asyncio.TimerHandle | None = None

    # --- timers ---------------------------------------------------------------------------
    def _arm_head_timer(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(HEAD_TIMEOUT_SECONDS, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._in_head and not self.transport.is_closing():
            self.transport.close()

    # --- connection -----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        view = memoryview(data)
        while view and not self._rejected:
            if self.transport.is_closing() or self.transport.get_protocol() is not self:
                return
            if not self._in_head:
                super().data_received(bytes(view))
                return
            # While a head is incomplete the parser gets small slices, so that an oversized
            # head is refused after a few kilobytes instead of being accumulated first.
            piece, view = view[:_SLICE], view[_SLICE:]
            completed = self._heads_completed
            super().data_received(bytes(piece))
            if self._in_head and self._heads_completed == completed:
                self._head_fed += len(piece)
                if self._head_fed > MAX_HEAD_BYTES:
                    self._reject()

    # --- parser callbacks -----------------------------------------------------------------
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_fed = self._head_bytes = 0
        self._arm_head_timer()

    def on_url(self, url: bytes) -> None:
        self._head_bytes += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_bytes += len(name) + len(value) + 4  # ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._heads_completed += 1
        self._cancel_head_timer()
        if self._head_bytes > MAX_HEAD_BYTES:
            self._reject()
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._rejected:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._rejected:
            return
        super().on_message_complete()
        self._in_head = True
        self._head_fed = self._head_bytes = 0

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._in_head and not self.transport.is_closing():
            self._arm_head_timer()  # idle keep-alive, or the next request still arriving

    def _reject(self) -> None:
        """431 in the error envelope, then close: the rest of the head is never read."""
        self._rejected = True
        self._cancel_head_timer()
        request_id = f"req_{uuid7().hex}"
        message = f"The request headers are larger than {MAX_HEAD_BYTES} bytes"
        body = orjson.dumps(
            {
                "success": False,
                "message": message,
                "error": {"type": "headers_too_large", "fields": [], "request_id": request_id},
            }
        )
        head = (
            "HTTP/1.1 431 Request Header Fields Too Large\r\n"
            "content-type: application/json\r\n"
            f"content-length: {len(body)}\r\n"
            f"x-request-id: {request_id}\r\n"
            "connection: close\r\n\r\n"
        )
        self.transport.write(head.encode("ascii") + body)
        self.transport.close()


class _Server(uvicorn.Server):
    """Calls `on_ready` once the application has started and the socket accepts requests."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and not self.should_exit:
            self._on_ready()


def bind(host: str, port: int, backlog: int = 2048) -> socket.socket:
    """A listening TCP socket on host:port, or PortUnavailable saying why in one line."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise PortUnavailable(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        reason = "the port is in use" if exc.errno == 98 else (exc.strerror or str(exc))
        raise PortUnavailable(f"cannot listen on {host}:{port}: {reason}") from None
    sock.set_inheritable(True)
    return sock


def serve(
    app: str,
    *,
    host: str,
    port: int,
    workers: int,
    on_ready: Callable[[str], None],
) -> int:
    """Serve the ASGI app factory `app`; `on_ready(url)` once requests are accepted.

    Binds first, so that a port in use is a PortUnavailable before anything starts. Returns the
    exit code (0 after a normal shutdown, STARTUP_FAILURE if the application did not start).
    """
    sock = bind(host, port)
    bound_port = sock.getsockname()[1]
    url = f"http://{host}:{bound_port}"
    config = uvicorn.Config(
        app,
        factory=True,
        host=host,
        port=bound_port,
        workers=workers,
        loop="uvloop" if sys.platform != "win32" else "auto",
        http=GuardedHttpToolsProtocol,
        ws="none",  # no websocket routes: an Upgrade request is served as plain HTTP
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        access_log=False,  # our own access log names routes, never raw paths with personal data
        log_config=None,
        server_header=False,
    )
    try:
        if workers > 1:
            on_ready(url)
            Multiprocess(config, sockets=[sock]).run()
            return 0
        server = _Server(config, lambda: on_ready(url))
        server.run(sockets=[sock])
        return 0 if server.started else STARTUP_FAILURE
    except KeyboardInterrupt:
        return 0
    finally:
        sock.close()
