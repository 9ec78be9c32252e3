"""Bloc's dialect, under `/compat/bloc/v1` (Bloc's base URL is `https://api.blochq.io/v1`).

Seeds `000_37deca001146ea53.txt` (create, update, archive) and `001_697c1c3f61da60c6.txt`
(list, get by id, the customer object). `Authorization: Bearer <secret key>`; the envelope
`{"success", "data", "message"}` (lists add `metadata`); bad input is a 400, as Bloc's status
codes say. Bloc's customer object is rendered field for field from the canonical one: strings
where Bloc has strings (`""` for nothing, never null), `full_name` surname first, `kyc_tier`
as a string, `source` `Banking` | `Payment`, phone numbers of Nigeria in their national form.

Not here: the KYC tier upgrades (`/customers/upgrade/t1/{id}`, `/upgrade/t2/{id}`), which
translate to the KYC service once it has landed.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from fastapi import APIRouter, Body, FastAPI, Request

from customerbase.customers import service
from customerbase.customers.schemas import CustomerCreate, CustomerListParams, CustomerUpdate
from customerbase.customers.serializers import customer_to_dict, row_to_dict
from customerbase.dialects.base import Dialect, read_customer
from customerbase.dialects.base import create_customer as create_through_services
from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database
from customerbase.kit.dependencies import VaultDep, WriteSessionDep
from customerbase.kit.envelope import OrjsonResponse
from customerbase.organizations.auth import TenantDep, authenticate_request

# Go's zero time: what Bloc shows for a date it does not have.
ZERO_TIME = "0001-01-01T00:00:00Z"
NIGERIA = "+234"

# Bloc's create fields (the six of its documentation) and, where Bloc is silent, the other
# canonical ones under their canonical (snake_case, like Bloc's) names. `source` is Banking for
# every customer created through the API (Payment is for customers of the checkout).
CREATE_FIELDS = {
    name: name
    for name in (
        "email",
        "phone_number",
        "bvn",
        "first_name",
        "last_name",
        "customer_type",
        "middle_name",
        "company_name",
        "dial_code",
        "country",
        "nin",
        "date_of_birth",
        "gender",
        "address",
        "reference",
        "metadata",
    )
}
# "You can only update the following customer information: first name, last name, email,
# phone number, and customer type."
UPDATE_FIELDS = {
    name: name for name in ("first_name", "last_name", "email", "phone_number", "customer_type")
}
LIST_FIELDS = {
    "page": "page",
    "per_page": "take",
    "status": "status",
    "email": "email",
    "phone_number": "phone_number",
    "customer_type": "customer_type",
    "source": "source",
    "reference": "reference",
    "kyc_tier": "kyc_tier",
    "created_from": "created_from",
    "created_to": "created_to",
    "q": "q",
}


class Bloc(Dialect):
    name = "Bloc"
    prefix = "/compat/bloc/v1"
    field_names: ClassVar[dict[str, str]] = {"take": "per_page"}
    # Bloc: "400 Bad request. Check your request body to ensure all required data is passed."
    status_codes: ClassVar[dict[int, int]] = {422: 400}

    def success(
        self,
        data: Any,
        message: str,
        *,
        status_code: int = 200,
        meta: dict[str, Any] | None = None,
    ) -> OrjsonResponse:
        body: dict[str, Any] = {"success": True, "data": data, "message": message}
        if meta is not None:
            body["metadata"] = meta
        return OrjsonResponse(body, status_code=status_code)

    def failure_body(self, status_code: int, message: str, error: dict[str, Any]) -> dict[str, Any]:
        return {"success": False, "data": None, "message": message, "error": error}


BLOC = Bloc()


def _national(phone: str | None) -> str:
    """+2348012345678 as Bloc shows it (08012345678); other countries stay in E.164."""
    if not phone:
        return ""
    if phone.startswith(NIGERIA):
        return f"0{phone[len(NIGERIA) :]}"
    return phone


def _surname_first(customer: dict[str, Any]) -> str:
    if customer["customer_type"] == "business" and customer["company_name"]:
        return str(customer["company_name"])
    parts = (customer["last_name"], customer["first_name"], customer["middle_name"])
    return " ".join(part for part in parts if part)


def bloc_customer(customer: dict[str, Any], *, created: bool = False) -> dict[str, Any]:
    """Bloc's customer object from the canonical one (identity numbers and the date of birth
    stay masked as the canonical API masks them). Fields Bloc leaves out when empty
    (`gender`, `place_of_birth`, `image_url`, the address's `city` and `state`) are left out;
    `SyncData` is in the answer of a create only, as in Bloc's example."""
    address = customer["address"] or {}
    out: dict[str, Any] = {
        "id": customer["id"],
        "full_name": _surname_first(customer),
        "phone_number": _national(customer["phone_number"]),
        "organization_id": customer["organization_id"],
        "environment": customer["environment"],
        "email": customer["email"] or "",
        "country": customer["country"] or "",
        "group": "main",
        "status": customer["status"],
        "created_at": customer["created_at"],
        "updated_at": customer["updated_at"],
    }
    if created:
        out["SyncData"] = {"ID": None, "Provider": ""}
    out["first_name"] = customer["first_name"] or ""
    out["last_name"] = customer["last_name"] or ""
    out["kyc_tier"] = str(customer["kyc_tier"])
    out["bvn"] = customer["bvn"] or ""
    if customer["gender"]:
        out["gender"] = customer["gender"]
    out["date_of_birth"] = customer["date_of_birth"] or ZERO_TIME
    out["customer_type"] = "business" if customer["customer_type"] == "business" else "personal"
    out["source"] = "Payment" if customer["source"] == "payment" else "Banking"
    bloc_address: dict[str, Any] = {"street": address.get("street") or ""}
    for part in ("city", "state"):
        if address.get(part):
            bloc_address[part] = address[part]
    out["address"] = bloc_address
    return out


def _list_meta(meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "page": meta["page"],
        "per_page": meta["take"],
        "total": meta["item_count"],
        "total_pages": meta["page_count"],
        "has_next_page": meta["has_next_page"],
        "has_previous_page": meta["has_previous_page"],
    }


def _create_defaults(body: dict[str, Any]) -> dict[str, Any]:
    """Bloc's customers are Nigerian: a local phone number (08012345678) without `country` or
    `dial_code` is read with Nigeria's calling code."""
    phone = body.get("phone_number")
    if (
        isinstance(phone, str)
        and not phone.strip().startswith("+")
        and "country" not in body
        and "dial_code" not in body
    ):
        return {"dial_code": NIGERIA}
    return {}


router = BLOC.router()


@router.post("/customers", status_code=201)
async def create_customer(
    body: Annotated[dict[str, Any], Body()], request: Request
) -> OrjsonResponse:
    """Create a customer (Bloc)."""
    vault: Vault = request.app.state.vault
    customer = (
        await create_through_services(
            request,
            lambda: BLOC.parse(
                CustomerCreate, body, CREATE_FIELDS, defaults=_create_defaults(body)
            ),
        )
    ).customer
    return BLOC.success(
        bloc_customer(customer_to_dict(customer, vault), created=True),
        "Customer added successfully",
        status_code=201,
    )


@router.get("/customers")
async def list_customers(request: Request) -> OrjsonResponse:
    """All customers of the organization, newest first (Bloc)."""
    database: Database = request.app.state.database
    vault: Vault = request.app.state.vault
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        params = BLOC.parse(CustomerListParams, request.query_params, LIST_FIELDS)
        page = await service.list_customers(database.fast, connection, tenant, params)
    organization_id = tenant.organization_id
    data = [bloc_customer(row_to_dict(row, vault, organization_id)) for row in page.items]
    return BLOC.success(data, "customers", meta=_list_meta(page.meta))


@router.get("/customers/{customer_id}")
async def get_customer(customer_id: str, request: Request) -> OrjsonResponse:
    """A customer by id (Bloc); a reference or an email finds it too, as in /v1."""
    customer = await read_customer(request, customer_id)
    return BLOC.success(bloc_customer(customer), "customer")


@router.put("/customers/{customer_id}")
async def update_customer(
    customer_id: str,
    body: Annotated[dict[str, Any], Body()],
    tenant: TenantDep,
    session: WriteSessionDep,
    vault: VaultDep,
) -> OrjsonResponse:
    """Change a customer's first name, last name, email, phone number or type (Bloc)."""
    data = BLOC.parse(CustomerUpdate, body, UPDATE_FIELDS)
    customer = await service.update_customer(session, vault, tenant, customer_id, data)
    return BLOC.success(
        bloc_customer(customer_to_dict(customer, vault)), "Customer updated successfully"
    )


async def _archive(
    customer_id: str, tenant: TenantDep, session: WriteSessionDep, vault: VaultDep
) -> OrjsonResponse:
    customer = await service.archive_customer(session, vault, tenant, customer_id)
    return BLOC.success(
        bloc_customer(customer_to_dict(customer, vault)), "Customer archived successfully"
    )


async def _unarchive(
    customer_id: str, tenant: TenantDep, session: WriteSessionDep, vault: VaultDep
) -> OrjsonResponse:
    customer = await service.unarchive_customer(session, vault, tenant, customer_id)
    return BLOC.success(
        bloc_customer(customer_to_dict(customer, vault)), "Customer unarchived successfully"
    )


# Bloc's page names archiving and unarchiving without their paths: both the action-after-id
# form and Bloc's action-before-id form (as in `/customers/upgrade/t1/{id}`), with PUT (Bloc's
# verb for changes) or POST (the canonical one).
for _path, _endpoint in (
    ("/customers/{customer_id}/archive", _archive),
    ("/customers/archive/{customer_id}", _archive),
    ("/customers/{customer_id}/unarchive", _unarchive),
    ("/customers/unarchive/{customer_id}", _unarchive),
):
    router.add_api_route(_path, _endpoint, methods=["PUT", "POST"])


def install(app: FastAPI, dialect_router: APIRouter = router) -> None:
    BLOC.install(app, dialect_router)
