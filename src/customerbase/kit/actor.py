"""Who is acting: the API key, the dashboard user or the system behind a change.

Set once per request when it authenticates (a context variable, so that services need not
pass it along); the audit trail reads it when a change is recorded. Outside a request (the
CLI, the worker, an import job) it is the system.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    type: str  # "api_key" | "dashboard_user" | "system"
    id: str | None = None
    request_id: str | None = None


SYSTEM = Actor("system")

_current: ContextVar[Actor] = ContextVar("customerbase_actor", default=SYSTEM)


def current_actor() -> Actor:
    return _current.get()


def set_actor(actor: Actor) -> None:
    """Make `actor` the actor of the rest of this task (a request is one task)."""
    _current.set(actor)
