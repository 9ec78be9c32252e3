"""KYC: tiers 0-3 with their requirements and limits, identity verification (sandbox and
http providers), upgrades, document reviews, and the hosted KYC page with its signed links.

For accounts and postings: `limits_for(session, tenant, tier)` gives a tier's limits for an
organization (its overrides over the CBN-framework defaults), and `ensure_within_limits(...)`
raises `KycLimitExceeded` (409, naming the limit) for a posting that would pass one.
"""

from customerbase.kyc.tiers import (
    DEFAULT_LIMITS,
    KycLimitExceeded,
    TierLimits,
    ensure_within_limits,
    limits_for,
)

__all__ = [
    "DEFAULT_LIMITS",
    "KycLimitExceeded",
    "TierLimits",
    "ensure_within_limits",
    "limits_for",
]
