"""OFAC SDN and UN consolidated files, in their official formats."""

from __future__ import annotations

from pathlib import Path

import pytest

from customerbase.screening.formats import (
    OFAC_SDN,
    UN_CONSOLIDATED,
    WatchlistFormatError,
    parse_sdn,
    read_lists,
)

DATA = Path(__file__).parent / "data"


def test_sdn_and_alt_are_read_with_empty_cells_and_the_end_of_file_mark() -> None:
    parsed = parse_sdn(DATA / "ofac" / "sdn.csv", DATA / "ofac" / "alt.csv")
    assert parsed.list_name == OFAC_SDN
    assert len(parsed.entries) == 12
    by_id = {entry.entry_id: entry for entry in parsed.entries}
    putin = by_id["27450"]
    assert (putin.kind, putin.name, putin.programs) == (
        "person",
        "PUTIN, Vladimir Vladimirovich",
        "RUSSIA-EO14024",
    )
    assert putin.details == {
        "title": "President of the Russian Federation",
        "remarks": "DOB 07 Oct 1952; POB Leningrad, Russia.",
    }
    assert by_id["7157"].kind == "organization"  # SDN_Type -0- is an entity
    assert by_id["30002"].kind == "vessel"
    assert [a.name for a in by_id["2674"].aliases] == [
        "BIN LADEN, Osama",
        "BIN LADIN, Usama",
        "AL-QAIDA LEADER",
    ]
    assert by_id["2674"].aliases[0].alias_type == "aka"


def test_the_un_list_reads_individuals_entities_aliases_and_original_script() -> None:
    [parsed] = read_lists([DATA / "un" / "consolidated.xml"])
    assert parsed.list_name == UN_CONSOLIDATED
    by_id = {entry.entry_id: entry for entry in parsed.entries}
    zawahiri = by_id["QDi.006"]
    assert (zawahiri.kind, zawahiri.name) == ("person", "AYMAN MUHAMMED RABI AL-ZAWAHIRI")
    assert [a.name for a in zawahiri.aliases] == [
        "Ahmad Fuad Salim",
        "Abu Muhammad",
        "أيمن محمد ربيع الظواهري",
    ]
    assert by_id["KPe.001"].kind == "organization"
    assert [a.name for a in by_id["KPe.001"].aliases] == ["KOMID"]


def test_a_folder_gives_its_lists() -> None:
    lists = read_lists([DATA / "ofac", DATA / "un"])
    assert [(p.list_name, len(p.entries), p.alias_count) for p in lists] == [
        (OFAC_SDN, 12, 9),
        (UN_CONSOLIDATED, 5, 9),
    ]


def test_an_entry_hash_changes_with_the_entry() -> None:
    first = {e.entry_id: e.entry_hash() for e in read_lists([DATA / "ofac"])[0].entries}
    second = {e.entry_id: e.entry_hash() for e in read_lists([DATA / "ofac_update"])[0].entries}
    assert first["27450"] == second["27450"]
    assert first["30001"] != second["30001"]  # its remarks changed


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('1,"NAME","-0- "\r\n', "sdn.csv, line 1: 3 columns, expected 12"),
        (',"NAME","-0- ","P","","","","","","","",""\r\n', "no ent_num or SDN_Name"),
    ],
)
def test_a_malformed_sdn_file_is_refused_naming_the_line(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "sdn.csv"
    path.write_text(content)
    with pytest.raises(WatchlistFormatError, match=message):
        read_lists([path])


def test_unknown_files_and_broken_xml_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "customers.csv"
    other.write_text("a,b\n")
    with pytest.raises(WatchlistFormatError, match="not a known list"):
        read_lists([other])
    broken = tmp_path / "un.xml"
    broken.write_text("<CONSOLIDATED_LIST><INDIVIDUALS>")
    with pytest.raises(WatchlistFormatError, match="not well-formed XML"):
        read_lists([broken])
    alone = tmp_path / "alt.csv"
    alone.write_text('1,1,"aka","X","-0- "\n')
    with pytest.raises(WatchlistFormatError, match=r"with its sdn\.csv"):
        read_lists([alone])
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>'
        "<CONSOLIDATED_LIST>&b;</CONSOLIDATED_LIST>"
    )
    with pytest.raises(WatchlistFormatError, match="declares entities"):
        read_lists([bomb])
