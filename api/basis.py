"""How a certified grade was obtained, for the verification answer: exam batch or direct-recognition path.

Composed here because it joins certificates to assessment records (which never import each other). It shows
what the rules and the batch were, never what is about the holder beyond the certificate itself: no scores,
no evidence, no competition name or rank, no venue, no decision notes, no batch id.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from assessment.batches.models import Candidate, ExamSession
from assessment.recognition.models import Recognition
from assessment.recognition.rules import RECOGNITION_RULES
from certificates.models import Certificate
from registry import grades
from registry.awards.models import AwardBasis, GradeAward
from registry.bodies.models import EvaluationBody
from registry.catalogue.models import Occupation
from registry.rules import PROVENANCE_EN, PROVENANCE_ZH

RULES_BY_ID = {rule.id: rule for rule in RECOGNITION_RULES.rules}


def _exam(session: Session, award: GradeAward) -> dict[str, Any]:
    candidate = session.get(Candidate, award.basis_ref) if award.basis_ref else None
    exam = session.get(ExamSession, candidate.session_id) if candidate else None
    if candidate is None or exam is None:
        return {
            "kind": "exam",
            "zh": "经考核评价取得（批次记录未关联）",
            "en": "obtained by examination (batch record not linked)",
        }
    body = session.get(EvaluationBody, exam.body_id)
    occupation = session.get(Occupation, exam.occupation_code)
    occupation_zh = occupation.name_zh if occupation else ""
    body_name = body.name if body else ""
    grade_zh = grades.info(exam.grade).name_zh
    return {
        "kind": "exam",
        "occupation_code": exam.occupation_code,
        "occupation_name_zh": occupation_zh,
        "grade": exam.grade.value,
        "exam_on": exam.exam_on.isoformat(),
        "body_name": body_name,
        "ruleset_version": candidate.ruleset_version,
        "zh": f"经考核评价取得：{body_name} {exam.exam_on.isoformat()} {exam.occupation_code} {occupation_zh}"
        f"{grade_zh}考核批次（资格审查规则版本 {candidate.ruleset_version}）",
        "en": f"obtained by examination: {body_name}'s batch of {exam.exam_on.isoformat()}, {exam.occupation_code} "
        f"at {exam.grade.value} (eligibility rules {candidate.ruleset_version})",
    }


def _recognition(session: Session, award: GradeAward) -> dict[str, Any]:
    recognition = session.get(Recognition, award.basis_ref) if award.basis_ref else None
    if recognition is None:
        return {"kind": award.basis.value, "zh": "经直接认定取得", "en": "obtained by direct recognition"}
    rule = RULES_BY_ID.get(f"REC-{recognition.path.value}")
    citation = rule.basis.citation if rule else None
    provenance = rule.provenance if rule else None
    label_zh = f"{citation.ref}，{PROVENANCE_ZH[provenance]}" if citation and provenance else ""
    label_en = f"{citation.ref}, {PROVENANCE_EN[provenance]}" if citation and provenance else ""
    return {
        "kind": award.basis.value,
        "path": recognition.path.value,
        "rule_id": rule.id if rule else None,
        "title_zh": rule.title_zh if rule else "",
        "title_en": rule.title_en if rule else "",
        "citation": citation.ref if citation else None,
        "provenance": provenance.value if provenance else None,
        "decided_on": recognition.decided_at.date().isoformat() if recognition.decided_at else None,
        "ruleset_version": recognition.ruleset_version,
        "zh": f"经直接认定取得：{recognition.path.value}（{label_zh}），规则版本 {recognition.ruleset_version}",
        "en": f"obtained by direct recognition: {recognition.path.value} ({label_en}), "
        f"rules {recognition.ruleset_version}",
    }


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
