"""The block list: identities of erased blacklisted customers that may not be onboarded again.

Only blind indexes are kept (keyed HMACs, per organization and field), never a value: the list
can say "this BVN belonged to an erased blacklisted customer" without holding the BVN.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from customerbase.kit.crypto import Vault
from customerbase.kit.errors import Conflict, FieldError, NotFound
from customerbase.kit.fastdb import Connection
from customerbase.kit.time import utcnow
from customerbase.models import Customer, IdentityBlock
from customerbase.organizations.service import Tenant

_LABELS = {
    "bvn": "BVN",
    "nin": "NIN",
    "tin": "tax identification number",
    "email": "email",
    "phone_number": "phone number",
}
# The request field each kind of block names.
_FIELDS = {"tin": "tax_identification_number"}


class BlockedIdentity(Conflict):
    error_type = "blocked_identity"

    def __init__(self, kind: str) -> None:
        super().__init__(
            f"This {_LABELS[kind]} belonged to a blacklisted customer that was erased "
            "(or is blocked with its blacklist); it cannot be onboarded again until the "
            "block is lifted",
            fields=[FieldError(_FIELDS.get(kind, kind), "is blocked")],
        )


class BlockNotFound(NotFound):
    error_type = "block_not_found"


def identity_pairs(
    vault: Vault,
    organization_id: uuid.UUID,
    *,
    bvn_index: str | None = None,
    nin_index: str | None = None,
    email: str | None = None,
    phone_number: str | None = None,
    tin_index: str | None = None,
) -> list[tuple[str, str]]:
    pairs = [("bvn", bvn_index), ("nin", nin_index), ("tin", tin_index)]
    if email:
        pairs.append(
            ("email", vault.blind_index(email, organization_id=organization_id, field="email"))
        )
    if phone_number:
        pairs.append(
            (
                "phone_number",
                vault.blind_index(
                    phone_number, organization_id=organization_id, field="phone_number"
                ),
            )
        )
    return [(kind, index) for kind, index in pairs if index]


async def ensure_not_blocked(
    session: AsyncSession,
    vault: Vault,
    tenant: Tenant,
    *,
    bvn_index: str | None = None,
    nin_index: str | None = None,
    email: str | None = None,
    phone_number: str | None = None,
    tin_index: str | None = None,
) -> None:
    """Raise `BlockedIdentity` naming the first blocked field among those given."""
    pairs = identity_pairs(
        vault,
        tenant.organization_id,
        bvn_index=bvn_index,
        nin_index=nin_index,
        email=email,
        phone_number=phone_number,
        tin_index=tin_index,
    )
    if not pairs:
        return
    statement = select(IdentityBlock.kind).where(
        IdentityBlock.organization_id == tenant.organization_id,
        IdentityBlock.environment == tenant.environment,
        or_(
            *(
                (IdentityBlock.kind == kind) & (IdentityBlock.blind_index == index)
                for kind, index in pairs
            )
        ),
    )
    blocked = set((await session.scalars(statement)).all())
    for kind, _ in pairs:
        if kind in blocked:
            raise BlockedIdentity(kind)


_BLOCKED_KINDS = (
    "SELECT kind, blind_index FROM identity_blocks WHERE organization_id = $1"
    " AND environment = $2 AND blind_index = ANY($3::text[])"
)


async def raise_blocked(
    connection: Connection, tenant: Tenant, pairs: list[tuple[str, str]]
) -> None:
    """Raise `BlockedIdentity` for the first of `pairs` on the block list (fast path)."""
    rows = await connection.fetch(
        _BLOCKED_KINDS, tenant.organization_id, tenant.environment, [i for _, i in pairs]
    )
    blocked = {(row["kind"], row["blind_index"]) for row in rows}
    for pair in pairs:
        if pair in blocked:
            raise BlockedIdentity(pair[0])


async def block_identities_of(session: AsyncSession, vault: Vault, customer: Customer) -> None:
    """Put the identities of a blacklisted customer on the block list (before its erasure, or
    when it is blacklisted with `block_identifiers`)."""
    pairs = identity_pairs(
        vault,
        customer.organization_id,
        bvn_index=customer.bvn_index,
        nin_index=customer.nin_index,
        email=customer.email,
        phone_number=customer.phone_number,
        tin_index=customer.tin_index,
    )
    scope = (
        IdentityBlock.organization_id == customer.organization_id,
        IdentityBlock.environment == customer.environment,
    )
    existing = set(
        (
            await session.execute(
                select(IdentityBlock.kind, IdentityBlock.blind_index)
                .where(*scope)
                .where(IdentityBlock.blind_index.in_([index for _, index in pairs]))
            )
        ).all()
    )
    now = utcnow()
    for kind, index in pairs:
        if (kind, index) in existing:
            continue
        session.add(
            IdentityBlock(
                organization_id=customer.organization_id,
                environment=customer.environment,
                kind=kind,
                blind_index=index,
                customer_id=customer.id,
                reason=customer.blacklist_reason,
                created_at=now,
            )
        )
    await session.flush()


async def list_blocks(
    session: AsyncSession, organization_id: uuid.UUID | None = None
) -> Sequence[IdentityBlock]:
    statement = select(IdentityBlock).order_by(IdentityBlock.id)
    if organization_id is not None:
        statement = statement.where(IdentityBlock.organization_id == organization_id)
    return (await session.scalars(statement)).all()


async def lift_blocks(
    session: AsyncSession,
    *,
    block_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
) -> int:
    """Lift one block by its id, or every block of one erased customer. Returns how many."""
    statement = delete(IdentityBlock)
    if block_id is not None:
        statement = statement.where(IdentityBlock.id == block_id)
    elif customer_id is not None:
        statement = statement.where(IdentityBlock.customer_id == customer_id)
    else:
        raise ValueError("a block id or a customer id is required")
    result = await session.execute(statement)
    lifted = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if lifted == 0:
        raise BlockNotFound("No such block")
    return lifted


async def lift_blocks_of(session: AsyncSession, customer: Customer) -> int:
    """Lift the blocks a (not erased) customer's blacklist set. Returns how many."""
    result = await session.execute(
        delete(IdentityBlock).where(
            IdentityBlock.organization_id == customer.organization_id,
            IdentityBlock.environment == customer.environment,
            IdentityBlock.customer_id == customer.id,
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
