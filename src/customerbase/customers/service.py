"""Customer rules. Services never commit; the request's session commits once at the end.

Uniqueness (email, reference, BVN, NIN per organization and environment) is checked before a
write, for a clear answer, and enforced by unique indexes, for the race: a write that loses the
race fails on the index inside a savepoint and is answered 409 with the winner's id, never 500.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from customerbase.accounts import cascade
from customerbase.customers import blocks, inserts
from customerbase.customers.queries import CustomerQueries
from customerbase.customers.repository import CustomerFilter, CustomerRepository, Scope
from customerbase.customers.schemas import (
    CORRECTIONS_HINT,
    REQUIRED_NAMES,
    BlacklistRequest,
    CustomerCreate,
    CustomerListParams,
    CustomerUpdate,
)
from customerbase.customers.search import refresh_search
from customerbase.customers.serializers import customer_to_dict
from customerbase.documents.service import erase_customer_documents
from customerbase.documents.storage import DocumentStorage
from customerbase.events import changes_between, event_rows, record
from customerbase.events.service import redact_customer_events
from customerbase.kit import banking
from customerbase.kit import validators as v
from customerbase.kit.crypto import Vault
from customerbase.kit.db import request_checkpoint
from customerbase.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from customerbase.kit.fastdb import Connection, FastDB, Row, decode_uuid
from customerbase.kit.ids import parse_uuid, uuid7
from customerbase.kit.time import utcnow
from customerbase.models import Customer, CustomerConsent, CustomerPerson
from customerbase.models.customer import ERASED_SEARCH_COLUMNS
from customerbase.organizations.service import Tenant
from customerbase.screening.service import screen_customer, screen_on_name_change


def _scope(tenant: Tenant) -> Scope:
    return Scope(tenant.organization_id, tenant.environment)


class CustomerNotFound(NotFound):
    error_type = "customer_not_found"


class DuplicateCustomer(Conflict):
    error_type = "duplicate_customer"

    def __init__(self, field: str, existing_id: uuid.UUID) -> None:
        label = {"bvn": "BVN", "nin": "NIN", "tax_identification_number": "tax id"}.get(
            field, field
        )
        super().__init__(
            f"A customer with this {label} already exists",
            fields=[FieldError(field, "is already used by another customer")],
            extra={"existing_customer_id": str(existing_id)},
        )


class CustomerStateConflict(Conflict):
    """The customer's status does not allow this change."""


def not_found(key: str) -> CustomerNotFound:
    return CustomerNotFound(
        f"No customer found for {key!r}" if len(key) <= 100 else "No customer found"
    )


# --- Reading -----------------------------------------------------------------------------


async def get_customer(db: FastDB, connection: Connection, tenant: Tenant, key: str) -> Row:
    """By id, then by reference, then by email (Bitnob's lookup), in one statement."""
    if "\x00" in key:  # no key holds NUL (PostgreSQL text cannot): never ask the database
        raise not_found(key)
    queries = CustomerQueries(db, connection, _scope(tenant))
    row = await queries.get(key, parse_uuid(key))
    if row is None:
        raise not_found(key)
    return row


async def _lock_for_change(repository: CustomerRepository, key: str) -> Customer:
    """The customer a write addresses by id, locked for the rest of the transaction."""
    customer_id = parse_uuid(key)
    customer = await repository.get_by_id(customer_id, for_update=True) if customer_id else None
    if customer is None:
        raise not_found(key)
    return customer


@dataclass(frozen=True, slots=True)
class CustomerPage:
    items: Sequence[Row]
    meta: dict[str, Any]


_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def _day_start(value: date) -> datetime:
    return datetime.combine(value, time.min, tzinfo=UTC)


def _as_utc(value: datetime) -> datetime:
    """In UTC; a moment beyond the ends of the date range is clamped to them."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        return _LATEST if value.year == datetime.max.year else _EARLIEST


def _after(value: datetime, step: timedelta) -> datetime:
    try:
        return value + step
    except OverflowError:
        return _LATEST


def created_bounds(
    start: date | datetime | None, end: date | datetime | None
) -> tuple[datetime | None, datetime | None]:
    """`created_from`/`created_to` as [from, before): a date means the whole day, a timestamp
    is an inclusive bound. Raises `ValidationFailed` when the range is empty."""
    lower = upper = None
    if start is not None:
        lower = _as_utc(start) if isinstance(start, datetime) else _day_start(start)
    if end is not None:
        upper = (
            _after(_as_utc(end), timedelta(microseconds=1))
            if isinstance(end, datetime)
            else _after(_day_start(end), timedelta(days=1))
        )
    if lower is not None and upper is not None and lower >= upper:
        raise ValidationFailed.for_field("created_to", "must not be before created_from")
    return lower, upper


def _list_filter(params: CustomerListParams) -> CustomerFilter:
    filters = CustomerFilter()
    if params.status is not None:
        filters.statuses = (params.status.value,)
    if params.email is not None:
        filters.email = params.email.strip().lower()
    if params.phone_number is not None:
        filters.phone_number = v.loose_phone(params.phone_number)
    if params.customer_type is not None:
        filters.customer_type = params.customer_type.value
    filters.blacklisted = params.blacklisted
    filters.kyc_tier = params.kyc_tier
    if params.source is not None:
        filters.source = params.source.value
    if params.reference is not None:
        filters.reference = params.reference.strip()
    filters.created_from, filters.created_before = created_bounds(
        params.created_from, params.created_to
    )
    if params.q is not None:
        if not params.q.strip():
            raise ValidationFailed.for_field("q", "must not be blank")
        filters.search = params.q
    return filters


# Ids are UUIDv7 (time-ordered): these sort before and after every id there can be.
_OLDEST_CURSOR = uuid.UUID(int=0)
_NEWEST_CURSOR = uuid.UUID(int=2**128 - 1)


def _cursor(name: str, value: str) -> uuid.UUID:
    cursor = parse_uuid(value)
    if cursor is None:
        raise ValidationFailed.for_field(name, "must be a customer id")
    return cursor


async def list_customers(
    db: FastDB, connection: Connection, tenant: Tenant, params: CustomerListParams
) -> CustomerPage:
    """Newest first. Page mode (`page`, `take`) or cursor mode (`starting_after`,
    `ending_before`); a cursor neither skips nor repeats a customer while others are created,
    because ids are time-ordered and new customers only ever appear before the first page.

    Page mode counts (`item_count`, `page_count`: Bitnob's clients read them), exactly up to
    `COUNT_CAP` matches and as "at least" beyond (`item_count_exact: false`); cursor mode
    counts only when asked (`include_count=true`)."""
    fields_set = params.model_fields_set
    if params.starting_after and params.ending_before:
        raise ValidationFailed.for_field("ending_before", "cannot be combined with starting_after")
    cursor_mode = bool(params.starting_after or params.ending_before)
    if cursor_mode and "page" in fields_set and params.page != 1:
        raise ValidationFailed.for_field("page", "cannot be combined with a cursor")

    queries = CustomerQueries(db, connection, _scope(tenant))
    filters = _list_filter(params)
    take = params.take
    counted = not cursor_mode or params.include_count
    total: int | None
    if cursor_mode:
        total, exact = await queries.count(filters) if counted else (None, True)

    if params.starting_after:
        rows = await queries.after(
            filters, _cursor("starting_after", params.starting_after), limit=take + 1
        )
        has_next, has_previous = len(rows) > take, True
        items = rows[:take]
    elif params.ending_before:
        rows = await queries.before(
            filters, _cursor("ending_before", params.ending_before), limit=take + 1
        )
        has_previous, has_next = len(rows) > take, True
        items = rows[-take:] if has_previous else rows
    else:
        total, exact, rows = await queries.count_and_page(
            filters, offset=(params.page - 1) * take, limit=take + 1
        )
        has_next, has_previous = len(rows) > take, params.page > 1
        items = rows[:take]

    next_cursor = decode_uuid(items[-1]["id"]) if has_next and items else None
    previous_cursor = decode_uuid(items[0]["id"]) if has_previous and items else None
    if not items and (has_next or has_previous):
        # An empty page past either end: the neighbouring page is the oldest (or newest) one,
        # which a cursor beyond every id reaches. No customer at all: no neighbour either.
        if not (total if total is not None else await queries.exists(filters)):
            has_next = has_previous = False
        elif has_previous:
            previous_cursor, has_next = str(_OLDEST_CURSOR), False
        else:
            next_cursor = str(_NEWEST_CURSOR)
    meta: dict[str, Any] = {
        "page": None if cursor_mode else params.page,
        "take": take,
        "item_count": total,
        "item_count_exact": exact if total is not None else None,
        "page_count": math.ceil(total / take) if total else (0 if total == 0 else None),
        "has_previous_page": has_previous,
        "has_next_page": has_next,
        "next_cursor": next_cursor,
        "previous_cursor": previous_cursor,
    }
    return CustomerPage(items, meta)


# --- Writing -----------------------------------------------------------------------------


def _identity(
    vault: Vault, organization_id: uuid.UUID, field: str, value: str
) -> tuple[bytes, str, str]:
    """(ciphertext, blind index, last four digits) of an identity number."""
    return (
        vault.encrypt(value, organization_id=organization_id, field=field),
        vault.blind_index(value, organization_id=organization_id, field=field),
        value[-4:],
    )


def _check_names(customer_type: str, names: dict[str, str | None]) -> list[FieldError]:
    required = REQUIRED_NAMES[customer_type]
    article = "an" if customer_type == "individual" else "a"
    return [
        FieldError(
            name,
            f"is required for {article} {customer_type} customer",
        )
        for name in required
        if not names.get(name)
    ]


@asynccontextmanager
async def _unique_write(
    session: AsyncSession,
    repository: CustomerRepository,
    customer_id: uuid.UUID,
    *,
    email: str | None,
    reference: str | None,
    bvn_index: str | None = None,
    nin_index: str | None = None,
    tin_index: str | None = None,
) -> AsyncIterator[None]:
    """Apply the changes made in the block inside a savepoint and flush them there: a unique
    index that fires rolls back only the savepoint and becomes a 409 naming the holder.

    The changes must be made inside the block: entering a savepoint flushes what is pending.
    """
    try:
        async with session.begin_nested():
            yield
            await session.flush()
    except IntegrityError:
        conflict = await repository.find_conflict(
            email=email,
            reference=reference,
            bvn_index=bvn_index,
            nin_index=nin_index,
            tin_index=tin_index,
            exclude_id=customer_id,
        )
        if conflict is None:
            raise
        raise DuplicateCustomer(*conflict) from None


def build_customer(vault: Vault, tenant: Tenant, data: CustomerCreate) -> Customer:
    """A new customer from a validated request, with the service's own checks (names its type
    requires, the phone number), identity numbers encrypted and search columns filled; not yet
    added to a session. Raises `ValidationFailed` naming every failing field. The bulk import
    builds its rows with this too, so that a row is held to exactly the API's rules."""
    customer_type = data.customer_type.value
    errors = _check_names(
        customer_type,
        {
            "first_name": data.first_name,
            "last_name": data.last_name,
            "company_name": data.company_name,
        },
    )
    phone = dial_code = None
    try:
        phone, dial_code = v.parse_phone(
            data.phone_number, dial_code=data.dial_code, country=data.country
        )
    except v.PhoneError as exc:
        errors.append(FieldError("phone_number", str(exc)))
    errors += profile_errors(data, data.country)
    if data.people and customer_type != "business":
        errors.append(FieldError("people", "only a business customer has people"))
    if errors:
        raise ValidationFailed.for_fields(errors)

    organization_id = tenant.organization_id
    customer = Customer(
        id=uuid7(),
        organization_id=organization_id,
        environment=tenant.environment,
        reference=data.reference,
        customer_type=customer_type,
        first_name=data.first_name,
        middle_name=data.middle_name,
        last_name=data.last_name,
        company_name=data.company_name,
        email=data.email,
        phone_number=phone,
        dial_code=dial_code,
        country=data.country,
        gender=data.gender.value if data.gender else None,
        address=data.address.model_dump(exclude_none=True) if data.address else None,
        source=data.source.value,
        metadata_=dict(data.metadata or {}),
        status="active",
        blacklisted=False,
        kyc_tier=0,
        kyc_status="not_started",
        screening_status="clear",
        tos_status="pending",
        rejection_reasons=[],
        identifiers_blocked=False,
    )
    if data.bvn:
        customer.bvn_encrypted, customer.bvn_index, customer.bvn_last4 = _identity(
            vault, organization_id, "bvn", data.bvn
        )
    if data.nin:
        customer.nin_encrypted, customer.nin_index, customer.nin_last4 = _identity(
            vault, organization_id, "nin", data.nin
        )
    if data.date_of_birth:
        customer.date_of_birth_encrypted = vault.encrypt(
            data.date_of_birth.isoformat(), organization_id=organization_id, field="date_of_birth"
        )
    apply_profile(vault, customer, data, data.model_fields_set)
    if data.tax_identification_number:
        customer.tin_encrypted, customer.tin_index, customer.tin_last4 = _identity(
            vault, organization_id, "tax_identification_number", data.tax_identification_number
        )
    now = utcnow()
    customer.created_at = customer.updated_at = now
    refresh_search(customer)
    return customer


# --- The onboarding profile (issue 8) ------------------------------------------------------


async def erase_onboarding_data(session: AsyncSession, customer: Customer) -> None:
    """Erasure reaches the people of a business (removed) and the consent ledger (the IP
    address and user agent cleared; what was consented to, and when, stays as evidence)."""
    scope = (
        CustomerPerson.organization_id == customer.organization_id,
        CustomerPerson.customer_id == customer.id,
    )
    await session.execute(delete(CustomerPerson).where(*scope))
    await session.execute(
        update(CustomerConsent)
        .where(
            CustomerConsent.organization_id == customer.organization_id,
            CustomerConsent.customer_id == customer.id,
        )
        .values(ip_address=None, user_agent=None)
    )


# Simple profile fields: (attribute, how a validated value is stored).
_PROFILE_FIELDS = (
    "place_of_birth",
    "educational_qualification",
    "customer_category",
    "business_registration_number",
    "industry",
    "website",
    "photo_url",
)
_PROFILE_DATES = ("partner_date_registered", "business_registration_date")
PROFILE_FIELDS = (
    *_PROFILE_FIELDS,
    *_PROFILE_DATES,
    "onboarding_type",
    "next_of_kin",
    "bank_account",
    "operating_address",
)


def profile_errors(data: CustomerCreate | CustomerUpdate, country: str | None) -> list[FieldError]:
    """The checks that need more than one field: the next of kin's phone number placed in its
    country, a Nigerian tax id's form."""
    errors: list[FieldError] = []
    kin = data.next_of_kin
    if kin is not None and kin.phone_number is not None:
        try:
            v.parse_phone(
                kin.phone_number,
                dial_code=kin.dial_code,
                country=(kin.address.country if kin.address else None) or country,
            )
        except v.PhoneError as exc:
            errors.append(FieldError("next_of_kin.phone_number", str(exc)))
    tin = data.tax_identification_number
    if tin is not None and country == "NG":
        try:
            banking.tax_identification_number(tin, "NG")
        except ValueError as exc:
            errors.append(FieldError("tax_identification_number", str(exc)))
    return errors


def apply_profile(
    vault: Vault, customer: Customer, data: CustomerCreate | CustomerUpdate, sent: set[str]
) -> None:
    """Set the profile fields sent (validated by `profile_errors` first); `null` clears."""
    for name in _PROFILE_FIELDS:
        if name in sent:
            setattr(customer, name, getattr(data, name))
    for name in _PROFILE_DATES:
        if name in sent:
            value = getattr(data, name)
            setattr(customer, name, value.isoformat() if value else None)
    if "onboarding_type" in sent:
        customer.onboarding_type = data.onboarding_type.value if data.onboarding_type else None
    if "operating_address" in sent:
        address = data.operating_address
        customer.operating_address = address.model_dump(exclude_none=True) if address else None
    if "next_of_kin" in sent:
        kin = data.next_of_kin
        if kin is None:
            customer.next_of_kin = None
        else:
            stored = kin.model_dump(mode="json", exclude_none=True)
            if kin.phone_number is not None:
                stored["phone_number"], stored["dial_code"] = v.parse_phone(
                    kin.phone_number,
                    dial_code=kin.dial_code,
                    country=(kin.address.country if kin.address else None) or customer.country,
                )
            customer.next_of_kin = stored
    if "bank_account" in sent:
        account = data.bank_account
        if account is None:
            customer.bank_account = None
            customer.bank_account_number_encrypted = None
            customer.bank_account_number_last4 = None
        else:
            customer.bank_account = account.model_dump(
                exclude={"account_number"}, exclude_none=True
            )
            customer.bank_account_number_encrypted = vault.encrypt(
                account.account_number,
                organization_id=customer.organization_id,
                field="bank_account_number",
            )
            customer.bank_account_number_last4 = account.account_number[-4:]


async def create_customer(
    session: AsyncSession, vault: Vault, tenant: Tenant, data: CustomerCreate
) -> Customer:
    customer = build_customer(vault, tenant, data)
    await screen_customer(session, customer)
    await blocks.ensure_not_blocked(
        session,
        vault,
        tenant,
        bvn_index=customer.bvn_index,
        nin_index=customer.nin_index,
        email=customer.email,
        phone_number=customer.phone_number,
        tin_index=customer.tin_index,
    )
    repository = CustomerRepository(session, _scope(tenant))
    conflict = await repository.find_conflict(
        email=customer.email,
        reference=customer.reference,
        bvn_index=customer.bvn_index,
        nin_index=customer.nin_index,
        tin_index=customer.tin_index,
    )
    if conflict is not None:
        raise DuplicateCustomer(*conflict)
    async with _unique_write(
        session,
        repository,
        customer.id,
        email=customer.email,
        reference=customer.reference,
        bvn_index=customer.bvn_index,
        nin_index=customer.nin_index,
        tin_index=customer.tin_index,
    ):
        repository.add(customer)
    record(
        session,
        tenant,
        "customer.created",
        customer_to_dict(customer, vault),
        customer_id=customer.id,
    )
    return customer


async def create_customer_fast(
    connection: Connection, vault: Vault, tenant: Tenant, data: CustomerCreate
) -> Customer:
    """`create_customer` on PostgreSQL's raw connection: the block list and the INSERT in one
    autocommit statement; a unique index that fires is the duplicate check (409 naming the
    holder), so a lost race and a plain duplicate answer alike."""
    customer = build_customer(vault, tenant, data)
    await screen_customer(connection, customer)
    pairs = blocks.identity_pairs(
        vault,
        tenant.organization_id,
        bvn_index=customer.bvn_index,
        nin_index=customer.nin_index,
        email=customer.email,
        phone_number=customer.phone_number,
        tin_index=customer.tin_index,
    )
    recorded = event_rows(
        tenant, "customer.created", customer_to_dict(customer, vault), customer_id=customer.id
    )
    try:
        inserted = await inserts.insert_customer(connection, customer, pairs, recorded)
    except inserts.UniqueViolation:
        conflict = await inserts.find_conflict(connection, _scope(tenant), customer)
        if conflict is None:  # the holder was erased in between: the name is free again
            raise CustomerStateConflict(
                "A concurrent change took this customer's email, reference or identity "
                "number; retry the request",
                error_type="duplicate_customer",
            ) from None
        raise DuplicateCustomer(*conflict) from None
    if not inserted:
        await blocks.raise_blocked(connection, tenant, pairs)
    return customer


def _ensure_changeable(customer: Customer) -> None:
    if customer.status == "deleted":
        raise CustomerStateConflict(
            "This customer has been erased and cannot be changed", error_type="customer_deleted"
        )
    if customer.status == "archived":
        raise CustomerStateConflict(
            "This customer is archived: unarchive it before changing it",
            error_type="customer_archived",
        )


def _merged_address(current: dict[str, Any] | None, data: CustomerUpdate) -> dict[str, Any] | None:
    """`address` merges like `metadata`: the keys sent replace theirs, a key sent as null is
    removed, the others stay; `"address": null` removes the whole address."""
    if data.address is None:
        return None
    merged = dict(current or {})
    for name in data.address.model_fields_set:
        value = getattr(data.address, name)
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = value
    return merged or None


# Fields that underpin KYC: once a customer exists, they change only through corrections.
CORRECTION_ONLY = ("date_of_birth", "bvn", "nin")
# Names join them once an identity check has verified them.
VERIFIED_NAMES = ("first_name", "middle_name", "last_name")


def names_verified(customer: Customer) -> bool:
    """Whether an identity check verified the names: the KYC flow's `identity_verified_at`
    where it exists, otherwise an approved KYC status."""
    verified_at = getattr(customer, "identity_verified_at", None)
    return verified_at is not None or customer.kyc_status == "approved"


def _correction_error(field: str) -> FieldError:
    return FieldError(field, CORRECTIONS_HINT)


def gated_field_errors(customer: Customer, data: CustomerUpdate) -> list[FieldError]:
    """A 422 for each gated field the update sends, pointing to corrections. A tax id may be
    added to a customer that has none (a move to business); once set, it is gated too."""
    sent = data.model_fields_set
    errors = [_correction_error(name) for name in CORRECTION_ONLY if name in sent]
    if "tax_identification_number" in sent and (
        customer.tin_last4 is not None or data.tax_identification_number is None
    ):
        errors.append(_correction_error("tax_identification_number"))
    if names_verified(customer):
        errors += [
            _correction_error(name)
            for name in VERIFIED_NAMES
            if name in sent and getattr(data, name) != getattr(customer, name)
        ]
    return errors


async def update_customer(
    session: AsyncSession, vault: Vault, tenant: Tenant, key: str, data: CustomerUpdate
) -> Customer:
    repository = CustomerRepository(session, _scope(tenant))
    customer = await _lock_for_change(repository, key)
    _ensure_changeable(customer)
    before = customer_to_dict(customer, vault)
    sent = data.model_fields_set
    errors: list[FieldError] = []

    for required in ("email", "phone_number", "customer_type"):
        if required in sent and getattr(data, required) is None:
            errors.append(FieldError(required, "cannot be removed"))
    errors += gated_field_errors(customer, data)
    errors += profile_errors(data, customer.country)

    names = {
        name: (getattr(data, name) if name in sent else getattr(customer, name))
        for name in ("first_name", "last_name", "company_name")
    }
    customer_type = data.customer_type.value if data.customer_type else customer.customer_type
    for error in _check_names(customer_type, names):
        # Name the field the client sent when the type change is what broke the rule.
        field = (
            error.field if error.field in sent or "customer_type" not in sent else "customer_type"
        )
        message = (
            error.message
            if field == error.field
            else f"needs {error.field}, which this customer lacks"
        )
        errors.append(FieldError(field, message))

    phone = dial_code = None
    if "phone_number" in sent and data.phone_number is not None:
        try:
            phone, dial_code = v.parse_phone(
                data.phone_number, dial_code=customer.dial_code, country=customer.country
            )
        except v.PhoneError as exc:
            errors.append(FieldError("phone_number", str(exc)))

    metadata = dict(customer.metadata_ or {})
    if "metadata" in sent:
        if data.metadata is None:
            metadata = {}
        else:
            for meta_key, meta_value in data.metadata.items():
                if meta_value is None:
                    metadata.pop(meta_key, None)
                else:
                    metadata[meta_key] = meta_value
            if len(metadata) > 50:
                errors.append(FieldError("metadata", "must have at most 50 keys"))
    if errors:
        raise ValidationFailed.for_fields(errors)

    new_email = data.email if "email" in sent else None
    new_reference = data.reference if "reference" in sent else None
    new_tin = None
    if data.tax_identification_number is not None:  # only a customer without one (gated)
        new_tin = _identity(
            vault,
            customer.organization_id,
            "tax_identification_number",
            data.tax_identification_number,
        )
    await blocks.ensure_not_blocked(
        session,
        vault,
        tenant,
        email=new_email if new_email != customer.email else None,
        phone_number=phone if phone != customer.phone_number else None,
        tin_index=new_tin[1] if new_tin else None,
    )
    if new_email is not None or new_reference is not None or new_tin is not None:
        conflict = await repository.find_conflict(
            email=new_email,
            reference=new_reference,
            bvn_index=None,
            nin_index=None,
            tin_index=new_tin[1] if new_tin else None,
            exclude_id=customer.id,
        )
        if conflict is not None:
            raise DuplicateCustomer(*conflict)

    async with _unique_write(
        session,
        repository,
        customer.id,
        email=new_email,
        reference=new_reference,
        tin_index=new_tin[1] if new_tin else None,
    ):
        for name in ("first_name", "middle_name", "last_name", "company_name", "reference"):
            if name in sent:
                setattr(customer, name, getattr(data, name))
        if new_tin is not None:
            customer.tin_encrypted, customer.tin_index, customer.tin_last4 = new_tin
        apply_profile(vault, customer, data, sent)
        if new_email is not None:
            customer.email = new_email
        if phone is not None:
            customer.phone_number, customer.dial_code = phone, dial_code
        customer.customer_type = customer_type
        if "address" in sent:
            customer.address = _merged_address(customer.address, data)
        customer.metadata_ = metadata
        customer.updated_at = utcnow()
        refresh_search(customer)
    await screen_on_name_change(session, customer, before)
    after = customer_to_dict(customer, vault)
    if changes_between(before, after):
        record(session, tenant, "customer.updated", after, customer_id=customer.id, before=before)
    return customer


async def archive_customer(
    session: AsyncSession, vault: Vault, tenant: Tenant, key: str
) -> Customer:
    """Archive: readable, but frozen until unarchived; its active accounts and cards become
    inactive (Bloc), and unarchiving makes exactly those active again."""
    customer = await _lock_for_change(CustomerRepository(session, _scope(tenant)), key)
    if customer.status == "archived":
        raise CustomerStateConflict(
            "This customer is already archived", error_type="customer_archived"
        )
    _ensure_changeable(customer)
    before = customer_to_dict(customer, vault)
    now = utcnow()
    customer.status, customer.archived_at, customer.updated_at = "archived", now, now
    await session.flush()
    _record_change(session, vault, tenant, "customer.archived", customer, before)
    await cascade.deactivate_for_archive(session, tenant, customer.id)
    return customer


async def unarchive_customer(
    session: AsyncSession, vault: Vault, tenant: Tenant, key: str
) -> Customer:
    customer = await _lock_for_change(CustomerRepository(session, _scope(tenant)), key)
    if customer.status != "archived":
        _ensure_changeable(customer)
        raise CustomerStateConflict(
            "This customer is not archived", error_type="customer_not_archived"
        )
    before = customer_to_dict(customer, vault)
    customer.status, customer.archived_at, customer.updated_at = "active", None, utcnow()
    await session.flush()
    _record_change(session, vault, tenant, "customer.unarchived", customer, before)
    await cascade.reactivate_for_unarchive(session, tenant, customer.id)
    return customer


async def set_blacklist(
    session: AsyncSession, vault: Vault, tenant: Tenant, key: str, data: BlacklistRequest
) -> Customer:
    customer = await _lock_for_change(CustomerRepository(session, _scope(tenant)), key)
    _ensure_changeable(customer)
    before = customer_to_dict(customer, vault)
    now = utcnow()
    if data.blacklist:
        if not customer.blacklisted:
            customer.blacklisted_at = now
        customer.blacklisted = True
        customer.blacklist_reason = data.reason
        if data.block_identifiers and not customer.identifiers_blocked:
            # Its email, phone and identity numbers may not be onboarded again until lifted.
            await blocks.block_identities_of(session, vault, customer)
            customer.identifiers_blocked = True
    else:
        customer.blacklisted, customer.blacklist_reason, customer.blacklisted_at = False, None, None
        if customer.identifiers_blocked:
            await blocks.lift_blocks_of(session, customer)
            customer.identifiers_blocked = False
    if (
        customer.blacklisted == before["blacklisted"]
        and customer.blacklist_reason == (before["blacklist_reason"])
        and customer.identifiers_blocked == before["identifiers_blocked"]
    ):
        return customer  # nothing changed: no write, no event
    customer.updated_at = now
    await session.flush()
    kind = "customer.blacklisted" if customer.blacklisted else "customer.unblacklisted"
    _record_change(session, vault, tenant, kind, customer, before)
    return customer


_ERASED_FIELDS = (
    "reference",
    "first_name",
    "middle_name",
    "last_name",
    "company_name",
    "email",
    "phone_number",
    "dial_code",
    "country",
    "date_of_birth_encrypted",
    "gender",
    "address",
    "bvn_encrypted",
    "bvn_index",
    "bvn_last4",
    "nin_encrypted",
    "nin_index",
    "nin_last4",
    "blacklist_reason",
    *ERASED_SEARCH_COLUMNS,
    # The onboarding profile (issue 8).
    "place_of_birth",
    "educational_qualification",
    "photo_url",
    "tin_encrypted",
    "tin_index",
    "tin_last4",
    "next_of_kin",
    "bank_account",
    "bank_account_number_encrypted",
    "bank_account_number_last4",
    "business_registration_number",
    "business_registration_date",
    "website",
    "operating_address",
)


async def erase_customer(
    session: AsyncSession,
    vault: Vault,
    tenant: Tenant,
    key: str,
    *,
    storage: DocumentStorage,
) -> Customer:
    """Irreversibly remove the personal data and the documents; keep the record, its id and
    status `deleted`, so that what refers to it stays consistent. Erasing twice is harmless.

    A blacklisted customer stays blacklisted when erased (the record says so), and the blind
    indexes of its identity numbers, email and phone go to the block list first, so that the
    same person cannot be onboarded again clean. On SQLite the request's commit is followed by
    a WAL checkpoint, so that no copy of the erased data stays in the `-wal` file.
    """
    customer = await _lock_for_change(CustomerRepository(session, _scope(tenant)), key)
    if customer.status == "deleted":
        return customer
    if customer.blacklisted:
        await blocks.block_identities_of(session, vault, customer)
    before = customer_to_dict(customer, vault)
    request_checkpoint(session)
    for name in _ERASED_FIELDS:
        setattr(customer, name, None)
    await erase_customer_documents(session, storage, tenant, customer.id)  # before its people
    await erase_onboarding_data(session, customer)
    now = utcnow()
    customer.metadata_ = {}
    customer.status, customer.deleted_at, customer.updated_at = "deleted", now, now
    await session.flush()
    erased = customer_to_dict(customer, vault)
    await redact_customer_events(session, tenant, customer.id, erased)
    record(
        session,
        tenant,
        "customer.deleted",
        erased,
        customer_id=customer.id,
        # What was erased, by name only: the values are gone for good.
        changes={
            field: {"old": "[erased]", "new": erased[field]}
            for field, change in changes_between(before, erased).items()
            if change["new"] is None
        }
        | {"status": {"old": before["status"], "new": "deleted"}},
    )
    return customer


def _record_change(
    session: AsyncSession,
    vault: Vault,
    tenant: Tenant,
    kind: str,
    customer: Customer,
    before: dict[str, Any],
) -> None:
    record(
        session,
        tenant,
        kind,
        customer_to_dict(customer, vault),
        customer_id=customer.id,
        before=before,
    )
