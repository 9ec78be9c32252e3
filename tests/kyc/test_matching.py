"""Matching an identity record against the customer (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from customerbase.kyc.matching import e164, fold_name, match_identity, name_score


def test_names_fold_case_diacritics_and_punctuation() -> None:
    assert fold_name("Ayọ̀ O'Ládéjì-Bello") == ["ayo", "o", "ladeji", "bello"]


@pytest.mark.parametrize(
    ("claimed", "record", "at_least", "below"),
    [
        (["Ayọ̀", None, "Oladeji"], ["OLADEJI", None, "AYO"], 100, None),
        (["Ayo", None, "Oladeji"], ["Ayo", "Babatunde", "Oladeji"], 100, None),
        (["Ayo", None, "Oladeji"], ["Ayo", None, "Oladeje"], 85, None),
        (["Ayo", None, "Oladeji"], ["Ayo", None, "Adeyemi"], None, 85),
        (["Ayo", None, "Oladeji"], ["Chinedu", None, "Okafor"], None, 50),
    ],
)
def test_name_scores(
    claimed: list[str | None], record: list[str | None], at_least: int | None, below: int | None
) -> None:
    score = name_score(claimed, record)
    if at_least is not None:
        assert score >= at_least
    if below is not None:
        assert score < below


def test_phone_numbers_compare_as_e164() -> None:
    assert e164("08031234567") == e164("+234 803 123 4567") == "+2348031234567"
    assert e164("not a phone") is None


def test_each_field_is_judged_with_its_reason() -> None:
    result = match_identity(
        claimed_names=["Ayo", None, "Oladeji"],
        claimed_dob=date(1994, 4, 14),
        claimed_phone="+2348031234567",
        record_names=["AYO", None, "OLADEJI"],
        record_dob=date(1994, 4, 15),
        record_phone="08031234567",
        label="NIN",
        threshold=85,
    )
    assert not result.verified
    assert result.fields["name"].status == "verified"
    assert result.fields["phone_number"].status == "verified"
    assert result.reasons() == ["the date of birth does not match the NIN record"]


def test_a_record_without_a_phone_does_not_fail_the_phone() -> None:
    result = match_identity(
        claimed_names=["Ayo", None, "Oladeji"],
        claimed_dob=date(1994, 4, 14),
        claimed_phone="+2348031234567",
        record_names=["Ayo", None, "Oladeji"],
        record_dob=date(1994, 4, 14),
        record_phone=None,
        label="BVN",
        threshold=85,
    )
    assert result.verified
    assert result.score == 100.0
