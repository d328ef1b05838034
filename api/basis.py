"""How a certified grade was obtained, for the verification answer: exam batch or direct-recognition path.

Composed here because it joins certificates to assessment records (which never import each other). It shows
what the rules and the batch were, never what is about the holder beyond the certificate itself: no scores,
no evidence, no competition name or rank, no venue, no decision notes, no batch id.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from assessment.batches.models import Candidate, ExamSession
from assessment.recognition.models import Recognition
from assessment.recognition.rules import RECOGNITION_RULES
from certificates.models import Certificate
from certificates.verification import RECORD_NAMES, RECORD_STATEMENT
from registry import grades
from registry.awards.models import AwardBasis, GradeAward
from registry.bodies.models import EvaluationBody
from registry.catalogue.models import Occupation
from registry.clock import as_utc
from registry.grades import GradeCode
from registry.rules import PROVENANCE_EN, PROVENANCE_ZH

RULES_BY_ID = {rule.id: rule for rule in RECOGNITION_RULES.rules}


def _exam_answer(
    ruleset_version: str, exam_on: dt.date, occupation_code: str, grade: GradeCode, body_name: str, occupation_zh: str
) -> dict[str, Any]:
    grade_zh = grades.info(grade).name_zh
    return {
        "kind": "exam",
        "occupation_code": occupation_code,
        "occupation_name_zh": occupation_zh,
        "grade": grade.value,
        "exam_on": exam_on.isoformat(),
        "body_name": body_name,
        "ruleset_version": ruleset_version,
        "zh": f"经考核评价取得：{body_name} {exam_on.isoformat()} {occupation_code} {occupation_zh}"
        f"{grade_zh}考核批次（资格审查规则版本 {ruleset_version}）",
        "en": f"obtained by examination: {body_name}'s batch of {exam_on.isoformat()}, {occupation_code} "
        f"at {grade.value} (eligibility rules {ruleset_version})",
    }


UNLINKED_EXAM = {
    "kind": "exam",
    "zh": "经考核评价取得（批次记录未关联）",
    "en": "obtained by examination (batch record not linked)",
}


def _recognition_answer(
    basis: AwardBasis, path: str | None, decided_at: dt.datetime | None, ruleset_version: str | None
) -> dict[str, Any]:
    if path is None or ruleset_version is None:
        return {"kind": basis.value, "zh": "经直接认定取得", "en": "obtained by direct recognition"}
    rule = RULES_BY_ID.get(f"REC-{path}")
    citation = rule.basis.citation if rule else None
    provenance = rule.provenance if rule else None
    label_zh = f"{citation.ref}，{PROVENANCE_ZH[provenance]}" if citation and provenance else ""
    label_en = f"{citation.ref}, {PROVENANCE_EN[provenance]}" if citation and provenance else ""
    return {
        "kind": basis.value,
        "path": path,
        "rule_id": rule.id if rule else None,
        "title_zh": rule.title_zh if rule else "",
        "title_en": rule.title_en if rule else "",
        "citation": citation.ref if citation else None,
        "provenance": provenance.value if provenance else None,
        "decided_on": decided_at.date().isoformat() if decided_at else None,
        "ruleset_version": ruleset_version,
        "zh": f"经直接认定取得：{path}（{label_zh}），规则版本 {ruleset_version}",
        "en": f"obtained by direct recognition: {path} ({label_en}), rules {ruleset_version}",
    }


def _exam(session: Session, award: GradeAward) -> dict[str, Any]:
    candidate = session.get(Candidate, award.basis_ref) if award.basis_ref else None
    exam = session.get(ExamSession, candidate.session_id) if candidate else None
    if candidate is None or exam is None:
        return UNLINKED_EXAM
    body = session.get(EvaluationBody, exam.body_id)
    occupation = session.get(Occupation, exam.occupation_code)
    return _exam_answer(
        candidate.ruleset_version,
        exam.exam_on,
        exam.occupation_code,
        exam.grade,
        body.name if body else "",
        occupation.name_zh if occupation else "",
    )


def _recognition(session: Session, award: GradeAward) -> dict[str, Any]:
    recognition = session.get(Recognition, award.basis_ref) if award.basis_ref else None
    if recognition is None:
        return _recognition_answer(award.basis, None, None, None)
    return _recognition_answer(award.basis, recognition.path.value, recognition.decided_at, recognition.ruleset_version)


def grade_basis(session: Session, number: str) -> dict[str, Any] | None:
    """How the grade on certificate `number` was obtained, or None when there is no such certificate."""
    award = session.exec(
        select(GradeAward).join(Certificate, Certificate.award_id == GradeAward.id).where(Certificate.number == number)  # type: ignore[arg-type]
    ).first()
    if award is None:
        return None
    if award.basis == AwardBasis.EXAM:
        return _exam(session, award)
    return _recognition(session, award)


def _with_basis_statement() -> sa.Select[Any]:
    award, candidate, exam, recognition = (
        t.__table__  # type: ignore[union-attr]
        for t in (GradeAward, Candidate, ExamSession, Recognition)
    )
    exam_body = EvaluationBody.__table__.alias("exam_body")  # type: ignore[attr-defined]
    exam_occupation = Occupation.__table__.alias("exam_occupation")  # type: ignore[attr-defined]
    exam_basis: sa.ColumnElement[str] = sa.literal_column(
        f"'{AwardBasis.EXAM.value}'"
    )  # in the SQL text: the statement binds only `number`
    return (
        RECORD_STATEMENT.add_columns(
            award.c.basis.label("basis"),
            candidate.c.ruleset_version.label("exam_ruleset"),
            exam.c.exam_on,
            exam.c.occupation_code.label("exam_occupation_code"),
            exam.c.grade.label("exam_grade"),
            exam_body.c.name.label("exam_body_name"),
            exam_occupation.c.name_zh.label("exam_occupation_zh"),
            recognition.c.path.label("recognition_path"),
            recognition.c.decided_at.label("recognition_decided_at"),
            recognition.c.ruleset_version.label("recognition_ruleset"),
        )
        .outerjoin(candidate, (candidate.c.id == award.c.basis_ref) & (award.c.basis == exam_basis))
        .outerjoin(exam, exam.c.id == candidate.c.session_id)
        .outerjoin(exam_body, exam_body.c.id == exam.c.body_id)
        .outerjoin(exam_occupation, exam_occupation.c.code == exam.c.occupation_code)
        .outerjoin(recognition, (recognition.c.id == award.c.basis_ref) & (award.c.basis != exam_basis))
    )


# The verification record and how its grade was obtained, in one statement (the page shows both): the record's
# columns first (certificates.verification reads those), then the basis columns basis_of_row() reads.
WITH_BASIS_STATEMENT = _with_basis_statement()


def basis_of_row(row: Any) -> dict[str, Any]:
    """How the grade was obtained, from a WITH_BASIS_STATEMENT row (the same answer as grade_basis)."""
    (basis, exam_ruleset, exam_on, occupation_code, grade, body_name, occupation_zh, path, decided_at, ruleset) = row[
        len(RECORD_NAMES) :
    ]
    if AwardBasis(basis) == AwardBasis.EXAM:
        if exam_ruleset is None or exam_on is None:
            return UNLINKED_EXAM
        return _exam_answer(
            exam_ruleset, exam_on, occupation_code, GradeCode(grade), body_name or "", occupation_zh or ""
        )
    decided = as_utc(decided_at) if decided_at else None
    return _recognition_answer(AwardBasis(basis), None if path is None else str(path), decided, ruleset)
