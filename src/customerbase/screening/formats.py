"""Watchlists in their official formats: OFAC's SDN list (`sdn.csv` with `alt.csv` aliases)
and the UN Security Council's consolidated list (XML).

OFAC's CSV files have no header: `sdn.csv` has 12 columns (ent_num, SDN_Name, SDN_Type,
Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks) and
`alt.csv` 5 (ent_num, alt_num, alt_type, alt_name, alt_remarks); `-0-` means empty, and the
files may end with a DOS end-of-file character (0x1A).
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from defusedxml import DefusedXmlException, ElementTree

OFAC_SDN = "ofac_sdn"
UN_CONSOLIDATED = "un_consolidated"
LIST_NAMES = (OFAC_SDN, UN_CONSOLIDATED)

SDN_COLUMNS = 12
ALT_COLUMNS = 5
EMPTY = "-0-"
_SDN_KINDS = {
    "individual": "person",
    "vessel": "vessel",
    "aircraft": "aircraft",
    "": "organization",
}


class WatchlistFormatError(ValueError):
    """A file that is not in the format its name says (the message names file and line)."""


@dataclass(frozen=True, slots=True)
class Alias:
    name: str
    alias_type: str | None = None


@dataclass(slots=True)
class ParsedEntry:
    entry_id: str
    kind: str
    name: str
    programs: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    aliases: list[Alias] = field(default_factory=list)

    def entry_hash(self) -> str:
        """A digest of everything the list says about the entry."""
        canonical = orjson.dumps(
            {
                "kind": self.kind,
                "name": self.name,
                "programs": self.programs,
                "details": self.details,
                "aliases": sorted((a.name, a.alias_type or "") for a in self.aliases),
            },
            option=orjson.OPT_SORT_KEYS,
        )
        return hashlib.sha256(canonical).hexdigest()


@dataclass(slots=True)
class ParsedList:
    list_name: str
    entries: list[ParsedEntry]
    sources: list[str]

    @property
    def alias_count(self) -> int:
        return sum(len(entry.aliases) for entry in self.entries)


def _cell(value: str) -> str | None:
    value = value.strip()
    return None if value in ("", EMPTY) else value


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _rows(path: Path, columns: int) -> Iterator[tuple[int, list[str]]]:
    text = _decode(path.read_bytes())
    for line, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or (len(row) == 1 and row[0].strip() in ("", "\x1a")):
            continue
        if len(row) != columns:
            raise WatchlistFormatError(
                f"{path.name}, line {line}: {len(row)} columns, expected {columns}"
            )
        yield line, row


def parse_sdn(sdn: Path, alt: Path | None = None) -> ParsedList:
    entries: dict[str, ParsedEntry] = {}
    for line, row in _rows(sdn, SDN_COLUMNS):
        entry_id, name = _cell(row[0]), _cell(row[1])
        if entry_id is None or name is None:
            raise WatchlistFormatError(f"{sdn.name}, line {line}: no ent_num or SDN_Name")
        kind = _SDN_KINDS.get((_cell(row[2]) or "").lower(), "organization")
        labels = ("title", "call_sign", "vessel_type", "tonnage", "grt", "vessel_flag")
        details = {
            key: cell
            for key, raw in zip((*labels, "vessel_owner", "remarks"), row[4:12], strict=True)
            if (cell := _cell(raw)) is not None
        }
        entries[entry_id] = ParsedEntry(entry_id, kind, name, _cell(row[3]), details)
    sources = [sdn.name]
    if alt is not None:
        sources.append(alt.name)
        for line, row in _rows(alt, ALT_COLUMNS):
            entry_id, alias = _cell(row[0]), _cell(row[3])
            if entry_id is None or alias is None:
                raise WatchlistFormatError(f"{alt.name}, line {line}: no ent_num or alt_name")
            entry = entries.get(entry_id)
            if entry is not None:  # an alias of an entry no longer listed: ignored
                entry.aliases.append(Alias(alias, _cell(row[2])))
    return ParsedList(OFAC_SDN, list(entries.values()), sources)


def _text(element: Any, tag: str) -> str | None:
    child = element.find(tag)
    if child is None or child.text is None:
        return None
    return " ".join(child.text.split()) or None


_UN_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")


def parse_un(path: Path) -> ParsedList:
    """The UN consolidated list: INDIVIDUALS/INDIVIDUAL and ENTITIES/ENTITY, with their
    ALIAS elements and the name in its original script (kept as an alias)."""
    try:
        root = ElementTree.fromstring(path.read_bytes())
    except ElementTree.ParseError as exc:
        raise WatchlistFormatError(f"{path.name}: not well-formed XML ({exc})") from None
    except DefusedXmlException:
        raise WatchlistFormatError(
            f"{path.name}: refused: the XML declares entities (the UN list never does)"
        ) from None
    if root.tag != "CONSOLIDATED_LIST":
        raise WatchlistFormatError(
            f"{path.name}: not a UN consolidated list (no CONSOLIDATED_LIST)"
        )
    entries: list[ParsedEntry] = []
    for kind, group, tag in (
        ("person", "INDIVIDUALS", "INDIVIDUAL"),
        ("organization", "ENTITIES", "ENTITY"),
    ):
        for element in root.iterfind(f"{group}/{tag}"):
            entry_id = _text(element, "REFERENCE_NUMBER") or _text(element, "DATAID")
            name = " ".join(part for p in _UN_NAME_PARTS if (part := _text(element, p) or ""))
            if entry_id is None or not name:
                raise WatchlistFormatError(f"{path.name}: a {tag} without a reference or name")
            aliases = [
                Alias(alias, (_text(item, "QUALITY") or "").lower() or None)
                for item in element.iterfind(f"{tag}_ALIAS")
                if (alias := _text(item, "ALIAS_NAME"))
            ]
            original = _text(element, "NAME_ORIGINAL_SCRIPT")
            if original:
                aliases.append(Alias(original, "original_script"))
            details = {
                key.lower(): value
                for key in ("DATAID", "VERSIONNUM", "LISTED_ON", "COMMENTS1")
                if (value := _text(element, key)) is not None
            }
            entries.append(
                ParsedEntry(entry_id, kind, name, _text(element, "UN_LIST_TYPE"), details, aliases)
            )
    return ParsedList(UN_CONSOLIDATED, entries, [path.name])


def _expand(paths: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file()))
        elif path.is_file():
            files.append(path)
        else:
            raise WatchlistFormatError(f"{path}: no such file or folder")
    return files


def read_lists(paths: Sequence[Path]) -> list[ParsedList]:
    """The lists in `paths` (files, or folders holding them): `sdn.csv` (with `alt.csv` beside
    it, if given), and `*.xml` as the UN list. Other files in a folder are ignored; a file
    named on its own that is neither is an error."""
    files = _expand(paths)
    named = {p.name.lower(): p for p in files}
    lists: list[ParsedList] = []
    if "sdn.csv" in named:
        lists.append(parse_sdn(named["sdn.csv"], named.get("alt.csv")))
    elif "alt.csv" in named:
        raise WatchlistFormatError("alt.csv holds OFAC's aliases: import it with its sdn.csv")
    for path in files:
        if path.suffix.lower() == ".xml":
            lists.append(parse_un(path))
        elif path.name.lower() not in ("sdn.csv", "alt.csv") and path in paths:
            raise WatchlistFormatError(
                f"{path.name}: not a known list (sdn.csv, alt.csv or the UN's XML)"
            )
    if not lists:
        raise WatchlistFormatError("no list found: give sdn.csv (with alt.csv) or the UN's XML")
    return lists
