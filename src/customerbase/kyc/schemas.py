"""Request bodies of the KYC API. Responses are plain dicts (see `service`)."""

from __future__ import annotations

import enum
from typing import Annotated, Any

import pycountry
from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from customerbase.customers.schemas import DateOfBirth, IdentityNumber, Name, Phone
from customerbase.kit import validators as v


def _country(value: Any) -> Any:
    """An ISO 3166-1 alpha-2 code, or a country's name (Bloc sends "Nigeria")."""
    if not isinstance(value, str):
        return value
    try:
        return v.normalize_country(value)
    except ValueError:
        try:
            return str(pycountry.countries.lookup(value.strip()).alpha_2)
        except LookupError:
            raise ValueError(
                "must be an ISO 3166-1 alpha-2 country code (NG) or a country name (Nigeria)"
            ) from None


def _gender(value: Any) -> Any:
    if isinstance(value, str):
        lowered = value.strip().lower()
        return {"m": "male", "f": "female"}.get(lowered, lowered)
    return value


class Gender(enum.StrEnum):
    male = "male"
    female = "female"
    other = "other"


Country = Annotated[str, BeforeValidator(_country)]
Text100 = Annotated[str, StringConstraints(max_length=100, strip_whitespace=True)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class KycAddress(_Body):
    street: Annotated[str, StringConstraints(max_length=300)] | None = None
    city: Text100 | None = None
    state: Text100 | None = None
    postal_code: Annotated[str, StringConstraints(max_length=20)] | None = None
    country: Country | None = None


class KycUpgrade(_Body):
    """The target tier and the data it needs. Bloc's `upgrade/t1` and `upgrade/t2` bodies fit:
    `dob`, `place_of_birth`, `gender`, `country`, `address`, `image`, `means_of_id`."""

    tier: int = Field(ge=1, le=3, validation_alias=AliasChoices("tier", "target_tier"))
    bvn: IdentityNumber | None = None
    nin: IdentityNumber | None = None
    first_name: Name | None = None
    middle_name: Name | None = None
    last_name: Name | None = None
    date_of_birth: DateOfBirth | None = Field(
        None, validation_alias=AliasChoices("date_of_birth", "dob")
    )
    phone_number: Phone | None = None
    place_of_birth: Text100 | None = None
    gender: Annotated[Gender, BeforeValidator(_gender)] | None = None
    country: Country | None = None
    address: KycAddress | None = None
    image: Annotated[str, StringConstraints(max_length=2000)] | None = Field(
        None, description="Bloc's image URL; accepted for compatibility (upload files as documents)"
    )
    means_of_id: Text100 | None = Field(
        None, description="Bloc's tier-2 ID type (NIN, PASSPORT, DRIVERS_LICENSE, VOTERS_CARD)"
    )


class ReviewDecision(enum.StrEnum):
    approve = "approve"
    reject = "reject"


def _decision(value: Any) -> Any:
    if isinstance(value, str):
        lowered = value.strip().lower()
        return {"approved": "approve", "rejected": "reject"}.get(lowered, lowered)
    return value


class KycReview(_Body):
    """A reviewer's decision on the documents waiting for review."""

    decision: Annotated[ReviewDecision, BeforeValidator(_decision)]
    reasons: list[Annotated[str, StringConstraints(min_length=1, max_length=300)]] = Field(
        default_factory=list, max_length=20
    )
    document_id: Annotated[str, StringConstraints(max_length=64)] | None = None

    @field_validator("reasons")
    @classmethod
    def _strip(cls, value: list[str]) -> list[str]:
        return [reason.strip() for reason in value]


class KycLinkRequest(_Body):
    send_kyc_mail: bool = False
    expires_in: int | None = Field(
        None, ge=60, le=7 * 86_400, description="Seconds until the link expires (default 24 h)"
    )


class TierLimitsIn(_Body):
    max_balance: int | None = Field(None, ge=0)
    single_deposit: int | None = Field(None, ge=0)
    daily_transfer: int | None = Field(None, ge=0)


class KycTiersUpdate(_Body):
    """Limits that override the defaults, by tier ("0".."3"); a limit sent as null is
    unlimited, one left out keeps its default."""

    tiers: dict[Annotated[str, StringConstraints(pattern="^[0-3]$")], TierLimitsIn]
