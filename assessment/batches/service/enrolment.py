"""Enrolment: eligibility facts and decision, enrolling one candidate or an uploaded table of them."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlmodel import Session, select

from assessment.assessors.models import Assessor
from assessment.batches.eligibility import DEFAULT_MIN_YEARS, ELIGIBILITY_RULES, EligibilityFacts, EmploymentFacts
from assessment.batches.models import (
    SESSION_STATUS_ZH,
    BatchAction,
    Candidate,
    EnrolIn,
    ExamSession,
)
from assessment.batches.service.errors import BatchStateConflict, DuplicateCandidate, NotEligible
from assessment.batches.service.reads import ENROLMENT_OPEN, get_batch, require_admin
from assessment.batches.service.staffing import staff_of
from registry.actor import Actor
from registry.audit.service import record
from registry.awards.service import held_grades
from registry.bodies.models import BodyKind, ChainMember, EvaluationBody
from registry.clock import utcnow
from registry.errors import DomainError, InvalidInput
from registry.filings.service import OutsideFilingScope, draft_in_force, require_scope
from registry.people.models import Employment, EmploymentIn, IdType, Person, PersonCreate
from registry.people.service import get_person, link_person, register_person
from registry.rules import Decision
from registry.settings import Settings
from registry.tabular import Row, RowError, raise_row_errors, row_error
from registry.validators import mask_name

ENROL_COLUMNS = ("name", "id_number")
ENROL_OPTIONAL = ("id_type", "employer_uscc", "employer_name", "dispatched", "employed_since")


def eligibility_facts(session: Session, exam: ExamSession, person: Person, settings: Settings) -> EligibilityFacts:
    """Gather what the eligibility rules read about a person in a batch."""
    body = session.get(EvaluationBody, exam.body_id)
    assert body is not None
    members: frozenset[str] = frozenset()
    if body.kind == BodyKind.CHAIN_BODY or body.is_chain_lead:
        members = frozenset(
            session.exec(select(ChainMember.member_uscc).where(ChainMember.chain_body_id == body.id)).all()
        )
    jobs = [
        e
        for e in session.exec(select(Employment).where(Employment.person_id == person.id)).all()
        if e.active_on(exam.exam_on)
    ]
    try:
        require_scope(
            session,
            body_id=body.id,
            occupation_code=exam.occupation_code,
            grade=exam.grade,
            on=exam.exam_on,
            work_type=exam.work_type,
        )
        scope_ok = True
    except OutsideFilingScope:
        scope_ok = False
    staff = [session.get(Assessor, s.assessor_id) for s in staff_of(session, exam.id)]
    home_bodies = [session.get(EvaluationBody, a.body_id) for a in staff if a is not None and a.body_id]
    return EligibilityFacts(
        body_kind=body.kind.value,
        body_uscc=body.uscc,
        chain_member_usccs=members,
        employments=tuple(EmploymentFacts(e.employer_uscc, e.dispatched) for e in jobs),
        held=tuple(held_grades(session, person_id=person.id, occupation_code=exam.occupation_code)),
        target=exam.grade,
        exam_on=exam.exam_on,
        in_scope=scope_ok,
        candidate_person_id=str(person.id),
        staff_person_ids=frozenset(str(a.person_id) for a in staff if a is not None),
        recusal_same_employer=exam.recusal_same_employer,
        staff_home_usccs=frozenset(b.uscc for b in home_bodies if b is not None),
        min_years={**DEFAULT_MIN_YEARS, **settings.eligibility_min_years},
        draft_in_force=draft_in_force(settings, body.province_code),
    )


def evaluate_eligibility(session: Session, exam: ExamSession, person: Person, settings: Settings) -> Decision:
    """Run the eligibility rules for a person in a batch."""
    facts = eligibility_facts(session, exam, person, settings)
    body = session.get(EvaluationBody, exam.body_id)
    assert body is not None
    return ELIGIBILITY_RULES.evaluate(facts, jurisdiction=body.province_code, draft_in_force=facts.draft_in_force)


def _enrol_person(
    session: Session, *, actor: Actor, exam: ExamSession, person: Person, settings: Settings
) -> Candidate:
    if session.exec(
        select(Candidate.id).where(Candidate.session_id == exam.id, Candidate.person_id == person.id)
    ).first():
        raise DuplicateCandidate(
            f"{mask_name(person.name)} 已报名本批次", "the person is already enrolled in this batch"
        )
    decision = evaluate_eligibility(session, exam, person, settings)
    if not decision.allowed:
        zh, en = decision.summary()
        raise NotEligible(
            f"不符合报名条件：{zh}",
            f"not eligible: {en}",
            extra={"rules": decision.as_dict()["results"], "person_id": str(person.id)},
        )
    candidate = Candidate(
        session_id=exam.id,
        person_id=person.id,
        eligibility=decision.as_dict(),
        ruleset_version=decision.version,
        enrolled_at=utcnow(),
    )
    session.add(candidate)
    session.flush()
    link_person(session, person_id=person.id, body_id=exam.body_id, reason="enrolled")
    record(
        session,
        actor=actor,
        action=BatchAction.CANDIDATE_ENROLLED,
        entity_type="session",
        entity_id=exam.id,
        body_id=exam.body_id,
        after={"candidate_id": candidate.id, "person_id": person.id, "ruleset": decision.version},
    )
    return candidate


def _open_for_enrolment(exam: ExamSession) -> None:
    if exam.status not in ENROLMENT_OPEN:
        raise BatchStateConflict(
            f"批次状态为{SESSION_STATUS_ZH[exam.status]}，不能报名",
            f"the batch is {exam.status.value}: enrolment is closed",
        )


def enrol(session: Session, *, actor: Actor, batch_id: uuid.UUID, data: EnrolIn, settings: Settings) -> Candidate:
    """Enrol one candidate (an existing person, or one to register); ineligible candidates are refused."""
    exam = get_batch(session, actor=actor, batch_id=batch_id, lock=True)
    require_admin(actor, exam)
    _open_for_enrolment(exam)
    if (data.person_id is None) == (data.person is None):
        raise InvalidInput("请提供 person_id 或 person 之一", "give exactly one of person_id or person")
    if data.person_id is not None:
        person = get_person(session, actor=actor, person_id=data.person_id)
    else:
        assert data.person is not None
        person, _ = register_person(session, actor=actor, data=data.person, settings=settings)
    return _enrol_person(session, actor=actor, exam=exam, person=person, settings=settings)


class _RowsRefused(Exception):
    """Internal: unwinds the savepoint of a bulk upload that had bad rows."""


def _person_from_row(row: Row) -> PersonCreate:
    employment = None
    if row.get("employer_uscc"):
        since = row.get("employed_since") or "2000-01-01"
        employment = EmploymentIn(
            employer_uscc=row.get("employer_uscc"),
            employer_name=row.get("employer_name") or row.get("employer_uscc"),
            dispatched=row.get("dispatched").lower() in {"1", "true", "yes", "是", "y"},
            starts_on=dt.date.fromisoformat(since),
        )
    return PersonCreate(
        name=row.get("name"),
        id_type=IdType(row.get("id_type") or "resident_id"),
        id_number=row.get("id_number"),
        employment=employment,
    )


def _row_error(row: Row, error: Exception) -> RowError:
    if isinstance(error, NotEligible):
        failed = [r["rule_id"] for r in error.extra.get("rules", []) if r["outcome"] == "failed"]
        return RowError(row.line, ",".join(failed), error.zh, error.en)
    return row_error(row, error)


def enrol_rows(
    session: Session, *, actor: Actor, batch_id: uuid.UUID, rows: Sequence[Row], settings: Settings
) -> list[Candidate]:
    """Enrol many candidates from an uploaded table; one bad row refuses them all, naming every bad row."""
    exam = get_batch(session, actor=actor, batch_id=batch_id, lock=True)
    require_admin(actor, exam)
    _open_for_enrolment(exam)
    errors: list[RowError] = []
    candidates: list[Candidate] = []
    seen: dict[tuple[str, str], int] = {}
    try:
        with session.begin_nested():
            for row in rows:
                key = (row.get("id_type") or "resident_id", row.get("id_number").upper())
                if key in seen:
                    errors.append(
                        RowError(row.line, "id_number", f"与第{seen[key]}行重复", f"repeats line {seen[key]}")
                    )
                    continue
                seen[key] = row.line
                try:
                    person, _ = register_person(session, actor=actor, data=_person_from_row(row), settings=settings)
                    candidates.append(_enrol_person(session, actor=actor, exam=exam, person=person, settings=settings))
                except (DomainError, ValueError) as error:
                    errors.append(_row_error(row, error))
            if errors:
                raise _RowsRefused
    except _RowsRefused:
        raise_row_errors(errors, total_rows=len(rows))
    return candidates
