"""Standard Webhooks signatures: `whsec_` secrets and the `webhook-*` headers.

A receiver verifies a delivery with the `standardwebhooks` library:
`standardwebhooks.Webhook(secret).verify(body, headers)`. During a rotation the previous
secret signs too, for 24 hours: `webhook-signature` then carries two space-separated `v1,`
signatures, and a receiver holding either secret accepts the delivery.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix
SECRET_BYTES = 32
ROTATION_OVERLAP = timedelta(hours=24)


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


class Signer:
    """Signs for an endpoint with its current secret and, until `previous_expires_at`, with
    the previous one."""

    def __init__(
        self, secret: str, previous: str | None = None, previous_expires_at: datetime | None = None
    ) -> None:
        self._current = Webhook(secret)
        self._previous = Webhook(previous) if previous else None
        self._previous_expires_at = previous_expires_at

    def signature(self, msg_id: str, timestamp: datetime, body: str, *, now: datetime) -> str:
        signatures = [self._current.sign(msg_id, timestamp, body)]
        expires = self._previous_expires_at
        if self._previous is not None and expires is not None and now < expires:
            signatures.append(self._previous.sign(msg_id, timestamp, body))
        return " ".join(signatures)

    def headers(
        self, msg_id: str, body: str, *, timestamp: datetime, now: datetime
    ) -> dict[str, str]:
        """The `webhook-*` headers of a delivery sent at `timestamp` (the real time: receivers
        refuse one more than 5 minutes off); `now` decides whether the rotation is over."""
        return {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": self.signature(msg_id, timestamp, body, now=now),
        }
