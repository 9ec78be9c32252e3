"""The authentication dependency: who is calling, from `Authorization: Bearer` or Advancly's
`client-id` + `api-key` header pair."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from customerbase.kit.db import Database
from customerbase.kit.dependencies import get_database
from customerbase.kit.errors import AuthenticationFailed
from customerbase.kit.fastdb import Connection
from customerbase.organizations.service import Tenant, authenticate_fast

# Declared for the OpenAPI document (the docs' Authorize button); the headers are read below,
# so that every failure gets its own clear 401.
_bearer = HTTPBearer(
    auto_error=False, description="Authorization: Bearer sk_test_... / sk_live_..."
)
_api_key = APIKeyHeader(
    name="api-key", scheme_name="api-key", auto_error=False, description="Advancly style"
)
_client_id = APIKeyHeader(
    name="client-id", scheme_name="client-id", auto_error=False, description="Your organization id"
)


def credentials(request: Request) -> tuple[str, str | None]:
    """(secret, client_id) from `Authorization: Bearer` or the `client-id` + `api-key` pair."""
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
        return secret.strip(), None
    if api_key:
        if not client_id:
            raise AuthenticationFailed(
                "The api-key header needs the client-id header (your organization id) beside it",
                error_type="missing_client_id",
            )
        return api_key.strip(), client_id
    raise AuthenticationFailed(
        "No API key provided: send 'Authorization: Bearer sk_...' "
        "(or the client-id and api-key headers)",
        error_type="missing_api_key",
    )


async def authenticate_request(request: Request, connection: Connection) -> Tenant:
    """The caller's tenant, checked on the request's own raw connection (one statement)."""
    secret, client_id = credentials(request)
    return await authenticate_fast(connection, secret, client_id=client_id)


async def get_tenant(
    request: Request,
    database: Annotated[Database, Depends(get_database)],
    _bearer_scheme: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    _api_key_scheme: Annotated[str | None, Depends(_api_key)],
    _client_id_scheme: Annotated[str | None, Depends(_client_id)],
) -> Tenant:
    secret, client_id = credentials(request)
    async with database.fast.connection() as connection:
        return await authenticate_fast(connection, secret, client_id=client_id)


TenantDep = Annotated[Tenant, Depends(get_tenant)]
