"""A real HTTP receiver on 127.0.0.1 (aiohttp), a clock the tests move, and a pump that runs
a worker until a condition holds (bounded)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from aiohttp import web

from customerbase.kit.time import utcnow
from customerbase.webhooks.worker import Worker


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> dict[str, Any]:
        value: dict[str, Any] = orjson.loads(self.body)
        return value

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


Answer = tuple[int, dict[str, str]]


@dataclass
class Receiver:
    """Records every request; `answer(n)` (n counts from 0) gives the status and headers."""

    answer: Callable[[int], Answer] = lambda _n: (200, {})
    delay: float = 0.0
    requests: list[Received] = field(default_factory=list)
    url: str = ""
    unanswered: set[str] = field(default_factory=set)  # webhook-ids being answered
    _runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        n = len(self.requests)
        self.requests.append(Received(dict(request.headers), body, time.monotonic()))
        webhook_id = request.headers.get("webhook-id", "")
        self.unanswered.add(webhook_id)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
        finally:
            self.unanswered.discard(webhook_id)
        status, headers = self.answer(n)
        return web.Response(status=status, headers=headers, text="ok")

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/hooks", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/hooks"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def lowered(self, index: int) -> dict[str, str]:
        return {k.lower(): v for k, v in self.requests[index].headers.items()}

    def events(self) -> list[dict[str, Any]]:
        return [request.json for request in self.requests]


class Clock:
    """Real time plus an offset the test moves forward."""

    def __init__(self) -> None:
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


async def pump(
    worker: Worker,
    until: Callable[[], bool],
    *,
    clock: Clock | None = None,
    advance: timedelta | None = None,
    within: float = 20.0,
) -> None:
    """Step `worker` (letting each batch finish) until `until()`; when it finds nothing to do,
    move `clock` by `advance` (the retry schedule passes in a moment).
    Fails after `within` seconds."""
    deadline = time.monotonic() + within
    while not until():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        busy = await worker.step()
        await worker.settle()
        if not busy:
            if clock is not None and advance is not None:
                clock.advance(advance)
            else:
                await asyncio.sleep(0.02)
