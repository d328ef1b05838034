"""Run exam batches: create and staff, enrol with eligibility, score, attest, finalize, publish, object, close.

Every state change locks the batch row, checks the transition table, changes it, audits and flushes. Awards
are created at closing through registry.awards.service.create_award, which re-checks the filing scope.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, func, select

from assessment.assessors.models import Assessor, AssessorKind
from assessment.assessors.service import check_qualified, get_assessor
from assessment.batches import scoring
from assessment.batches.eligibility import DEFAULT_MIN_YEARS, ELIGIBILITY_RULES, EligibilityFacts, EmploymentFacts
from assessment.batches.models import (
    SESSION_STATUS_ZH,
    Candidate,
    CandidatePublic,
    ComponentIn,
    ComponentPublic,
    CorrectionIn,
    CorrectionPublic,
    EnrolIn,
    ExamSession,
    Objection,
    ObjectionIn,
    ObjectionPublic,
    ObjectionStatus,
    PublicityEntry,
    PublicityList,
    Score,
    ScoreCorrection,
    SessionComponent,
    SessionCreate,
    SessionPublic,
    SessionStaff,
    SessionStatus,
    StaffRole,
)
from registry import grades, pii
from registry.actor import Actor, Role, require_body_access
from registry.audit.service import record, snapshot
from registry.awards.models import AwardBasis
from registry.awards.service import create_award, held_grades
from registry.bodies.models import BodyKind, ChainMember, EvaluationBody
from registry.bodies.service import get_body
from registry.catalogue.models import Occupation
from registry.clock import utcnow
from registry.db import get_for_update
from registry.errors import Conflict, DomainError, InvalidInput, NotFound, PermissionDenied, RuleViolation
from registry.filings.models import Filing
from registry.filings.rules import METHOD_ZH, EvaluationMethod
from registry.filings.service import OutsideFilingScope, draft_in_force, require_scope
from registry.grades import GradeCode
from registry.people.models import Employment, EmploymentIn, IdType, Person, PersonCreate
from registry.people.service import get_person, link_person, register_person, sees_identity
from registry.rules import Decision
from registry.settings import Settings
from registry.tabular import Row, RowError, raise_row_errors, row_error
from registry.transitions import TransitionTable
from registry.validators import mask_id_public, mask_name

SESSION_TRANSITIONS = TransitionTable(
    "考务批次 exam batch",
    {
        SessionStatus.PLANNED: {SessionStatus.OPEN, SessionStatus.CANCELLED},
        SessionStatus.OPEN: {SessionStatus.SCORED, SessionStatus.CANCELLED},
        SessionStatus.SCORED: {SessionStatus.FINALIZED},
        SessionStatus.FINALIZED: {SessionStatus.PUBLISHED},
        SessionStatus.PUBLISHED: {SessionStatus.CLOSED},
    },
)
ENROLMENT_OPEN = frozenset({SessionStatus.PLANNED, SessionStatus.OPEN})
CORRECTABLE = frozenset({SessionStatus.FINALIZED, SessionStatus.PUBLISHED})
ENROL_COLUMNS = ("name", "id_number")
ENROL_OPTIONAL = ("id_type", "employer_uscc", "employer_name", "dispatched", "employed_since")
SCORE_COLUMNS = ("id_number", "component", "score")
SCORE_OPTIONAL = ("name", "id_type")


class SessionNotFound(NotFound):
    """No such batch, or not one the actor may see."""

    code = "session_not_found"


class CandidateNotFound(NotFound):
    """No such candidate in this batch."""

    code = "candidate_not_found"


class ObjectionNotFound(NotFound):
    """No such objection in this batch."""

    code = "objection_not_found"


class NotEligible(RuleViolation):
    """The eligibility rules refuse the candidate; extra['rules'] holds every outcome."""

    code = "not_eligible"


class DuplicateCandidate(Conflict):
    """The person is already enrolled in this batch."""

    code = "duplicate_candidate"


class BatchStateConflict(Conflict):
    """The batch is not in a state that allows this (enrolment closed, scoring closed, …)."""

    code = "batch_state_conflict"


class BatchIncomplete(Conflict):
    """Scores are missing; extra['missing'] lists them."""

    code = "batch_incomplete"


class NotAttested(Conflict):
    """The supervisor has not attested the batch."""

    code = "not_attested"


class PublicityNotOver(Conflict):
    """The 公示 period has not ended."""

    code = "publicity_not_over"


class ObjectionsOpen(Conflict):
    """Objections are still undecided."""

    code = "objections_open"


class ComponentsOutsidePolicy(InvalidInput):
    """The batch's components break the policy (pass marks, weights, required components, filing methods)."""

    code = "components_outside_policy"


# ---------------------------------------------------------------------------------------------- reading


def _staff(session: Session, session_id: uuid.UUID) -> Sequence[SessionStaff]:
    return session.exec(select(SessionStaff).where(SessionStaff.session_id == session_id)).all()


def _components(session: Session, session_id: uuid.UUID) -> list[SessionComponent]:
    return list(
        session.exec(
            select(SessionComponent)
            .where(SessionComponent.session_id == session_id)
            .order_by(col(SessionComponent.position))
        ).all()
    )


def _is_staff(session: Session, actor: Actor, session_id: uuid.UUID, role: StaffRole | None = None) -> bool:
    if actor.assessor_id is None:
        return False
    return any(
        s.assessor_id == actor.assessor_id and (role is None or s.role == role) for s in _staff(session, session_id)
    )


def get_session(session: Session, *, actor: Actor, session_id: uuid.UUID, lock: bool = False) -> ExamSession:
    """Return a batch the actor may see: the regulator, its body's admins, its own assessors and supervisor."""
    exam = session.get(ExamSession, session_id)
    visible = exam is not None and (actor.sees_body(exam.body_id) or _is_staff(session, actor, exam.id))
    if not visible:
        raise SessionNotFound("考务批次不存在", "no such exam batch", extra={"session_id": str(session_id)})
    if lock:
        exam = get_for_update(session, ExamSession, session_id)
    assert exam is not None
    return exam


def list_sessions(
    session: Session, *, actor: Actor, body_id: uuid.UUID | None = None, status: SessionStatus | None = None
) -> Sequence[ExamSession]:
    """Return batches: the regulator's all, a body's own, an assessor's assigned ones."""
    query = select(ExamSession)
    if actor.is_regulator:
        if body_id is not None:
            query = query.where(ExamSession.body_id == body_id)
    elif actor.role == Role.BODY_ADMIN:
        query = query.where(ExamSession.body_id == actor.body_id)
    elif actor.assessor_id is not None:
        mine = select(SessionStaff.session_id).where(SessionStaff.assessor_id == actor.assessor_id)
        query = query.where(col(ExamSession.id).in_(mine))
    else:
        raise PermissionDenied("无权查看考务批次", "you may not list exam batches")
    if status is not None:
        query = query.where(ExamSession.status == status)
    return session.exec(query.order_by(col(ExamSession.exam_on).desc())).all()


def _candidate(session: Session, exam: ExamSession, candidate_id: uuid.UUID) -> Candidate:
    candidate = session.get(Candidate, candidate_id)
    if candidate is None or candidate.session_id != exam.id:
        raise CandidateNotFound(
            "该批次没有此考生", "no such candidate in this batch", extra={"candidate_id": str(candidate_id)}
        )
    return candidate


def _require_admin(actor: Actor, exam: ExamSession) -> None:
    require_body_access(actor, exam.body_id)


def _transition(
    session: Session,
    *,
    actor: Actor,
    exam: ExamSession,
    target: SessionStatus,
    action: str,
    reason: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    SESSION_TRANSITIONS.check(exam.status, target)
    before = exam.status
    exam.status = target
    exam.updated_at = utcnow()
    session.flush()
    record(
        session,
        actor=actor,
        action=f"session.{action}",
        entity_type="session",
        entity_id=exam.id,
        body_id=exam.body_id,
        before={"status": before},
        after={"status": target, **(extra or {})},
        reason=reason,
    )


# ---------------------------------------------------------------------------------------------- creating


def _component_rules(components: Sequence[ComponentIn] | None, grade: GradeCode) -> list[scoring.ComponentRule]:
    if components is None:
        return scoring.default_components(grade)
    return [scoring.ComponentRule(c.kind.value, c.weight, c.pass_mark) for c in components]


def create_session(session: Session, *, actor: Actor, data: SessionCreate, settings: Settings) -> ExamSession:
    """Plan a batch under an approved filing: components within policy, enough qualified assessors, a supervisor."""
    body = get_body(session, actor=actor, body_id=data.body_id)
    require_body_access(actor, body.id)
    grant = require_scope(
        session,
        body_id=body.id,
        occupation_code=data.occupation_code,
        grade=data.grade,
        on=data.exam_on,
        work_type=data.work_type,
    )
    rules = _component_rules(data.components, data.grade)
    problems = scoring.component_problems(rules, data.grade, grant.line.methods)
    if problems:
        raise ComponentsOutsidePolicy(
            "考核项目设置不符合要求：" + "；".join(problems),
            "components outside policy: " + "; ".join(problems),
            extra={"problems": problems},
        )
    needed = (
        settings.assessors_min_high if grades.at_least(data.grade, GradeCode.TECHNICIAN) else settings.assessors_min_low
    )
    assessor_ids = list(dict.fromkeys(data.assessor_ids))
    if len(assessor_ids) < needed:
        raise InvalidInput(
            f"{grades.info(data.grade).name_zh}考核至少需要{needed}名考评员，现有{len(assessor_ids)}名",
            f"{data.grade.value} needs at least {needed} assessors, got {len(assessor_ids)}",
            extra={"field": "assessor_ids", "needed": needed},
        )
    if data.supervisor_id in assessor_ids:
        raise InvalidInput(
            "质量督导员不能同时担任考评员", "the supervisor may not also assess", extra={"field": "supervisor_id"}
        )
    for assessor_id in assessor_ids:
        check_qualified(
            session,
            get_assessor(session, assessor_id),
            kind=AssessorKind.ASSESSOR,
            occupation_code=data.occupation_code,
            grade=data.grade,
            on=data.exam_on,
        )
    check_qualified(
        session,
        get_assessor(session, data.supervisor_id),
        kind=AssessorKind.SUPERVISOR,
        occupation_code=data.occupation_code,
        grade=data.grade,
        on=data.exam_on,
    )
    now = utcnow()
    exam = ExamSession(
        body_id=body.id,
        filing_id=grant.filing.id,
        occupation_code=data.occupation_code,
        work_type=data.work_type,
        grade=data.grade,
        exam_on=data.exam_on,
        venue=data.venue,
        recusal_same_employer=data.recusal_same_employer,
        created_at=now,
        updated_at=now,
    )
    session.add(exam)
    session.flush()
    for position, rule in enumerate(rules):
        session.add(
            SessionComponent(
                session_id=exam.id,
                kind=EvaluationMethod(rule.kind),
                weight=rule.weight,
                pass_mark=rule.pass_mark,
                position=position,
            )
        )
    for assessor_id in assessor_ids:
        session.add(SessionStaff(session_id=exam.id, assessor_id=assessor_id, role=StaffRole.ASSESSOR))
    session.add(SessionStaff(session_id=exam.id, assessor_id=data.supervisor_id, role=StaffRole.SUPERVISOR))
    session.flush()
    record(
        session,
        actor=actor,
        action="session.created",
        entity_type="session",
        entity_id=exam.id,
        body_id=body.id,
        after={
            **snapshot(exam),
            "components": [r.__dict__ for r in rules],
            "assessors": assessor_ids,
            "supervisor": data.supervisor_id,
        },
    )
    return exam


def open_session(session: Session, *, actor: Actor, session_id: uuid.UUID) -> ExamSession:
    """Open a planned batch for scoring."""
    exam = get_session(session, actor=actor, session_id=session_id, lock=True)
    _require_admin(actor, exam)
    _transition(session, actor=actor, exam=exam, target=SessionStatus.OPEN, action="opened")
    return exam


def cancel_session(session: Session, *, actor: Actor, session_id: uuid.UUID, reason: str) -> ExamSession:
    """Cancel a batch that has not been attested."""
    exam = get_session(session, actor=actor, session_id=session_id, lock=True)
    _require_admin(actor, exam)
    _transition(session, actor=actor, exam=exam, target=SessionStatus.CANCELLED, action="cancelled", reason=reason)
    return exam


# ---------------------------------------------------------------------------------------------- enrolment


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
    staff = [session.get(Assessor, s.assessor_id) for s in _staff(session, exam.id)]
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
        action="candidate.enrolled",
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


def enrol(session: Session, *, actor: Actor, session_id: uuid.UUID, data: EnrolIn, settings: Settings) -> Candidate:
    """Enrol one candidate (an existing person, or one to register); ineligible candidates are refused."""
    exam = get_session(session, actor=actor, session_id=session_id, lock=True)
    _require_admin(actor, exam)
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
    session: Session, *, actor: Actor, session_id: uuid.UUID, rows: Sequence[Row], settings: Settings
) -> list[Candidate]:
    """Enrol many candidates from an uploaded table; one bad row refuses them all, naming every bad row."""
    exam = get_session(session, actor=actor, session_id=session_id, lock=True)
    _require_admin(actor, exam)
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


# ---------------------------------------------------------------------------------------------- scoring


def _staff_assessor(session: Session, actor: Actor, exam: ExamSession) -> uuid.UUID:
    if not _is_staff(session, actor, exam.id, StaffRole.ASSESSOR):
        raise PermissionDenied("只有本批次的考评员可以录入分数", "only this batch's assessors may record scores")
    assert actor.assessor_id is not None
    return actor.assessor_id


def _tenths(value: Decimal, field: str) -> int:
    try:
        return scoring.to_tenths(value)
    except (ValueError, ArithmeticError):
        raise InvalidInput(
            f"{field} 分数应为0到100之间、最多一位小数，实际为 {value}",
            f"{field}: a score is 0–100 with at most one decimal, got {value}",
            extra={"field": field},
        ) from None


def record_scores(
    session: Session,
    *,
    actor: Actor,
    session_id: uuid.UUID,
    candidate_id: uuid.UUID,
    scores: Mapping[EvaluationMethod, Decimal],
) -> list[Score]:
    """Record the calling assessor's own scores for one candidate (only while the batch is open)."""
    exam = get_session(session, actor=actor, session_id=session_id, lock=True)
    assessor_id = _staff_assessor(session, actor, exam)
    if exam.status != SessionStatus.OPEN:
        raise BatchStateConflict(
            f"批次状态为{SESSION_STATUS_ZH[exam.status]}，不能录入分数（定稿后分数锁定，只能更正）",
            f"the batch is {exam.status.value}: scores are recorded only while it is open",
        )
    candidate = _candidate(session, exam, candidate_id)
    kinds = {c.kind for c in _components(session, exam.id)}
    unknown = sorted(k.value for k in scores if k not in kinds)
    if unknown:
        accepted = ", ".join(sorted(k.value for k in kinds))
        raise InvalidInput(
            f"本批次没有考核项目 {', '.join(unknown)}；可用：{accepted}",
            f"this batch has no component {', '.join(unknown)}; accepted: {accepted}",
            extra={"field": "scores"},
        )
    values = {kind: _tenths(value, f"scores.{kind.value}") for kind, value in scores.items()}
    saved = []
    now = utcnow()
    for kind, tenths in values.items():
        existing = session.exec(
            select(Score).where(
                Score.candidate_id == candidate.id, Score.component == kind, Score.assessor_id == assessor_id
            )
        ).first()
        before = existing.value_tenths if existing else None
        if existing is None:
            existing = Score(
                candidate_id=candidate.id, component=kind, assessor_id=assessor_id, value_tenths=tenths, recorded_at=now
            )
            session.add(existing)
        else:
            existing.value_tenths = tenths
            existing.recorded_at = now
        saved.append(existing)
        record(
            session,
            actor=actor,
            action="score.recorded",
            entity_type="session",
            entity_id=exam.id,
            body_id=exam.body_id,
            before=None if before is None else {"value": scoring.from_tenths(before)},
            after={
                "candidate_id": candidate.id,
                "component": kind,
                "assessor_id": assessor_id,
                "value": scoring.from_tenths(tenths),
            },
        )
    session.flush()
    return saved


def record_score_rows(
    session: Session, *, actor: Actor, session_id: uuid.UUID, rows: Sequence[Row], settings: Settings
) -> int:
    """Record the calling assessor's scores from a table (id_number, component, score); all or nothing."""
    exam = get_session(session, actor=actor, session_id=session_id)
    by_identity = candidates_by_identity(session, exam, settings)
    errors: list[RowError] = []
    grouped: dict[uuid.UUID, dict[EvaluationMethod, Decimal]] = {}
    for row in rows:
        key = (row.get("id_type") or "resident_id", row.get("id_number").upper())
        candidate_id = by_identity.get(key)
        if candidate_id is None:
            errors.append(
                RowError(row.line, "id_number", "该证件号码未在本批次报名", "no candidate with this ID number")
            )
            continue
        try:
            kind = EvaluationMethod(row.get("component"))
            value = Decimal(row.get("score"))
            scoring.to_tenths(value)
        except (ValueError, ArithmeticError):
            errors.append(
                RowError(
                    row.line,
                    "component/score",
                    "考核项目或分数无效（0-100，最多一位小数）",
                    "unknown component or a score outside 0–100 with one decimal",
                )
            )
            continue
        if kind in grouped.setdefault(candidate_id, {}):
            errors.append(RowError(row.line, "component", "同一考生同一项目重复", "repeats a candidate and component"))
            continue
        grouped[candidate_id][kind] = value
    if errors:
        raise_row_errors(errors, total_rows=len(rows))
    with session.begin_nested():
        for candidate_id, scores in grouped.items():
            record_scores(session, actor=actor, session_id=session_id, candidate_id=candidate_id, scores=scores)
    return sum(len(s) for s in grouped.values())


def candidates_by_identity(session: Session, exam: ExamSession, settings: Settings) -> dict[tuple[str, str], uuid.UUID]:
    """Map (ID type, ID number) of each enrolled candidate to the candidate id (decrypted in memory only)."""
    rows = session.exec(
        select(Candidate, Person)
        .join(Person, col(Person.id) == col(Candidate.person_id))
        .where(Candidate.session_id == exam.id)
    ).all()
    return {(p.id_type.value, pii.decrypt(settings, p.id_number_enc, context=p.id_type.value)): c.id for c, p in rows}


def effective_scores(session: Session, candidate_id: uuid.UUID) -> dict[str, dict[uuid.UUID, int]]:
    """Scores per component and assessor, with post-finalization corrections applied (latest wins)."""
    result: dict[str, dict[uuid.UUID, int]] = {}
    for score in session.exec(select(Score).where(Score.candidate_id == candidate_id)).all():
        result.setdefault(score.component.value, {})[score.assessor_id] = score.value_tenths
    corrections = session.exec(
        select(ScoreCorrection)
        .where(ScoreCorrection.candidate_id == candidate_id)
        .order_by(col(ScoreCorrection.recorded_at))
    ).all()
    for correction in corrections:
        result.setdefault(correction.component.value, {})[correction.assessor_id] = correction.new_tenths
    return result


def missing_scores(session: Session, exam: ExamSession) -> list[dict[str, str]]:
    """List every (candidate, component, assessor) still without a score."""
    assessors = [s.assessor_id for s in _staff(session, exam.id) if s.role == StaffRole.ASSESSOR]
    cards = {a: get_assessor(session, a).card_number for a in assessors}
    missing = []
    for candidate in session.exec(select(Candidate).where(Candidate.session_id == exam.id)).all():
        have = effective_scores(session, candidate.id)
        for component in _components(session, exam.id):
            for assessor_id in assessors:
                if assessor_id not in have.get(component.kind.value, {}):
                    missing.append(
                        {
                            "candidate_id": str(candidate.id),
                            "component": component.kind.value,
                            "assessor": cards[assessor_id],
                        }
                    )
    return missing


def _require_complete(session: Session, exam: ExamSession) -> None:
    count = session.exec(select(func.count()).select_from(Candidate).where(Candidate.session_id == exam.id)).one()
    if count == 0:
        raise BatchIncomplete("批次没有考生", "the batch has no candidates", extra={"missing": []})
    missing = missing_scores(session, exam)
    if missing:
        raise BatchIncomplete(
            f"尚有{len(missing)}项分数未录入", f"{len(missing)} scores are missing", extra={"missing": missing[:200]}
        )


def attest_session(session: Session, *, actor: Actor, session_id: uuid.UUID, note: str = "") -> ExamSession:
    """The batch's supervisor attests that the exam ran properly and scoring is complete (open → scored)."""
    exam = get_session(session, actor=actor, session_id=session_id, lock=True)
    if not _is_staff(session, actor, exam.id, StaffRole.SUPERVISOR):
        raise PermissionDenied("只有本批次的质量督导员可以签署", "only this batch's supervisor may attest")
    SESSION_TRANSITIONS.check(exam.status, SessionStatus.SCORED)
    _require_complete(session, exam)
    exam.attested_at = utcnow()
    exam.attested_by = actor.assessor_id
    _transition(session, actor=actor, exam=exam, target=SessionStatus.SCORED, action="attested", reason=note or None)
    return exam


def _compute_result(session: Session, exam: ExamSession, candidate: Candidate) -> scoring.CandidateResult:
    rules = [scoring.ComponentRule(c.kind.value, c.weight, c.pass_mark) for c in _components(session, exam.id)]
    scores = {kind: list(by_assessor.values()) for kind, by_assessor in effective_scores(session, candidate.id).items()}
    result = scoring.evaluate(rules, scores)
    candidate.total_tenths = result.total_tenths
    candidate.passed = result.passed
    candidate.results = result.as_dict()
    return result


def finalize_session(session: Session, *, actor: Actor, session_id: uuid.UUID) -> ExamSession:
    """Compute every result and lock the scores; refused without the supervisor's attestation or with gaps."""
    exam = get_session(session, actor=actor, session_id=session_id, lock=True)
    _require_admin(actor, exam)
    if exam.status == SessionStatus.OPEN or exam.attested_at is None:
        raise NotAttested("质量督导员尚未签署，不能定稿", "the supervisor has not attested the batch: cannot finalize")
    SESSION_TRANSITIONS.check(exam.status, SessionStatus.FINALIZED)
    _require_complete(session, exam)
    candidates = session.exec(select(Candidate).where(Candidate.session_id == exam.id)).all()
    passed = sum(1 for c in candidates if _compute_result(session, exam, c).passed)
    exam.finalized_at = utcnow()
    _transition(
        session,
        actor=actor,
        exam=exam,
        target=SessionStatus.FINALIZED,
        action="finalized",
        extra={"candidates": len(candidates), "passed": passed},
    )
    return exam


def correct_score(
    session: Session, *, actor: Actor, session_id: uuid.UUID, candidate_id: uuid.UUID, data: CorrectionIn
) -> ScoreCorrection:
    """Correct a locked score with a reason (the scoring assessor or the body); a separate, visible record."""
    exam = get_session(session, actor=actor, session_id=session_id, lock=True)
    if not (
        actor.assessor_id == data.assessor_id
        or (actor.role == Role.BODY_ADMIN and actor.body_id == exam.body_id)
        or actor.is_regulator
    ):
        raise PermissionDenied(
            "只有评分的考评员或本机构可以更正分数", "only the scoring assessor or the body may correct"
        )
    if exam.status not in CORRECTABLE:
        raise BatchStateConflict(
            f"批次状态为{SESSION_STATUS_ZH[exam.status]}，不能更正（定稿后、结束前可更正）",
            f"the batch is {exam.status.value}: corrections are made between finalizing and closing",
        )
    candidate = _candidate(session, exam, candidate_id)
    current = effective_scores(session, candidate.id).get(data.component.value, {})
    if data.assessor_id not in current:
        raise InvalidInput(
            "该考评员没有此项分数", "that assessor has no score for this component", extra={"field": "assessor_id"}
        )
    new = _tenths(data.value, "value")
    correction = ScoreCorrection(
        candidate_id=candidate.id,
        component=data.component,
        assessor_id=data.assessor_id,
        old_tenths=current[data.assessor_id],
        new_tenths=new,
        reason=data.reason,
        recorded_by=actor.label,
        recorded_at=utcnow(),
    )
    session.add(correction)
    session.flush()
    was = candidate.passed
    result = _compute_result(session, exam, candidate)
    session.flush()
    record(
        session,
        actor=actor,
        action="score.corrected",
        entity_type="session",
        entity_id=exam.id,
        body_id=exam.body_id,
        reason=data.reason,
        before={
            "candidate_id": candidate.id,
            "component": data.component,
            "value": scoring.from_tenths(correction.old_tenths),
            "passed": was,
        },
        after={"value": scoring.from_tenths(new), "passed": result.passed},
    )
    return correction


# ---------------------------------------------------------------------------------------------- 公示 and closing


def publish_session(session: Session, *, actor: Actor, session_id: uuid.UUID, settings: Settings) -> ExamSession:
    """Publish the results (公示) for REGISTRY_PUBLICITY_DAYS, during which objections may be filed."""
    exam = get_session(session, actor=actor, session_id=session_id, lock=True)
    _require_admin(actor, exam)
    now = utcnow()
    exam.published_at = now
    exam.publicity_ends_at = now + dt.timedelta(days=settings.publicity_days)
    _transition(
        session,
        actor=actor,
        exam=exam,
        target=SessionStatus.PUBLISHED,
        action="published",
        extra={"publicity_ends_at": exam.publicity_ends_at},
    )
    return exam


def file_objection(session: Session, *, actor: Actor, session_id: uuid.UUID, data: ObjectionIn) -> Objection:
    """File an objection (异议) against a published result while the 公示 period runs; anyone may file."""
    exam = session.get(ExamSession, session_id)
    if exam is None or exam.status not in {SessionStatus.PUBLISHED}:
        raise SessionNotFound("没有正在公示的该批次", "no batch with this id is under publicity")
    assert exam.publicity_ends_at is not None
    if utcnow() >= exam.publicity_ends_at:
        raise BatchStateConflict("公示期已结束，不能再提出异议", "the publicity period is over")
    _candidate(session, exam, data.candidate_id)
    objection = Objection(
        session_id=exam.id, candidate_id=data.candidate_id, text=data.text, contact=data.contact, filed_at=utcnow()
    )
    session.add(objection)
    session.flush()
    record(
        session,
        actor=actor,
        action="objection.filed",
        entity_type="session",
        entity_id=exam.id,
        body_id=exam.body_id,
        after={"objection_id": objection.id, "candidate_id": data.candidate_id},
    )
    return objection


def decide_objection(
    session: Session, *, actor: Actor, session_id: uuid.UUID, objection_id: uuid.UUID, uphold: bool, note: str
) -> Objection:
    """Uphold or dismiss an objection (the body or the regulator); an upheld one withholds the award."""
    exam = get_session(session, actor=actor, session_id=session_id, lock=True)
    _require_admin(actor, exam)
    objection = session.get(Objection, objection_id)
    if objection is None or objection.session_id != exam.id:
        raise ObjectionNotFound("该批次没有此异议", "no such objection in this batch")
    if objection.status != ObjectionStatus.OPEN:
        raise BatchStateConflict("该异议已处理", "the objection has been decided already")
    objection.status = ObjectionStatus.UPHELD if uphold else ObjectionStatus.DISMISSED
    objection.decision_note = note
    objection.decided_at = utcnow()
    objection.decided_by = actor.label
    session.flush()
    record(
        session,
        actor=actor,
        action=f"objection.{objection.status.value}",
        entity_type="session",
        entity_id=exam.id,
        body_id=exam.body_id,
        reason=note,
        before={"objection_id": objection.id, "status": ObjectionStatus.OPEN},
        after={"status": objection.status},
    )
    return objection


def close_session(session: Session, *, actor: Actor, session_id: uuid.UUID) -> ExamSession:
    """Close after 公示: passing candidates without an upheld objection receive their grade awards."""
    exam = get_session(session, actor=actor, session_id=session_id, lock=True)
    _require_admin(actor, exam)
    SESSION_TRANSITIONS.check(exam.status, SessionStatus.CLOSED)
    assert exam.publicity_ends_at is not None
    if utcnow() < exam.publicity_ends_at:
        raise PublicityNotOver(
            f"公示期至 {exam.publicity_ends_at:%Y-%m-%d %H:%M} UTC 结束，之前不能结束批次",
            f"the publicity period runs until {exam.publicity_ends_at.isoformat()}",
            extra={"publicity_ends_at": exam.publicity_ends_at.isoformat()},
        )
    objections = session.exec(select(Objection).where(Objection.session_id == exam.id)).all()
    if any(o.status == ObjectionStatus.OPEN for o in objections):
        raise ObjectionsOpen("尚有异议未处理", "objections are still undecided")
    upheld = {o.candidate_id for o in objections if o.status == ObjectionStatus.UPHELD}
    awarded = withheld = already = 0
    for candidate in session.exec(select(Candidate).where(Candidate.session_id == exam.id)).all():
        if not candidate.passed:
            continue
        if candidate.id in upheld:
            withheld += 1
            continue
        held = held_grades(session, person_id=candidate.person_id, occupation_code=exam.occupation_code)
        if any(g == exam.grade for g, _ in held):
            already += 1
            continue
        award = create_award(
            session,
            actor=actor,
            person_id=candidate.person_id,
            body_id=exam.body_id,
            occupation_code=exam.occupation_code,
            work_type=exam.work_type,
            grade=exam.grade,
            basis=AwardBasis.EXAM,
            basis_ref=candidate.id,
        )
        candidate.award_id = award.id
        awarded += 1
    exam.closed_at = utcnow()
    _transition(
        session,
        actor=actor,
        exam=exam,
        target=SessionStatus.CLOSED,
        action="closed",
        extra={"awarded": awarded, "withheld_by_objection": withheld, "already_held": already},
    )
    return exam


# ---------------------------------------------------------------------------------------------- views


def session_view(session: Session, exam: ExamSession) -> SessionPublic:
    """Present a batch."""
    occupation = session.get(Occupation, exam.occupation_code)
    staff = _staff(session, exam.id)
    candidates = session.exec(select(Candidate).where(Candidate.session_id == exam.id)).all()
    passed = sum(1 for c in candidates if c.passed) if exam.finalized_at else None
    return SessionPublic(
        id=exam.id,
        body_id=exam.body_id,
        filing_id=exam.filing_id,
        occupation_code=exam.occupation_code,
        occupation_name_zh=occupation.name_zh if occupation else "",
        work_type=exam.work_type,
        grade=exam.grade,
        grade_zh=grades.info(exam.grade).name_zh,
        exam_on=exam.exam_on,
        venue=exam.venue,
        status=exam.status,
        status_zh=SESSION_STATUS_ZH[exam.status],
        components=[
            ComponentPublic(kind=c.kind, kind_zh=METHOD_ZH[c.kind], weight=c.weight, pass_mark=c.pass_mark)
            for c in _components(session, exam.id)
        ],
        assessor_ids=[s.assessor_id for s in staff if s.role == StaffRole.ASSESSOR],
        supervisor_id=next((s.assessor_id for s in staff if s.role == StaffRole.SUPERVISOR), None),
        candidates=len(candidates),
        passed=passed,
        attested_at=exam.attested_at,
        finalized_at=exam.finalized_at,
        published_at=exam.published_at,
        publicity_ends_at=exam.publicity_ends_at,
        closed_at=exam.closed_at,
    )


def candidate_views(session: Session, *, actor: Actor, exam: ExamSession) -> list[CandidatePublic]:
    """Present a batch's candidates with their eligibility, scores and results."""
    rows = session.exec(
        select(Candidate, Person)
        .join(Person, col(Person.id) == col(Candidate.person_id))
        .where(Candidate.session_id == exam.id)
        .order_by(col(Candidate.enrolled_at))
    ).all()
    views = []
    for candidate, person in rows:
        scores = {
            kind: [str(scoring.from_tenths(v)) for v in by_assessor.values()]
            for kind, by_assessor in effective_scores(session, candidate.id).items()
        }
        visible = sees_identity(session, actor=actor, person=person) or _is_staff(session, actor, exam.id)
        views.append(
            CandidatePublic(
                id=candidate.id,
                person_id=person.id,
                name=person.name if visible else mask_name(person.name),
                id_masked=person.id_masked,
                eligibility=candidate.eligibility,
                scores=scores,
                results=candidate.results,
                total=str(scoring.from_tenths(candidate.total_tenths)) if candidate.total_tenths is not None else None,
                passed=candidate.passed,
                award_id=candidate.award_id,
            )
        )
    return views


def corrections(session: Session, *, actor: Actor, session_id: uuid.UUID) -> list[CorrectionPublic]:
    """List a batch's post-finalization corrections."""
    exam = get_session(session, actor=actor, session_id=session_id)
    rows = session.exec(
        select(ScoreCorrection)
        .join(Candidate, col(Candidate.id) == col(ScoreCorrection.candidate_id))
        .where(Candidate.session_id == exam.id)
        .order_by(col(ScoreCorrection.recorded_at))
    ).all()
    return [
        CorrectionPublic(
            id=c.id,
            candidate_id=c.candidate_id,
            component=c.component,
            assessor_id=c.assessor_id,
            old=str(scoring.from_tenths(c.old_tenths)),
            new=str(scoring.from_tenths(c.new_tenths)),
            reason=c.reason,
            recorded_by=c.recorded_by,
            recorded_at=c.recorded_at,
        )
        for c in rows
    ]


def objections(session: Session, *, actor: Actor, session_id: uuid.UUID) -> list[ObjectionPublic]:
    """List a batch's objections (to its body, staff and the regulator)."""
    exam = get_session(session, actor=actor, session_id=session_id)
    rows = session.exec(select(Objection).where(Objection.session_id == exam.id).order_by(col(Objection.filed_at)))
    return [ObjectionPublic.model_validate(o, from_attributes=True) for o in rows.all()]


def publicity(session: Session, *, session_id: uuid.UUID) -> PublicityList:
    """The public 公示 list of a published or closed batch: masked names and results."""
    exam = session.get(ExamSession, session_id)
    if exam is None or exam.status not in {SessionStatus.PUBLISHED, SessionStatus.CLOSED}:
        raise SessionNotFound("没有该批次的公示", "no publicity for this batch")
    body = session.get(EvaluationBody, exam.body_id)
    occupation = session.get(Occupation, exam.occupation_code)
    filing = session.get(Filing, exam.filing_id)
    assert body is not None and filing is not None
    rows = session.exec(
        select(Candidate, Person)
        .join(Person, col(Person.id) == col(Candidate.person_id))
        .where(Candidate.session_id == exam.id)
        .order_by(col(Candidate.enrolled_at))
    ).all()
    open_objections = session.exec(
        select(Objection.id).where(Objection.session_id == exam.id, Objection.status == ObjectionStatus.OPEN)
    ).first()
    return PublicityList(
        session_id=exam.id,
        body_name=body.name,
        occupation_name_zh=occupation.name_zh if occupation else "",
        grade_zh=grades.info(exam.grade).name_zh,
        exam_on=exam.exam_on,
        published_at=exam.published_at,
        publicity_ends_at=exam.publicity_ends_at,
        objections_open=open_objections is not None,
        entries=[
            PublicityEntry(
                candidate_id=c.id,
                name_masked=mask_name(p.name),
                id_masked=mask_id_public(p.id_type.value, p.id_masked),  # public: no digit beyond the city
                total=str(scoring.from_tenths(c.total_tenths)) if c.total_tenths is not None else None,
                passed=c.passed,
            )
            for c, p in rows
        ],
    )


def award_ids_of_session(session: Session, *, actor: Actor, session_id: uuid.UUID) -> list[uuid.UUID]:
    """The awards a closed batch created (for issuing its certificates)."""
    exam = get_session(session, actor=actor, session_id=session_id)
    if exam.status != SessionStatus.CLOSED:
        raise BatchStateConflict(
            f"批次状态为{SESSION_STATUS_ZH[exam.status]}，结束后才能发证",
            f"the batch is {exam.status.value}: certificates are issued once it is closed",
        )
    rows = session.exec(
        select(Candidate.award_id).where(Candidate.session_id == exam.id, col(Candidate.award_id).is_not(None))
    ).all()
    return [a for a in rows if a is not None]
