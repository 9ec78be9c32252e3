"""Yativo's dialect, under `/compat/yativo` (Yativo's `{{baseUrl}}`). Seed
`003_c40531451df629db.txt`.

`POST /customer` with `customer_name` (split into first, middle and last names; a business's
company name), `customer_email`, `customer_phone`, `customer_country` (ISO alpha-3 as in
Yativo's example, or alpha-2), `customer_type` individual | business and `send_kyc_mail`
(default true). Every individual created gets a link to the hosted KYC page (`kyc_link`,
`tos_link`), emailed when `send_kyc_mail` is true: the KYC service's link, issued once the
customer has committed. The envelope `{"status": "success", "status_code", "message", "data"}`;
`Authorization: Bearer <secret key>`. Where the page is silent (errors, get, list), the
canonical behaviour in Yativo's envelope.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import pycountry
from fastapi import APIRouter, Body, FastAPI, Request

from customerbase.customers import service
from customerbase.customers.schemas import CustomerCreate, CustomerListParams
from customerbase.customers.serializers import customer_to_dict, row_to_dict
from customerbase.dialects.base import Dialect, create_customer, read_customer
from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database
from customerbase.kit.envelope import OrjsonResponse
from customerbase.kit.errors import FieldError
from customerbase.kyc.flows import issue_and_mail
from customerbase.organizations.auth import authenticate_request

# Yativo's name -> the canonical one (`customer_name` is split before validation).
CREATE_FIELDS = {
    "customer_email": "email",
    "customer_phone": "phone_number",
    "customer_country": "country",
    "customer_type": "customer_type",
    "send_kyc_mail": "send_kyc_mail",
}
LIST_FIELDS = {
    "page": "page",
    "per_page": "take",
    "customer_email": "email",
    "email": "email",
    "customer_phone": "phone_number",
    "customer_type": "customer_type",
    "q": "q",
}
# The canonical fields `customer_name` becomes, for the errors that name them.
NAME_PARTS = ("first_name", "middle_name", "last_name", "company_name")


class Yativo(Dialect):
    name = "Yativo"
    prefix = "/compat/yativo"
    field_names: ClassVar[dict[str, str]] = {
        **dict.fromkeys(NAME_PARTS, "customer_name"),
        "email": "customer_email",
        "phone_number": "customer_phone",
        "country": "customer_country",
        "take": "per_page",
    }

    def success(
        self,
        data: Any,
        message: str,
        *,
        status_code: int = 200,
        meta: dict[str, Any] | None = None,
    ) -> OrjsonResponse:
        body: dict[str, Any] = {
            "status": "success",
            "status_code": status_code,
            "message": message,
            "data": data,
        }
        if meta is not None:
            body["meta"] = meta
        return OrjsonResponse(body, status_code=status_code)

    def failure_body(self, status_code: int, message: str, error: dict[str, Any]) -> dict[str, Any]:
        return {
            "status": "error",
            "status_code": status_code,
            "message": message,
            "data": None,
            "error": error,
        }


YATIVO = Yativo()


def yativo_customer(customer: dict[str, Any]) -> dict[str, Any]:
    """Yativo's customer object (`data` of its create) from the canonical one."""
    return {
        "id": customer["id"],
        "full_name": customer["full_name"],
        "email": customer["email"],
        "type": customer["customer_type"],
        "kyc_link": customer["kyc_link"],
        "tos_link": customer["tos_link"],
        "kyc_status": customer["kyc_status"],
        "rejection_reasons": customer["rejection_reasons"],
        "tos_status": customer["tos_status"],
        "created_at": customer["created_at"],
        "customer_id": customer["id"],
        "persona_inquiry_type": None,
    }


def _alpha2(value: Any) -> Any:
    """`USA` (Yativo's example) as `US`; anything else is left to the canonical rule."""
    if isinstance(value, str) and len(value.strip()) == 3:
        country = pycountry.countries.get(alpha_3=value.strip().upper())
        if country is not None:
            return str(country.alpha_2)
    return value


def _is_business(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower() in {"business", "corporate"}


def _split_name(body: dict[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """`customer_name` as the canonical names: a business's company name, or an individual's
    first name, middle names and last name ("Emmanuel A Towoju")."""
    if "customer_name" not in body:
        return {}, []
    name = body["customer_name"]
    if _is_business(body.get("customer_type")):
        return {"company_name": name}, []
    if not isinstance(name, str):
        return {"first_name": name, "last_name": name}, []
    words = name.split()
    if len(words) < 2:
        return {}, [FieldError("customer_name", "must hold a first name and a last name")]
    parts = {"first_name": words[0], "last_name": words[-1]}
    if len(words) > 2:
        parts["middle_name"] = " ".join(words[1:-1])
    return parts, []


def parse_create(body: dict[str, Any]) -> CustomerCreate:
    values = dict(body)
    names, faults = _split_name(values)
    values.pop("customer_name", None)
    if "customer_country" in values:
        values["customer_country"] = _alpha2(values["customer_country"])
    defaults = {"send_kyc_mail": True, **names}
    return YATIVO.parse(CustomerCreate, values, CREATE_FIELDS, defaults=defaults, faults=faults)


router = YATIVO.router()


@router.post("/customer")
async def add_customer(body: Annotated[dict[str, Any], Body()], request: Request) -> OrjsonResponse:
    """Create a customer (Yativo), with its KYC link (emailed unless `send_kyc_mail` is false)."""
    created = await create_customer(request, lambda: parse_create(body))
    vault: Vault = request.app.state.vault
    customer = customer_to_dict(created.customer, vault)
    message = "Customer created successfully"
    if customer["customer_type"] == "individual":
        # KYC tiers and their links are for individuals; a business has none to show.
        issued = await issue_and_mail(
            request,
            created.tenant,
            customer["id"],
            send_kyc_mail=created.data.send_kyc_mail,
        )
        customer = issued["customer"]
        if issued["mail_status"] not in ("sent", "written", "not_requested"):
            message = "Customer created successfully; the KYC email could not be sent"
    return YATIVO.success(yativo_customer(customer), message)


@router.get("/customer")
async def list_customers(request: Request) -> OrjsonResponse:
    """Customers, newest first, a page at a time (`page`, `per_page`) (Yativo)."""
    database: Database = request.app.state.database
    vault: Vault = request.app.state.vault
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        params = YATIVO.parse(CustomerListParams, request.query_params, LIST_FIELDS)
        page = await service.list_customers(database.fast, connection, tenant, params)
    organization_id = tenant.organization_id
    data = [yativo_customer(row_to_dict(row, vault, organization_id)) for row in page.items]
    meta = page.meta
    return YATIVO.success(
        data,
        "Customers retrieved successfully",
        meta={
            "page": meta["page"],
            "per_page": meta["take"],
            "total": meta["item_count"],
            "total_pages": meta["page_count"],
            "has_next_page": meta["has_next_page"],
        },
    )


@router.get("/customer/{customer_id}")
async def get_customer(customer_id: str, request: Request) -> OrjsonResponse:
    """A customer by id (Yativo); a reference or an email finds it too, as in /v1."""
    customer = await read_customer(request, customer_id)
    return YATIVO.success(yativo_customer(customer), "Customer retrieved successfully")


def install(app: FastAPI, dialect_router: APIRouter = router) -> None:
    YATIVO.install(app, dialect_router)
