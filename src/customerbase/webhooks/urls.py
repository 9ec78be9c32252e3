"""Where a webhook may be sent: http(s) URLs whose host resolves to public addresses only.

Checked when an endpoint is registered (an early, clear 422) and again before every delivery
(a name may resolve differently later): the worker resolves the name, checks every address,
then connects to the address it checked, so that a second lookup cannot swap it for another
(DNS rebinding). `CUSTOMERBASE_WEBHOOK_ALLOW_PRIVATE=1` lifts the address check.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult

MAX_URL_LENGTH = 2048
_RESOLVE_TTL_SECONDS = 5.0

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeURL(ValueError):
    """A URL a webhook may not be sent to; the message says why, for the `url` field."""


@dataclass(frozen=True, slots=True)
class Target:
    """A checked URL: where to connect (`address`: None to connect by name) and for whom."""

    url: str
    host: str
    port: int
    address: IPAddress | None


def parse_url(url: str) -> SplitResult:
    """The parts of a syntactically acceptable webhook URL, or UnsafeURL."""
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeURL(f"must be at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError:
        raise UnsafeURL("is not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL("must be an http:// or https:// URL")
    if not parts.hostname:
        raise UnsafeURL("must name a host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURL("must not carry credentials")
    if parts.fragment:
        raise UnsafeURL("must not have a #fragment")
    return parts


def refusal(address: IPAddress) -> str | None:
    """Why a webhook may not be sent to `address`, or None if it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast or address.is_reserved or address.is_unspecified:
        return "reserved"
    if address.is_private:
        return "private"
    if not address.is_global:  # shared address space (100.64.0.0/10) and the like
        return "reserved"
    return None


class Resolver:
    """Resolves and checks webhook hosts, caching each answer a few seconds."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private
        self._cache: dict[tuple[str, int], tuple[float, list[IPAddress]]] = {}

    async def _addresses(self, host: str, port: int) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(host.strip("[]"))]
        except ValueError:
            pass
        key = (host, port)
        cached = self._cache.get(key)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM
            )
        except (socket.gaierror, UnicodeError):
            raise UnsafeURL(f"host {host!r} does not resolve") from None
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
        if not addresses:
            raise UnsafeURL(f"host {host!r} does not resolve")
        self._cache[key] = (now + _RESOLVE_TTL_SECONDS, addresses)
        if len(self._cache) > 10_000:
            self._cache.clear()
        return addresses

    async def checked_addresses(self, host: str, port: int) -> list[IPAddress]:
        """The addresses of `host`, every one of them allowed, or UnsafeURL."""
        addresses = await self._addresses(host, port)
        if not self.allow_private:
            for address in addresses:
                why = refusal(address)
                if why is not None:
                    raise UnsafeURL(
                        f"must not point at a {why} address ({host} is {address}); "
                        "set CUSTOMERBASE_WEBHOOK_ALLOW_PRIVATE=1 to allow it in development"
                    )
        return addresses

    async def check(self, url: str) -> Target:
        """The URL's target, or UnsafeURL: every address the host resolves to must be public."""
        parts = parse_url(url)
        host = parts.hostname
        assert host is not None
        port = parts.port or (443 if parts.scheme == "https" else 80)
        if self.allow_private:
            return Target(url, host, port, None)
        addresses = await self.checked_addresses(host, port)
        return Target(url, host, port, addresses[0])


class CheckedResolver(AbstractResolver):
    """aiohttp's resolver for webhook requests: it connects only to addresses `Resolver`
    checked, so a name cannot resolve to a private address between the check and the
    connection."""

    def __init__(self, resolver: Resolver) -> None:
        self._resolver = resolver

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = await self._resolver.checked_addresses(host, port)
        return [
            ResolveResult(
                hostname=host,
                host=str(address),
                port=port,
                family=socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        return None
