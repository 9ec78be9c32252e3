"""Request schemas of the onboarding endpoints. The profile fields of the customer itself live
with the customer's schemas (`customers.schemas`); responses are plain dicts."""

from __future__ import annotations

from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from customerbase.customers.schemas import (
    Country,
    DateOfBirth,
    DialCode,
    IdentityNumber,
    Name,
    PersonTypes,
    Phone,
    TaxId,
    _Strict,
)

ConsentType = Literal["terms_of_service", "privacy_notice", "bvn_access", "marketing"]
CONSENT_TYPES: tuple[str, ...] = ConsentType.__args__  # type: ignore[attr-defined]


class ConsentCreate(_Strict):
    """One entry of the consent ledger; a withdrawal is an entry with `granted: false`."""

    type: ConsentType
    version: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    granted: StrictBool


class CorrectionRequest(_Strict):
    """The gated fields to correct, and why. Only the fields sent change."""

    first_name: Name | None = None
    middle_name: Name | None = None
    last_name: Name | None = None
    date_of_birth: DateOfBirth | None = None
    bvn: IdentityNumber | None = None
    nin: IdentityNumber | None = None
    tax_identification_number: TaxId | None = None
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]


class LookupRequest(_Strict):
    """Exactly one identifier; a local phone number needs `dial_code` or `country`."""

    bvn: IdentityNumber | None = None
    nin: IdentityNumber | None = None
    tax_identification_number: TaxId | None = None
    phone_number: Phone | None = None
    dial_code: DialCode | None = None
    country: Country | None = None


# --- The person object, for the OpenAPI documentation --------------------------------------


class PersonOut(BaseModel):
    """A person of a business. The identity number and tax id are masked to their last four
    digits, the date of birth to its year."""

    model_config = ConfigDict(extra="forbid")

    id: str
    customer_id: str
    first_name: str
    middle_name: str | None
    last_name: str
    full_name: str
    email: str | None
    phone_number: str | None
    gender: str | None
    date_of_birth: str | None = Field(description="Masked: 1980-**-**")
    nationality: str | None
    address: dict[str, str] | None
    identity_type: str | None
    identity_number: str | None = Field(description="Masked: *******5678")
    tax_identification_number: str | None
    educational_qualification: str | None
    person_type: PersonTypes
    ownership_percentage: float | None
    created_at: str
    updated_at: str


class ConsentOut(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    customer_id: str
    type: ConsentType
    version: str
    granted: bool
    ip_address: str | None
    user_agent: str | None
    created_at: str


T = TypeVar("T")


class CountMeta(BaseModel):
    item_count: int


class ItemsEnvelope(BaseModel, Generic[T]):
    """A whole (short) list: the people of a business, a consent ledger, look-up matches."""

    success: Literal[True]
    message: str
    data: list[T]
    meta: CountMeta
