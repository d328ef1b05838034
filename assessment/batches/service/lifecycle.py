"""A batch's life: the one status change every step goes through; plan, open, cancel, attest, finalize."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlmodel import Session, func, select

from assessment.batches import scoring
from assessment.batches.models import (
    BatchAction,
    Candidate,
    ComponentIn,
    ExamSession,
    SessionComponent,
    SessionCreate,
    SessionStatus,
    StaffRole,
)
from assessment.batches.service.errors import BatchIncomplete, ComponentsOutsidePolicy, NotAttested, carrying_out
from assessment.batches.service.reads import BATCH_TRANSITIONS, get_batch, missing_scores, require_admin
from assessment.batches.service.scores import compute_result
from assessment.batches.service.staffing import add_staff, check_staff, is_staff
from registry import access
from registry.access import Power
from registry.actor import Actor
from registry.audit.service import record, snapshot
from registry.bodies.service import get_body, require_body_active
from registry.clock import utcnow
from registry.filings.rules import EvaluationMethod
from registry.filings.service import require_scope
from registry.grades import GradeCode
from registry.settings import Settings
from registry.transitions import apply_transition


def change_status(
    session: Session,
    *,
    actor: Actor,
    exam: ExamSession,
    target: SessionStatus,
    reason: str | None = None,
    check: Callable[[ExamSession], None] | None = None,
    prepare: Callable[[ExamSession], Mapping[str, Any] | None] | None = None,
    stamp: tuple[str, ...] = (),
) -> ExamSession:
    """Move a batch along BATCH_TRANSITIONS (registry.transitions.apply_transition), audited under `session`."""

    def guarded(row: ExamSession) -> Mapping[str, Any] | None:
        if target != SessionStatus.CANCELLED:
            require_body_active(session, row.body_id)  # a suspended or revoked body runs no batch (002:27)
        return prepare(row) if prepare is not None else None

    return apply_transition(
        session,
        exam,
        table=BATCH_TRANSITIONS,
        target=target,
        actor=actor,
        entity_type="session",
        body_id=exam.body_id,
        reason=reason,
        check=check,
        prepare=guarded,
        stamp=(*stamp, "updated_at"),
    )


def _component_rules(components: Sequence[ComponentIn] | None, grade: GradeCode) -> list[scoring.ComponentRule]:
    if components is None:
        return scoring.default_components(grade)
    return [scoring.ComponentRule(c.kind.value, c.weight, c.pass_mark) for c in components]


def create_batch(session: Session, *, actor: Actor, data: SessionCreate, settings: Settings) -> ExamSession:
    """Plan a batch under an approved filing: components within policy, enough qualified assessors, a supervisor."""
    body = get_body(session, actor=actor, body_id=data.body_id)
    access.require(actor, Power.MANAGE_BODY, body_id=body.id)
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
    assessor_ids = check_staff(session, data, settings)
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
    add_staff(session, exam, assessor_ids, data.supervisor_id)
    session.flush()
    record(
        session,
        actor=actor,
        action=BatchAction.CREATED,
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


def open_batch(session: Session, *, actor: Actor, batch_id: uuid.UUID) -> ExamSession:
    """Open a planned batch for scoring."""
    exam = get_batch(session, actor=actor, batch_id=batch_id)
    require_admin(actor, exam)
    return change_status(session, actor=actor, exam=exam, target=SessionStatus.OPEN)


def cancel_batch(session: Session, *, actor: Actor, batch_id: uuid.UUID, reason: str) -> ExamSession:
    """Cancel a batch that has not been attested."""
    exam = get_batch(session, actor=actor, batch_id=batch_id)
    require_admin(actor, exam)
    return change_status(session, actor=actor, exam=exam, target=SessionStatus.CANCELLED, reason=reason)


def require_complete(session: Session, exam: ExamSession) -> None:
    count = session.exec(select(func.count()).select_from(Candidate).where(Candidate.session_id == exam.id)).one()
    if count == 0:
        raise BatchIncomplete(
            "批次没有考生：先上传考生名单（报名），考评员录入分数后才能签署和定稿",
            "the batch has no candidates: upload the candidate list first; it is attested and finalized once scored",
            extra={"missing": [], **carrying_out()},
        )
    missing = missing_scores(session, exam)
    if missing:
        raise BatchIncomplete(
            f"尚有{len(missing)}项分数未录入：每位考评员须为每名考生的每个考核项目录入分数，之后才能签署和定稿",
            f"{len(missing)} scores are missing: every assessor scores every candidate on every component before "
            "the batch is attested and finalized",
            extra={"missing": missing[:200], **carrying_out()},
        )


def attest_batch(session: Session, *, actor: Actor, batch_id: uuid.UUID, note: str = "") -> ExamSession:
    """The batch's supervisor attests that the exam ran properly and scoring is complete (open → scored)."""
    exam = get_batch(session, actor=actor, batch_id=batch_id)
    access.require(actor, Power.ATTEST, on_staff=is_staff(session, actor, exam.id, StaffRole.SUPERVISOR))

    def prepare(exam: ExamSession) -> None:
        require_complete(session, exam)
        exam.attested_by = actor.assessor_id

    return change_status(
        session,
        actor=actor,
        exam=exam,
        target=SessionStatus.SCORED,
        reason=note or None,
        prepare=prepare,
        stamp=("attested_at",),
    )


def finalize_batch(session: Session, *, actor: Actor, batch_id: uuid.UUID) -> ExamSession:
    """Compute every result and lock the scores; refused without the supervisor's attestation or with gaps."""
    exam = get_batch(session, actor=actor, batch_id=batch_id)
    require_admin(actor, exam)

    def check(exam: ExamSession) -> None:
        if exam.status == SessionStatus.OPEN or exam.attested_at is None:
            raise NotAttested(
                "质量督导员尚未签署，不能定稿：分数齐全后，由本批次的质量督导员确认考务和评分并签署",
                "the quality supervisor has not attested the batch, so it cannot be finalized: once every score is "
                "in, the batch's supervisor confirms the exam and its scoring and attests it",
                extra=carrying_out(),
            )

    def prepare(exam: ExamSession) -> dict[str, Any]:
        require_complete(session, exam)
        candidates = session.exec(select(Candidate).where(Candidate.session_id == exam.id)).all()
        passed = sum(1 for c in candidates if compute_result(session, exam, c).passed)
        return {"candidates": len(candidates), "passed": passed}

    return change_status(
        session,
        actor=actor,
        exam=exam,
        target=SessionStatus.FINALIZED,
        check=check,
        prepare=prepare,
        stamp=("finalized_at",),
    )
