"""Certificate numbers in the national 22-character format, pure (DESIGN.md §5; outside knowledge §9).

Layout: category letter (Y employer / S social org) + 4-digit ministry code + 2-digit province + 6-digit site
code + 2-digit year + 1-digit level (5…1) + 6-digit serial. 特级技师 / 首席技师 replace the level digit with a
second letter (default T and C), giving two letters and 20 digits.

学徒工 has no national level and so no national number. Its records get a registry number of a different shape
that cannot be mistaken for one: "XT" + province + site + year + 6-digit serial (18 characters), printed on a
record titled 学徒工培训评价记录, not a 职业技能等级证书.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from registry import grades
from registry.grades import GradeCode

APPRENTICE_PREFIX = "XT"
MAX_SERIAL = 999_999
NATIONAL = re.compile(
    r"^(?P<cat>[YS])(?P<ministry>\d{4})(?P<province>\d{2})(?P<site>\d{6})(?P<year>\d{2})"
    r"(?P<level>[1-5A-Z])(?P<serial>\d{6})$",
    re.ASCII,  # \d is otherwise any Unicode digit: full-width numbers must not pass as well-formed
)
APPRENTICE = re.compile(r"^XT(?P<province>\d{2})(?P<site>\d{6})(?P<year>\d{2})(?P<serial>\d{6})$", re.ASCII)


class NumberingError(ValueError):
    """A number cannot be made from these parts."""


@dataclass(frozen=True)
class NumberParts:
    """The parts a number is made of; serials are allocated per (site_key, year, level)."""

    category: str
    ministry_code: str
    province_code: str
    site_code: str
    year: int
    level: str  # "5"…"1", the special/chief letter, or "A" for apprentice records

    @property
    def site_key(self) -> str:
        """The serial counter's site key: the number's own prefix, so counters and numbers cannot disagree."""
        if self.level == "A":
            return f"{APPRENTICE_PREFIX}{self.province_code}{self.site_code}"
        return f"{self.category}{self.ministry_code}{self.province_code}{self.site_code}"


def level_code(grade: GradeCode, *, special_letter: str = "T", chief_letter: str = "C") -> str:
    """The level character of a grade's certificate number."""
    if grade == GradeCode.SPECIAL_TECHNICIAN:
        return special_letter
    if grade == GradeCode.CHIEF_TECHNICIAN:
        return chief_letter
    if grade == GradeCode.APPRENTICE:
        return "A"
    level = grades.info(grade).national_level
    assert level is not None
    return str(level)


def parts_for(
    *,
    category: str,
    ministry_code: str,
    province_code: str,
    site_code: str | None,
    year: int,
    grade: GradeCode,
    special_letter: str = "T",
    chief_letter: str = "C",
) -> NumberParts:
    """Check and assemble the parts of a number; the body's site code must have been assigned."""
    if category not in {"Y", "S"}:
        raise NumberingError(f"category must be Y or S, got {category!r}")
    if not re.fullmatch(r"[0-9]{4}", ministry_code):
        raise NumberingError(f"ministry code must be 4 digits, got {ministry_code!r}")
    if not re.fullmatch(r"[0-9]{2}", province_code):
        raise NumberingError(f"province code must be 2 digits, got {province_code!r}")
    if site_code is None or not re.fullmatch(r"[0-9]{6}", site_code):
        raise NumberingError("the body has no 6-digit site code assigned by the province")
    if (
        special_letter == chief_letter
        or "A" in (special_letter, chief_letter)
        or not (special_letter.isalpha() and chief_letter.isalpha())
    ):
        raise NumberingError("special and chief letters must be two different letters other than A (apprentice)")
    return NumberParts(
        category,
        ministry_code,
        province_code,
        site_code,
        year % 100,
        level_code(grade, special_letter=special_letter, chief_letter=chief_letter),
    )


def format_number(parts: NumberParts, serial: int) -> str:
    """The certificate number for a serial."""
    if not 1 <= serial <= MAX_SERIAL:
        raise NumberingError(f"serial {serial} is outside 1…{MAX_SERIAL}")
    if parts.level == "A":
        return f"{parts.site_key}{parts.year:02d}{serial:06d}"
    return f"{parts.site_key}{parts.year:02d}{parts.level}{serial:06d}"


def is_well_formed(number: str) -> bool:
    """Whether a string has the shape of a certificate (or apprentice record) number."""
    return bool(NATIONAL.match(number) or APPRENTICE.match(number))
