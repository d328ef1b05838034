"""Idempotent loader of the shipped reference data (data/*.csv, registry.grades); see data/SOURCES.md."""

from __future__ import annotations

import csv
import datetime as dt
from importlib import resources
from typing import Any

from sqlmodel import Session, SQLModel, select

from registry import grades
from registry.catalogue.models import (
    TITLE_TARGETS,
    City,
    Dimension,
    EducationLevel,
    Equivalence,
    EquivalenceCondition,
    EquivalenceScope,
    Grade,
    ProfessionalTitle,
    Province,
    SourceStatus,
)
from registry.catalogue.service import import_occupations
from registry.tabular import read_table

SHIPPED_OCCUPATION_SOURCE = (
    "职业分类大典（2022年版）; levels per 国家职业技能标准 (see standard_ref); hand-transcribed subset"
)


def _csv(name: str) -> list[dict[str, str]]:
    text = resources.files("registry.catalogue").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _upsert(session: Session, model: type[SQLModel], key: Any, values: dict[str, Any]) -> bool:
    row = session.get(model, key)
    if row is None:
        session.add(model(**values))
        return True
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def _date(value: str) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def load_reference_data(session: Session) -> dict[str, int]:
    """Insert or update every shipped reference row; return how many rows changed per table."""
    changed: dict[str, int] = {}
    changed["grade"] = sum(
        _upsert(
            session,
            Grade,
            g.code.value,
            {
                "code": g.code.value,
                "ordinal": g.ordinal,
                "name_zh": g.name_zh,
                "name_en": g.name_en,
                "national_level": g.national_level,
                "source": grades.LADDER_SOURCE,
            },
        )
        for g in grades.LADDER
    )
    changed["province"] = sum(_upsert(session, Province, r["code"], r) for r in _csv("provinces.csv"))
    session.flush()
    changed["city"] = sum(_upsert(session, City, r["code"], r) for r in _csv("cities.csv"))
    changed["education_level"] = sum(
        _upsert(session, EducationLevel, r["code"], {**r, "ordinal": int(r["ordinal"])})
        for r in _csv("education_levels.csv")
    )
    changed["professional_title"] = sum(
        _upsert(session, ProfessionalTitle, r["code"], {**r, "ordinal": int(r["ordinal"])})
        for r in _csv("professional_titles.csv")
    )
    session.flush()
    data = resources.files("registry.catalogue").joinpath("data", "occupations.csv").read_bytes()
    rows = read_table(
        data,
        filename="occupations.csv",
        required=("code", "name_zh", "name_en", "sector", "levels", "work_types", "standard_ref"),
    )
    for row in rows:
        row.values["source"] = SHIPPED_OCCUPATION_SOURCE
    report = import_occupations(session, rows)
    changed["occupation"] = report.created + report.updated
    changed["equivalence"] = _load_equivalences(session)
    session.flush()
    changed["professional_title"] += _drop_unlisted_titles(session)
    return changed


def _drop_unlisted_titles(session: Session) -> int:
    """Remove titles no longer shipped (e.g. the engineer-series 正高级 once used for 特级技师) that nothing cites."""
    listed = {r["code"] for r in _csv("professional_titles.csv")}
    cited = set(session.exec(select(Equivalence.title_code)).all())
    stale = [t for t in session.exec(select(ProfessionalTitle)).all() if t.code not in listed | cited]
    for title in stale:
        session.delete(title)
    session.flush()
    return len(stale)


def _load_equivalences(session: Session) -> int:
    existing = {e.code: e for e in session.exec(select(Equivalence)).all()}
    count = 0
    for r in _csv("equivalences.csv"):
        dimension = Dimension(r["dimension"])
        values: dict[str, Any] = {
            "code": r["code"],
            "grade_code": grades.GradeCode(r["grade"]).value,
            "dimension": dimension,
            "education_code": r["target"] if dimension == Dimension.EDUCATION else None,
            "title_code": r["target"] if dimension in TITLE_TARGETS else None,
            "scope": EquivalenceScope(r["scope"]),
            "condition": EquivalenceCondition(r["condition"]),
            "jurisdiction": r["jurisdiction"],
            "source_doc": r["source_doc"],
            "source_ref": r["source_ref"],
            "status": SourceStatus(r["status"]),
            "effective_on": _date(r["effective_on"]),
            "ends_on": _date(r["ends_on"]),
            "note_zh": r["note_zh"],
            "note_en": r["note_en"],
        }
        row = existing.get(r["code"])
        if row is None:
            session.add(Equivalence(**values))
            count += 1
            continue
        if any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            count += 1
    return count
