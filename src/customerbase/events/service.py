"""Recording events and audit entries, and reading them back."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from customerbase.kit.actor import Actor, current_actor
from customerbase.kit.fastdb import decode_json, decode_timestamp, decode_uuid
from customerbase.kit.ids import uuid7
from customerbase.kit.time import isoformat, utcnow
from customerbase.models import AuditEntry, Event
from customerbase.organizations.service import Tenant

# The version of the objects an event carries (dated, as Stripe dates its API versions).
API_VERSION = "2026-12-01"

EVENT_TYPES: set[str] = set()


def register_event_types(*types: str) -> None:
    EVENT_TYPES.update(types)


register_event_types(
    "customer.created",
    "customer.updated",
    "customer.archived",
    "customer.unarchived",
    "customer.blacklisted",
    "customer.unblacklisted",
    "customer.deleted",
)

# Fields whose values are personal data: an audit entry or an event's `changes` shows them
# masked, never in full.
PERSONAL_FIELDS = frozenset(
    {
        "email",
        "phone_number",
        "date_of_birth",
        "bvn",
        "nin",
        "tax_identification_number",
        "identity_number",
        "account_number",
        "address",
        "next_of_kin",
        "operating_address",
    }
)
# Names and references: shown by their first letter only, so that the trail (which erasure
# cannot rewrite: it is append-only) never holds a person's name.
NAME_FIELDS = frozenset(
    {"first_name", "middle_name", "last_name", "full_name", "company_name", "reference"}
)
# Bookkeeping that changes with every write: not a change worth reporting.
_IGNORED = frozenset({"updated_at"})


def _mask_text(value: str) -> str:
    if "@" in value:
        local, _, domain = value.rpartition("@")
        host, dot, tld = domain.rpartition(".")
        return f"{local[:1]}***@{host[:1]}***{dot}{tld}"
    if "*" in value:  # already masked by the serializer (identity numbers, date of birth)
        return value
    return f"***{value[-4:]}" if len(value) > 4 else "****"


def mask_value(field: str, value: Any) -> Any:
    """`value` as an audit entry may show it: personal data masked, the rest as it is."""
    if value is None:
        return value
    if field in NAME_FIELDS:
        return f"{str(value)[:1]}***"
    if field not in PERSONAL_FIELDS:
        return value
    if isinstance(value, dict):
        return {key: "***" if item is not None else None for key, item in value.items()}
    return _mask_text(str(value))


def changes_between(
    before: dict[str, Any] | None, after: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Each field whose value differs, `{"old", "new"}`, personal data masked. Without
    `before` (a creation), every field that has a value."""
    old = before or {}
    changes: dict[str, dict[str, Any]] = {}
    for field, new_value in after.items():
        if field in _IGNORED:
            continue
        old_value = old.get(field)
        if old_value == new_value or (before is None and new_value is None):
            continue
        if isinstance(old_value, dict) and isinstance(new_value, dict):
            # A nested object (address, metadata): say which keys changed.
            keys = {key for key in old_value.keys() | new_value.keys()}
            changed = {k for k in keys if old_value.get(k) != new_value.get(k)}
            old_value = {k: old_value.get(k) for k in sorted(changed)}
            new_value = {k: new_value.get(k) for k in sorted(changed)}
        changes[field] = {"old": mask_value(field, old_value), "new": mask_value(field, new_value)}
    return changes


@dataclass(frozen=True, slots=True)
class EventRows:
    """The values of one event row and of its audit row (None: no audit entry)."""

    event: dict[str, Any]
    audit: dict[str, Any] | None


def event_rows(
    tenant: Tenant,
    type: str,
    obj: dict[str, Any],
    *,
    customer_id: uuid.UUID | None,
    before: dict[str, Any] | None = None,
    changes: dict[str, dict[str, Any]] | None = None,
    actor: Actor | None = None,
    created_at: datetime | None = None,
) -> EventRows:
    """The rows that record `type` happening to `obj` (as the API shows it). `changes`
    defaults to the difference between `before` and `obj`."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unregistered event type {type!r}")
    actor = actor or current_actor()
    now = created_at or utcnow()
    data: dict[str, Any] = {"object": obj}
    if changes is not None or before is not None:
        changes = data["changes"] = changes_between(before, obj) if changes is None else changes
    else:
        changes = changes_between(None, obj)  # a creation: the audit entry lists every field
    event_id = uuid7()
    event = {
        "id": event_id,
        "organization_id": tenant.organization_id,
        "environment": tenant.environment,
        "type": type,
        "customer_id": customer_id,
        "api_version": API_VERSION,
        "data": data,
        "created_at": now,
        "dispatched_at": None,  # webhook delivery: not fanned out yet
    }
    audit = None
    if customer_id is not None:
        audit = {
            "id": uuid7(),
            "organization_id": tenant.organization_id,
            "environment": tenant.environment,
            "customer_id": customer_id,
            "action": type,
            "actor_type": actor.type,
            "actor_id": actor.id,
            "request_id": actor.request_id,
            "event_id": event_id,
            "changes": changes,
            "created_at": now,
        }
    return EventRows(event, audit)


def record(
    session: AsyncSession,
    tenant: Tenant,
    type: str,
    obj: dict[str, Any],
    *,
    customer_id: uuid.UUID | None,
    before: dict[str, Any] | None = None,
    changes: dict[str, dict[str, Any]] | None = None,
    actor: Actor | None = None,
) -> uuid.UUID:
    """Add the event (and the audit entry, for a customer's change) to the session's
    transaction; they commit or roll back with the change. Returns the event's id."""
    rows = event_rows(
        tenant, type, obj, customer_id=customer_id, before=before, changes=changes, actor=actor
    )
    session.add(Event(**rows.event))
    if rows.audit is not None:
        session.add(AuditEntry(**rows.audit))
    return uuid.UUID(str(rows.event["id"]))


async def redact_customer_events(
    session: AsyncSession, tenant: Tenant, customer_id: uuid.UUID, erased: dict[str, Any]
) -> None:
    """Erasure reaches the event log: every earlier event of the customer now carries the
    erased object (no name, email or phone) and no `changes`. (The audit trail never held
    them: it masks names and personal data when it is written.)"""
    await session.execute(
        update(Event)
        .where(
            Event.organization_id == tenant.organization_id,
            Event.environment == tenant.environment,
            Event.customer_id == customer_id,
            # The customer's own events (its object, its people, its consents); the events of
            # what belongs to it (documents, accounts) carry no personal data to redact.
            Event.type.startswith("customer."),
        )
        .values(data={"object": erased, "redacted": True})
    )


def event_to_dict(row: Any) -> dict[str, Any]:
    """The event as the API (and a webhook) shows it."""
    customer_id = row["customer_id"]
    return {
        "id": decode_uuid(row["id"]),
        "type": row["type"],
        "created_at": isoformat(decode_timestamp(row["created_at"])),
        "environment": row["environment"],
        "api_version": row["api_version"],
        "customer_id": decode_uuid(customer_id) if customer_id is not None else None,
        "data": decode_json(row["data"]),
    }
