"""Request schemas of the customers API. Responses are plain dicts built in `serializers`."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    StrictBool,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import InitErrorDetails

from customerbase.documents.schemas import DocumentUpload
from customerbase.kit import banking
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

CORRECTIONS_HINT = (
    "cannot be changed by an update; send it to POST /v1/customers/{id}/corrections with a reason"
)

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


# --- The onboarding profile (issue 8) ------------------------------------------------------

Text100 = Annotated[
    str, AfterValidator(v.not_blank), StringConstraints(max_length=100), _text_schema(100)
]
Text200 = Annotated[
    str, AfterValidator(v.not_blank), StringConstraints(max_length=200), _text_schema(200)
]
Url = Annotated[
    str,
    AfterValidator(v.http_url),
    StringConstraints(max_length=2048),
    WithJsonSchema({"type": "string", "format": "uri", "maxLength": 2048}),
]
TaxId = Annotated[
    str,
    AfterValidator(banking.tax_identification_number),
    WithJsonSchema({"type": "string", "minLength": 5, "maxLength": 24}),
]
PastDay = Annotated[date, AfterValidator(v.past_date)]


class OnboardingType(enum.StrEnum):
    investor = "investor"
    borrower = "borrower"


# Advancly's numeric `customer_onboarding_type` (its page: "Investor/Borrower").
ADVANCLY_ONBOARDING_TYPES = {1: "investor", 2: "borrower"}


def _onboarding_type(value: Any) -> Any:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool):
        return ADVANCLY_ONBOARDING_TYPES.get(value, value)
    return _lower(value)


OnboardingTypeIn = Annotated[
    OnboardingType,
    BeforeValidator(_onboarding_type),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "enum": ["investor", "borrower"]},
                {"type": "integer", "enum": [1, 2]},
            ],
            "description": "investor or borrower (Advancly's 1 and 2)",
        }
    ),
]


class PersonType(enum.StrEnum):
    director = "director"
    shareholder = "shareholder"
    beneficial_owner = "beneficial_owner"
    authorized_user = "authorized_user"


# Advancly's numeric `person_type` in `corporate_customer_people`.
ADVANCLY_PERSON_TYPES = {
    1: "director",
    2: "shareholder",
    3: "beneficial_owner",
    4: "authorized_user",
}


def _person_types(value: Any) -> Any:
    """One type or several; Advancly's numbers and "authorised_user" are accepted too."""
    items = value if isinstance(value, list) else [value]
    result = []
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool):
            item = ADVANCLY_PERSON_TYPES.get(item, item)
        elif isinstance(item, str):
            item = item.strip().lower().replace("-", "_").replace(" ", "_")
            item = "authorized_user" if item == "authorised_user" else item
            if item.isdigit():
                item = ADVANCLY_PERSON_TYPES.get(int(item), item)
        result.append(item)
    return result


def _unique_types(value: list[PersonType]) -> list[PersonType]:
    if len(set(value)) != len(value):
        raise ValueError("must not repeat a type")
    return value


PersonTypes = Annotated[
    list[PersonType],
    BeforeValidator(_person_types),
    AfterValidator(_unique_types),
    Field(min_length=1, max_length=4),
]
Percentage = Annotated[Decimal, Field(ge=0, le=100, decimal_places=2)]


class NextOfKin(_Strict):
    first_name: Name
    last_name: Name
    email: Email | None = None
    phone_number: Phone | None = None
    dial_code: DialCode | None = None
    gender: GenderIn | None = None
    relationship: Annotated[str, StringConstraints(max_length=50)] | None = None
    address: Address | None = None


class BankAccount(_Strict):
    """Validated as a bank would: a NUBAN's check digit against its `bank_code`, an ABA routing
    number's checksum, a SWIFT/BIC code's shape and country."""

    bank_code: Annotated[str, AfterValidator(banking.bank_code)] | None = None
    bank_name: Text100 | None = None
    account_name: Text200 | None = None
    routing_number: Annotated[str, AfterValidator(banking.routing_number)] | None = None
    swift_code: Annotated[str, AfterValidator(banking.swift_code)] | None = None
    account_number: Annotated[str, StringConstraints(max_length=40)]

    @field_validator("account_number")
    @classmethod
    def _account_number(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("bank_code"):
            return banking.nuban(value, info.data["bank_code"])
        if "bank_code" not in info.data:  # the bank code itself was invalid: say that only
            return value
        return banking.account_number(value)


IdentityType = Literal[
    "bvn", "nin", "passport", "national_id", "drivers_license", "voters_card", "other"
]


def _advancly_person(data: Any) -> Any:
    """Advancly's `corporate_customer_people` item as a person: a flat address, `country_code`,
    `individual_tax_identification-number`, empty strings for absent values."""
    if not isinstance(data, dict):
        return data
    advancly = (
        isinstance(data.get("address"), str)
        or "country_code" in data
        or "individual_tax_identification-number" in data
    )
    if not advancly:
        return data
    item = {key: value for key, value in data.items() if value != ""}
    address: dict[str, Any] = {}
    if isinstance(item.get("address"), str):
        address["street"] = item.pop("address")
    for source, target in (
        ("city", "city"),
        ("state", "state"),
        ("postal_code", "postal_code"),
        ("country_code", "country"),
    ):
        if source in item:
            address[target] = item.pop(source)
    if address:
        item["address"] = address
    if "individual_tax_identification-number" in item:
        item["tax_identification_number"] = item.pop("individual_tax_identification-number")
    return item


class PersonCreate(_Strict):
    """A director, shareholder, beneficial owner or authorised user of a business."""

    first_name: Name
    middle_name: Name | None = None
    last_name: Name
    email: Email | None = None
    phone_number: Phone | None = None
    gender: GenderIn | None = None
    date_of_birth: DateOfBirth | None = None
    nationality: Country | None = None
    address: Address | None = None
    identity_type: IdentityType | None = None
    identity_number: Annotated[str, StringConstraints(max_length=30)] | None = None
    tax_identification_number: TaxId | None = None
    educational_qualification: Text100 | None = None
    person_type: PersonTypes
    ownership_percentage: Percentage | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_advancly(cls, data: Any) -> Any:
        return _advancly_person(data)

    @field_validator("identity_number")
    @classmethod
    def _identity_number(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        if info.data.get("identity_type") in ("bvn", "nin"):
            return v.eleven_digits(value)
        return v.document_number(value)


class PersonUpdate(_Strict):
    """A partial update of a person: only the fields sent change; `null` clears."""

    first_name: Name | None = None
    middle_name: Name | None = None
    last_name: Name | None = None
    email: Email | None = None
    phone_number: Phone | None = None
    gender: GenderIn | None = None
    date_of_birth: DateOfBirth | None = None
    nationality: Country | None = None
    address: Address | None = None
    identity_type: IdentityType | None = None
    identity_number: Annotated[str, StringConstraints(max_length=30)] | None = None
    tax_identification_number: TaxId | None = None
    educational_qualification: Text100 | None = None
    person_type: PersonTypes | None = None
    ownership_percentage: Percentage | None = None

    @field_validator("identity_number")
    @classmethod
    def _identity_number(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        if info.data.get("identity_type") in ("bvn", "nin"):
            return v.eleven_digits(value)
        return v.document_number(value)


class _Profile(_Strict):
    """The onboarding fields an individual or a business may carry, on create and update."""

    place_of_birth: Text100 | None = None
    educational_qualification: Text100 | None = None
    customer_category: Text100 | None = None
    onboarding_type: OnboardingTypeIn | None = Field(
        None, validation_alias=AliasChoices("onboarding_type", "customer_onboarding_type")
    )
    partner_date_registered: PastDay | None = None
    photo_url: Url | None = None
    next_of_kin: NextOfKin | None = None
    bank_account: BankAccount | None = None
    business_registration_number: (
        Annotated[str, AfterValidator(v.not_blank), StringConstraints(max_length=50)] | None
    ) = None
    business_registration_date: PastDay | None = None
    industry: Text100 | None = None
    website: Url | None = None
    operating_address: Address | None = None


class CustomerCreate(_Profile):
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
    send_kyc_mail: bool = Field(
        False, description="Email the customer a link to the hosted KYC page (Yativo's flag)"
    )
    # Advancly's documents sent with the onboarding; stored with the customer, atomically.
    customer_documents: list[DocumentUpload] | None = Field(default=None, max_length=10)
    tax_identification_number: TaxId | None = None
    people: list[PersonCreate] | None = Field(
        None,
        max_length=50,
        validation_alias=AliasChoices("people", "corporate_customer_people"),
        description="The people of a business (Advancly's corporate_customer_people too)",
    )
    create_wallet: StrictBool = Field(
        False, description="Also open an NGN wallet for the customer (returned in meta.wallet)"
    )

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


class CustomerUpdate(_Profile):
    """A partial update: only the fields sent change. `null` clears an optional field; in
    `metadata`, a key set to `null` is removed and the other keys are merged. The date of birth
    and identity numbers (and the names once verified) change only through corrections."""

    first_name: Name | None = None
    middle_name: Name | None = None
    last_name: Name | None = None
    email: Email | None = None
    phone_number: Phone | None = None
    customer_type: CustomerTypeIn | None = None
    address: Address | None = None
    metadata: MetadataChange | None = None
    reference: Reference | None = None
    company_name: CompanyName | None = None
    tax_identification_number: TaxId | None = None
    # Accepted only to be refused with a pointer to corrections (not in the OpenAPI schema).
    date_of_birth: SkipJsonSchema[Any] = None
    bvn: SkipJsonSchema[Any] = None
    nin: SkipJsonSchema[Any] = None

    @field_validator("date_of_birth", "bvn", "nin", mode="before")
    @classmethod
    def _correction_only(cls, value: Any) -> Any:
        """Refused beside any other fault of the body, so that every field is named at once."""
        raise ValueError(CORRECTIONS_HINT)

    @field_validator("metadata")
    @classmethod
    def _metadata_limits(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        v.check_metadata(value, allow_null_values=True)
        return value


class BlacklistRequest(_Strict):
    blacklist: StrictBool = Field(description="true to blacklist the customer, false to lift it")
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None
    block_identifiers: StrictBool = Field(
        False,
        description="Also block the customer's email, phone and identity numbers from being "
        "onboarded again, until the blacklist is lifted",
    )


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
    kyc_link: str | None = Field(
        description="The hosted KYC page (signed, expiring, single-use), once a link is issued"
    )
    tos_link: str | None = Field(description="The terms of service page of the KYC link")
    tos_status: Literal["pending", "accepted"]
    rejection_reasons: list[str] = Field(description="Why the last KYC review rejected")
    source: Source
    metadata: dict[str, MetadataValue]
    created_at: datetime
    updated_at: datetime
    archived_at: datetime | None
    place_of_birth: str | None
    educational_qualification: str | None
    customer_category: str | None
    onboarding_type: OnboardingType | None
    partner_date_registered: date | None
    photo_url: str | None
    tax_identification_number: str | None = Field(description="Masked: *******0001")
    next_of_kin: dict[str, Any] | None
    bank_account: dict[str, Any] | None = Field(description="account_number masked: ******7890")
    business_registration_number: str | None
    business_registration_date: date | None
    industry: str | None
    website: str | None
    operating_address: AddressOut | None
    consents: dict[str, dict[str, Any]] = Field(
        description="The current state of each consent type: version, granted, recorded_at"
    )
    identifiers_blocked: bool = Field(
        description="Blacklisted with block_identifiers: its identities are blocked"
    )
