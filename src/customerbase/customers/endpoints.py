"""HTTP endpoints of the customers API v1. Each parses, authenticates and calls one service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from customerbase.accounts import service as accounts
from customerbase.accounts.cascade import cascaded
from customerbase.customers import service
from customerbase.customers.queries import CustomerQueries
from customerbase.customers.schemas import (
    BlacklistRequest,
    CustomerCreate,
    CustomerListParams,
    CustomerOut,
    CustomerUpdate,
)
from customerbase.customers.serializers import customer_to_dict, row_to_dict
from customerbase.documents.endpoints import DocumentStorageDep
from customerbase.documents.flows import create_customer_with_documents
from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database
from customerbase.kit.dependencies import VaultDep, WriteSessionDep
from customerbase.kit.envelope import (
    Envelope,
    ListEnvelope,
    OrjsonResponse,
    error_responses,
    ok,
)
from customerbase.kit.ids import parse_uuid
from customerbase.kit.routing import JsonRoute
from customerbase.kyc.flows import issue_and_mail
from customerbase.onboarding.service import create_customer_with_people
from customerbase.organizations.auth import TenantDep, authenticate_request, authenticated_read

router = APIRouter(
    prefix="/v1/customers",
    tags=["customers"],
    responses=error_responses(401, 422),
    route_class=JsonRoute,
)

ONE: dict[int | str, dict[str, Any]] = {
    200: {"model": Envelope[CustomerOut], "description": "The customer"}
}
WRITE = {**ONE, **error_responses(404, 409)}


@router.post(
    "",
    status_code=201,
    responses={
        201: {"model": Envelope[CustomerOut], "description": "The new customer"},
        **error_responses(409),
    },
)
async def create_customer(body: CustomerCreate, request: Request) -> OrjsonResponse:
    """Create an individual or business customer, with its people and documents if sent."""
    database: Database = request.app.state.database
    vault: Vault = request.app.state.vault
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        if not database.fast.is_sqlite and not (
            body.people or body.customer_documents or body.create_wallet
        ):
            customer = await service.create_customer_fast(connection, vault, tenant, body)
    meta = None
    if body.customer_documents or body.people or database.fast.is_sqlite or body.create_wallet:
        # Not the one-statement fast path: one transaction holds the customer and what comes
        # with it (people, documents, a wallet), all or nothing. (SQLite writes always go
        # through the write engine's one connection, which serialises them.)
        async with database.write_session() as session:
            if body.customer_documents:
                customer = await create_customer_with_documents(
                    session, vault, request.app.state.document_storage, tenant, body
                )
            elif body.people:
                customer = await create_customer_with_people(session, vault, tenant, body)
            else:
                customer = await service.create_customer(session, vault, tenant, body)
            if body.create_wallet:
                meta = {"wallet": await accounts.open_wallet(session, tenant, customer)}
    if body.send_kyc_mail:
        # The link is issued once the customer has committed, and mailed once the link has.
        issued = await issue_and_mail(request, tenant, str(customer.id), send_kyc_mail=True)
        sent = issued["mail_status"] in ("sent", "written")
        message = "Customer created successfully; " + (
            "the KYC link was emailed" if sent else "the KYC link could not be emailed"
        )
        return ok(issued["customer"], message, status_code=201, meta=meta)
    data = customer_to_dict(customer, vault)
    return ok(data, "Customer created successfully", status_code=201, meta=meta)


@router.get("", responses={200: {"model": ListEnvelope[CustomerOut], "description": "A page"}})
async def list_customers(
    params: Annotated[CustomerListParams, Query()], request: Request
) -> OrjsonResponse:
    """List customers, newest first, with filters, search and page or cursor pagination."""
    database: Database = request.app.state.database
    vault: Vault = request.app.state.vault
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        page = await service.list_customers(database.fast, connection, tenant, params)
    organization_id = tenant.organization_id
    data = [row_to_dict(row, vault, organization_id) for row in page.items]
    return ok(data, "Customers retrieved successfully", meta=page.meta)


@router.get("/{key}", responses={**ONE, **error_responses(404)})
async def get_customer(key: str, request: Request) -> OrjsonResponse:
    """Get a customer by id, reference or email (tried in that order)."""
    database: Database = request.app.state.database
    async with database.fast.connection() as connection:
        if "\x00" in key:  # no key holds NUL (PostgreSQL text cannot): never ask the database
            await authenticate_request(request, connection)
            raise service.not_found(key)
        sql, args = CustomerQueries.get_statement(database.fast, key, parse_uuid(key))
        tenant, row = await authenticated_read(request, database.fast, connection, sql, *args)
    if row is None:
        raise service.not_found(key)
    data = row_to_dict(row, request.app.state.vault, tenant.organization_id)
    return ok(data, "Customer retrieved successfully")


async def _update(
    customer_id: str,
    body: CustomerUpdate,
    tenant: TenantDep,
    session: WriteSessionDep,
    vault: VaultDep,
) -> OrjsonResponse:
    customer = await service.update_customer(session, vault, tenant, customer_id, body)
    return ok(customer_to_dict(customer, vault), "Customer updated successfully")


router.add_api_route(
    "/{customer_id}",
    _update,
    methods=["PATCH"],
    summary="Update a customer",
    description="Change only the fields sent; the others stay as they are.",
    name="update_customer",
    responses=WRITE,
)
router.add_api_route(
    "/{customer_id}",
    _update,
    methods=["PUT"],
    summary="Update a customer (Bloc's verb)",
    description="The same partial update as PATCH.",
    name="update_customer_put",
    responses=WRITE,
)


@router.post("/{customer_id}/archive", responses=WRITE)
async def archive_customer(
    customer_id: str, tenant: TenantDep, session: WriteSessionDep, vault: VaultDep
) -> OrjsonResponse:
    """Archive a customer: it stays readable but cannot be changed until unarchived; its active
    accounts and cards become inactive (listed in `meta.cascade`)."""
    customer = await service.archive_customer(session, vault, tenant, customer_id)
    meta = {"cascade": cascaded(session)}  # the accounts and cards made inactive
    return ok(customer_to_dict(customer, vault), "Customer archived successfully", meta=meta)


@router.post("/{customer_id}/unarchive", responses=WRITE)
async def unarchive_customer(
    customer_id: str, tenant: TenantDep, session: WriteSessionDep, vault: VaultDep
) -> OrjsonResponse:
    """Return an archived customer to active, with the accounts and cards its archive made
    inactive (listed in `meta.cascade`)."""
    customer = await service.unarchive_customer(session, vault, tenant, customer_id)
    meta = {"cascade": cascaded(session)}  # the accounts and cards made active again
    return ok(customer_to_dict(customer, vault), "Customer unarchived successfully", meta=meta)


@router.post("/{customer_id}/blacklist", responses=WRITE)
async def blacklist_customer(
    customer_id: str,
    body: BlacklistRequest,
    tenant: TenantDep,
    session: WriteSessionDep,
    vault: VaultDep,
) -> OrjsonResponse:
    """Blacklist a customer, or lift the blacklist with `{"blacklist": false}`."""
    customer = await service.set_blacklist(session, vault, tenant, customer_id, body)
    message = (
        "Customer blacklisted successfully" if body.blacklist else "Customer removed from blacklist"
    )
    return ok(customer_to_dict(customer, vault), message)


@router.delete("/{customer_id}", responses=WRITE)
async def erase_customer(
    customer_id: str,
    tenant: TenantDep,
    session: WriteSessionDep,
    vault: VaultDep,
    storage: DocumentStorageDep,
) -> OrjsonResponse:
    """Erase a customer's personal data and documents irreversibly; the record stays, `deleted`."""
    customer = await service.erase_customer(session, vault, tenant, customer_id, storage=storage)
    return ok(customer_to_dict(customer, vault), "Customer erased successfully")
