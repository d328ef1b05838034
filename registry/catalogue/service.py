"""Catalogue look-ups and the occupation importer; imports registry kernel and catalogue models."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from registry import grades
from registry.catalogue.models import (
    City,
    Dimension,
    EducationLevel,
    Equivalence,
    Grade,
    Occupation,
    ProfessionalTitle,
    Province,
    Sector,
)
from registry.clock import today, utcnow
from registry.errors import InvalidInput, NotFound
from registry.tabular import Row, RowError, raise_row_errors
from registry.validators import check_occupation_code

OCCUPATION_COLUMNS = ("code", "name_zh", "name_en", "sector", "levels", "work_types", "standard_ref")
OCCUPATION_OPTIONAL = ("source",)
IMPORT_SOURCE = "registry import occupations"


class OccupationNotFound(NotFound):
    """No occupation has this code."""

    code = "occupation_not_found"


class UnknownCode(InvalidInput):
    """A code is not one of the accepted values; the message lists them."""

    code = "unknown_code"


def parse_grade(value: str, *, field: str = "grade") -> grades.GradeCode:
    """Return the grade for an API code, or refuse naming the accepted codes."""
    try:
        return grades.GradeCode(value)
    except ValueError:
        accepted = grades.accepted_codes()
        raise UnknownCode(
            f"未知的等级代码 {field}={value!r}；可用值：{accepted}",
            f"unknown grade code {field}={value!r}; accepted: {accepted}",
            extra={"field": field, "accepted": [g.code.value for g in grades.LADDER]},
        ) from None


def list_grades(session: Session) -> Sequence[Grade]:
    """Return the eight grades in ladder order."""
    return session.exec(select(Grade).order_by(col(Grade.ordinal))).all()


def get_occupation(session: Session, code: str) -> Occupation:
    """Return the occupation with this national code, or raise OccupationNotFound."""
    problem = check_occupation_code(code)
    if problem is not None:
        raise InvalidInput(problem.zh, problem.en, extra={"field": "occupation_code"})
    occupation = session.get(Occupation, code)
    if occupation is None:
        raise OccupationNotFound(
            f"职业编码 {code} 不在职业目录中",
            f"occupation {code} is not in the catalogue",
            extra={"occupation_code": code},
        )
    return occupation


def search_occupations(
    session: Session,
    *,
    q: str | None = None,
    complete: bool | None = None,
    sector: Sector | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Occupation], int]:
    """Search occupations by code prefix or name fragment; return one page and the total count."""
    query = select(Occupation)
    if q:
        pattern = q.strip().replace("%", r"\%").replace("_", r"\_")
        query = query.where(
            sa.or_(
                col(Occupation.code).like(f"{pattern}%", escape="\\"),
                col(Occupation.name_zh).like(f"%{pattern}%", escape="\\"),
                sa.func.lower(col(Occupation.name_en)).like(f"%{pattern.lower()}%", escape="\\"),
            )
        )
    if complete is not None:
        full = "".join(str(n) for n in grades.COMPLETE_LEVELS)
        query = query.where(col(Occupation.levels) == full if complete else col(Occupation.levels) != full)
    if sector is not None:
        query = query.where(col(Occupation.sector) == sector)
    total = session.exec(select(sa.func.count()).select_from(query.subquery())).one()
    page = session.exec(query.order_by(col(Occupation.code)).limit(limit).offset(offset)).all()
    return page, total


def list_provinces(session: Session) -> Sequence[Province]:
    """Return the provincial-level divisions by code."""
    return session.exec(select(Province).order_by(col(Province.code))).all()


def list_cities(session: Session, *, province_code: str | None = None) -> Sequence[City]:
    """Return prefecture-level cities, optionally of one province."""
    query = select(City).order_by(col(City.code))
    if province_code:
        query = query.where(col(City.province_code) == province_code)
    return session.exec(query).all()


@dataclass(frozen=True)
class EquivalenceView:
    """An equivalence joined with the names of its grade and target."""

    entry: Equivalence
    grade: Grade
    target_code: str
    target_name_zh: str
    target_name_en: str


def _vocabulary_codes(session: Session, model: type[EducationLevel] | type[ProfessionalTitle]) -> list[str]:
    return list(session.exec(select(model.code).order_by(col(model.ordinal))).all())


@dataclass(frozen=True)
class EquivalenceAnswer:
    """The entries in force on a date, and those matching the question outside their documents' windows."""

    as_of: dt.date
    items: list[EquivalenceView]
    outside_window: list[EquivalenceView]


def _in_window(entry: Equivalence, day: dt.date) -> bool:
    return (entry.effective_on is None or entry.effective_on <= day) and (entry.ends_on is None or day <= entry.ends_on)


def lookup_equivalences(
    session: Session,
    *,
    grade: str | None = None,
    education: str | None = None,
    title: str | None = None,
    dimension: Dimension | None = None,
    as_of: dt.date | None = None,
) -> EquivalenceAnswer:
    """Return the 比照 entries in force on as_of (default today), by grade or in reverse by education/title.

    An entry is in force within its source document's effective window (policy-requirements.md §8.9); entries
    that match but lie outside it are returned apart, so an answer can say what it left out and why.
    """
    day = as_of or today()
    query = (
        select(Equivalence, Grade, EducationLevel, ProfessionalTitle)
        .join(Grade, col(Grade.code) == col(Equivalence.grade_code))
        .outerjoin(EducationLevel, col(EducationLevel.code) == col(Equivalence.education_code))
        .outerjoin(ProfessionalTitle, col(ProfessionalTitle.code) == col(Equivalence.title_code))
    )
    if grade is not None:
        query = query.where(col(Equivalence.grade_code) == parse_grade(grade).value)
    if education is not None:
        accepted = _vocabulary_codes(session, EducationLevel)
        if education not in accepted:
            raise UnknownCode(
                f"未知的学历代码 education={education!r}；可用值：{', '.join(accepted)}",
                f"unknown education code education={education!r}; accepted: {', '.join(accepted)}",
                extra={"field": "education", "accepted": accepted},
            )
        query = query.where(col(Equivalence.education_code) == education)
    if title is not None:
        accepted = _vocabulary_codes(session, ProfessionalTitle)
        if title not in accepted:
            raise UnknownCode(
                f"未知的职称代码 title={title!r}；可用值：{', '.join(accepted)}",
                f"unknown title code title={title!r}; accepted: {', '.join(accepted)}",
                extra={"field": "title", "accepted": accepted},
            )
        query = query.where(col(Equivalence.title_code) == title)
    if dimension is not None:
        query = query.where(col(Equivalence.dimension) == dimension)
    query = query.order_by(col(Grade.ordinal), col(Equivalence.dimension), col(Equivalence.code))
    items: list[EquivalenceView] = []
    outside: list[EquivalenceView] = []
    for entry, grade_row, education_row, title_row in session.exec(query).all():
        target = education_row if entry.dimension == Dimension.EDUCATION else title_row
        assert target is not None  # guaranteed by the one_target check constraint
        view = EquivalenceView(entry, grade_row, target.code, target.name_zh, target.name_en)
        (items if _in_window(entry, day) else outside).append(view)
    return EquivalenceAnswer(day, items, outside)


def _parse_levels(raw: str) -> tuple[int, ...] | None:
    digits = [c for c in raw if c not in "|, "]
    if not digits or any(c not in "12345" for c in digits) or len(set(digits)) != len(digits):
        return None
    return tuple(sorted((int(c) for c in digits), reverse=True))


def _occupation_from_row(row: Row, errors: list[RowError]) -> Occupation | None:
    before = len(errors)
    code = row.get("code")
    problem = check_occupation_code(code)
    if problem is not None:
        errors.append(RowError(row.line, "code", problem.zh, problem.en))
    name_zh = row.get("name_zh")
    if not name_zh or len(name_zh) > 64:
        errors.append(
            RowError(
                row.line,
                "name_zh",
                "职业名称不能为空且不超过64字",
                "name_zh is required, at most 64 characters",
            )
        )
    if len(row.get("name_en")) > 128:
        errors.append(RowError(row.line, "name_en", "英文名称不超过128字符", "name_en is at most 128 characters"))
    try:
        sector = Sector(row.get("sector"))
    except ValueError:
        accepted = ", ".join(s.value for s in Sector)
        errors.append(
            RowError(
                row.line,
                "sector",
                f"行业类别 {row.get('sector')!r} 无效；可用值：{accepted}",
                f"sector {row.get('sector')!r} is not one of: {accepted}",
            )
        )
    levels = _parse_levels(row.get("levels"))
    if levels is None:
        errors.append(
            RowError(
                row.line,
                "levels",
                f"等级 {row.get('levels')!r} 无效，应为5到1的数字，如 54321 或 5|4|3",
                f"levels {row.get('levels')!r} invalid: digits 5…1 such as 54321 or 5|4|3",
            )
        )
    if len(errors) > before:
        return None
    work_types = [w.strip() for w in row.get("work_types").split("|") if w.strip()]
    assert levels is not None
    return Occupation(
        code=code,
        name_zh=name_zh,
        name_en=row.get("name_en"),
        sector=sector,
        levels="".join(str(n) for n in levels),
        work_types=work_types,
        standard_ref=row.get("standard_ref")[:255],
        source=(row.get("source") or IMPORT_SOURCE)[:255],
        updated_at=utcnow(),
    )


@dataclass(frozen=True)
class ImportReport:
    """What an import did."""

    created: int
    updated: int


def import_occupations(session: Session, rows: Sequence[Row]) -> ImportReport:
    """Insert or update occupations from table rows; one bad row refuses the whole file, naming every bad row."""
    errors: list[RowError] = []
    parsed: list[Occupation] = []
    seen: dict[str, int] = {}
    for row in rows:
        occupation = _occupation_from_row(row, errors)
        if occupation is None:
            continue
        if occupation.code in seen:
            errors.append(
                RowError(
                    row.line,
                    "code",
                    f"职业编码 {occupation.code} 与第{seen[occupation.code]}行重复",
                    f"occupation {occupation.code} repeats line {seen[occupation.code]}",
                )
            )
            continue
        seen[occupation.code] = row.line
        parsed.append(occupation)
    if errors:
        raise_row_errors(errors, total_rows=len(rows))
    return upsert_occupations(session, parsed)


def upsert_occupations(session: Session, occupations: Sequence[Occupation]) -> ImportReport:
    """Insert new occupations and update existing ones by code."""
    existing = {o.code: o for o in session.exec(select(Occupation)).all()}
    created = updated = 0
    for new in occupations:
        old = existing.get(new.code)
        if old is None:
            session.add(new)
            created += 1
            continue
        fields = ("name_zh", "name_en", "sector", "levels", "work_types", "standard_ref", "source")
        if any(getattr(old, f) != getattr(new, f) for f in fields):
            for f in fields:
                setattr(old, f, getattr(new, f))
            old.updated_at = new.updated_at
            updated += 1
    session.flush()
    return ImportReport(created=created, updated=updated)


def list_education_levels(session: Session) -> Sequence[EducationLevel]:
    """Return the education levels in ascending order."""
    return session.exec(select(EducationLevel).order_by(col(EducationLevel.ordinal))).all()


def list_titles(session: Session) -> Sequence[ProfessionalTitle]:
    """Return the professional titles in ascending order."""
    return session.exec(select(ProfessionalTitle).order_by(col(ProfessionalTitle.ordinal))).all()
