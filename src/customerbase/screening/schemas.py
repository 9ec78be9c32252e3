"""Request schemas of the screening API."""

from __future__ import annotations

import enum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class Decision(enum.StrEnum):
    confirm = "confirm"
    dismiss = "dismiss"


class ScreeningReview(BaseModel):
    """A compliance officer's decision on a screening hit."""

    model_config = ConfigDict(extra="forbid")

    decision: Decision = Field(
        description="`confirm`: the customer is the listed party (it is blacklisted with the "
        "reason); `dismiss`: a false positive (it does not come back unless the entry changes)"
    )
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
    hit_id: str | None = Field(
        None, description="The hit decided; required when the customer has several open hits"
    )
