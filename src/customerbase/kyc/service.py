"""KYC rules: a customer's tier, what the next tier still needs, upgrades, reviews, links.

Invariants:
- The tier moves only when every requirement of the target tier (and of the tiers below it)
  is verified; otherwise the upgrade answers 422 naming each failed requirement and the
  customer is left exactly as it was. The identity check made on the way is kept (and is an
  event): a refusal must stay explainable.
- Every change here records an event (`customer.kyc.*`, `kyc.*`) and an audit entry in the
  same transaction (`customerbase.events.record`).
- Identity numbers reach the provider and nothing else: checks keep the per-field outcome, the
  score and the reasons, never the number or the provider's record.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from customerbase.config import Settings
from customerbase.customers import blocks
from customerbase.customers.repository import CustomerRepository, Scope
from customerbase.customers.search import refresh_search
from customerbase.customers.serializers import customer_to_dict
from customerbase.customers.service import (
    CustomerNotFound,
    CustomerStateConflict,
    DuplicateCustomer,
)
from customerbase.documents import service as documents
from customerbase.documents.schemas import DocumentStatus, DocumentType
from customerbase.events import record, register_event_types
from customerbase.kit import validators as v
from customerbase.kit.crypto import Vault
from customerbase.kit.errors import Conflict, FieldError, ValidationFailed
from customerbase.kit.ids import parse_uuid, uuid7
from customerbase.kit.time import isoformat, utcnow
from customerbase.kyc import tiers
from customerbase.kyc.matching import match_identity
from customerbase.kyc.providers import Claim, IdentityProvider, provider_for
from customerbase.kyc.schemas import KycReview, KycUpgrade
from customerbase.models import Customer, Document, KycCheck
from customerbase.organizations.service import Tenant

register_event_types(
    "customer.kyc.checked",
    "customer.kyc.upgraded",
    "customer.kyc.submitted",
    "customer.kyc.approved",
    "customer.kyc.rejected",
    "customer.kyc.link_created",
    "customer.kyc.link_used",
    "customer.kyc.terms_accepted",
    "kyc.tiers.updated",
)

IDENTITY_CHECKS = ("bvn", "nin")

# The documents (of `customerbase.documents`) that satisfy each document requirement.
ID_DOCUMENT_TYPES = frozenset(
    {
        DocumentType.passport,
        DocumentType.national_id,
        DocumentType.drivers_license,
        DocumentType.voters_card,
        DocumentType.nin_slip,
    }
)
ADDRESS_DOCUMENT_TYPES = frozenset({DocumentType.utility_bill, DocumentType.bank_statement})
DOCUMENT_REQUIREMENTS = {
    "id_document": ID_DOCUMENT_TYPES,
    "proof_of_address": ADDRESS_DOCUMENT_TYPES,
}
# What a KYC review decides on: the requirements' documents and the selfie that goes with them.
KYC_DOCUMENT_TYPES = ID_DOCUMENT_TYPES | ADDRESS_DOCUMENT_TYPES | {DocumentType.selfie}


def document_requirement(docs: list[Document], name: str) -> tuple[str, str | None]:
    """(status, reason) of a document requirement from the customer's own documents."""
    types = {t.value for t in DOCUMENT_REQUIREMENTS[name]}
    relevant = [d for d in docs if d.document_type in types and d.person_id is None]
    if any(d.status == DocumentStatus.verified for d in relevant):
        return "verified", None
    if any(d.status == DocumentStatus.pending_review for d in relevant):
        return "pending", "waiting for review"
    if relevant:
        reasons = list(relevant[-1].review_reasons or [])
        return "failed", "rejected: " + ("; ".join(reasons) or "no reason given")
    return "missing", f"required: {tiers.REQUIREMENT_TEXT[name]}"


async def customer_documents(
    session: AsyncSession, tenant: Tenant, customer: Customer
) -> list[Document]:
    return await documents.list_documents(session, tenant, customer.id)


class KycRequirementsNotMet(ValidationFailed):
    """422: the target tier's requirements did not all verify; `requirements` says which."""

    error_type = "kyc_requirements_not_met"


class KycNotApplicable(Conflict):
    error_type = "kyc_not_applicable"


class KycTierReached(Conflict):
    error_type = "kyc_tier_reached"


class KycNotPending(Conflict):
    error_type = "kyc_not_pending"


# --- Loading -------------------------------------------------------------------------------


async def _customer(
    session: AsyncSession, tenant: Tenant, key: str, *, for_update: bool
) -> Customer:
    customer_id = parse_uuid(key)
    repository = CustomerRepository(session, Scope(tenant.organization_id, tenant.environment))
    customer = (
        await repository.get_by_id(customer_id, for_update=for_update) if customer_id else None
    )
    if customer is None:
        raise CustomerNotFound(
            f"No customer found for {key!r}" if len(key) <= 100 else "No customer found"
        )
    return customer


def _ensure_changeable(customer: Customer) -> None:
    if customer.status == "deleted":
        raise CustomerStateConflict(
            "This customer has been erased and cannot be changed", error_type="customer_deleted"
        )
    if customer.status == "archived":
        raise CustomerStateConflict(
            "This customer is archived: unarchive it before changing it",
            error_type="customer_archived",
        )
    if customer.customer_type != "individual":
        raise KycNotApplicable(
            "KYC tiers apply to individual customers; a business is verified through its people"
        )


async def _checks(session: AsyncSession, tenant: Tenant, customer_id: uuid.UUID) -> list[KycCheck]:
    statement = (
        select(KycCheck)
        .where(
            KycCheck.organization_id == tenant.organization_id,
            KycCheck.environment == tenant.environment,
            KycCheck.customer_id == customer_id,
        )
        .order_by(KycCheck.id.desc())
        .limit(100)
    )
    return list((await session.scalars(statement)).all())


def check_to_dict(check: KycCheck) -> dict[str, Any]:
    return {
        "id": str(check.id),
        "type": check.check_type,
        "provider": check.provider,
        "tier": check.tier,
        "result": check.result,
        "score": check.score,
        "reasons": list(check.reasons),
        "fields": dict(check.details.get("fields", {})),
        "created_at": isoformat(check.created_at),
    }


# --- Requirements --------------------------------------------------------------------------


def _requirement(tier: int, name: str, status: str, reason: str | None) -> dict[str, Any]:
    return {
        "field": name,
        "tier": tier,
        "status": status,
        "reason": reason,
        "description": tiers.REQUIREMENT_TEXT[name],
    }


def _present(customer: Customer) -> dict[str, bool]:
    return {
        "name": bool(customer.first_name and customer.last_name),
        "date_of_birth": customer.date_of_birth_encrypted is not None,
        "phone_number": bool(customer.phone_number),
        "identity_number": customer.bvn_index is not None or customer.nin_index is not None,
    }


def requirements_for(
    customer: Customer, target: int, checks: list[KycCheck], docs: list[Document]
) -> list[dict[str, Any]]:
    """Each requirement of `target` (and the tiers below), with its status and reason."""
    present = _present(customer)
    identity = next((c for c in checks if c.check_type in IDENTITY_CHECKS), None)
    outcome = dict(identity.details.get("fields", {})) if identity else {}
    result: list[dict[str, Any]] = []
    for tier, name in tiers.requirements_up_to(target):
        if customer.kyc_tier >= tier:
            result.append(_requirement(tier, name, "verified", None))
        elif tier == 1:
            done = outcome.get(name)
            if done is not None:
                result.append(_requirement(tier, name, done["status"], done.get("reason")))
            elif not present[name]:
                result.append(_requirement(tier, name, "missing", f"required: {name}"))
            else:
                result.append(_requirement(tier, name, "pending", "not verified yet"))
        else:
            result.append(_requirement(tier, name, *document_requirement(docs, name)))
    return result


async def kyc_overview(session: AsyncSession, tenant: Tenant, key: str) -> dict[str, Any]:
    customer = await _customer(session, tenant, key, for_update=False)
    return await _overview(session, tenant, customer)


async def _overview(session: AsyncSession, tenant: Tenant, customer: Customer) -> dict[str, Any]:
    checks = await _checks(session, tenant, customer.id)
    docs = await customer_documents(session, tenant, customer)
    limits = await tiers.tier_limits(session, tenant)
    next_tier = customer.kyc_tier + 1 if customer.kyc_tier < tiers.TIERS[-1] else None
    requirements = (
        [
            r
            for r in requirements_for(customer, next_tier, checks, docs)
            if r["tier"] > customer.kyc_tier
        ]
        if next_tier is not None and customer.customer_type == "individual"
        else []
    )
    return {
        "customer_id": str(customer.id),
        "tier": customer.kyc_tier,
        "kyc_status": customer.kyc_status,
        "tos_status": customer.tos_status,
        "rejection_reasons": list(customer.rejection_reasons or []),
        "limits": limits[customer.kyc_tier].as_dict(),
        "next_tier": next_tier,
        "next_tier_limits": limits[next_tier].as_dict() if next_tier is not None else None,
        "requirements": requirements,
        "checks": [check_to_dict(check) for check in checks],
        "documents": [
            {
                "id": str(d.id),
                "document_type": d.document_type,
                "status": d.status,
                "review_reasons": list(d.review_reasons or []),
            }
            for d in docs
            if d.document_type in {t.value for t in KYC_DOCUMENT_TYPES} and d.person_id is None
        ],
        "kyc_link": customer.kyc_link,
        "tos_link": customer.tos_link,
    }


# --- Upgrades ------------------------------------------------------------------------------


@dataclass(slots=True)
class UpgradeOutcome:
    customer: Customer
    overview: dict[str, Any]
    refused: KycRequirementsNotMet | None = None
    # Every requirement verified but documents waiting for review: submitted (kyc_status
    # pending), the tier moves when the review approves.
    submitted: bool = False
    checks: list[dict[str, Any]] = field(default_factory=list)


def _stored(vault: Vault, customer: Customer, name: str) -> str | None:
    ciphertext = getattr(customer, f"{name}_encrypted")
    if ciphertext is None:
        return None
    return vault.decrypt(bytes(ciphertext), organization_id=customer.organization_id, field=name)


@dataclass(slots=True)
class _Claimed:
    """The tier-1 data an upgrade checks: what the body sends, else what is stored."""

    first_name: str | None
    middle_name: str | None
    last_name: str | None
    date_of_birth: date | None
    phone_number: str | None
    dial_code: str | None
    id_type: str | None
    id_number: str | None


def _claimed(
    vault: Vault, customer: Customer, body: KycUpgrade
) -> tuple[_Claimed, list[FieldError]]:
    errors: list[FieldError] = []
    phone, dial_code = customer.phone_number, customer.dial_code
    if body.phone_number:
        try:
            phone, dial_code = v.parse_phone(
                body.phone_number,
                dial_code=customer.dial_code,
                country=body.country or customer.country,
            )
        except v.PhoneError as exc:
            errors.append(FieldError("phone_number", str(exc)))
    stored_dob = _stored(vault, customer, "date_of_birth")
    dob = body.date_of_birth or (date.fromisoformat(stored_dob) if stored_dob else None)
    id_type: str | None
    id_number: str | None
    if body.bvn:
        id_type, id_number = "bvn", body.bvn
    elif body.nin:
        id_type, id_number = "nin", body.nin
    elif customer.bvn_encrypted is not None:
        id_type, id_number = "bvn", _stored(vault, customer, "bvn")
    elif customer.nin_encrypted is not None:
        id_type, id_number = "nin", _stored(vault, customer, "nin")
    else:
        id_type = id_number = None
    return (
        _Claimed(
            first_name=body.first_name or customer.first_name,
            middle_name=body.middle_name or customer.middle_name,
            last_name=body.last_name or customer.last_name,
            date_of_birth=dob,
            phone_number=phone,
            dial_code=dial_code,
            id_type=id_type,
            id_number=id_number,
        ),
        errors,
    )


async def _ensure_identity_free(
    session: AsyncSession, vault: Vault, tenant: Tenant, customer: Customer, kind: str, index: str
) -> None:
    if getattr(customer, f"{kind}_index") == index:
        return
    await blocks.ensure_not_blocked(session, vault, tenant, **{f"{kind}_index": index})
    repository = CustomerRepository(session, Scope(tenant.organization_id, tenant.environment))
    conflict = await repository.find_conflict(
        email=None,
        reference=None,
        bvn_index=index if kind == "bvn" else None,
        nin_index=index if kind == "nin" else None,
        exclude_id=customer.id,
    )
    if conflict is not None:
        raise DuplicateCustomer(*conflict)


async def verify_identity(
    session: AsyncSession,
    vault: Vault,
    settings: Settings,
    tenant: Tenant,
    customer: Customer,
    claimed: _Claimed,
    *,
    provider: IdentityProvider | None = None,
) -> KycCheck:
    """Look the claimed BVN or NIN up, compare the record with the claim, store the check."""
    assert claimed.id_type is not None
    assert claimed.id_number is not None
    provider = provider or provider_for(settings, tenant.environment)
    label = claimed.id_type.upper()
    record_found = await provider.lookup(
        Claim(
            id_type=claimed.id_type,
            id_number=claimed.id_number,
            first_name=claimed.first_name,
            middle_name=claimed.middle_name,
            last_name=claimed.last_name,
            date_of_birth=claimed.date_of_birth,
            phone_number=claimed.phone_number,
        )
    )
    fields: dict[str, dict[str, Any]] = {}
    score: float | None = None
    if record_found is None:
        reason = f"the {label} was not found"
        fields["identity_number"] = {"status": "failed", "reason": reason}
        reasons = [reason]
    else:
        match = match_identity(
            claimed_names=[claimed.first_name, claimed.middle_name, claimed.last_name],
            claimed_dob=claimed.date_of_birth,
            claimed_phone=claimed.phone_number,
            record_names=[
                record_found.first_name,
                record_found.middle_name,
                record_found.last_name,
            ],
            record_dob=record_found.date_of_birth,
            record_phone=record_found.phone_number,
            label=label,
            threshold=settings.kyc_name_match_threshold,
        )
        score = match.score
        for name, outcome in match.fields.items():
            fields[name] = {"status": outcome.status, "reason": outcome.reason}
        reasons = match.reasons()
        fields["identity_number"] = (
            {"status": "verified", "reason": None}
            if match.verified
            else {"status": "failed", "reason": f"the {label} did not verify: {'; '.join(reasons)}"}
        )
    check = KycCheck(
        id=uuid7(),
        organization_id=tenant.organization_id,
        environment=tenant.environment,
        customer_id=customer.id,
        check_type=claimed.id_type,
        provider=provider.name,
        tier=1,
        result="verified" if not reasons else "failed",
        score=score,
        reasons=reasons,
        details={"fields": fields},
        created_at=utcnow(),
    )
    session.add(check)
    record(
        session,
        tenant,
        "customer.kyc.checked",
        check_to_dict(check),
        customer_id=customer.id,
    )
    return check


def _apply_tier1(vault: Vault, customer: Customer, body: KycUpgrade, claimed: _Claimed) -> None:
    organization_id = customer.organization_id
    customer.first_name = claimed.first_name
    customer.middle_name = claimed.middle_name
    customer.last_name = claimed.last_name
    customer.phone_number = claimed.phone_number
    customer.dial_code = claimed.dial_code
    if body.date_of_birth:
        customer.date_of_birth_encrypted = vault.encrypt(
            body.date_of_birth.isoformat(), organization_id=organization_id, field="date_of_birth"
        )
    if claimed.id_type and claimed.id_number and (body.bvn or body.nin):
        kind, number = claimed.id_type, claimed.id_number
        setattr(
            customer,
            f"{kind}_encrypted",
            vault.encrypt(number, organization_id=organization_id, field=kind),
        )
        setattr(
            customer,
            f"{kind}_index",
            vault.blind_index(number, organization_id=organization_id, field=kind),
        )
        setattr(customer, f"{kind}_last4", number[-4:])
    if body.gender:
        customer.gender = body.gender.value
    if body.country:
        customer.country = body.country
    if body.address:
        merged = dict(customer.address or {})
        merged.update(body.address.model_dump(exclude_none=True))
        customer.address = merged
    refresh_search(customer)


async def upgrade(
    session: AsyncSession,
    vault: Vault,
    settings: Settings,
    tenant: Tenant,
    key: str,
    body: KycUpgrade,
    *,
    provider: IdentityProvider | None = None,
) -> UpgradeOutcome:
    """Check every requirement of `body.tier`; move the tier when all verify. A refusal is
    returned (not raised) so that the request can commit the checks before answering 422."""
    customer = await _customer(session, tenant, key, for_update=True)
    _ensure_changeable(customer)
    if body.tier <= customer.kyc_tier:
        raise KycTierReached(
            f"The customer is already at tier {customer.kyc_tier}",
            fields=[FieldError("tier", f"must be above the current tier {customer.kyc_tier}")],
        )
    claimed, errors = _claimed(vault, customer, body)
    if errors:
        raise ValidationFailed.for_fields(errors)
    outcome: dict[str, dict[str, Any]] = {}
    check: KycCheck | None = None
    if customer.kyc_tier < 1:
        present = {
            "name": bool(claimed.first_name and claimed.last_name),
            "date_of_birth": claimed.date_of_birth is not None,
            "phone_number": bool(claimed.phone_number),
            "identity_number": claimed.id_number is not None,
        }
        for name, there in present.items():
            if not there:
                outcome[name] = {"status": "missing", "reason": f"required: {name}"}
        if not outcome:
            assert claimed.id_type is not None
            assert claimed.id_number is not None
            index = vault.blind_index(
                claimed.id_number, organization_id=tenant.organization_id, field=claimed.id_type
            )
            await _ensure_identity_free(session, vault, tenant, customer, claimed.id_type, index)
            check = await verify_identity(
                session, vault, settings, tenant, customer, claimed, provider=provider
            )
            outcome.update(check.details["fields"])
    docs = await customer_documents(session, tenant, customer) if body.tier > 1 else []
    for tier, name in tiers.requirements_up_to(body.tier):
        if tier > 1 and tier > customer.kyc_tier:
            status, reason = document_requirement(docs, name)
            outcome[name] = {"status": status, "reason": reason}
    failed = [
        FieldError(name, result["reason"] or result["status"])
        for name, result in outcome.items()
        if result["status"] not in ("verified", "pending")
    ]
    waiting = [name for name, result in outcome.items() if result["status"] == "pending"]
    if waiting and not failed:
        # The documents are in: a submission (or a resubmission after a rejection).
        if customer.kyc_tier < 1:
            _apply_tier1(vault, customer, body, claimed)
            customer.kyc_tier = 1
        await submit(session, vault, tenant, customer)
        return UpgradeOutcome(customer, await _overview(session, tenant, customer), submitted=True)
    if failed:
        await session.flush()
        overview = await _overview(session, tenant, customer)
        requirements = [
            {"field": name, "status": result["status"], "reason": result["reason"]}
            for name, result in outcome.items()
        ]
        refused = KycRequirementsNotMet(
            f"Tier {body.tier} needs every requirement verified: "
            + "; ".join(f"{f.field}: {f.message}" for f in failed),
            fields=failed,
            extra={"requirements": requirements},
        )
        return UpgradeOutcome(customer, overview, refused)
    before = customer_to_dict(customer, vault)
    if customer.kyc_tier < 1:
        _apply_tier1(vault, customer, body, claimed)
    customer.kyc_tier = body.tier
    customer.kyc_status = "approved"
    customer.rejection_reasons = []
    customer.updated_at = utcnow()
    await session.flush()
    record(
        session,
        tenant,
        "customer.kyc.upgraded",
        customer_to_dict(customer, vault),
        customer_id=customer.id,
        before=before,
    )
    return UpgradeOutcome(customer, await _overview(session, tenant, customer))


async def submit(session: AsyncSession, vault: Vault, tenant: Tenant, customer: Customer) -> None:
    """Documents wait for review: `kyc_status` becomes `pending` (a resubmission clears the
    last rejection's reasons)."""
    before = customer_to_dict(customer, vault)
    customer.kyc_status = "pending"
    customer.rejection_reasons = []
    customer.updated_at = utcnow()
    await session.flush()
    record(
        session,
        tenant,
        "customer.kyc.submitted",
        customer_to_dict(customer, vault),
        customer_id=customer.id,
        before=before,
    )


def reachable_tier(customer: Customer, docs: list[Document]) -> int:
    """The highest tier whose requirements are all verified (tier 1 comes from its identity
    check, so it is the customer's tier at least)."""
    tier = customer.kyc_tier
    while tier < tiers.TIERS[-1] and tier >= 1:
        names = tiers.TIER_REQUIREMENTS[tier + 1]
        if not all(document_requirement(docs, name)[0] == "verified" for name in names):
            break
        tier += 1
    return tier


async def review(
    session: AsyncSession, vault: Vault, tenant: Tenant, key: str, body: KycReview
) -> dict[str, Any]:
    """A reviewer's decision on the KYC documents waiting for review (or the one named):
    approve verifies them and moves the tier as far as the requirements now allow; reject
    rejects them with the reasons, which the customer object then carries."""
    customer = await _customer(session, tenant, key, for_update=True)
    _ensure_changeable(customer)
    if body.decision == "reject" and not body.reasons:
        raise ValidationFailed.for_field("reasons", "are required to reject")
    kyc_types = {t.value for t in KYC_DOCUMENT_TYPES}
    docs = await customer_documents(session, tenant, customer)
    waiting = [
        d
        for d in docs
        if d.status == DocumentStatus.pending_review
        and d.document_type in kyc_types
        and d.person_id is None
    ]
    if body.document_id is not None:
        named = await documents.get_document(session, tenant, customer.id, body.document_id)
        waiting = [d for d in waiting if d.id == named.id]
    if not waiting:
        raise KycNotPending("No KYC document of this customer is waiting for review")
    verdict = DocumentStatus.verified if body.decision == "approve" else DocumentStatus.rejected
    for document in waiting:
        await documents.set_review(
            session,
            tenant,
            customer.id,
            document.id,
            status=verdict,
            reasons=body.reasons if verdict is DocumentStatus.rejected else (),
        )
    before = customer_to_dict(customer, vault)
    if verdict is DocumentStatus.rejected:
        customer.kyc_status = "rejected"
        customer.rejection_reasons = list(body.reasons)
        event = "customer.kyc.rejected"
    else:
        still_waiting = any(
            d.status == DocumentStatus.pending_review and d.document_type in kyc_types for d in docs
        )
        customer.kyc_tier = reachable_tier(customer, docs)
        customer.kyc_status = "pending" if still_waiting else "approved"
        customer.rejection_reasons = []
        event = "customer.kyc.approved"
    customer.updated_at = utcnow()
    await session.flush()
    record(
        session,
        tenant,
        event,
        customer_to_dict(customer, vault),
        customer_id=customer.id,
        before=before,
    )
    return await _overview(session, tenant, customer)
