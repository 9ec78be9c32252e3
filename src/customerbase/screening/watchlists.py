"""Importing watchlists into the database: a list is replaced by its new file, entry by entry.

Entries are compared by their hash: an import adds the new ones, rewrites the changed ones
(with their aliases) and removes the ones no longer listed. An import that changes nothing
keeps the list's version and token, so that nobody is screened again for nothing; one that
changes anything bumps the version and draws a new token, which every process sees on its
next screening (and continuous screening then screens every customer again).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from customerbase.kit.time import isoformat, utcnow
from customerbase.models import Watchlist, WatchlistAlias, WatchlistEntry
from customerbase.screening.formats import ParsedEntry, ParsedList

BATCH = 1000
# (list name, entries done, entries in the list)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class ImportResult:
    list_name: str
    version: int
    changed: bool
    entries: int
    aliases: int
    added: int
    updated: int
    removed: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "list": self.list_name,
            "version": self.version,
            "changed": self.changed,
            "entries": self.entries,
            "aliases": self.aliases,
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
        }


def _content_hash(hashes: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for value in sorted(hashes):
        digest.update(value.encode())
    return digest.hexdigest()


def _entry_row(list_name: str, entry: ParsedEntry, entry_hash: str, now: Any) -> dict[str, Any]:
    return {
        "list_name": list_name,
        "entry_id": entry.entry_id,
        "kind": entry.kind,
        "name": entry.name[:500],
        "programs": (entry.programs or None) and entry.programs[:500],
        "details": entry.details,
        "entry_hash": entry_hash,
        "updated_at": now,
    }


def _alias_rows(list_name: str, entry: ParsedEntry) -> list[dict[str, Any]]:
    return [
        {
            "list_name": list_name,
            "entry_id": entry.entry_id,
            "position": position,
            "name": alias.name[:500],
            "alias_type": alias.alias_type and alias.alias_type[:32],
        }
        for position, alias in enumerate(entry.aliases, start=1)
    ]


async def import_list(
    session: AsyncSession, parsed: ParsedList, *, on_progress: Progress | None = None
) -> ImportResult:
    """Replace the stored list `parsed.list_name` by `parsed`, in the session's transaction."""
    name = parsed.list_name
    now = utcnow()
    hashes = {entry.entry_id: entry.entry_hash() for entry in parsed.entries}
    stored = dict(
        (
            await session.execute(
                select(WatchlistEntry.entry_id, WatchlistEntry.entry_hash).where(
                    WatchlistEntry.list_name == name
                )
            )
        ).all()
    )
    added = [e for e in parsed.entries if e.entry_id not in stored]
    updated = [
        e
        for e in parsed.entries
        if e.entry_id in stored and stored[e.entry_id] != hashes[e.entry_id]
    ]
    removed = [entry_id for entry_id in stored if entry_id not in hashes]
    watchlist = await session.get(Watchlist, name, with_for_update=True)
    changed = bool(added or updated or removed) or watchlist is None
    content_hash = _content_hash(list(hashes.values()))
    if watchlist is None:
        watchlist = Watchlist(list_name=name, version=1, token=uuid.uuid4().hex, imported_at=now)
        session.add(watchlist)
    elif changed:
        watchlist.version += 1
        watchlist.token = uuid.uuid4().hex
    watchlist.content_hash = content_hash
    watchlist.entry_count = len(parsed.entries)
    watchlist.alias_count = parsed.alias_count
    watchlist.source = ", ".join(parsed.sources)[:300]
    watchlist.imported_at = now
    if changed:
        watchlist.changed_at = now
    await session.flush()

    total = len(parsed.entries)
    done = total - len(added) - len(updated)
    if on_progress:
        on_progress(name, done, total)
    gone = [*removed, *(e.entry_id for e in updated)]
    for start in range(0, len(gone), BATCH):
        ids = gone[start : start + BATCH]
        await session.execute(
            delete(WatchlistAlias).where(
                WatchlistAlias.list_name == name, WatchlistAlias.entry_id.in_(ids)
            )
        )
        await session.execute(
            delete(WatchlistEntry).where(
                WatchlistEntry.list_name == name, WatchlistEntry.entry_id.in_(ids)
            )
        )
    writes = [*updated, *added]
    for start in range(0, len(writes), BATCH):
        batch = writes[start : start + BATCH]
        await session.execute(
            insert(WatchlistEntry),
            [_entry_row(name, e, hashes[e.entry_id], now) for e in batch],
        )
        aliases = [row for e in batch for row in _alias_rows(name, e)]
        if aliases:
            await session.execute(insert(WatchlistAlias), aliases)
        done += len(batch)
        if on_progress:
            on_progress(name, done, total)
    return ImportResult(
        name,
        watchlist.version,
        changed,
        total,
        parsed.alias_count,
        len(added),
        len(updated),
        len(removed),
    )


async def list_watchlists(session: AsyncSession) -> list[dict[str, Any]]:
    rows = (await session.scalars(select(Watchlist).order_by(Watchlist.list_name))).all()
    return [
        {
            "list": row.list_name,
            "version": row.version,
            "entries": row.entry_count,
            "aliases": row.alias_count,
            "source": row.source,
            "content_hash": row.content_hash,
            "imported_at": isoformat(row.imported_at),
            "changed_at": isoformat(row.changed_at),
        }
        for row in rows
    ]
