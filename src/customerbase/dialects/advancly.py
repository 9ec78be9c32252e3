"""Advancly's dialect, under `/compat/advancly` (Advancly's `{{baseUrl}}`); its paths follow:
`/api/v2/client/customers/...`. Seed `004_f9955c3a97afbe97.txt`.

`onboard_individual` and `onboard_corporate` (flat bodies: next of kin, bank account and address
fields become the canonical nested ones, `corporate_customer_people` the business's people,
`customer_documents` its documents, `create_wallet` its wallet, in one transaction), the
filtered `GET`, and the customer data loads `data/stock` and `data/orders`, whose customer is
named by `phone_number`, `email` or `identity_number` in the query. `client-id` (the
organization's id) + `api-key` (a secret key) headers. Answers `{..., "message", "status":
true, "status_code"}` as Advancly's examples; "" is read as "not given", as its clients send.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from fastapi import APIRouter, Body, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession

from customerbase.customer_data import service as customer_data
from customerbase.customer_data.schemas import OrdersLoad, StockLoad
from customerbase.customers import service
from customerbase.customers.schemas import (
    ADVANCLY_ONBOARDING_TYPES,
    CustomerCreate,
    CustomerListParams,
)
from customerbase.customers.serializers import customer_to_dict, row_to_dict
from customerbase.dialects.base import Dialect, create_customer, read_customer
from customerbase.kit.crypto import Vault
from customerbase.kit.db import Database
from customerbase.kit.envelope import OrjsonResponse
from customerbase.kit.errors import CustomerbaseError, ValidationFailed
from customerbase.kit.fastdb import Connection
from customerbase.onboarding import service as onboarding
from customerbase.onboarding.advancly import FIELDS
from customerbase.onboarding.schemas import LookupRequest
from customerbase.organizations.auth import authenticate_request
from customerbase.organizations.service import Tenant

# Both calls take the shared fields; beyond Advancly's page, `middle_name`, `bvn` and `nin`
# under their canonical names (its answer shows a `bvn`).
_SHARED = (
    "phone_number",
    "email",
    "bank_code",
    "bank_account_number",
    "bank_account_name",
    "bank_name",
    "routing_number",
    "swift_code",
    "address",
    "postal_code",
    "city",
    "state",
    "country_code",
    "customer_category",
    "customer_onboarding_type",
    "partner_date_registered",
    "tax_identification_number",
    "photo_url",
)
_INDIVIDUAL = (
    "first_name",
    "last_name",
    "gender",
    "date_of_birth",
    "educational_qualification",
    "customer_unique_identifier",
    *(name for name in FIELDS if name.startswith("next_of_kin") or name.endswith("next_kin")),
)
_CORPORATE = (
    "company_name",
    "business_registration_number",
    "business_registration_date",
    "corporate_customer_people",
    "customer_unique_identifier",
)
_OWN = {"create_wallet": "create_wallet", "customer_documents": "customer_documents"}
INDIVIDUAL_FIELDS = {
    **{name: FIELDS[name] for name in (*_INDIVIDUAL, *_SHARED)},
    **_OWN,
    "middle_name": "middle_name",
    "bvn": "bvn",
    "nin": "nin",
}
CORPORATE_FIELDS = {**{name: FIELDS[name] for name in (*_CORPORATE, *_SHARED)}, **_OWN}
LIST_FIELDS = {
    "email": "email",
    "phone_number": "phone_number",
    "customer_type": "customer_type",
    "from_date": "created_from",
    "to_date": "created_to",
    "page": "page",
    "page_size": "take",
}
# How a data load names its customer (query parameters).
CUSTOMER_KEYS = ("phone_number", "email", "identity_number")
DATA_FIELDS = {"data": "data"}


class Advancly(Dialect):
    name = "Advancly"
    prefix = "/compat/advancly"
    field_names: ClassVar[dict[str, str]] = {
        **{path: name for name, path in FIELDS.items()},
        "take": "page_size",
        "created_from": "from_date",
        "created_to": "to_date",
    }
    numeric_text_fields = frozenset(
        {"phone_number", "next_of_kin_phone_number", "bank_account_number", "bank_code"}
    )
    blank_is_absent = True

    def success(
        self,
        data: Any,
        message: str,
        *,
        status_code: int = 200,
        meta: dict[str, Any] | None = None,
    ) -> OrjsonResponse:
        body: dict[str, Any] = {}
        if data is not None:
            body["data"] = data
        if meta is not None:
            body["meta"] = meta
        body.update({"message": message, "status": True, "status_code": status_code})
        return OrjsonResponse(body, status_code=status_code)

    def flat(self, fields: dict[str, Any], message: str, *, status_code: int) -> OrjsonResponse:
        """An answer whose fields sit beside `message` (Advancly's onboarding answers)."""
        body = {**fields, "message": message, "status": True, "status_code": status_code}
        return OrjsonResponse(body, status_code=status_code)

    def failure_body(self, status_code: int, message: str, error: dict[str, Any]) -> dict[str, Any]:
        return {
            "message": message,
            "status": False,
            "status_code": status_code,
            "data": None,
            "error": error,
        }


ADVANCLY = Advancly()

_ONBOARDING_CODES = {name: code for code, name in ADVANCLY_ONBOARDING_TYPES.items()}


# Each field of the GET's object and where it sits in the canonical one (split once).
_TOP = tuple((name, path) for name, path in FIELDS.items() if "." not in path)
_NESTED = tuple((name, *path.split(".")) for name, path in FIELDS.items() if "." in path)
_SKIPPED = {"corporate_customer_people"}


def advancly_customer(customer: dict[str, Any]) -> dict[str, Any]:
    """A customer of the filtered `GET`, under the names of Advancly's onboarding fields."""
    out: dict[str, Any] = {
        "borrower_id": customer["id"],
        "customer_type": "corporate" if customer["customer_type"] == "business" else "individual",
    }
    for name, path in _TOP:
        if name not in _SKIPPED:
            out[name] = customer[path]
    for name, *parts in _NESTED:
        value: Any = customer
        for part in parts:
            value = value.get(part) if isinstance(value, dict) else None
        out[name] = value
    out["customer_onboarding_type"] = _ONBOARDING_CODES.get(customer["onboarding_type"] or "")
    out["bvn"] = customer["bvn"]
    out["status"] = customer["status"]
    out["kyc_status"] = customer["kyc_status"]
    out["date_created"] = customer["created_at"]
    return out


def _onboarded(customer: dict[str, Any]) -> dict[str, Any]:
    """The answer of an onboarding, as Advancly's example (names "" rather than null)."""
    return {
        "borrower_id": customer["id"],
        "first_name": customer["first_name"] or "",
        "last_name": customer["last_name"] or "",
        "company_name": customer["company_name"] or "",
        "borrower_phone": customer["phone_number"],
        "sso_user_id": customer["id"],
        "bvn": customer["bvn"],
    }


router = ADVANCLY.router()
CUSTOMERS = "/api/v2/client/customers"
# The onboarding calls may carry `customer_documents` inline: the edge lets their bodies be as
# large as `POST /v1/customers`'s.
ONBOARDING_PATHS = tuple(
    f"{ADVANCLY.prefix}{CUSTOMERS}/onboard_{kind}" for kind in ("individual", "corporate")
)


async def _onboard(request: Request, body: dict[str, Any], *, corporate: bool) -> OrjsonResponse:
    accepted = CORPORATE_FIELDS if corporate else INDIVIDUAL_FIELDS
    kind = "business" if corporate else "individual"
    created = await create_customer(
        request,
        lambda: ADVANCLY.parse(CustomerCreate, body, accepted, defaults={"customer_type": kind}),
    )
    customer = customer_to_dict(created.customer, request.app.state.vault)
    return ADVANCLY.flat(_onboarded(customer), "Onboarding successful", status_code=201)


@router.post(f"{CUSTOMERS}/onboard_individual", status_code=201)
async def onboard_individual(
    body: Annotated[dict[str, Any], Body()], request: Request
) -> OrjsonResponse:
    """Onboard an individual customer (investor or borrower) (Advancly)."""
    return await _onboard(request, body, corporate=False)


@router.post(f"{CUSTOMERS}/onboard_corporate", status_code=201)
async def onboard_corporate(
    body: Annotated[dict[str, Any], Body()], request: Request
) -> OrjsonResponse:
    """Onboard a corporate customer with its people (Advancly)."""
    return await _onboard(request, body, corporate=True)


@router.get(CUSTOMERS)
async def get_customers(request: Request) -> OrjsonResponse:
    """Customers by `email`, `phone_number`, `customer_type`, `from_date`, `to_date` or
    `customer_id` (Advancly)."""
    query = dict(request.query_params)
    customer_id = query.pop("customer_id", None)
    if customer_id is not None:
        others = sorted(query)
        if others:
            raise ValidationFailed.for_field(others[0], "cannot be combined with customer_id")
        try:
            found = [await read_customer(request, customer_id)]
        except service.CustomerNotFound:
            found = []
        data = [advancly_customer(customer) for customer in found]
        meta = {"page": 1, "page_size": 1, "total": len(data), "total_pages": len(data)}
        return ADVANCLY.success(data, "Customers retrieved successfully", meta=meta)
    database: Database = request.app.state.database
    vault: Vault = request.app.state.vault
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        params = ADVANCLY.parse(CustomerListParams, query, LIST_FIELDS)
        page = await service.list_customers(database.fast, connection, tenant, params)
    organization_id = tenant.organization_id
    data = [advancly_customer(row_to_dict(row, vault, organization_id)) for row in page.items]
    meta = {
        "page": page.meta["page"],
        "page_size": page.meta["take"],
        "total": page.meta["item_count"],
        "total_pages": page.meta["page_count"],
    }
    return ADVANCLY.success(data, "Customers retrieved successfully", meta=meta)


async def _customer_of_query(request: Request) -> tuple[Tenant, str]:
    """The tenant and the id of the customer a data load names by `phone_number`, `email` or
    `identity_number` (its BVN or NIN) in the query: exactly one, naming exactly one customer."""
    query = request.query_params
    database: Database = request.app.state.database
    vault: Vault = request.app.state.vault
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        unknown = sorted(set(query) - set(CUSTOMER_KEYS))
        if unknown:
            raise ValidationFailed.for_field(unknown[0], "is not allowed here")
        given = [name for name in CUSTOMER_KEYS if query.get(name)]
        if len(given) != 1:
            raise ValidationFailed.for_field(
                "phone_number", "send exactly one of phone_number, email, identity_number"
            )
        (name,) = given
        value = query[name]
        if name == "email":
            sql_key = value
        else:
            rows = await _lookup(database, vault, connection, tenant, name, value)
            if len(rows) > 1:
                raise ValidationFailed.for_field(
                    name, "names more than one customer: send email instead"
                )
            if not rows:
                raise service.CustomerNotFound(f"No customer found for this {name}")
            sql_key = str(row_to_dict(rows[0], vault, tenant.organization_id)["id"])
    if name == "email":
        customer = await read_customer(request, sql_key)
        sql_key = customer["id"]
    return tenant, sql_key


async def _lookup(
    database: Database, vault: Vault, connection: Connection, tenant: Tenant, name: str, value: str
) -> list[Any]:
    """The customers holding a phone number, or an identity number as BVN, else as NIN."""
    candidates = (
        (
            [LookupRequest(phone_number=value)]
            if name == "phone_number"
            else [LookupRequest(bvn=value), LookupRequest(nin=value)]
        )
        if _valid(name, value)
        else []
    )
    if not candidates:
        raise ValidationFailed.for_field(
            name,
            "must be a phone number in international format (+234...)"
            if name == "phone_number"
            else "must be an 11-digit BVN or NIN",
        )
    for lookup in candidates:
        try:
            rows = list(
                await onboarding.lookup_customers(database.fast, vault, connection, tenant, lookup)
            )
        except CustomerbaseError as exc:
            if isinstance(exc, ValidationFailed):
                raise ValidationFailed.for_field(name, str(exc.fields[0].message)) from None
            raise
        if rows:
            return rows
    return []


def _valid(name: str, value: str) -> bool:
    if name == "phone_number":
        return len(value) <= 32 and "\x00" not in value and bool(value.strip())
    return len(value) == 11 and value.isdigit()


async def _load(
    request: Request, body: dict[str, Any], *, orders: bool
) -> tuple[Tenant, str, OrdersLoad | StockLoad]:
    tenant, customer_id = await _customer_of_query(request)
    data: OrdersLoad | StockLoad
    if orders:
        data = ADVANCLY.parse(OrdersLoad, body, DATA_FIELDS)
    else:
        data = ADVANCLY.parse(StockLoad, body, DATA_FIELDS)
    return tenant, customer_id, data


@router.post(f"{CUSTOMERS}/data/stock")
async def load_stock(body: Annotated[dict[str, Any], Body()], request: Request) -> OrjsonResponse:
    """Load a customer's stock data (Advancly)."""
    tenant, customer_id, data = await _load(request, body, orders=False)
    database: Database = request.app.state.database
    async with database.write_session() as session:
        await _write(session, tenant, customer_id, data)
    return ADVANCLY.success(None, "Stock data loaded successfully")


@router.post(f"{CUSTOMERS}/data/orders")
async def load_orders(body: Annotated[dict[str, Any], Body()], request: Request) -> OrjsonResponse:
    """Load a customer's orders data (Advancly)."""
    tenant, customer_id, data = await _load(request, body, orders=True)
    database: Database = request.app.state.database
    async with database.write_session() as session:
        await _write(session, tenant, customer_id, data)
    return ADVANCLY.success(None, "Orders data loaded successfully")


async def _write(
    session: AsyncSession, tenant: Tenant, customer_id: str, data: OrdersLoad | StockLoad
) -> None:
    if isinstance(data, OrdersLoad):
        await customer_data.load_orders(session, tenant, customer_id, data)
    else:
        await customer_data.load_stock(session, tenant, customer_id, data)


def install(app: FastAPI, dialect_router: APIRouter = router) -> None:
    ADVANCLY.install(app, dialect_router)
