"""Organizations and their secret keys. Services never commit: the caller's session does."""

from __future__ import annotations

import re
import secrets
import string
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from customerbase.kit.crypto import sha256_hex
from customerbase.kit.errors import AuthenticationFailed, NotFound, ValidationFailed
from customerbase.kit.fastdb import Connection, Row
from customerbase.kit.ids import uuid7
from customerbase.kit.time import isoformat, utcnow
from customerbase.models import APIKey, Organization
from customerbase.organizations.repository import APIKeyRepository, OrganizationRepository

ENVIRONMENTS = ("test", "live")
_KEY_ALPHABET = string.ascii_letters + string.digits
_KEY_RANDOM_CHARS = 40  # 40 base62 characters: about 238 bits


@dataclass(frozen=True, slots=True)
class Tenant:
    """Who is calling: one organization in one environment, through one key."""

    organization_id: uuid.UUID
    environment: str
    api_key_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: APIKey
    secret: str  # shown once, never stored


def _new_secret(environment: str) -> str:
    random_part = "".join(secrets.choice(_KEY_ALPHABET) for _ in range(_KEY_RANDOM_CHARS))
    return f"sk_{environment}_{random_part}"


def _check_environment(environment: str) -> None:
    if environment not in ENVIRONMENTS:
        raise ValidationFailed.for_field("environment", "must be 'test' or 'live'")


def issue_key(session: AsyncSession, organization_id: uuid.UUID, environment: str) -> IssuedKey:
    _check_environment(environment)
    secret = _new_secret(environment)
    key = APIKey(
        id=uuid7(),
        organization_id=organization_id,
        environment=environment,
        key_hash=sha256_hex(secret),
        last4=secret[-4:],
    )
    APIKeyRepository(session).add(key)
    return IssuedKey(key, secret)


async def create_organization(
    session: AsyncSession, name: str
) -> tuple[Organization, dict[str, str]]:
    """A new organization with one test and one live key. Returns the keys' secrets."""
    name = name.strip()
    if not name:
        raise ValidationFailed.for_field("name", "must not be blank")
    if len(name) > 200:
        raise ValidationFailed.for_field("name", "must be at most 200 characters")
    organization = Organization(id=uuid7(), name=name)
    OrganizationRepository(session).add(organization)
    await session.flush()
    secrets_by_env = {env: issue_key(session, organization.id, env).secret for env in ENVIRONMENTS}
    await session.flush()
    return organization, secrets_by_env


async def create_first_organization(
    session: AsyncSession, name: str
) -> tuple[Organization, dict[str, str]] | None:
    """The first organization of a new installation, or None when one exists already."""
    if await OrganizationRepository(session).count() > 0:
        return None
    return await create_organization(session, name)


async def first_organization(session: AsyncSession) -> Organization | None:
    """The oldest organization (ids are time-ordered), or None on a new installation."""
    return await OrganizationRepository(session).first()


async def list_organizations(session: AsyncSession) -> list[dict[str, Any]]:
    """Every organization, oldest first: id, name and creation time, never a key."""
    organizations = await OrganizationRepository(session).list_all()
    return [
        {"id": str(org.id), "name": org.name, "created_at": isoformat(org.created_at)}
        for org in organizations
    ]


async def create_key(
    session: AsyncSession, organization_id: uuid.UUID, environment: str
) -> IssuedKey:
    if await OrganizationRepository(session).get(organization_id) is None:
        raise NotFound(f"No organization {organization_id}")
    issued = issue_key(session, organization_id, environment)
    await session.flush()
    return issued


async def list_keys(session: AsyncSession, organization_id: uuid.UUID) -> list[dict[str, Any]]:
    if await OrganizationRepository(session).get(organization_id) is None:
        raise NotFound(f"No organization {organization_id}")
    keys = await APIKeyRepository(session).list_for_organization(organization_id)
    return [key_to_dict(key) for key in keys]


async def revoke_key(session: AsyncSession, key_id: uuid.UUID) -> APIKey:
    key = await APIKeyRepository(session).get(key_id)
    if key is None:
        raise NotFound(f"No API key {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
    return key


def key_to_dict(key: APIKey) -> dict[str, Any]:
    return {
        "id": str(key.id),
        "organization_id": str(key.organization_id),
        "environment": key.environment,
        "redacted_key": f"sk_{key.environment}_...{key.last4}",
        "created_at": isoformat(key.created_at),
        "revoked_at": isoformat(key.revoked_at),
    }


_KEY_BY_HASH = (
    "SELECT id, organization_id, environment, revoked_at FROM api_keys WHERE key_hash = $1"
)


def _check_prefix(secret: str) -> None:
    if not secret.startswith(("sk_test_", "sk_live_")):
        raise AuthenticationFailed(
            "Invalid API key: secret keys start with sk_test_ or sk_live_",
            error_type="invalid_api_key",
        )


def _uuid_of(value: Any) -> uuid.UUID:
    return uuid.UUID(hex=value) if isinstance(value, str) else value


_PARAMETER = re.compile(r"\$(\d+)")
_FOLDED: dict[str, str] = {}


def folded_statement(sql: str) -> str:
    """`sql` (a tenant-scoped read: `$1` the organization, `$2` the environment, its own
    arguments from `$3`) folded with the key look-up into one statement on PostgreSQL: the
    key's row, and beside it the read's first row (NULLs when it finds nothing), in one round
    trip (as PostgREST does). The key's secret hash is `$1`; the read's arguments follow."""
    folded = _FOLDED.get(sql)
    if folded is None:

        def renumber(match: re.Match[str]) -> str:
            n = int(match.group(1))
            return {1: "auth.organization_id", 2: "auth.environment"}.get(n, f"${n - 1}")

        inner = _PARAMETER.sub(renumber, sql)
        folded = _FOLDED[sql] = (
            "SELECT auth.id AS auth_key_id, auth.organization_id AS auth_organization_id,"
            " auth.environment AS auth_environment, auth.revoked_at AS auth_revoked_at, found.*"
            f" FROM api_keys AS auth LEFT JOIN LATERAL ({inner}) AS found ON true"
            " WHERE auth.key_hash = $1"
        )
    return folded


async def authenticate_and_read(
    connection: Connection, secret: str, sql: str, *args: Any, client_id: str | None = None
) -> tuple[Tenant, Row | None]:
    """`authenticate_fast` and the tenant-scoped read `sql` in one round trip (PostgreSQL).
    The read's row never leaves the server unless the key is valid, unrevoked and matches
    `client_id`: the checks are the same, made on the same row."""
    _check_prefix(secret)
    row = await connection.fetchrow(folded_statement(sql), sha256_hex(secret), *args)
    if row is None:
        raise AuthenticationFailed("Invalid API key provided", error_type="invalid_api_key")
    key = _KeyRow(
        _uuid_of(row["auth_key_id"]),
        _uuid_of(row["auth_organization_id"]),
        row["auth_environment"],
        row["auth_revoked_at"],
    )
    tenant = _tenant_of(key, client_id)
    return tenant, (row if row["id"] is not None else None)


async def authenticate_fast(
    connection: Connection, secret: str, *, client_id: str | None = None
) -> Tenant:
    """`authenticate` in one prepared statement on the request's raw connection. No cache:
    a revoked key fails on the very next request, on every process."""
    _check_prefix(secret)
    row = await connection.fetchrow(_KEY_BY_HASH, sha256_hex(secret))
    if row is None:
        raise AuthenticationFailed("Invalid API key provided", error_type="invalid_api_key")
    key = _KeyRow(
        _uuid_of(row["id"]), _uuid_of(row["organization_id"]), row["environment"], row["revoked_at"]
    )
    return _tenant_of(key, client_id)


@dataclass(frozen=True, slots=True)
class _KeyRow:
    id: uuid.UUID
    organization_id: uuid.UUID
    environment: str
    revoked_at: Any


def _tenant_of(key: _KeyRow | APIKey, client_id: str | None) -> Tenant:
    if key.revoked_at is not None:
        raise AuthenticationFailed("This API key has been revoked", error_type="revoked_api_key")
    if client_id is not None and client_id.strip().lower() != str(key.organization_id):
        raise AuthenticationFailed(
            "client-id does not match the organization of the api-key",
            error_type="invalid_client_id",
        )
    return Tenant(key.organization_id, key.environment, key.id)


async def authenticate(
    session: AsyncSession, secret: str, *, client_id: str | None = None
) -> Tenant:
    """The tenant a secret key speaks for. Every failure is a 401 and says why."""
    _check_prefix(secret)
    key = await APIKeyRepository(session).get_by_hash(sha256_hex(secret))
    if key is None:
        raise AuthenticationFailed("Invalid API key provided", error_type="invalid_api_key")
    return _tenant_of(key, client_id)
