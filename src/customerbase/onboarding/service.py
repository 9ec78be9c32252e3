"""Onboarding rules: the people of a business, the consent ledger, corrections and look-up.
Services never commit; every change records its event and audit entry in the same
transaction (`customerbase.events.record`).

The ownership of a business's people may not total more than 100%: every write to its people
locks the customer row first (`SELECT ... FOR UPDATE` on PostgreSQL; SQLite's single write
connection serialises writes), so two concurrent additions cannot both pass the check.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from customerbase.customers import blocks
from customerbase.customers.queries import _SELECT as CUSTOMER_SELECT
from customerbase.customers.repository import CustomerRepository
from customerbase.customers.schemas import CustomerCreate, PersonCreate, PersonUpdate
from customerbase.customers.search import refresh_search
from customerbase.customers.serializers import customer_to_dict
from customerbase.customers.service import (
    CustomerNotFound,
    DuplicateCustomer,
    _ensure_changeable,
    _identity,
    _lock_for_change,
    _scope,
    _unique_write,
    create_customer,
)
from customerbase.documents.service import erase_customer_documents
from customerbase.documents.storage import DocumentStorage
from customerbase.events import changes_between, mask_value, record, register_event_types
from customerbase.kit import validators as v
from customerbase.kit.crypto import Vault
from customerbase.kit.errors import Conflict, FieldError, NotFound, ValidationFailed
from customerbase.kit.fastdb import (
    Connection,
    FastDB,
    Row,
    decode_json,
    decode_timestamp,
    decode_uuid,
)
from customerbase.kit.ids import parse_uuid, uuid7
from customerbase.kit.time import isoformat, utcnow
from customerbase.models import Customer, CustomerConsent, CustomerPerson
from customerbase.onboarding.schemas import ConsentCreate, CorrectionRequest, LookupRequest
from customerbase.organizations.service import Tenant

register_event_types(
    "customer.person.created",
    "customer.person.updated",
    "customer.person.removed",
    "customer.consent.recorded",
    "customer.corrected",
)


class PersonNotFound(NotFound):
    error_type = "person_not_found"


class NotABusiness(Conflict):
    error_type = "not_a_business"
    default_message = "Only a business customer has people: set customer_type to business first"


class OwnershipExceeded(Conflict):
    error_type = "ownership_exceeded"


# --- People ------------------------------------------------------------------------------

_PERSON_COLUMNS = (
    "id",
    "customer_id",
    "first_name",
    "middle_name",
    "last_name",
    "email",
    "phone_number",
    "gender",
    "date_of_birth_encrypted",
    "nationality",
    "address",
    "identity_type",
    "identity_number_last4",
    "tin_last4",
    "educational_qualification",
    "person_types",
    "ownership_basis_points",
    "created_at",
    "updated_at",
)
_PERSON_SELECT = (
    f"SELECT {', '.join(_PERSON_COLUMNS)} FROM customer_people"
    " WHERE organization_id = $1 AND environment = $2 AND customer_id = $3"
)


def _masked(last4: str | None) -> str | None:
    return f"*******{last4}" if last4 else None


def person_row_to_dict(row: Row, vault: Vault, organization_id: uuid.UUID) -> dict[str, Any]:
    """The person object from a row of `_PERSON_COLUMNS` (or an ORM person's attributes)."""
    dob = row["date_of_birth_encrypted"]
    if dob is not None:
        value = vault.decrypt(
            bytes(dob), organization_id=organization_id, field="person_date_of_birth"
        )
        dob = f"{value[:4]}-**-**"
    points = row["ownership_basis_points"]
    names = (row["first_name"], row["middle_name"], row["last_name"])
    return {
        "id": decode_uuid(row["id"]),
        "customer_id": decode_uuid(row["customer_id"]),
        "first_name": row["first_name"],
        "middle_name": row["middle_name"],
        "last_name": row["last_name"],
        "full_name": " ".join(part for part in names if part),
        "email": row["email"],
        "phone_number": row["phone_number"],
        "gender": row["gender"],
        "date_of_birth": dob,
        "nationality": row["nationality"],
        "address": decode_json(row["address"]),
        "identity_type": row["identity_type"],
        "identity_number": _masked(row["identity_number_last4"]),
        "tax_identification_number": _masked(row["tin_last4"]),
        "educational_qualification": row["educational_qualification"],
        "person_type": decode_json(row["person_types"]),
        "ownership_percentage": points / 100 if points is not None else None,
        "created_at": isoformat(decode_timestamp(row["created_at"])),
        "updated_at": isoformat(decode_timestamp(row["updated_at"])),
    }


def person_to_dict(person: CustomerPerson, vault: Vault) -> dict[str, Any]:
    row = {name: getattr(person, name) for name in _PERSON_COLUMNS}
    return person_row_to_dict(row, vault, person.organization_id)


def _basis_points(value: Decimal | None) -> int | None:
    return None if value is None else int(value * 100)


async def _lock_business(
    session: AsyncSession, tenant: Tenant, key: str, *, adding: bool = False
) -> tuple[CustomerRepository, Customer]:
    """The customer, locked; only a business takes new people (those of a customer that has
    since become an individual can still be changed or removed)."""
    repository = CustomerRepository(session, _scope(tenant))
    customer = await _lock_for_change(repository, key)
    _ensure_changeable(customer)
    if adding and customer.customer_type != "business":
        raise NotABusiness()
    return repository, customer


async def _ownership_total(
    session: AsyncSession, customer: Customer, *, excluding: uuid.UUID | None = None
) -> int:
    statement = select(func.coalesce(func.sum(CustomerPerson.ownership_basis_points), 0)).where(
        CustomerPerson.organization_id == customer.organization_id,
        CustomerPerson.customer_id == customer.id,
    )
    if excluding is not None:
        statement = statement.where(CustomerPerson.id != excluding)
    return int(await session.scalar(statement) or 0)


def _check_total(total: int, field: str = "ownership_percentage") -> None:
    if total > 10_000:
        raise OwnershipExceeded(
            f"The ownership of this business's people would total {total / 100:g}%, more than 100%",
            fields=[FieldError(field, "would make the business's total exceed 100")],
        )


def _person_phone(
    phone: str | None, country: str | None, field: str, errors: list[FieldError]
) -> str | None:
    if phone is None:
        return None
    try:
        return v.parse_phone(phone, dial_code=None, country=country)[0]
    except v.PhoneError as exc:
        errors.append(FieldError(field, str(exc)))
        return None


def _apply_person(
    vault: Vault,
    person: CustomerPerson,
    data: PersonCreate | PersonUpdate,
    sent: set[str],
    *,
    country: str | None,
    prefix: str = "",
) -> list[FieldError]:
    """Set the fields sent on `person`; returns the errors found (nothing set when any)."""
    errors: list[FieldError] = []
    nationality = data.nationality if "nationality" in sent else person.nationality
    address_country = data.address.country if data.address else None
    phone = _person_phone(
        data.phone_number if "phone_number" in sent else None,
        nationality or address_country or country,
        f"{prefix}phone_number",
        errors,
    )
    for required in ("first_name", "last_name", "person_type"):
        if required in sent and getattr(data, required) is None:
            errors.append(FieldError(f"{prefix}{required}", "cannot be removed"))
    if (
        "identity_type" in sent
        and "identity_number" not in sent
        and data.identity_type
        and person.identity_type != data.identity_type
        and person.identity_number_last4
    ):
        errors.append(
            FieldError(f"{prefix}identity_number", "is required when identity_type changes")
        )
    if errors:
        return errors
    organization_id = person.organization_id
    for name in (
        "first_name",
        "middle_name",
        "last_name",
        "email",
        "nationality",
        "identity_type",
        "educational_qualification",
    ):
        if name in sent:
            setattr(person, name, getattr(data, name))
    if "phone_number" in sent:
        person.phone_number = phone
    if "gender" in sent:
        person.gender = data.gender.value if data.gender else None
    if "address" in sent:
        person.address = data.address.model_dump(exclude_none=True) if data.address else None
    if "date_of_birth" in sent:
        person.date_of_birth_encrypted = (
            vault.encrypt(
                data.date_of_birth.isoformat(),
                organization_id=organization_id,
                field="person_date_of_birth",
            )
            if data.date_of_birth
            else None
        )
    if "identity_number" in sent:
        number = data.identity_number
        person.identity_number_encrypted = (
            vault.encrypt(number, organization_id=organization_id, field="person_identity_number")
            if number
            else None
        )
        person.identity_number_last4 = number[-4:] if number else None
    if "tax_identification_number" in sent:
        tin = data.tax_identification_number
        person.tin_encrypted = (
            vault.encrypt(tin, organization_id=organization_id, field="person_tin") if tin else None
        )
        person.tin_last4 = tin[-4:] if tin else None
    if "person_type" in sent and data.person_type is not None:
        person.person_types = [kind.value for kind in data.person_type]
    if "ownership_percentage" in sent:
        person.ownership_basis_points = _basis_points(data.ownership_percentage)
    return errors


def _new_person(tenant: Tenant, customer: Customer) -> CustomerPerson:
    now = utcnow()
    return CustomerPerson(
        id=uuid7(),
        organization_id=tenant.organization_id,
        environment=tenant.environment,
        customer_id=customer.id,
        created_at=now,
        updated_at=now,
    )


async def _add_people(
    session: AsyncSession,
    vault: Vault,
    tenant: Tenant,
    customer: Customer,
    people: Sequence[PersonCreate],
    *,
    prefix: str | None,
) -> list[CustomerPerson]:
    """Add people to a locked business: all of them or none (ValidationFailed naming each
    failing field, `people[i].field` inline on create)."""
    errors: list[FieldError] = []
    created = []
    total = await _ownership_total(session, customer)
    for n, data in enumerate(people):
        where = f"people[{n}]." if prefix is not None else ""
        person = _new_person(tenant, customer)
        errors += _apply_person(
            vault,
            person,
            data,
            data.model_fields_set | {"person_type"},
            country=customer.country,
            prefix=where,
        )
        total += _basis_points(data.ownership_percentage) or 0
        if total > 10_000 and prefix is not None:
            errors.append(
                FieldError(f"{where}ownership_percentage", "makes the people's total exceed 100")
            )
        created.append(person)
    if errors:
        raise ValidationFailed.for_fields(errors)
    _check_total(total)
    session.add_all(created)
    await session.flush()
    for person in created:
        record(
            session,
            tenant,
            "customer.person.created",
            person_to_dict(person, vault),
            customer_id=customer.id,
        )
    return created


async def create_customer_with_people(
    session: AsyncSession, vault: Vault, tenant: Tenant, data: CustomerCreate
) -> Customer:
    """A business and its people (`people` or Advancly's `corporate_customer_people`) in the
    request's one transaction: a failing person leaves no customer behind."""
    customer = await create_customer(session, vault, tenant, data)
    await session.flush()
    await _add_people(session, vault, tenant, customer, data.people or [], prefix="people")
    return customer


async def add_person(
    session: AsyncSession, vault: Vault, tenant: Tenant, key: str, data: PersonCreate
) -> CustomerPerson:
    _, customer = await _lock_business(session, tenant, key, adding=True)
    (person,) = await _add_people(session, vault, tenant, customer, [data], prefix=None)
    return person


async def _person_of(session: AsyncSession, customer: Customer, person_key: str) -> CustomerPerson:
    person_id = parse_uuid(person_key)
    person = None
    if person_id is not None:
        person = await session.scalar(
            select(CustomerPerson).where(
                CustomerPerson.organization_id == customer.organization_id,
                CustomerPerson.customer_id == customer.id,
                CustomerPerson.id == person_id,
            )
        )
    if person is None:
        raise PersonNotFound("No such person for this customer")
    return person


async def update_person(
    session: AsyncSession,
    vault: Vault,
    tenant: Tenant,
    key: str,
    person_key: str,
    data: PersonUpdate,
) -> CustomerPerson:
    _, customer = await _lock_business(session, tenant, key)
    person = await _person_of(session, customer, person_key)
    before = person_to_dict(person, vault)
    errors = _apply_person(vault, person, data, data.model_fields_set, country=customer.country)
    if errors:
        raise ValidationFailed.for_fields(errors)
    if "ownership_percentage" in data.model_fields_set:
        others = await _ownership_total(session, customer, excluding=person.id)
        _check_total(others + (person.ownership_basis_points or 0))
    after = person_to_dict(person, vault)
    if changes_between(before, after):
        person.updated_at = utcnow()
        after = person_to_dict(person, vault)
        await session.flush()
        record(
            session,
            tenant,
            "customer.person.updated",
            after,
            customer_id=customer.id,
            before=before,
        )
    return person


async def remove_person(
    session: AsyncSession,
    vault: Vault,
    tenant: Tenant,
    key: str,
    person_key: str,
    *,
    storage: DocumentStorage,
) -> dict[str, Any]:
    _, customer = await _lock_business(session, tenant, key)
    person = await _person_of(session, customer, person_key)
    removed = person_to_dict(person, vault)
    # The person's documents go with the person (their files once this commits).
    await erase_customer_documents(session, storage, tenant, customer.id, person_id=person.id)
    await session.delete(person)
    await session.flush()
    record(session, tenant, "customer.person.removed", removed, customer_id=customer.id, changes={})
    return removed


async def _customer_id(db: FastDB, connection: Connection, tenant: Tenant, key: str) -> uuid.UUID:
    customer_id = parse_uuid(key)
    found = None
    if customer_id is not None:
        found = await connection.fetchval(
            "SELECT id FROM customers WHERE organization_id = $1 AND environment = $2 AND id = $3",
            db.uuid(tenant.organization_id),
            tenant.environment,
            db.uuid(customer_id),
        )
    if found is None or customer_id is None:
        raise CustomerNotFound(f"No customer found for {key[:100]!r}")
    return customer_id


async def list_people(
    db: FastDB, connection: Connection, tenant: Tenant, key: str
) -> Sequence[Row]:
    customer_id = await _customer_id(db, connection, tenant, key)
    return await connection.fetch(
        f"{_PERSON_SELECT} ORDER BY id",
        db.uuid(tenant.organization_id),
        tenant.environment,
        db.uuid(customer_id),
    )


async def get_person(
    db: FastDB, connection: Connection, tenant: Tenant, key: str, person_key: str
) -> Row:
    customer_id = await _customer_id(db, connection, tenant, key)
    person_id = parse_uuid(person_key)
    row = None
    if person_id is not None:
        row = await connection.fetchrow(
            f"{_PERSON_SELECT} AND id = $4",
            db.uuid(tenant.organization_id),
            tenant.environment,
            db.uuid(customer_id),
            db.uuid(person_id),
        )
    if row is None:
        raise PersonNotFound("No such person for this customer")
    return row


# --- Consents ------------------------------------------------------------------------------

_CONSENT_COLUMNS = (
    "id",
    "customer_id",
    "type",
    "version",
    "granted",
    "ip_address",
    "user_agent",
    "created_at",
)


def consent_row_to_dict(row: Row) -> dict[str, Any]:
    return {
        "id": decode_uuid(row["id"]),
        "customer_id": decode_uuid(row["customer_id"]),
        "type": row["type"],
        "version": row["version"],
        "granted": bool(row["granted"]),
        "ip_address": row["ip_address"],
        "user_agent": row["user_agent"],
        "created_at": isoformat(decode_timestamp(row["created_at"])),
    }


async def record_consent(
    session: AsyncSession,
    vault: Vault,
    tenant: Tenant,
    key: str,
    data: ConsentCreate,
    *,
    ip_address: str | None,
    user_agent: str | None,
) -> dict[str, Any]:
    """Append an entry to the ledger and update the customer's current state of that type.
    An archived customer may still grant or withdraw; an erased one may not."""
    customer = await _lock_for_change(CustomerRepository(session, _scope(tenant)), key)
    if customer.status == "deleted":
        _ensure_changeable(customer)
    now = utcnow()
    entry = CustomerConsent(
        id=uuid7(),
        organization_id=tenant.organization_id,
        environment=tenant.environment,
        customer_id=customer.id,
        type=data.type,
        version=data.version,
        granted=data.granted,
        ip_address=(ip_address or None) and ip_address[:45],
        user_agent=(user_agent or None) and user_agent[:500],
        created_at=now,
    )
    session.add(entry)
    customer.consents = {
        **(customer.consents or {}),
        data.type: {
            "version": data.version,
            "granted": data.granted,
            "recorded_at": isoformat(now),
        },
    }
    customer.updated_at = now
    await session.flush()
    shown = consent_row_to_dict({name: getattr(entry, name) for name in _CONSENT_COLUMNS})
    # The event carries what was consented to, not the IP address or user agent.
    evented = {k: val for k, val in shown.items() if k not in ("ip_address", "user_agent")}
    record(session, tenant, "customer.consent.recorded", evented, customer_id=customer.id)
    return shown


async def list_consents(
    db: FastDB, connection: Connection, tenant: Tenant, key: str
) -> Sequence[Row]:
    """The ledger, newest first."""
    customer_id = await _customer_id(db, connection, tenant, key)
    return await connection.fetch(
        f"SELECT {', '.join(_CONSENT_COLUMNS)} FROM customer_consents"
        " WHERE organization_id = $1 AND environment = $2 AND customer_id = $3"
        " ORDER BY id DESC",
        db.uuid(tenant.organization_id),
        tenant.environment,
        db.uuid(customer_id),
    )


# --- Corrections ---------------------------------------------------------------------------

_IDENTITIES = {"bvn": "bvn", "nin": "nin", "tax_identification_number": "tin"}


async def correct_customer(
    session: AsyncSession, vault: Vault, tenant: Tenant, key: str, data: CorrectionRequest
) -> Customer:
    """Change gated fields (date of birth, identity numbers, verified names) with a reason.
    The audit trail records who (the request's actor), what (each field, masked) and why;
    the KYC status goes back to `not_started`, to be verified again."""
    sent = data.model_fields_set - {"reason"}
    if not sent:
        raise ValidationFailed.for_field("body", "send at least one field to correct")
    errors = [
        FieldError(name, "cannot be removed by a correction")
        for name in sent
        if getattr(data, name) is None and name != "middle_name"
    ]
    if errors:
        raise ValidationFailed.for_fields(errors)
    repository = CustomerRepository(session, _scope(tenant))
    customer = await _lock_for_change(repository, key)
    _ensure_changeable(customer)
    organization_id = customer.organization_id

    identities: dict[str, tuple[bytes, str, str]] = {}
    for field, column in _IDENTITIES.items():
        value = getattr(data, field) if field in sent else None
        if value is not None:
            sealed = _identity(vault, organization_id, field, value)
            if sealed[1] != getattr(customer, f"{column}_index"):
                identities[column] = sealed
    changed = {name for name in ("first_name", "middle_name", "last_name") if name in sent}
    changed = {name for name in changed if getattr(data, name) != getattr(customer, name)}
    new_dob = None
    if "date_of_birth" in sent and data.date_of_birth is not None:
        current = customer.date_of_birth_encrypted
        old = (
            vault.decrypt(current, organization_id=organization_id, field="date_of_birth")
            if current
            else None
        )
        if old != data.date_of_birth.isoformat():
            new_dob = data.date_of_birth.isoformat()
    if not changed and not identities and new_dob is None:
        return customer  # already as asked: no write, no event

    index = {column: sealed[1] for column, sealed in identities.items()}
    await blocks.ensure_not_blocked(
        session,
        vault,
        tenant,
        bvn_index=index.get("bvn"),
        nin_index=index.get("nin"),
        tin_index=index.get("tin"),
    )
    conflict = await repository.find_conflict(
        email=None,
        reference=None,
        bvn_index=index.get("bvn"),
        nin_index=index.get("nin"),
        tin_index=index.get("tin"),
        exclude_id=customer.id,
    )
    if conflict is not None:
        raise DuplicateCustomer(*conflict)

    before = customer_to_dict(customer, vault)
    async with _unique_write(
        session,
        repository,
        customer.id,
        email=None,
        reference=None,
        bvn_index=index.get("bvn"),
        nin_index=index.get("nin"),
        tin_index=index.get("tin"),
    ):
        for name in changed:
            setattr(customer, name, getattr(data, name))
        for column, sealed in identities.items():
            setattr(customer, f"{column}_encrypted", sealed[0])
            setattr(customer, f"{column}_index", sealed[1])
            setattr(customer, f"{column}_last4", sealed[2])
        if new_dob is not None:
            customer.date_of_birth_encrypted = vault.encrypt(
                new_dob, organization_id=organization_id, field="date_of_birth"
            )
        customer.kyc_status = "not_started"
        if hasattr(customer, "identity_verified_at"):
            customer.identity_verified_at = None
        customer.updated_at = utcnow()
        refresh_search(customer)
    after = customer_to_dict(customer, vault)
    changes = changes_between(before, after)
    corrected = changed | {f for f, c in _IDENTITIES.items() if c in identities}
    if new_dob is not None:
        corrected.add("date_of_birth")
    for field in corrected - changes.keys():
        # The masks may look alike (same last digits, same year): the field changed all the same.
        changes[field] = {
            "old": mask_value(field, before[field]),
            "new": mask_value(field, after[field]),
        }
    changes["correction_reason"] = {"old": None, "new": data.reason}
    record(session, tenant, "customer.corrected", after, customer_id=customer.id, changes=changes)
    return customer


# --- Look-up -------------------------------------------------------------------------------


async def lookup_customers(
    db: FastDB, vault: Vault, connection: Connection, tenant: Tenant, data: LookupRequest
) -> Sequence[Row]:
    """The customers holding one identifier, through its blind index (the phone number through
    its own index), newest first; erased customers hold none."""
    given = [
        name
        for name in ("bvn", "nin", "tax_identification_number", "phone_number")
        if getattr(data, name) is not None
    ]
    if len(given) != 1:
        raise ValidationFailed.for_field(
            "body", "send exactly one of bvn, nin, tax_identification_number, phone_number"
        )
    (field,) = given
    value: str = getattr(data, field)
    if field == "phone_number":
        try:
            value = v.parse_phone(value, dial_code=data.dial_code, country=data.country)[0]
        except v.PhoneError as exc:
            raise ValidationFailed.for_field("phone_number", str(exc)) from None
        column = "phone_number"
    else:
        column = f"{_IDENTITIES[field]}_index"
        value = vault.blind_index(value, organization_id=tenant.organization_id, field=field)
    return await connection.fetch(
        f"{CUSTOMER_SELECT} WHERE organization_id = $1 AND environment = $2"
        f" AND {column} = $3 AND status <> 'deleted'"
        " ORDER BY organization_id DESC, environment DESC, id DESC LIMIT 20",
        db.uuid(tenant.organization_id),
        tenant.environment,
        value,
    )
