"""Signed links to the hosted KYC page.

A token is `<link id>.<expiry, Unix seconds>.<signature>`: the signature (HMAC-SHA256 under the
vault's signing key, base64url) covers the id and the expiry, so neither can be changed; the
`kyc_links` row makes the link single-use and lets a newer link supersede it.
"""

from __future__ import annotations

import base64
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from customerbase.kit.crypto import Vault


class LinkError(Exception):
    """Why a link cannot be used: `invalid` (tampered or unknown), `expired`, `used`."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class LinkToken:
    link_id: uuid.UUID
    expires_at: datetime


def _signature(vault: Vault, link_id: uuid.UUID, expires: int) -> str:
    digest = vault.sign(f"kyc-link:{link_id.hex}:{expires}")
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_token(vault: Vault, link_id: uuid.UUID, expires_at: datetime) -> str:
    expires = int(expires_at.timestamp())
    return f"{link_id.hex}.{expires}.{_signature(vault, link_id, expires)}"


def read_token(vault: Vault, token: str, *, now: datetime) -> LinkToken:
    """The link a token names; raises `LinkError("invalid")` for a token whose signature does
    not verify and `LinkError("expired")` past its expiry."""
    parts = token.split(".")
    if len(parts) != 3 or len(token) > 200:
        raise LinkError("invalid")
    raw_id, raw_expires, signature = parts
    try:
        link_id = uuid.UUID(hex=raw_id)
        expires = int(raw_expires)
    except ValueError:
        raise LinkError("invalid") from None
    if not hmac.compare_digest(signature, _signature(vault, link_id, expires)):
        raise LinkError("invalid")
    expires_at = datetime.fromtimestamp(expires, tz=UTC)
    if now >= expires_at:
        raise LinkError("expired")
    return LinkToken(link_id, expires_at)
