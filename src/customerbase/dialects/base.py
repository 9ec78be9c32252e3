"""What every provider dialect shares: its prefix, its envelopes, its error shape and status
codes, and the translation of its field names to and from the canonical ones.

A dialect is a thin translation over the canonical services (`customers.service`): it renames
the fields of a request, validates them with the canonical request models (so that a dialect
adds no rule of its own), calls the same service function as `/v1`, and renders the canonical
customer object in the provider's shape. It stores nothing: a customer created through one
dialect is the same customer in `/v1` and in every other dialect.

To add a provider, copy `bloc.py` or `bitnob.py`: subclass `Dialect` (prefix, the names of its
fields, `success` and `failure` envelopes, status codes it answers differently), write its
serializer from the canonical customer dict, and add its router in `dialects/__init__.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from customerbase.accounts import service as accounts
from customerbase.customers import service
from customerbase.customers.queries import CustomerQueries
from customerbase.customers.schemas import CustomerCreate
from customerbase.customers.serializers import row_to_dict
from customerbase.documents.flows import create_customer_with_documents
from customerbase.kit.db import Database
from customerbase.kit.edge import request_id_of
from customerbase.kit.envelope import OrjsonResponse
from customerbase.kit.errors import FieldError, ValidationFailed
from customerbase.kit.handlers import field_errors, register_error_renderer
from customerbase.kit.ids import parse_uuid
from customerbase.kit.routing import JsonRoute
from customerbase.models import Customer
from customerbase.onboarding.service import create_customer_with_people
from customerbase.organizations.auth import authenticate_request, authenticated_read
from customerbase.organizations.service import Tenant

M = TypeVar("M", bound=BaseModel)

NOT_ALLOWED = "is not allowed here"
_UNKNOWN = "\x00unknown"


class DialectValidationFailed(ValidationFailed):
    """A 422 whose fields already carry the dialect's names (no translation on the way out)."""


async def read_customer(request: Request, key: str) -> dict[str, Any]:
    """The canonical customer object for `key` (id, reference or email) as `GET /v1/customers/
    {key}` reads it: the key check folded into the read (one round trip on PostgreSQL)."""
    database: Database = request.app.state.database
    async with database.fast.connection() as connection:
        if "\x00" in key:  # no key holds NUL (PostgreSQL text cannot): never ask the database
            await authenticate_request(request, connection)
            raise service.not_found(key)
        sql, args = CustomerQueries.get_statement(database.fast, key, parse_uuid(key))
        tenant, row = await authenticated_read(request, database.fast, connection, sql, *args)
    if row is None:
        raise service.not_found(key)
    return row_to_dict(row, request.app.state.vault, tenant.organization_id)


@dataclass(frozen=True, slots=True)
class Created:
    tenant: Tenant
    customer: Customer
    data: CustomerCreate
    wallet: dict[str, Any] | None


async def create_customer(request: Request, parse: Callable[[], CustomerCreate]) -> Created:
    """What `POST /v1/customers` does with a body, for a dialect: authenticate, then `parse`
    the provider's body, then create through the same service paths (the one-statement fast
    path on PostgreSQL; one write transaction with the people, the documents or the wallet)."""
    database: Database = request.app.state.database
    vault = request.app.state.vault
    customer: Customer | None = None
    async with database.fast.connection() as connection:
        tenant = await authenticate_request(request, connection)
        data = parse()
        inline = data.people or data.customer_documents or data.create_wallet
        if not database.fast.is_sqlite and not inline:
            customer = await service.create_customer_fast(connection, vault, tenant, data)
    wallet = None
    if customer is None:
        async with database.write_session() as session:
            if data.customer_documents:
                storage = request.app.state.document_storage
                customer = await create_customer_with_documents(
                    session, vault, storage, tenant, data
                )
            elif data.people:
                customer = await create_customer_with_people(session, vault, tenant, data)
            else:
                customer = await service.create_customer(session, vault, tenant, data)
            if data.create_wallet:
                wallet = await accounts.open_wallet(session, tenant, customer)
    return Created(tenant, customer, data, wallet)


def renamed(field: str, names: Mapping[str, str]) -> str:
    """`field` (a dotted path) under the names of `names`; a nested path renames its longest
    named prefix (`address.street`, `next_of_kin.address.city`, `people[0].email`); a name
    `names` lacks stays as it is."""
    if field in names:
        return names[field]
    cuts = [i for i, char in enumerate(field) if char in ".["]
    for cut in reversed(cuts):
        head = field[:cut]
        if head in names:
            return names[head] + field[cut:]
    return field


def _put(target: dict[str, Any], path: str, value: Any) -> None:
    """Set a dotted canonical path (`bank_account.bank_code`) in a nested body."""
    *parents, leaf = path.split(".")
    for parent in parents:
        child = target.get(parent)
        if not isinstance(child, dict):
            child = target[parent] = {}
        target = child
    target[leaf] = value


def _scalar_as_text(value: Any) -> Any:
    """A number where the provider's clients may send one for a text field (a phone number, a
    dial code): its digits. Booleans stay as they are, to be refused as such."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


class Dialect:
    """One provider's conventions. Subclasses set the class attributes and the envelopes."""

    name: ClassVar[str]
    prefix: ClassVar[str]
    # canonical field name -> the provider's name for it, for the errors of the services
    field_names: ClassVar[Mapping[str, str]] = {}
    # canonical status -> the provider's (e.g. Bloc answers bad input with 400)
    status_codes: ClassVar[Mapping[int, int]] = {}
    # the provider's fields whose clients may send numbers for text
    numeric_text_fields: ClassVar[frozenset[str]] = frozenset()
    # whether the provider's clients send "" for a field they have no value for (Advancly)
    blank_is_absent: ClassVar[bool] = False

    # --- Envelopes ------------------------------------------------------------------------

    def success(
        self,
        data: Any,
        message: str,
        *,
        status_code: int = 200,
        meta: dict[str, Any] | None = None,
    ) -> OrjsonResponse:
        raise NotImplementedError

    def failure_body(self, status_code: int, message: str, error: dict[str, Any]) -> dict[str, Any]:
        """The error envelope; `error` is the canonical error object (type, fields,
        request_id, ...), kept for diagnosis under a key the provider's clients ignore."""
        raise NotImplementedError

    # --- Errors -----------------------------------------------------------------------------

    def field_name(self, canonical: str) -> str:
        """The provider's name for a canonical field path."""
        return renamed(canonical, self.field_names)

    def render_error(
        self,
        request: Request,
        status_code: int,
        message: str,
        body: dict[str, Any],
        headers: dict[str, str] | None,
        exc: Exception,
    ) -> Response:
        fields = body.get("fields") or []
        if fields and not isinstance(exc, DialectValidationFailed):
            fields = [
                {"field": self.field_name(item["field"]), "message": item["message"]}
                for item in fields
            ]
            if body.get("type") == "validation_error":
                message = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        error = {**body, "fields": fields, "request_id": request_id_of(request.scope)}
        status = self.status_codes.get(status_code, status_code)
        return OrjsonResponse(
            self.failure_body(status, message, error), status_code=status, headers=headers
        )

    # --- Requests ---------------------------------------------------------------------------

    def parse(
        self,
        model: type[M],
        values: Mapping[str, Any],
        accepted: Mapping[str, str],
        *,
        defaults: Mapping[str, Any] | None = None,
        faults: list[FieldError] | None = None,
    ) -> M:
        """Validate the provider's `values` with a canonical model. `accepted` maps each field
        the dialect takes to its canonical name (a dotted path for a nested one); any other
        field is refused (422 naming it). Errors name the provider's fields; `faults` are the
        dialect's own translation errors, reported with the model's."""
        canonical: dict[str, Any] = {}
        for path, value in (defaults or {}).items():
            _put(canonical, path, value)
        unknown: list[FieldError] = list(faults or ())
        for key, value in values.items():
            name = accepted.get(key)
            if name is None:
                unknown.append(FieldError(key, NOT_ALLOWED))
            elif not (self.blank_is_absent and value == ""):
                _put(
                    canonical,
                    name,
                    _scalar_as_text(value) if key in self.numeric_text_fields else value,
                )
        if unknown:
            # An extra key the canonical model refuses, so that it also names every other
            # fault of the body (such as the names a customer's type requires) at once.
            canonical[_UNKNOWN] = None
        names = {
            **self.field_names,
            **{canonical_name: key for key, canonical_name in accepted.items()},
        }
        errors: list[FieldError] = []
        faulted = {fault.field for fault in faults or ()}
        result: M | None = None
        try:
            result = model.model_validate(canonical)
        except ValidationError as exc:
            for item in field_errors(exc.errors()):
                if item.field == _UNKNOWN:
                    continue
                error = FieldError(renamed(item.field, names), item.message)
                # One message a field: the dialect's own fault, else the model's first.
                if error.field not in faulted and error not in errors:
                    errors.append(error)
        if unknown or errors or result is None:
            raise DialectValidationFailed.for_fields(unknown + errors)
        return result

    # --- Mounting -------------------------------------------------------------------------

    def router(self) -> APIRouter:
        """Under the provider's prefix; out of the OpenAPI document, whose reference for these
        paths is the provider's own documentation."""
        return APIRouter(
            prefix=self.prefix,
            route_class=JsonRoute,
            include_in_schema=False,
            tags=[f"{self.name} dialect"],
        )

    def install(self, app: FastAPI, router: APIRouter) -> None:
        app.include_router(router)
        register_error_renderer(app, self.prefix, self.render_error)
