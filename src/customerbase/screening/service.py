"""Sanctions screening of customers: at onboarding, on a name change, after a list changes.

The index lives in memory, one per version of the lists: every screening reads the lists'
token (one short read; it changes on every import that changed an entry) and uses the index
built for it, building it once when it is new. A customer records the token it was screened
against (`screened_version`), so that continuous screening finds the customers screened
against older lists, resumably, batch by batch.

Hits are kept on the customer (`screening_hits`), each with its state: `open` (a potential
match to review), `confirmed` or `dismissed`. A dismissed hit stays stored, so that screening
again does not bring it back; it comes back, as a new open hit, only when its list entry
changes (its `entry_hash`).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from customerbase.kit.fastdb import Connection
from customerbase.kit.ids import uuid7
from customerbase.kit.time import isoformat, utcnow
from customerbase.models import Customer
from customerbase.screening.matcher import DEFAULT_THRESHOLD, IndexedEntry, Match, WatchlistIndex
from customerbase.screening.normalize import ORGANIZATION, PERSON

logger = logging.getLogger(__name__)

CLEAR, POTENTIAL_MATCH, CONFIRMED_MATCH = "clear", "potential_match", "confirmed_match"
OPEN, CONFIRMED, DISMISSED = "open", "confirmed", "dismissed"
SCREENED_KINDS = (PERSON, ORGANIZATION)


@dataclass
class ScreeningConfig:
    threshold: float = DEFAULT_THRESHOLD
    max_hits: int = 10
    serve_previous_while_building: bool = False


config = ScreeningConfig()


def configure(
    *, threshold: float | None = None, serve_previous_while_building: bool | None = None
) -> None:
    """Set the match threshold (from `CUSTOMERBASE_SCREENING_THRESHOLD`), and whether a
    request may screen with the previous lists while a new index builds (the server)."""
    if threshold is not None:
        config.threshold = threshold
    if serve_previous_while_building is not None:
        config.serve_previous_while_building = serve_previous_while_building


# --- The lists' version and the in-memory index ---------------------------------------------

_VERSIONS_SQL = "SELECT list_name, token FROM watchlists ORDER BY list_name"
_ENTRIES_SQL = (
    "SELECT list_name, entry_id, kind, name, entry_hash FROM watchlist_entries"
    " ORDER BY list_name, entry_id"
)
_ALIASES_SQL = (
    "SELECT list_name, entry_id, name FROM watchlist_aliases ORDER BY list_name, entry_id, position"
)

Handle = AsyncSession | Connection


async def _fetch(handle: Handle, sql: str) -> Sequence[Any]:
    if isinstance(handle, AsyncSession):
        return (await handle.execute(text(sql))).all()
    return await handle.fetch(sql)


async def lists_token(handle: Handle) -> str:
    """The version of all the lists together; empty when no list was imported."""
    return ",".join(f"{row[0]}:{row[1]}" for row in await _fetch(handle, _VERSIONS_SQL))


_indexes: dict[str, WatchlistIndex] = {}
_builds: dict[str, asyncio.Task[WatchlistIndex]] = {}
_latest: list[WatchlistIndex] = []  # the index built last (one at most)
_KEPT_INDEXES = 2


async def _load_entries(handle: Handle) -> list[IndexedEntry]:
    aliases: dict[tuple[str, str], list[str]] = {}
    for row in await _fetch(handle, _ALIASES_SQL):
        aliases.setdefault((row[0], row[1]), []).append(row[2])
    return [
        IndexedEntry(
            row[0], row[1], row[2], row[3], row[4], tuple(aliases.get((row[0], row[1]), ()))
        )
        for row in await _fetch(handle, _ENTRIES_SQL)
        if row[2] in SCREENED_KINDS
    ]


async def _build(token: str, entries: list[IndexedEntry]) -> WatchlistIndex:
    try:
        index = await asyncio.to_thread(WatchlistIndex.build, entries, token)
        # The index is a few hundred thousand long-lived objects: out of the collector's
        # way, so that a collection in the middle of a lookup does not walk them all.
        gc.freeze()
        _indexes[token] = index
        _latest[:] = [index]
        for old in list(_indexes)[:-_KEPT_INDEXES]:
            _indexes.pop(old, None)
        logger.info("screening index built: %d entries, %d names", len(index), len(index.names))
        return index
    finally:
        _builds.pop(token, None)


def _log_failure(task: asyncio.Task[WatchlistIndex]) -> None:
    if not task.cancelled() and task.exception() is not None:
        logger.error("building the screening index failed", exc_info=task.exception())


async def index_for(handle: Handle, token: str) -> WatchlistIndex | None:
    """The index of the lists at `token`, built (off the event loop) when first needed.

    With `config.serve_previous_while_building` (the server: one database per process), a
    request screens with the index of the previous lists while the new one builds, instead of
    waiting for it; the customer then records the previous token, and continuous screening
    screens it again once the new index is there."""
    if not token:
        return None
    index = _indexes.get(token)
    if index is not None:
        return index
    build = _builds.get(token)
    if build is None:
        entries = await _load_entries(handle)
        index = _indexes.get(token)
        if index is not None:
            return index
        build = _builds.get(token)
        if build is None:
            build = _builds[token] = asyncio.create_task(_build(token, entries))
            build.add_done_callback(_log_failure)
    if config.serve_previous_while_building and _latest and not build.done():
        return _latest[0]
    return await asyncio.shield(build)


async def current_index(handle: Handle) -> tuple[str, WatchlistIndex | None]:
    """The lists' token and the index to screen with (whose own token may be the previous
    one, while a new index builds: the token returned is always the index's)."""
    token = await lists_token(handle)
    index = await index_for(handle, token)
    return (index.version if index is not None else token), index


# --- Screening names ------------------------------------------------------------------------


def screen_names(
    index: WatchlistIndex | None,
    names: Iterable[tuple[str | None, str]],
    *,
    threshold: float | None = None,
) -> list[Match]:
    """The best match per list entry for any of `names` ((name, `person`|`organization`)
    pairs), best first. For the people of a business (directors, owners), pass their names
    beside the business's own: `screen_customer(..., extra_names=...)` does."""
    if index is None:
        return []
    best: dict[tuple[str, str], Match] = {}
    for name, kind in names:
        if not name or not name.strip():
            continue
        for match in index.search(name, kind, threshold=threshold or config.threshold):
            key = (match.list_name, match.entry_id)
            if key not in best or match.score > best[key].score:
                best[key] = match
    return sorted(best.values(), key=lambda m: -m.score)[: config.max_hits]


def customer_names(customer: Customer) -> list[tuple[str | None, str]]:
    if customer.customer_type == "business":
        return [(customer.company_name, ORGANIZATION)]
    parts = (customer.first_name, customer.middle_name, customer.last_name)
    return [(" ".join(part for part in parts if part), PERSON)]


def _hit(match: Match) -> dict[str, Any]:
    return {
        "id": str(uuid7()),
        "list": match.list_name,
        "entry_id": match.entry_id,
        "name": match.name,
        "matched_name": match.matched_name,
        "score": match.score,
        "status": OPEN,
        "entry_hash": match.entry_hash,
        "reason": None,
        "reviewed_at": None,
    }


def status_of(hits: Sequence[dict[str, Any]]) -> str:
    states = {hit["status"] for hit in hits}
    if CONFIRMED in states:
        return CONFIRMED_MATCH
    return POTENTIAL_MATCH if OPEN in states else CLEAR


def merge_hits(
    previous: Sequence[dict[str, Any]] | None, matches: Sequence[Match]
) -> list[dict[str, Any]]:
    """The hits after a screening: a match of an entry already hit keeps its hit (its id and
    its review) while the entry is unchanged; a changed entry is a new open hit. Confirmed
    hits stay whatever the new screening finds (a confirmation is a decision, not a score)."""
    kept = {(hit["list"], hit["entry_id"]): hit for hit in previous or ()}
    hits: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for match in matches:
        key = (match.list_name, match.entry_id)
        seen.add(key)
        old = kept.get(key)
        if old is not None and (
            old["entry_hash"] == match.entry_hash or old["status"] == CONFIRMED
        ):
            hits.append(
                {
                    **old,
                    "score": match.score,
                    "matched_name": match.matched_name,
                    "name": match.name,
                }
            )
        else:
            hits.append(_hit(match))
    hits.extend(hit for key, hit in kept.items() if key not in seen and hit["status"] == CONFIRMED)
    return hits


def apply_screening(customer: Customer, token: str, matches: Sequence[Match]) -> bool:
    """Store the screening on `customer`; whether its status or hits changed."""
    hits = merge_hits(customer.screening_hits, matches)
    status = status_of(hits)
    changed = status != customer.screening_status or hits != (customer.screening_hits or [])
    if changed:
        customer.screening_hits = hits or None
        customer.screening_status = status
    customer.screened_version = token
    customer.screened_at = utcnow()
    return changed


async def screen_customer(
    handle: Handle, customer: Customer, *, extra_names: Iterable[tuple[str | None, str]] = ()
) -> bool:
    """Screen `customer` (and `extra_names`: the people of a business) against the current
    lists, in memory; the result is set on the customer, to be written with it."""
    token, index = await current_index(handle)
    matches = screen_names(index, [*customer_names(customer), *extra_names])
    return apply_screening(customer, token, matches)


_NAME_FIELDS = ("customer_type", "first_name", "middle_name", "last_name", "company_name")


async def screen_on_name_change(
    session: AsyncSession, customer: Customer, before: dict[str, Any]
) -> None:
    """Screen again after an update that changed a name (or the customer's type)."""
    if any(before.get(name) != getattr(customer, name) for name in _NAME_FIELDS):
        await screen_customer(session, customer)


def public_hits(hits: Sequence[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The hits as the customer object shows them: dismissed ones left out."""
    return [
        {
            "id": hit["id"],
            "list": hit["list"],
            "entry_id": hit["entry_id"],
            "name": hit["name"],
            "matched_name": hit["matched_name"],
            "score": hit["score"],
            "status": hit["status"],
            "reason": hit.get("reason"),
            "reviewed_at": hit.get("reviewed_at"),
        }
        for hit in hits or ()
        if hit["status"] != DISMISSED
    ]


def now_iso() -> str | None:
    return isoformat(utcnow())
