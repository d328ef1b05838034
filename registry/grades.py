"""The eight grades of the 新八级工 ladder as pure data (DESIGN.md §2); stdlib only, used by every rule.

The policy documents name the system (000:47, 002:22) but never list the grades; this ladder is the
national one (outside knowledge, domain/policy-requirements.md §9).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class GradeCode(StrEnum):
    """Stable API identifiers of the grades, in ladder order."""

    APPRENTICE = "apprentice"
    JUNIOR = "junior"
    INTERMEDIATE = "intermediate"
    SENIOR = "senior"
    TECHNICIAN = "technician"
    SENIOR_TECHNICIAN = "senior_technician"
    SPECIAL_TECHNICIAN = "special_technician"
    CHIEF_TECHNICIAN = "chief_technician"


@dataclass(frozen=True)
class GradeInfo:
    """One rung of the ladder."""

    code: GradeCode
    ordinal: int
    name_zh: str
    name_en: str
    national_level: int | None  # 证书等级代码 5…1; None for 学徒工, 特级技师, 首席技师

    @property
    def national_level_zh(self) -> str | None:
        """The level as printed on certificates (五级…一级)."""
        return None if self.national_level is None else f"{'一二三四五'[self.national_level - 1]}级"


LADDER: tuple[GradeInfo, ...] = (
    GradeInfo(GradeCode.APPRENTICE, 1, "学徒工", "Apprentice", None),
    GradeInfo(GradeCode.JUNIOR, 2, "初级工", "Junior worker", 5),
    GradeInfo(GradeCode.INTERMEDIATE, 3, "中级工", "Intermediate worker", 4),
    GradeInfo(GradeCode.SENIOR, 4, "高级工", "Senior worker", 3),
    GradeInfo(GradeCode.TECHNICIAN, 5, "技师", "Technician", 2),
    GradeInfo(GradeCode.SENIOR_TECHNICIAN, 6, "高级技师", "Senior technician", 1),
    GradeInfo(GradeCode.SPECIAL_TECHNICIAN, 7, "特级技师", "Special technician", None),
    GradeInfo(GradeCode.CHIEF_TECHNICIAN, 8, "首席技师", "Chief technician", None),
)
BY_CODE: dict[GradeCode, GradeInfo] = {g.code: g for g in LADDER}
LADDER_SOURCE = (
    "DESIGN.md §2; national ladder (domain/policy-requirements.md §9, outside knowledge); named at 000:47, 002:22"
)
# 高技能人才 (high-skill talent) = 高级工 and above (§9, conventional).
HIGH_SKILL_FROM = GradeCode.SENIOR
COMPLETE_LEVELS: tuple[int, ...] = (5, 4, 3, 2, 1)


def info(code: GradeCode | str) -> GradeInfo:
    """Return the ladder entry for a grade code (KeyError for unknown codes)."""
    return BY_CODE[GradeCode(code)]


def ordinal(code: GradeCode | str) -> int:
    """Return the grade's position on the ladder (学徒工 = 1 … 首席技师 = 8)."""
    return info(code).ordinal


def at_least(code: GradeCode | str, floor: GradeCode | str) -> bool:
    """Return whether code is floor or above ("X以上")."""
    return ordinal(code) >= ordinal(floor)


def is_high_skill(code: GradeCode | str) -> bool:
    """Return whether the grade counts as 高技能人才."""
    return at_least(code, HIGH_SKILL_FROM)


def below(code: GradeCode | str) -> GradeCode | None:
    """Return the grade directly below code, or None for 学徒工."""
    n = ordinal(code)
    return LADDER[n - 2].code if n > 1 else None


def by_national_level(level: int) -> GradeCode:
    """Return the grade for a national level digit 5…1."""
    for g in LADDER:
        if g.national_level == level:
            return g.code
    raise KeyError(level)


def accepted_codes() -> str:
    """Return the accepted grade codes, comma-separated, for error messages."""
    return ", ".join(g.code.value for g in LADDER)
