"""What archiving and unarchiving a customer do to its accounts and cards (Bloc: "archiving
makes all linked accounts and cards automatically inactive").

Archiving makes the customer's active accounts and active cards inactive with the reason
`customer_archived`; unarchiving makes active again exactly the ones with that reason, so that
an account closed or a card frozen or terminated for another reason stays as it was. Each
change is an event and an audit entry in the archive's own transaction. The changes are kept
on the session (`cascaded`), for the customer endpoint to say in its response what changed.

This module imports no other domain, so that the customers service can call it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from customerbase.accounts.serializers import (
    ACCOUNT_COLUMNS,
    CARD_COLUMNS,
    account_to_dict,
    card_to_dict,
    columns_of,
)
from customerbase.events import record, register_event_types
from customerbase.kit.time import utcnow
from customerbase.models import Account, Card
from customerbase.organizations.service import Tenant

ARCHIVED = "customer_archived"
_CASCADED = "accounts.cascaded"

register_event_types(
    "account.deactivated", "account.reactivated", "card.deactivated", "card.reactivated"
)


def account_dict(account: Account) -> dict[str, Any]:
    return account_to_dict(columns_of(account, ACCOUNT_COLUMNS))


def card_dict(card: Card) -> dict[str, Any]:
    return card_to_dict(columns_of(card, CARD_COLUMNS))


async def _change(
    session: AsyncSession,
    tenant: Tenant,
    customer_id: uuid.UUID,
    *,
    from_status: str,
    from_reason: str | None,
    to_status: str,
    to_reason: str | None,
    verb: str,
) -> dict[str, list[dict[str, Any]]]:
    """One UPDATE ... RETURNING per table (no ORM objects: the archive's cost stays close to
    the archive alone), then an event and an audit entry per account or card changed."""
    now = utcnow()
    changed: dict[str, list[dict[str, Any]]] = {"accounts": [], "cards": []}
    plan: tuple[tuple[Any, str, str, Callable[[Any], dict[str, Any]]], ...] = (
        (Account, "account", ACCOUNT_COLUMNS, account_to_dict),
        (Card, "card", CARD_COLUMNS, card_to_dict),
    )
    for model, kind, columns, render in plan:
        reason = (
            model.status_reason.is_(None)
            if from_reason is None
            else model.status_reason == from_reason
        )
        statement = (
            update(model)
            .where(
                model.organization_id == tenant.organization_id,
                model.environment == tenant.environment,
                model.customer_id == customer_id,
                model.status == from_status,
                reason,
            )
            .values(status=to_status, status_reason=to_reason, updated_at=now)
            .returning(*(getattr(model, name.strip()) for name in columns.split(",")))
            .execution_options(synchronize_session=False)
        )
        rows = (await session.execute(statement)).mappings().all()
        for row in sorted(rows, key=lambda r: str(r["id"])):
            after = render(row)
            before = {**after, "status": from_status, "status_reason": from_reason}
            record(session, tenant, f"{kind}.{verb}", after, customer_id=customer_id, before=before)
            changed[f"{kind}s"].append(
                {"id": after["id"], "status": {"old": from_status, "new": to_status}}
            )
    session.info[_CASCADED] = changed
    return changed


async def deactivate_for_archive(
    session: AsyncSession, tenant: Tenant, customer_id: uuid.UUID
) -> dict[str, list[dict[str, Any]]]:
    """Make the customer's active accounts and cards inactive (reason `customer_archived`)."""
    return await _change(
        session,
        tenant,
        customer_id,
        from_status="active",
        from_reason=None,
        to_status="inactive",
        to_reason=ARCHIVED,
        verb="deactivated",
    )


async def reactivate_for_unarchive(
    session: AsyncSession, tenant: Tenant, customer_id: uuid.UUID
) -> dict[str, list[dict[str, Any]]]:
    """Make active again exactly what the archive made inactive."""
    return await _change(
        session,
        tenant,
        customer_id,
        from_status="inactive",
        from_reason=ARCHIVED,
        to_status="active",
        to_reason=None,
        verb="reactivated",
    )


def cascaded(session: AsyncSession) -> dict[str, list[dict[str, Any]]]:
    """What the request's archive or unarchive changed (empty lists when nothing)."""
    result: dict[str, list[dict[str, Any]]] = session.info.get(
        _CASCADED, {"accounts": [], "cards": []}
    )
    return result
