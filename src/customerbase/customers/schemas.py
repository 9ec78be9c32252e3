"""Request schemas of the customers API. Responses are plain dicts built in `serializers`."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    StrictBool,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails

from customerbase.kit import validators as v


class CustomerType(enum.StrEnum):
    individual = "individual"
    business = "business"


class Source(enum.StrEnum):
    banking = "banking"
    payment = "payment"


class Gender(enum.StrEnum):
    male = "male"
    female = "female"
    other = "other"


class CustomerStatus(enum.StrEnum):
    active = "active"
    archived = "archived"
    deleted = "deleted"


_CUSTOMER_TYPE_ALIASES = {
    "individual": "individual",
    "personal": "individual",
    "business": "business",
    "corporate": "business",
}


def _customer_type_alias(value: Any) -> Any:
    """Bloc says Personal, Advancly says corporate: all mean one of our two types."""
    if isinstance(value, str):
        return _CUSTOMER_TYPE_ALIASES.get(value.strip().lower(), value)
    return value


def _date_only(value: Any) -> Any:
    """'2026-01-31' is a whole day (a date), anything longer a moment (a datetime)."""
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return value
    return value


def _lower(value: Any) -> Any:
    return value.strip().lower() if isinstance(value, str) else value


# Each type's JSON schema states the rule its validators enforce, so that the OpenAPI document
# (and the clients generated from it) accept what the server accepts.
def _text_schema(max_length: int, **extra: Any) -> WithJsonSchema:
    return WithJsonSchema(
        {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": r"\S", **extra}
    )


Name = Annotated[
    str, AfterValidator(v.not_blank), StringConstraints(max_length=100), _text_schema(100)
]
CompanyName = Annotated[
    str, AfterValidator(v.not_blank), StringConstraints(max_length=200), _text_schema(200)
]
Email = Annotated[
    str,
    StringConstraints(max_length=320),
    AfterValidator(v.normalize_email),
    WithJsonSchema({"type": "string", "format": "email", "maxLength": 320}),
]
Phone = Annotated[
    str,
    AfterValidator(v.not_blank),
    StringConstraints(max_length=32),
    AfterValidator(v.phone_shape),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 32,
            "pattern": v.PHONE_PATTERN,
            "description": "E.164 (+2348031234567), or a local number with dial_code or country",
        }
    ),
]
DialCode = Annotated[
    str,
    AfterValidator(v.normalize_dial_code),
    WithJsonSchema({"type": "string", "pattern": r"^\+?[0-9]{1,4}$", "examples": ["+234"]}),
]
Country = Annotated[
    str,
    AfterValidator(v.normalize_country),
    WithJsonSchema(
        {"type": "string", "pattern": "^[A-Za-z]{2}$", "description": "ISO 3166-1 alpha-2"}
    ),
]
IdentityNumber = Annotated[
    str,
    AfterValidator(v.eleven_digits),
    WithJsonSchema({"type": "string", "pattern": "^[0-9]{11}$", "minLength": 11, "maxLength": 11}),
]
DateOfBirth = Annotated[date, AfterValidator(v.past_date)]
Reference = Annotated[
    str,
    AfterValidator(v.reference),
    StringConstraints(max_length=100),
    _text_schema(100, pattern=r"^[^@/?#\s]+$"),
]
CustomerTypeIn = Annotated[
    CustomerType,
    BeforeValidator(_customer_type_alias),
    WithJsonSchema(
        {
            "type": "string",
            "enum": ["individual", "business", "personal", "Personal", "corporate"],
            "description": "individual or business (personal and corporate are aliases)",
        }
    ),
]
SourceIn = Annotated[Source, BeforeValidator(_lower)]
GenderIn = Annotated[Gender, BeforeValidator(_lower)]


def _scalar(value: Any) -> Any:
    """One clear error for a nested or null value, not one per member of the union."""
    if value is None or isinstance(value, dict | list):
        raise ValueError("must be a string, number or boolean")
    return value


MetadataValue = Annotated[str | bool | int | float, BeforeValidator(_scalar)]


def _metadata_schema(*, nullable: bool) -> WithJsonSchema:
    value: list[dict[str, Any]] = [
        {"type": "string", "maxLength": 500},
        {"type": "number"},
        {"type": "boolean"},
    ]
    if nullable:
        value.append({"type": "null"})
    return WithJsonSchema(
        {
            "type": "object",
            "maxProperties": 50,
            "propertyNames": {"minLength": 1, "maxLength": 40},
            "additionalProperties": {"anyOf": value},
        }
    )


Metadata = Annotated[dict[str, MetadataValue], _metadata_schema(nullable=False)]
# In an update a key set to null is removed.
MetadataChange = Annotated[dict[str, MetadataValue | None], _metadata_schema(nullable=True)]
DayOrMoment = Annotated[datetime | date, BeforeValidator(_date_only)]

# The names each type of customer must have.
REQUIRED_NAMES = {"individual": ("first_name", "last_name"), "business": ("company_name",)}


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """PostgreSQL text cannot hold NUL: refuse it in every field, on every database."""
        if _has_nul(value):
            raise ValueError("must not contain the NUL character")
        return value


class Address(_Strict):
    street: Annotated[str, StringConstraints(max_length=300)] | None = None
    city: Annotated[str, StringConstraints(max_length=100)] | None = None
    state: Annotated[str, StringConstraints(max_length=100)] | None = None
    postal_code: Annotated[str, StringConstraints(max_length=20)] | None = None
    country: Country | None = None


class CustomerCreate(_Strict):
    """A new individual or business customer."""

    customer_type: CustomerTypeIn = CustomerType.individual
    first_name: Name | None = None
    middle_name: Name | None = None
    last_name: Name | None = None
    company_name: CompanyName | None = None
    email: Email
    phone_number: Phone
    dial_code: DialCode | None = None
    country: Country | None = None
    bvn: IdentityNumber | None = None
    nin: IdentityNumber | None = None
    date_of_birth: DateOfBirth | None = None
    gender: GenderIn | None = None
    address: Address | None = None
    reference: Reference | None = None
    source: SourceIn = Source.banking
    metadata: Metadata | None = None

    @field_validator("metadata")
    @classmethod
    def _metadata_limits(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        v.check_metadata(value)
        return value

    @model_validator(mode="wrap")
    @classmethod
    def _names_with_other_errors(
        cls, data: Any, handler: ModelWrapValidatorHandler[CustomerCreate]
    ) -> CustomerCreate:
        """A body that fails validation also names the names its type requires and lacks, so
        that a client learns every missing field at once (the service checks them otherwise)."""
        try:
            return handler(data)
        except ValidationError as exc:
            if not isinstance(data, dict):
                raise
            kind = _customer_type_alias(data.get("customer_type", "individual"))
            required = REQUIRED_NAMES.get(kind, ()) if isinstance(kind, str) else ()
            missing = [n for n in required if data.get(n) is None]
            if not missing:
                raise
            errors: list[InitErrorDetails] = [
                {"type": e["type"], "loc": e["loc"], "input": e["input"], "ctx": e.get("ctx", {})}
                for e in exc.errors()
            ]
            errors += [{"type": "missing", "loc": (name,), "input": data} for name in missing]
            raise ValidationError.from_exception_data(exc.title, errors) from None


class CustomerUpdate(_Strict):
    """A partial update: only the fields sent change. `null` clears an optional field; in
    `metadata`, a key set to `null` is removed and the other keys are merged."""

    first_name: Name | None = None
    middle_name: Name | None = None
    last_name: Name | None = None
    email: Email | None = None
    phone_number: Phone | None = None
    customer_type: CustomerTypeIn | None = None
    address: Address | None = None
    metadata: MetadataChange | None = None
    reference: Reference | None = None

    @field_validator("metadata")
    @classmethod
    def _metadata_limits(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        v.check_metadata(value, allow_null_values=True)
        return value


class BlacklistRequest(_Strict):
    blacklist: StrictBool = Field(description="true to blacklist the customer, false to lift it")
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None


class CustomerListParams(_Strict):
    """Filters and pagination of `GET /v1/customers`."""

    page: int = Field(1, ge=1, le=1_000_000)
    take: int = Field(20, ge=1, le=100)
    starting_after: str | None = Field(
        None, description="Cursor mode: the customers created before this customer id"
    )
    ending_before: str | None = Field(
        None, description="Cursor mode: the customers created after this customer id"
    )
    email: str | None = Field(None, max_length=320)
    phone_number: str | None = Field(None, max_length=32)
    customer_type: CustomerTypeIn | None = None
    status: Annotated[CustomerStatus, BeforeValidator(_lower)] | None = None
    blacklisted: bool | None = None
    kyc_tier: int | None = Field(None, ge=0, le=3)
    source: SourceIn | None = None
    reference: str | None = Field(None, max_length=100)
    created_from: DayOrMoment | None = None
    created_to: DayOrMoment | None = None
    q: str | None = Field(None, min_length=1, max_length=100, description="Search text")
    include_count: bool = Field(
        False, description="Cursor mode: also count the matches (page mode always counts)"
    )


# --- The customer object, for the OpenAPI documentation --------------------------------
# Responses are built by `serializers.customer_to_dict`; a test validates real responses
# against this model, so the two cannot drift apart.


class AddressOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    street: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None


class ScreeningHitOut(BaseModel):
    """A sanctions screening hit: the list entry a name matched, and its review."""

    model_config = ConfigDict(extra="forbid")

    id: str
    list: Literal["ofac_sdn", "un_consolidated"]
    entry_id: str
    name: str = Field(description="The entry's primary name")
    matched_name: str = Field(description="The entry's name or alias that matched")
    score: float = Field(ge=0, le=1)
    status: Literal["open", "confirmed"]
    reason: str | None
    reviewed_at: datetime | None


class CustomerOut(BaseModel):
    """A customer. Identity numbers are masked to their last four digits, the date of birth to
    its year; an erased customer keeps its id and status `deleted`, with no personal data."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="UUIDv7: ordering by id is ordering by creation")
    organization_id: str
    environment: Literal["test", "live"]
    reference: str | None = Field(description="Your own id for the customer")
    customer_type: CustomerType
    first_name: str | None
    middle_name: str | None
    last_name: str | None
    full_name: str | None
    company_name: str | None
    email: str | None
    phone_number: str | None = Field(description="E.164, e.g. +2348031234567")
    dial_code: str | None = Field(description="e.g. +234")
    country: str | None = Field(description="ISO 3166-1 alpha-2")
    date_of_birth: str | None = Field(description="Masked: 1994-**-**")
    gender: Gender | None
    address: AddressOut | None
    bvn: str | None = Field(description="Masked: *******5678")
    nin: str | None = Field(description="Masked: *******5678")
    status: CustomerStatus
    blacklisted: bool
    blacklist_reason: str | None
    kyc_tier: int = Field(ge=0, le=3)
    kyc_status: Literal["not_started", "pending", "approved", "rejected"]
    screening_status: Literal["clear", "potential_match", "confirmed_match"]
    screening_hits: list[ScreeningHitOut]
    source: Source
    metadata: dict[str, MetadataValue]
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
