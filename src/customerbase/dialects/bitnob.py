"""Bitnob's dialect, under `/compat/bitnob/api/v1` (Bitnob's base URL is
`https://api.bitnob.co/api/v1`). Seed `002_a4abf643608a74fe.txt`.

camelCase fields (`firstName`, `lastName`, `phone`, `countryCode`, `blacklist`, `createdAt`,
`updatedAt`), the envelope `{"status", "message", "data"}`, the list's `meta` (`page`, `take`,
`itemCount`, `pageCount`, `hasPreviousPage`, `hasNextPage`), `Authorization: Bearer <secret
key>`. Where the page is silent (status codes, limits, the list's filters), the canonical
behaviour.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from fastapi import APIRouter, Body, FastAPI, Request

from customerbase.customers import service
from customerbase.customers.schemas import (
    BlacklistRequest,
    CustomerCreate,
    CustomerListParams,
    CustomerUpdate,
)
from customerbase.customers.serializers import customer_to_dict, row_to_dict
from customerbase.dialects.base import Dialect, read_customer
from customerbase.dialects.base import create_customer as create_through_services
from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database
from customerbase.kit.dependencies import VaultDep, WriteSessionDep
from customerbase.kit.envelope import OrjsonResponse
from customerbase.organizations.auth import TenantDep, authenticate_request

# Bitnob's name -> the canonical one. The create takes the five fields of Bitnob's page, and
# `customerType`, `metadata` (a newer version of the page) and `reference` (which its look-up
# by reference implies); the update the four of its page.
CREATE_FIELDS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "email": "email",
    "phone": "phone_number",
    "countryCode": "dial_code",
    "customerType": "customer_type",
    "metadata": "metadata",
    "reference": "reference",
}
UPDATE_FIELDS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "email": "email",
    "phone": "phone_number",
}
BLACKLIST_FIELDS = {"blacklist": "blacklist", "reason": "reason"}
LIST_FIELDS = {
    "page": "page",
    "take": "take",
    "email": "email",
    "phone": "phone_number",
    "blacklist": "blacklisted",
    "reference": "reference",
    "q": "q",
}


class Bitnob(Dialect):
    name = "Bitnob"
    prefix = "/compat/bitnob/api/v1"
    field_names: ClassVar[dict[str, str]] = {
        "first_name": "firstName",
        "last_name": "lastName",
        "phone_number": "phone",
        "dial_code": "countryCode",
        "customer_type": "customerType",
        "blacklisted": "blacklist",
    }
    # Its clients send phone numbers and dial codes as numbers too (234, 8012345678).
    numeric_text_fields = frozenset({"phone", "countryCode"})

    def success(
        self,
        data: Any,
        message: str,
        *,
        status_code: int = 200,
        meta: dict[str, Any] | None = None,
    ) -> OrjsonResponse:
        body: dict[str, Any] = {"status": True, "message": message, "data": data}
        if meta is not None:
            body["meta"] = meta
        return OrjsonResponse(body, status_code=status_code)

    def failure_body(self, status_code: int, message: str, error: dict[str, Any]) -> dict[str, Any]:
        return {"status": False, "message": message, "data": None, "error": error}


BITNOB = Bitnob()


def bitnob_customer(customer: dict[str, Any]) -> dict[str, Any]:
    """Bitnob's Customer Response from the canonical customer object."""
    return {
        "id": customer["id"],
        "firstName": customer["first_name"],
        "lastName": customer["last_name"],
        "email": customer["email"],
        "phone": customer["phone_number"],
        "countryCode": customer["dial_code"],
        "blacklist": customer["blacklisted"],
        "createdAt": customer["created_at"],
        "updatedAt": customer["updated_at"],
    }


def _list_meta(meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "page": meta["page"],
        "take": meta["take"],
        "itemCount": meta["item_count"],
        "pageCount": meta["page_count"],
        "hasPreviousPage": meta["has_previous_page"],
        "hasNextPage": meta["has_next_page"],
    }


router = BITNOB.router()


@router.post("/customers", status_code=201)
async def create_customer(
    body: Annotated[dict[str, Any], Body()], request: Request
) -> OrjsonResponse:
    """Create a customer (Bitnob)."""
    vault: Vault = request.app.state.vault
    customer = (
        await create_through_services(
            request, lambda: BITNOB.parse(CustomerCreate, body, CREATE_FIELDS)
        )
    ).customer
    return BITNOB.success(
        bitnob_customer(customer_to_dict(customer, vault)),
        "Customer created successfully",
        status_code=201,
    )


@router.get("/customers")
async def list_customers(request: Request) -> OrjsonResponse:
    """Customers, newest first, a page at a time (`page`, `take`) (Bitnob)."""
    database: Database = request.app.state.database
    vault: Vault = request.app.state.vault
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        params = BITNOB.parse(CustomerListParams, request.query_params, LIST_FIELDS)
        page = await service.list_customers(database.fast, connection, tenant, params)
    organization_id = tenant.organization_id
    data = [bitnob_customer(row_to_dict(row, vault, organization_id)) for row in page.items]
    return BITNOB.success(data, "Customers retrieved successfully", meta=_list_meta(page.meta))


@router.get("/customers/{key}")
async def get_customer(key: str, request: Request) -> OrjsonResponse:
    """A customer by id, reference or email (Bitnob)."""
    customer = await read_customer(request, key)
    return BITNOB.success(bitnob_customer(customer), "Customer retrieved successfully")


async def _update(
    customer_id: str,
    body: Annotated[dict[str, Any], Body()],
    tenant: TenantDep,
    session: WriteSessionDep,
    vault: VaultDep,
) -> OrjsonResponse:
    data = BITNOB.parse(CustomerUpdate, body, UPDATE_FIELDS)
    customer = await service.update_customer(session, vault, tenant, customer_id, data)
    return BITNOB.success(
        bitnob_customer(customer_to_dict(customer, vault)), "Customer updated successfully"
    )


router.add_api_route("/customers/{customer_id}", _update, methods=["PUT", "PATCH"])


@router.post("/customers/{customer_id}/blacklist")
async def blacklist_customer(
    customer_id: str,
    body: Annotated[dict[str, Any], Body()],
    tenant: TenantDep,
    session: WriteSessionDep,
    vault: VaultDep,
) -> OrjsonResponse:
    """Blacklist a customer with `{"blacklist": true}`, or lift it with `false` (Bitnob)."""
    data = BITNOB.parse(BlacklistRequest, body, BLACKLIST_FIELDS)
    customer = await service.set_blacklist(session, vault, tenant, customer_id, data)
    message = (
        "Customer blacklisted successfully" if data.blacklist else "Customer removed from blacklist"
    )
    return BITNOB.success(bitnob_customer(customer_to_dict(customer, vault)), message)


def install(app: FastAPI, dialect_router: APIRouter = router) -> None:
    BITNOB.install(app, dialect_router)
