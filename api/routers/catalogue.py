"""Public reference look-ups: grades, occupations, regions, vocabularies and equivalences (比照)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import Session, SQLModel

from api.deps import SessionDep
from api.pagination import Offset
from registry import grades
from registry.catalogue import service
from registry.catalogue.models import (
    CONDITION_ZH,
    DIMENSION_EN,
    DIMENSION_ZH,
    SCOPE_ZH,
    STATUS_ZH,
    TITLE_TARGETS,
    City,
    Dimension,
    EducationLevel,
    EquivalencePublic,
    GradePublic,
    NamedCode,
    OccupationPublic,
    ProfessionalTitle,
    Province,
    Sector,
    SourceCitation,
)
from registry.fields import Day

router = APIRouter(prefix="/api/v1", tags=["catalogue"])


class OccupationPage(SQLModel):
    """One page of occupations."""

    items: list[OccupationPublic]
    total: int
    limit: int
    offset: int


class Notice(SQLModel):
    """Something a reader of the answer must know, in both languages."""

    code: str
    zh: str
    en: str


class EquivalenceList(SQLModel):
    """Equivalences in force on a date, and what the answer left out or must not be read as."""

    as_of: dt.date
    items: list[EquivalencePublic]
    notices: list[Notice]


@router.get("/grades", response_model=list[GradePublic])
def list_grades(session: SessionDep) -> list[GradePublic]:
    """List the eight grades of the 新八级工 ladder, 学徒工 to 首席技师."""
    return [
        GradePublic(
            code=g.code,
            ordinal=g.ordinal,
            name_zh=g.name_zh,
            name_en=g.name_en,
            national_level=g.national_level,
            national_level_zh=grades.info(g.code).national_level_zh,
            high_skill=grades.is_high_skill(g.code),
        )
        for g in service.list_grades(session)
    ]


@router.get("/occupations", response_model=OccupationPage)
def search_occupations(
    session: SessionDep,
    q: Annotated[str | None, Query(max_length=64, description="code prefix (6-18) or name fragment (焊)")] = None,
    complete: Annotated[bool | None, Query(description="only occupations whose standard defines 五级…一级")] = None,
    sector: Sector | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> OccupationPage:
    """Search the occupation catalogue by code or name; filter by complete ladder or sector."""
    rows, total = service.search_occupations(session, q=q, complete=complete, sector=sector, limit=limit, offset=offset)
    return OccupationPage(items=[OccupationPublic.of(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/occupations/{code}", response_model=OccupationPublic)
def get_occupation(session: SessionDep, code: str) -> OccupationPublic:
    """Show one occupation by its national code (e.g. 6-18-02-04)."""
    return OccupationPublic.of(service.get_occupation(session, code))


@router.get("/provinces", response_model=list[Province])
def list_provinces(session: SessionDep) -> list[Province]:
    """List provincial-level divisions (GB/T 2260)."""
    return list(service.list_provinces(session))


@router.get("/provinces/{code}/cities", response_model=list[City])
def list_cities(session: SessionDep, code: str) -> list[City]:
    """List the prefecture-level cities of a province (Guangdong's 21 are shipped)."""
    return list(service.list_cities(session, province_code=code))


@router.get("/education-levels", response_model=list[EducationLevel])
def list_education_levels(session: SessionDep) -> list[EducationLevel]:
    """List the education codes accepted by GET /equivalences?education=."""
    return list(service.list_education_levels(session))


@router.get("/titles", response_model=list[ProfessionalTitle])
def list_titles(session: SessionDep) -> list[ProfessionalTitle]:
    """List the professional-title codes accepted by GET /equivalences?title=."""
    return list(service.list_titles(session))


@router.get("/equivalences", response_model=EquivalenceList)
def lookup_equivalences(
    session: SessionDep,
    grade: Annotated[str | None, Query(description="grade code, e.g. technician")] = None,
    education: Annotated[str | None, Query(description="reverse look-up by education code, e.g. bachelor")] = None,
    title: Annotated[str | None, Query(description="reverse look-up by title code, e.g. engineer")] = None,
    dimension: Annotated[
        Dimension | None, Query(description="education, title or pay_benefits (pay equal to titled staff)")
    ] = None,
    as_of: Annotated[
        Day | None, Query(description="date (YYYY-MM-DD, 1900–2100) the entries must be in force; default today")
    ] = None,
) -> EquivalenceList:
    """Look up what a grade is treated as equal to (比照), or which grades an education level or title matches.

    Every entry carries its dimension (what it gives: treatment set by an education level, or pay and
    benefits equal to titled staff — never a title or a qualification), scope, condition, jurisdiction,
    source clause, status and its document's effective window; entries from outside the policy documents have
    status `unverified`. Entries outside their window on `as_of` are left out and counted in `notices`.
    """
    return equivalence_list(session, grade=grade, education=education, title=title, dimension=dimension, as_of=as_of)


def equivalence_list(
    session: Session,
    *,
    grade: str | None = None,
    education: str | None = None,
    title: str | None = None,
    dimension: Dimension | None = None,
    as_of: dt.date | None = None,
) -> EquivalenceList:
    """The 比照 answer as the API and the public page show it: the entries, and notices of what was left out."""
    answer = service.lookup_equivalences(
        session, grade=grade, education=education, title=title, dimension=dimension, as_of=as_of
    )
    items = [
        EquivalencePublic(
            grade=NamedCode(code=v.grade.code, name_zh=v.grade.name_zh, name_en=v.grade.name_en),
            grade_ordinal=v.grade.ordinal,
            dimension=v.entry.dimension,
            dimension_zh=DIMENSION_ZH[v.entry.dimension],
            dimension_en=DIMENSION_EN[v.entry.dimension],
            target=NamedCode(code=v.target_code, name_zh=v.target_name_zh, name_en=v.target_name_en),
            scope=v.entry.scope,
            scope_zh=SCOPE_ZH[v.entry.scope],
            condition=v.entry.condition,
            condition_zh=CONDITION_ZH[v.entry.condition],
            jurisdiction=v.entry.jurisdiction,
            source=SourceCitation(document=v.entry.source_doc, clause=v.entry.source_ref),
            status=v.entry.status,
            status_zh=STATUS_ZH[v.entry.status],
            effective_on=v.entry.effective_on,
            ends_on=v.entry.ends_on,
            note_zh=v.entry.note_zh,
            note_en=v.entry.note_en,
        )
        for v in answer.items
    ]
    notices: list[Notice] = []
    if title is not None or any(v.entry.dimension in TITLE_TARGETS for v in answer.items):
        notices.append(
            Notice(
                code="no_title_equivalence",
                zh="政策文件没有把技能等级认定为职称：004:288 只让受聘者享受与本单位职称人员相当的工资福利待遇"
                "（pay_benefits），002:23 的双向比照认定尚在研究。",
                en="No policy document makes a skill grade a professional title: 004:288 only gives appointees pay "
                "and benefits equal to the employer's titled staff (pay_benefits); 002:23's two-way recognition is "
                "still being researched.",
            )
        )
    if answer.outside_window:
        listed = "；".join(
            f"{v.entry.source_ref} {v.grade.name_zh}→{v.target_name_zh}（{v.entry.effective_on or '…'}—"
            f"{v.entry.ends_on or '…'}）"
            for v in answer.outside_window
        )
        listed_en = "; ".join(
            f"{v.entry.source_ref} {v.grade.code}→{v.target_code} ({v.entry.effective_on or '…'}–"
            f"{v.entry.ends_on or '…'})"
            for v in answer.outside_window
        )
        count = len(answer.outside_window)
        matches = "entry matches" if count == 1 else "entries match"
        notices.append(
            Notice(
                code="outside_window",
                zh=f"另有 {count} 条比照在 {answer.as_of} 不在其文件有效期内，未列出：{listed}",
                en=f"{count} more {matches} but lie outside their documents' periods on {answer.as_of}: {listed_en}",
            )
        )
    return EquivalenceList(as_of=answer.as_of, items=items, notices=notices)
