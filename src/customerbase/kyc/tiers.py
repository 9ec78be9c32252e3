"""KYC tiers: what each requires and what it allows.

The defaults follow the Central Bank of Nigeria's tiered KYC framework as Bloc applies it
(amounts in naira; `None` is no limit). An organization may override any limit of any tier
(`PUT /v1/kyc/tiers`); requirements are fixed by the framework.

Accounts and postings read the limits through `limits_for(session, tenant, tier)` and check a
posting with `ensure_within_limits(...)`, which raises `KycLimitExceeded` (409) naming the
limit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from customerbase.events import record
from customerbase.kit.errors import Conflict, FieldError
from customerbase.kit.time import utcnow
from customerbase.models import KycSettings
from customerbase.organizations.service import Tenant

if TYPE_CHECKING:
    from customerbase.kyc.schemas import KycTiersUpdate

TIERS = (0, 1, 2, 3)
LIMIT_NAMES = ("max_balance", "single_deposit", "daily_transfer")
CURRENCY = "NGN"


@dataclass(frozen=True, slots=True)
class TierLimits:
    """A tier's limits in naira; None means no limit."""

    max_balance: int | None
    single_deposit: int | None
    daily_transfer: int | None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "currency": CURRENCY}


DEFAULT_LIMITS: dict[int, TierLimits] = {
    0: TierLimits(max_balance=0, single_deposit=0, daily_transfer=0),
    1: TierLimits(max_balance=300_000, single_deposit=50_000, daily_transfer=50_000),
    2: TierLimits(max_balance=500_000, single_deposit=100_000, daily_transfer=200_000),
    3: TierLimits(max_balance=None, single_deposit=5_000_000, daily_transfer=5_000_000),
}

# The fields each tier adds to the tier below it.
TIER_REQUIREMENTS: dict[int, tuple[str, ...]] = {
    0: (),
    1: ("name", "date_of_birth", "phone_number", "identity_number"),
    2: ("id_document",),
    3: ("proof_of_address",),
}

REQUIREMENT_TEXT = {
    "name": "first and last name, matching the BVN or NIN record",
    "date_of_birth": "date of birth, matching the BVN or NIN record",
    "phone_number": "phone number, matching the BVN or NIN record where it holds one",
    "identity_number": "a BVN or NIN that verifies against the name and date of birth",
    "id_document": "a government ID document, reviewed and verified",
    "proof_of_address": "a proof of address (utility bill, bank statement), reviewed and verified",
}


def requirements_up_to(tier: int) -> list[tuple[int, str]]:
    """(tier, field) for every requirement of `tier` and of the tiers below it."""
    return [(t, field) for t in range(1, tier + 1) for field in TIER_REQUIREMENTS[t]]


def default_limits(tier: int) -> TierLimits:
    return DEFAULT_LIMITS[tier]


def apply_overrides(overrides: dict[str, Any] | None) -> dict[int, TierLimits]:
    limits = dict(DEFAULT_LIMITS)
    for key, values in (overrides or {}).items():
        tier = int(key)
        limits[tier] = replace(limits[tier], **{k: values[k] for k in LIMIT_NAMES if k in values})
    return limits


async def load_overrides(session: AsyncSession, tenant: Tenant) -> dict[str, Any]:
    row = await session.scalar(
        select(KycSettings.tiers).where(
            KycSettings.organization_id == tenant.organization_id,
            KycSettings.environment == tenant.environment,
        )
    )
    return dict(row or {})


async def tier_limits(session: AsyncSession, tenant: Tenant) -> dict[int, TierLimits]:
    """Every tier's limits for this organization and environment."""
    return apply_overrides(await load_overrides(session, tenant))


async def limits_for(session: AsyncSession, tenant: Tenant, tier: int) -> TierLimits:
    """The limits of `tier` for this organization and environment: its overrides over the
    defaults. The function accounts call before a posting."""
    return (await tier_limits(session, tenant))[tier]


class KycLimitExceeded(Conflict):
    error_type = "kyc_limit_exceeded"


def ensure_within_limits(
    limits: TierLimits,
    *,
    deposit: int | None = None,
    balance_after: int | None = None,
    transferred_today: int | None = None,
) -> None:
    """Raise `KycLimitExceeded` (409) naming the first limit a posting would pass."""
    for name, value in (
        ("single_deposit", deposit),
        ("max_balance", balance_after),
        ("daily_transfer", transferred_today),
    ):
        limit = getattr(limits, name)
        if value is not None and limit is not None and value > limit:
            raise KycLimitExceeded(
                f"The customer's KYC tier allows at most {limit:,} {CURRENCY} ({name})",
                fields=[FieldError("amount", f"exceeds the tier's {name} limit of {limit}")],
                extra={"limit": name, "limit_value": limit},
            )


# --- Tier settings -------------------------------------------------------------------------


def tiers_document(limits: dict[int, TierLimits]) -> list[dict[str, Any]]:
    return [
        {
            "tier": tier,
            "requirements": [
                {"field": name, "tier": t, "description": REQUIREMENT_TEXT[name]}
                for t, name in requirements_up_to(tier)
            ],
            "limits": limits[tier].as_dict(),
        }
        for tier in TIERS
    ]


async def get_tiers(session: AsyncSession, tenant: Tenant) -> list[dict[str, Any]]:
    return tiers_document(await tier_limits(session, tenant))


async def update_tiers(
    session: AsyncSession, tenant: Tenant, body: KycTiersUpdate
) -> list[dict[str, Any]]:
    settings = await session.get(
        KycSettings, (tenant.organization_id, tenant.environment), with_for_update=True
    )
    before = tiers_document(apply_overrides(settings.tiers if settings else None))
    overrides: dict[str, Any] = dict(settings.tiers) if settings else {}
    for tier, values in body.tiers.items():
        overrides[tier] = {**overrides.get(tier, {}), **values.model_dump(exclude_unset=True)}
    if settings is None:
        settings = KycSettings(
            organization_id=tenant.organization_id,
            environment=tenant.environment,
            tiers=overrides,
            updated_at=utcnow(),
        )
        session.add(settings)
    else:
        settings.tiers = overrides
        settings.updated_at = utcnow()
    document = tiers_document(apply_overrides(overrides))
    record(
        session,
        tenant,
        "kyc.tiers.updated",
        {"tiers": document},
        customer_id=None,
        before={"tiers": before},
    )
    return document
