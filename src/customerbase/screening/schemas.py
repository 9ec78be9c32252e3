"""Request schemas of the screening API."""

from __future__ import annotations

import enum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator


class Decision(enum.StrEnum):
    confirm = "confirm"
    dismiss = "dismiss"


class ScreeningReview(BaseModel):
    """A compliance officer's decision on a screening hit."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    decision: Decision = Field(
        description="`confirm`: the customer is the listed party (it is blacklisted with the "
        "reason); `dismiss`: a false positive (it does not come back unless the entry changes)"
    )
    reason: Annotated[str, StringConstraints(min_length=1, max_length=500)]
    hit_id: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        None, description="The hit decided; required when the customer has several open hits"
    )

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        """PostgreSQL text cannot hold NUL: refuse it on every database."""
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain the NUL character")
        return value
