"""The authentication dependency: who is calling, from `Authorization: Bearer` or Advancly's
`client-id` + `api-key` header pair.

The OpenAPI document declares both ways (see `SECURITY_SCHEMES`, added when the document is
built), so nothing here runs per request only to document them.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import BaseRoute
from starlette.types import Scope

from customerbase.kit.actor import Actor, set_actor
from customerbase.kit.db import Database
from customerbase.kit.dependencies import get_database
from customerbase.kit.edge import request_id_of
from customerbase.kit.errors import AuthenticationFailed
from customerbase.kit.fastdb import Connection, FastDB, Row
from customerbase.organizations.service import Tenant, authenticate_and_read, authenticate_fast

# The OpenAPI security schemes, and the requirement of every authenticated operation:
# Bearer, or client-id and api-key together (one requirement object holds both headers).
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "Authorization: Bearer sk_test_... / sk_live_...",
    },
    "client-id": {
        "type": "apiKey",
        "in": "header",
        "name": "client-id",
        "description": "Your organization id, with api-key (Advancly style)",
    },
    "api-key": {
        "type": "apiKey",
        "in": "header",
        "name": "api-key",
        "description": "A secret key, with client-id (Advancly style)",
    },
}
SECURITY_REQUIREMENT: list[dict[str, list[str]]] = [
    {"bearer": []},
    {"client-id": [], "api-key": []},
]


def _conflicting(message: str) -> AuthenticationFailed:
    return AuthenticationFailed(message, error_type="conflicting_credentials")


def credentials(request: Request) -> tuple[str, str | None, str | None]:
    """(secret, client_id, client_id beside a Bearer key) from `Authorization: Bearer` or the
    `client-id` + `api-key` pair. Both ways at once must name the same key."""
    headers = request.headers
    authorization = headers.get("authorization")
    api_key = headers.get("api-key")
    client_id = headers.get("client-id")
    if authorization:
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise AuthenticationFailed(
                "Malformed Authorization header: send 'Authorization: Bearer sk_...'",
                error_type="invalid_authorization_header",
            )
        secret = secret.strip()
        # Both ways at once must name the same key: never pick one of two silently.
        if api_key and api_key.strip() != secret:
            raise _conflicting(
                "The Authorization header and the api-key header carry different keys: "
                "send one of them"
            )
        return secret, None, client_id
    if api_key:
        if not client_id:
            raise AuthenticationFailed(
                "The api-key header needs the client-id header (your organization id) beside it",
                error_type="missing_client_id",
            )
        return api_key.strip(), client_id, None
    raise AuthenticationFailed(
        "No API key provided: send 'Authorization: Bearer sk_...' "
        "(or the client-id and api-key headers)",
        error_type="missing_api_key",
    )


# Where a middleware that had to authenticate first (the idempotency layer) leaves the tenant,
# so that the endpoint does not look the key up a second time in the same request.
AUTHENTICATED_TENANT = "customerbase.tenant"


def _authenticated(request: Request) -> Tenant | None:
    state = request.scope.get("state")
    return state.get(AUTHENTICATED_TENANT) if state else None


def _accept(request: Request, tenant: Tenant, beside_bearer: str | None) -> Tenant:
    if beside_bearer and beside_bearer.strip().lower() != str(tenant.organization_id):
        raise _conflicting(
            "The client-id header names another organization than the Authorization key: "
            "send one of them"
        )
    set_actor(Actor("api_key", str(tenant.api_key_id), request_id_of(request.scope)))
    return tenant


async def authenticate_request(request: Request, connection: Connection) -> Tenant:
    """The caller's tenant, checked on the request's own raw connection (one statement)."""
    known = _authenticated(request)
    if known is not None:
        return known
    secret, client_id, beside_bearer = credentials(request)
    tenant = await authenticate_fast(connection, secret, client_id=client_id)
    return _accept(request, tenant, beside_bearer)


async def authenticated_read(
    request: Request, db: FastDB, connection: Connection, sql: str, *args: Any
) -> tuple[Tenant, Row | None]:
    """Authenticate and run the tenant-scoped read `sql` (`$1` organization, `$2` environment,
    then `args`): one round trip on PostgreSQL (the key check folded into the read), two cheap
    statements on SQLite's in-process connection. The tenant and the read's row, or None."""
    known = _authenticated(request)
    if known is not None:
        row = await connection.fetchrow(
            sql, db.uuid(known.organization_id), known.environment, *args
        )
        return known, row
    secret, client_id, beside_bearer = credentials(request)
    if db.is_sqlite:
        tenant = await authenticate_fast(connection, secret, client_id=client_id)
        _accept(request, tenant, beside_bearer)
        row = await connection.fetchrow(
            sql, db.uuid(tenant.organization_id), tenant.environment, *args
        )
        return tenant, row
    tenant, row = await authenticate_and_read(connection, secret, sql, *args, client_id=client_id)
    return _accept(request, tenant, beside_bearer), row


async def get_tenant(
    request: Request, database: Annotated[Database, Depends(get_database)]
) -> Tenant:
    known = _authenticated(request)
    if known is not None:
        return known
    async with database.fast.connection() as connection:
        return await authenticate_request(request, connection)


TenantDep = Annotated[Tenant, Depends(get_tenant)]


async def idempotency_scope(scope: Scope, connection: Connection) -> tuple[uuid.UUID, str] | None:
    """The organization and environment an `Idempotency-Key` belongs to: the request's own
    tenant, authenticated exactly as the endpoint would (and then left for it). None when the
    credentials fail: the request then runs as usual and gets its 401."""
    request = Request(scope)
    try:
        tenant = await authenticate_request(request, connection)
    except AuthenticationFailed:
        return None
    scope.setdefault("state", {})[AUTHENTICATED_TENANT] = tenant
    return tenant.organization_id, tenant.environment


def _needs_tenant(dependant: Dependant) -> bool:
    return any(sub.call is get_tenant or _needs_tenant(sub) for sub in dependant.dependencies)


def declare_security(document: dict[str, Any], routes: Iterable[BaseRoute]) -> None:
    """Add the security schemes to an OpenAPI document, and the security requirement to every
    operation that authenticates."""
    document.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    paths = document.get("paths", {})
    # Route contexts, not `routes` itself: an included router is one entry there.
    for context in iter_route_contexts(list(routes)):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        # Every /v1 operation authenticates: through `get_tenant`, or on the fast path with
        # `authenticate_request` inside the endpoint.
        if not (_needs_tenant(context.dependant) or (context.path_format or "").startswith("/v1/")):
            continue
        for method in context.methods or ():
            operation = paths.get(context.path_format, {}).get(method.lower())
            if operation is not None:
                operation["security"] = SECURITY_REQUIREMENT
