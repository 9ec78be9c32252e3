"""Identity verification providers: look a BVN or NIN up and return the record it names.

`sandbox` answers from a fixed, documented set of numbers (the README's table), deterministic
and offline: the test environment's default. `http` calls a configured URL (a vendor behind an
adapter) with a timeout and retries. The live environment uses `http` unless an operator sets
`CUSTOMERBASE_KYC_PROVIDER_LIVE=sandbox` explicitly.

The http contract: `POST <url>` with `{"id_type": "bvn"|"nin", "id_number": "..."}` (and
`Authorization: Bearer <token>` when one is configured); `200` with `{"first_name",
"middle_name", "last_name", "date_of_birth" (YYYY-MM-DD), "phone_number"}`, `404` when the
number is unknown. Timeouts, connection errors and 5xx are retried; then the provider is
unavailable (503).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

import httpx

from customerbase.config import Settings
from customerbase.kit.errors import ServiceUnavailable


class IdentityProviderUnavailable(ServiceUnavailable):
    error_type = "identity_provider_unavailable"
    default_message = "The identity verification provider is unavailable; retry shortly"


@dataclass(frozen=True, slots=True)
class Claim:
    """What the customer says: the record is looked up by number, then compared with this."""

    id_type: str  # bvn | nin
    id_number: str
    first_name: str | None
    middle_name: str | None
    last_name: str | None
    date_of_birth: date | None
    phone_number: str | None


@dataclass(frozen=True, slots=True)
class IdentityRecord:
    first_name: str | None
    middle_name: str | None
    last_name: str | None
    date_of_birth: date | None
    phone_number: str | None


class IdentityProvider(Protocol):
    name: str

    async def lookup(self, claim: Claim) -> IdentityRecord | None:
        """The record the number names, or None when the number is not found."""
        ...


# --- sandbox -------------------------------------------------------------------------------

# number -> behaviour. "match" echoes the customer's own data back (so that any test customer
# verifies); the others change one thing. Documented in the README (KYC, sandbox identities).
SANDBOX_IDENTITIES: dict[str, tuple[str, str]] = {
    "22200000001": ("bvn", "match"),
    "22200000002": ("bvn", "name_mismatch"),
    "22200000003": ("bvn", "dob_mismatch"),
    "22200000004": ("bvn", "not_found"),
    "22200000005": ("bvn", "phone_mismatch"),
    "22200000006": ("bvn", "reordered_name"),
    "70000000001": ("nin", "match"),
    "70000000002": ("nin", "name_mismatch"),
    "70000000003": ("nin", "dob_mismatch"),
    "70000000004": ("nin", "not_found"),
}
SANDBOX_OTHER_NAME = ("Chinedu", None, "Okafor")


class SandboxProvider:
    name = "sandbox"

    async def lookup(self, claim: Claim) -> IdentityRecord | None:
        kind, behaviour = SANDBOX_IDENTITIES.get(claim.id_number, (claim.id_type, "not_found"))
        if kind != claim.id_type or behaviour == "not_found":
            return None
        first, middle, last = claim.first_name, claim.middle_name, claim.last_name
        dob, phone = claim.date_of_birth, claim.phone_number
        if behaviour == "name_mismatch":
            first, middle, last = SANDBOX_OTHER_NAME
        elif behaviour == "dob_mismatch":
            dob = (dob or date(1990, 1, 1)) - timedelta(days=366)
        elif behaviour == "phone_mismatch":
            phone = "+2348000000000"
        elif behaviour == "reordered_name":
            # The record holds the names surname first, in capitals.
            first, last = (last or "").upper(), (first or "").upper()
        return IdentityRecord(first, middle, last, dob, phone)


# --- http ----------------------------------------------------------------------------------


class HttpProvider:
    name = "http"

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 5.0,
        retries: int = 2,
        backoff: float = 0.2,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.transport = transport

    async def lookup(self, claim: Claim) -> IdentityRecord | None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = {"id_type": claim.id_type, "id_number": claim.id_number}
        async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as client:
            for attempt in range(self.retries + 1):
                try:
                    response = await client.post(self.url, json=body, headers=headers)
                except httpx.HTTPError:
                    response = None
                if response is not None and response.status_code == 404:
                    return None
                if response is not None and response.status_code == 200:
                    return _record(response)
                if response is not None and response.status_code < 500:
                    # A refusal that a retry cannot change (bad credentials, bad request).
                    break
                if attempt < self.retries:
                    await asyncio.sleep(self.backoff * (2**attempt))
        raise IdentityProviderUnavailable()


def _record(response: httpx.Response) -> IdentityRecord:
    try:
        data = response.json()
        dob = data.get("date_of_birth")
        return IdentityRecord(
            first_name=data.get("first_name"),
            middle_name=data.get("middle_name"),
            last_name=data.get("last_name"),
            date_of_birth=date.fromisoformat(dob) if dob else None,
            phone_number=data.get("phone_number"),
        )
    except (ValueError, AttributeError, TypeError):
        raise IdentityProviderUnavailable(
            "The identity verification provider answered with an unreadable record"
        ) from None


def provider_for(settings: Settings, environment: str) -> IdentityProvider:
    """The provider of an environment (`test` or `live`)."""
    name = settings.kyc_provider_live if environment == "live" else settings.kyc_provider_test
    if name == "sandbox":
        return SandboxProvider()
    if name == "http" and settings.kyc_http_url:
        token = settings.kyc_http_token.get_secret_value() if settings.kyc_http_token else None
        return HttpProvider(
            settings.kyc_http_url,
            token=token,
            timeout=settings.kyc_http_timeout_seconds,
            retries=settings.kyc_http_retries,
        )
    raise IdentityProviderUnavailable(
        f"No identity verification provider is configured for the {environment} environment"
    )
