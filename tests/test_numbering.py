"""Certificate numbers: the national 22-character layout, the two-letter variant, apprentice records."""

from __future__ import annotations

import pytest

from certificates.numbering import NumberingError, format_number, is_well_formed, parts_for
from registry.grades import GradeCode as G

BASE = {"category": "Y", "ministry_code": "0000", "province_code": "44", "site_code": "000101", "year": 2026}


@pytest.mark.parametrize(
    ("grade", "number"),
    [
        (G.JUNIOR, "Y00004400010126" + "5" + "000042"),
        (G.SENIOR, "Y00004400010126" + "3" + "000042"),
        (G.SENIOR_TECHNICIAN, "Y00004400010126" + "1" + "000042"),
        (G.SPECIAL_TECHNICIAN, "Y00004400010126" + "T" + "000042"),
        (G.CHIEF_TECHNICIAN, "Y00004400010126" + "C" + "000042"),
    ],
)
def test_national_layout(grade: G, number: str) -> None:
    assert format_number(parts_for(**BASE, grade=grade), 42) == number
    assert len(number) == 22
    assert is_well_formed(number)


def test_special_and_chief_give_two_letters_and_twenty_digits() -> None:
    number = format_number(parts_for(**BASE, grade=G.CHIEF_TECHNICIAN), 7)
    assert sum(c.isalpha() for c in number) == 2
    assert sum(c.isdigit() for c in number) == 20


def test_letters_are_configurable() -> None:
    parts = parts_for(**BASE, grade=G.SPECIAL_TECHNICIAN, special_letter="S", chief_letter="Z")
    assert format_number(parts, 1)[15] == "S"


def test_apprentice_records_get_a_registry_number_not_a_national_one() -> None:
    number = format_number(parts_for(**BASE, grade=G.APPRENTICE), 3)
    assert number == "XT4400010126000003"
    assert is_well_formed(number)


def test_social_organisations_use_s() -> None:
    assert format_number(parts_for(**{**BASE, "category": "S"}, grade=G.JUNIOR), 1).startswith("S0000")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"site_code": None}, "site code"),
        ({"site_code": "12345"}, "site code"),
        ({"ministry_code": "00A0"}, "ministry"),
        ({"category": "X"}, "category"),
    ],
)
def test_bad_parts_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(NumberingError, match=message):
        parts_for(**{**BASE, **changes}, grade=G.JUNIOR)  # type: ignore[arg-type]


@pytest.mark.parametrize("serial", [0, 1_000_000])
def test_serial_range(serial: int) -> None:
    with pytest.raises(NumberingError):
        format_number(parts_for(**BASE, grade=G.JUNIOR), serial)


def test_apprentice_counters_follow_the_number_not_the_category() -> None:
    employer = parts_for(**BASE, grade=G.APPRENTICE)
    renamed = parts_for(**{**BASE, "category": "S", "ministry_code": "1234"}, grade=G.APPRENTICE)
    assert employer.site_key == renamed.site_key == "XT44000101"


def test_the_apprentice_letter_is_reserved() -> None:
    with pytest.raises(NumberingError, match="other than A"):
        parts_for(**BASE, grade=G.SPECIAL_TECHNICIAN, special_letter="A")
