"""The hosted page's side of KYC: signed links onto the customer, their use, and the terms of
service (accepted into the consent ledger). Every change records its event and audit entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from customerbase.config import Settings
from customerbase.customers.serializers import customer_to_dict
from customerbase.events import record
from customerbase.kit.crypto import Vault
from customerbase.kit.ids import uuid7
from customerbase.kit.time import utcnow
from customerbase.kyc import links
from customerbase.kyc.service import _customer, _ensure_changeable
from customerbase.models import Customer, KycLink
from customerbase.onboarding import service as onboarding
from customerbase.onboarding.schemas import ConsentCreate
from customerbase.organizations.service import Tenant

# --- Links ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedLink:
    customer: Customer
    url: str
    tos_url: str
    expires_at: datetime


async def issue_link(
    session: AsyncSession,
    vault: Vault,
    settings: Settings,
    tenant: Tenant,
    key: str,
    *,
    base_url: str,
    expires_in: int | None = None,
) -> IssuedLink:
    """A new signed link to the hosted page; earlier unused links of the customer stop
    working (only the newest link is live)."""
    customer = await _customer(session, tenant, key, for_update=True)
    _ensure_changeable(customer)
    return await _issue_link(session, vault, settings, tenant, customer, base_url, expires_in)


async def _issue_link(
    session: AsyncSession,
    vault: Vault,
    settings: Settings,
    tenant: Tenant,
    customer: Customer,
    base_url: str,
    expires_in: int | None,
) -> IssuedLink:
    now = utcnow()
    expires_at = now + timedelta(seconds=expires_in or settings.kyc_link_ttl_seconds)
    expires_at = expires_at.replace(microsecond=0)
    await session.execute(
        update(KycLink)
        .where(
            KycLink.organization_id == tenant.organization_id,
            KycLink.environment == tenant.environment,
            KycLink.customer_id == customer.id,
            KycLink.used_at.is_(None),
            KycLink.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    link = KycLink(
        id=uuid7(),
        organization_id=tenant.organization_id,
        environment=tenant.environment,
        customer_id=customer.id,
        expires_at=expires_at,
        created_at=now,
    )
    session.add(link)
    token = links.make_token(vault, link.id, expires_at)
    url = f"{(settings.public_url or base_url).rstrip('/')}/kyc/{token}"
    before = customer_to_dict(customer, vault)
    customer.kyc_link = url
    customer.tos_link = f"{url}/terms"
    customer.updated_at = now
    await session.flush()
    record(
        session,
        tenant,
        "customer.kyc.link_created",
        customer_to_dict(customer, vault),
        customer_id=customer.id,
        before=before,
    )
    return IssuedLink(customer, url, customer.tos_link, expires_at)


def record_link_used(
    session: AsyncSession, vault: Vault, tenant: Tenant, customer: Customer
) -> None:
    record(
        session,
        tenant,
        "customer.kyc.link_used",
        customer_to_dict(customer, vault),
        customer_id=customer.id,
        changes={},
    )


# --- Terms of service ----------------------------------------------------------------------


# The version of the terms the hosted page shows (`page.TERMS`); the consent ledger keeps it.
TERMS_VERSION = "2026-12-01"


async def accept_terms(
    session: AsyncSession,
    vault: Vault,
    tenant: Tenant,
    customer: Customer,
    *,
    ip_address: str | None = None,
    user_agent: str | None = None,
) -> None:
    """The customer accepts the terms of service: an entry in the consent ledger
    (`customerbase.onboarding`), and `tos_status` becomes `accepted`."""
    if customer.tos_status == "accepted":
        return
    await onboarding.record_consent(
        session,
        vault,
        tenant,
        str(customer.id),
        ConsentCreate(type="terms_of_service", version=TERMS_VERSION, granted=True),
        ip_address=ip_address,
        user_agent=user_agent,
    )
    before = customer_to_dict(customer, vault)
    customer.tos_status = "accepted"
    customer.updated_at = utcnow()
    await session.flush()
    record(
        session,
        tenant,
        "customer.kyc.terms_accepted",
        customer_to_dict(customer, vault),
        customer_id=customer.id,
        before=before,
    )
