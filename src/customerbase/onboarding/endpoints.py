"""HTTP endpoints of onboarding: the people of a business, consents, corrections, look-up.
Reads run on the fast path (raw SQL on the request's connection), writes in one transaction."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from customerbase.customers.schemas import CustomerOut, PersonCreate, PersonUpdate
from customerbase.customers.serializers import customer_to_dict, row_to_dict
from customerbase.documents.endpoints import DocumentStorageDep
from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database
from customerbase.kit.dependencies import VaultDep, WriteSessionDep
from customerbase.kit.envelope import (
    Envelope,
    OrjsonResponse,
    error_responses,
    ok,
)
from customerbase.kit.routing import JsonRoute
from customerbase.onboarding import service
from customerbase.onboarding.schemas import (
    ConsentCreate,
    ConsentOut,
    CorrectionRequest,
    ItemsEnvelope,
    LookupRequest,
    PersonOut,
)
from customerbase.organizations.auth import TenantDep, authenticate_request

router = APIRouter(
    prefix="/v1/customers",
    tags=["onboarding"],
    responses=error_responses(401, 422),
    route_class=JsonRoute,
)

PERSON: dict[int | str, dict[str, Any]] = {
    200: {"model": Envelope[PersonOut], "description": "The person"},
    **error_responses(404, 409),
}
PEOPLE: dict[int | str, dict[str, Any]] = {
    200: {"model": ItemsEnvelope[PersonOut], "description": "The people"},
    **error_responses(404),
}


@router.post(
    "/lookup",
    responses={200: {"model": ItemsEnvelope[CustomerOut], "description": "The matches"}},
)
async def lookup_customers(body: LookupRequest, request: Request) -> OrjsonResponse:
    """Find customers by BVN, NIN, tax id or phone number (a POST: no identity number in URLs)."""
    database: Database = request.app.state.database
    vault: Vault = request.app.state.vault
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        rows = await service.lookup_customers(database.fast, vault, connection, tenant, body)
    data = [row_to_dict(row, vault, tenant.organization_id) for row in rows]
    return ok(data, "Customers retrieved successfully", meta={"item_count": len(data)})


@router.post(
    "/{customer_id}/people",
    status_code=201,
    responses={201: {"model": Envelope[PersonOut], "description": "The new person"}, **PERSON},
)
async def add_person(
    customer_id: str,
    body: PersonCreate,
    tenant: TenantDep,
    session: WriteSessionDep,
    vault: VaultDep,
) -> OrjsonResponse:
    """Add a director, shareholder, beneficial owner or authorised user to a business."""
    person = await service.add_person(session, vault, tenant, customer_id, body)
    return ok(service.person_to_dict(person, vault), "Person added successfully", status_code=201)


@router.get("/{customer_id}/people", responses=PEOPLE)
async def list_people(customer_id: str, request: Request) -> OrjsonResponse:
    """List the people of a business, oldest first."""
    database: Database = request.app.state.database
    vault: Vault = request.app.state.vault
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        rows = await service.list_people(database.fast, connection, tenant, customer_id)
    data = [service.person_row_to_dict(row, vault, tenant.organization_id) for row in rows]
    return ok(data, "People retrieved successfully", meta={"item_count": len(data)})


@router.get("/{customer_id}/people/{person_id}", responses=PERSON)
async def get_person(customer_id: str, person_id: str, request: Request) -> OrjsonResponse:
    """Get one person of a business."""
    database: Database = request.app.state.database
    vault: Vault = request.app.state.vault
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        row = await service.get_person(database.fast, connection, tenant, customer_id, person_id)
    data = service.person_row_to_dict(row, vault, tenant.organization_id)
    return ok(data, "Person retrieved successfully")


@router.patch("/{customer_id}/people/{person_id}", responses=PERSON)
async def update_person(
    customer_id: str,
    person_id: str,
    body: PersonUpdate,
    tenant: TenantDep,
    session: WriteSessionDep,
    vault: VaultDep,
) -> OrjsonResponse:
    """Change only the fields sent of a person; `null` clears an optional field."""
    person = await service.update_person(session, vault, tenant, customer_id, person_id, body)
    return ok(service.person_to_dict(person, vault), "Person updated successfully")


@router.delete("/{customer_id}/people/{person_id}", responses=PERSON)
async def remove_person(
    customer_id: str,
    person_id: str,
    tenant: TenantDep,
    session: WriteSessionDep,
    vault: VaultDep,
    storage: DocumentStorageDep,
) -> OrjsonResponse:
    """Remove a person from a business (and the person's documents)."""
    removed = await service.remove_person(
        session, vault, tenant, customer_id, person_id, storage=storage
    )
    return ok(removed, "Person removed successfully")


@router.post(
    "/{customer_id}/consents",
    status_code=201,
    responses={
        201: {"model": Envelope[ConsentOut], "description": "The ledger entry"},
        **error_responses(404, 409),
    },
)
async def record_consent(
    customer_id: str,
    body: ConsentCreate,
    request: Request,
    tenant: TenantDep,
    session: WriteSessionDep,
    vault: VaultDep,
) -> OrjsonResponse:
    """Append a consent (or a withdrawal, `granted: false`) to the customer's ledger."""
    entry = await service.record_consent(
        session,
        vault,
        tenant,
        customer_id,
        body,
        ip_address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    return ok(entry, "Consent recorded successfully", status_code=201)


@router.get(
    "/{customer_id}/consents",
    responses={
        200: {"model": ItemsEnvelope[ConsentOut], "description": "The ledger"},
        **error_responses(404),
    },
)
async def list_consents(customer_id: str, request: Request) -> OrjsonResponse:
    """The customer's consent ledger, newest first."""
    database: Database = request.app.state.database
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        rows = await service.list_consents(database.fast, connection, tenant, customer_id)
    data = [service.consent_row_to_dict(row) for row in rows]
    return ok(data, "Consents retrieved successfully", meta={"item_count": len(data)})


@router.post(
    "/{customer_id}/corrections",
    responses={
        200: {"model": Envelope[CustomerOut], "description": "The corrected customer"},
        **error_responses(404, 409),
    },
)
async def correct_customer(
    customer_id: str,
    body: CorrectionRequest,
    tenant: TenantDep,
    session: WriteSessionDep,
    vault: VaultDep,
) -> OrjsonResponse:
    """Correct the date of birth, identity numbers or verified names, with a reason."""
    customer = await service.correct_customer(session, vault, tenant, customer_id, body)
    return ok(customer_to_dict(customer, vault), "Customer corrected successfully")
