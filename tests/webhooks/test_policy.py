"""The retry schedule, Retry-After, signatures during a rotation, and the address rules."""

from __future__ import annotations

import ipaddress
import random
from datetime import timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from customerbase.kit.time import utcnow
from customerbase.webhooks import policy
from customerbase.webhooks.signing import Signer, new_secret
from customerbase.webhooks.urls import CheckedResolver, Resolver, UnsafeURL, refusal


def test_the_schedule_is_eight_attempts_over_about_28_hours_with_20_percent_jitter() -> None:
    rng = random.Random(7)
    assert policy.MAX_ATTEMPTS == 8
    nominal = [5, 300, 1800, 7200, 18000, 36000, 36000]
    for attempt, delay in enumerate(nominal, start=1):
        for _ in range(200):
            got = policy.backoff(attempt, rng)
            assert got is not None
            assert delay * 0.8 <= got <= delay * 1.2
    assert policy.backoff(8, rng) is None
    assert 27 * 3600 < sum(nominal) < 28 * 3600


def test_retry_after_is_read_as_seconds_or_a_date_and_bounded_to_an_hour() -> None:
    now = utcnow()
    assert policy.retry_after("30", now) == 30
    assert policy.retry_after("99999", now) == 3600
    date = (now + timedelta(seconds=90)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    got = policy.retry_after(date, now)
    assert got is not None
    assert 88 <= got <= 90
    assert policy.retry_after("soon", now) is None
    assert policy.retry_after(None, now) is None
    rng = random.Random(1)
    assert policy.next_delay(1, 429, "7", now, rng) == 7
    assert policy.next_delay(1, 500, "7", now, rng) != 7  # only 429 and 503 ask
    assert policy.next_delay(8, 429, "7", now, rng) is None  # attempts used up


def test_the_previous_secret_signs_until_the_rotation_ends() -> None:
    old, new = new_secret(), new_secret()
    now = utcnow()
    signer = Signer(new, old, now + timedelta(hours=24))
    body = '{"id": "evt"}'
    during = signer.headers("evt_1", body, timestamp=now, now=now + timedelta(hours=23))
    after = signer.headers("evt_1", body, timestamp=now, now=now + timedelta(hours=24))
    for secret in (old, new):
        Webhook(secret).verify(body, during)
    Webhook(new).verify(body, after)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, after)


@pytest.mark.parametrize(
    ("address", "why"),
    [
        ("127.0.0.2", "loopback"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("169.254.1.1", "link-local"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("fd00::1", "private"),
        ("::ffff:10.0.0.1", "private"),
        ("224.0.0.1", "reserved"),
        ("240.0.0.1", "reserved"),
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_addresses_are_refused_by_kind(address: str, why: str | None) -> None:
    assert refusal(ipaddress.ip_address(address)) == why


async def test_the_clients_resolver_hands_over_only_checked_addresses() -> None:
    strict = CheckedResolver(Resolver(allow_private=False))
    with pytest.raises(UnsafeURL, match="loopback"):
        await strict.resolve("localhost", 80)
    lenient = await CheckedResolver(Resolver(allow_private=True)).resolve("localhost", 8080)
    assert {"127.0.0.1", "::1"} >= {r["host"] for r in lenient}
    assert {r["port"] for r in lenient} == {8080}
