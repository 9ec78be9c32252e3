"""When to try a delivery again, and when to give up on an endpoint.

The schedule of Svix, the reference webhook service: at once, then after about 5 s, 5 min,
30 min, 2 h, 5 h, 10 h and 10 h (eight attempts over about 28 hours), each delay jittered by
±20% so that the retries of many deliveries do not arrive together. A 2xx within 15 s is a
success; `410 Gone` disables the endpoint at once; `429` and `503` with a `Retry-After` are
retried when the receiver asked (at most an hour later); an endpoint that has failed for 5 days
without a success is disabled.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

RETRY_DELAYS_SECONDS = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
MAX_ATTEMPTS = len(RETRY_DELAYS_SECONDS) + 1
JITTER = 0.2
TIMEOUT_SECONDS = 15.0
MAX_RETRY_AFTER_SECONDS = 3600.0
DISABLE_AFTER = timedelta(days=5)
RETRY_AFTER_STATUSES = frozenset({429, 503})
GONE = 410


def is_success(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def backoff(attempts: int, rng: random.Random) -> float | None:
    """Seconds to wait after the `attempts`-th failed attempt; None once they are all used."""
    if attempts >= MAX_ATTEMPTS:
        return None
    delay = RETRY_DELAYS_SECONDS[attempts - 1]
    return delay * rng.uniform(1 - JITTER, 1 + JITTER)


def retry_after(value: str | None, now: datetime) -> float | None:
    """The seconds a `Retry-After` header asks for (delta-seconds or an HTTP date), bounded to
    an hour; None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    seconds: float
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            seconds = (parsedate_to_datetime(value) - now).total_seconds()
        except (TypeError, ValueError, IndexError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)


def next_delay(
    attempts: int,
    status: int | None,
    retry_after_header: str | None,
    now: datetime,
    rng: random.Random,
) -> float | None:
    """Seconds until the next attempt after a failed one, or None to give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    if status in RETRY_AFTER_STATUSES:
        asked = retry_after(retry_after_header, now)
        if asked is not None:
            return asked
    return backoff(attempts, rng)
