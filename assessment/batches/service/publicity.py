"""公示, objections (异议) and closing, which creates the grade awards; the awards of a closed batch."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlmodel import Session, col, select

from assessment.batches.models import (
    SESSION_STATUS_ZH,
    BatchAction,
    Candidate,
    ExamSession,
    Objection,
    ObjectionIn,
    ObjectionStatus,
    SessionStatus,
)
from assessment.batches.service.errors import (
    BatchNotFound,
    BatchStateConflict,
    ObjectionNotFound,
    ObjectionsOpen,
    PublicityNotOver,
)
from assessment.batches.service.lifecycle import change_status
from assessment.batches.service.reads import OBJECTION_TRANSITIONS, candidate_in, get_batch, require_admin
from registry.actor import Actor
from registry.audit.service import record
from registry.awards.models import AwardBasis
from registry.awards.service import create_award, held_grades
from registry.clock import CHINA_TZ, as_utc, utcnow
from registry.settings import Settings
from registry.transitions import apply_transition


def publish_batch(session: Session, *, actor: Actor, batch_id: uuid.UUID, settings: Settings) -> ExamSession:
    """Publish the results (公示) for REGISTRY_PUBLICITY_DAYS, during which objections may be filed."""
    exam = get_batch(session, actor=actor, batch_id=batch_id)
    require_admin(actor, exam)

    def prepare(exam: ExamSession) -> dict[str, Any]:
        exam.published_at = utcnow()
        exam.publicity_ends_at = exam.published_at + dt.timedelta(days=settings.publicity_days)
        return {"publicity_ends_at": exam.publicity_ends_at}

    return change_status(session, actor=actor, exam=exam, target=SessionStatus.PUBLISHED, prepare=prepare)


def file_objection(session: Session, *, actor: Actor, batch_id: uuid.UUID, data: ObjectionIn) -> Objection:
    """File an objection (异议) against a published result while the 公示 period runs; anyone may file."""
    exam = session.get(ExamSession, batch_id)
    if exam is None or exam.status not in {SessionStatus.PUBLISHED}:
        raise BatchNotFound("没有正在公示的该批次", "no batch with this id is under publicity")
    assert exam.publicity_ends_at is not None
    if utcnow() >= exam.publicity_ends_at:
        raise BatchStateConflict("公示期已结束，不能再提出异议", "the publicity period is over")
    candidate_in(session, exam, data.candidate_id)
    objection = Objection(
        session_id=exam.id, candidate_id=data.candidate_id, text=data.text, contact=data.contact, filed_at=utcnow()
    )
    session.add(objection)
    session.flush()
    record(
        session,
        actor=actor,
        action=BatchAction.OBJECTION_FILED,
        entity_type="session",
        entity_id=exam.id,
        body_id=exam.body_id,
        after={"objection_id": objection.id, "candidate_id": data.candidate_id},
    )
    return objection


def decide_objection(
    session: Session, *, actor: Actor, batch_id: uuid.UUID, objection_id: uuid.UUID, uphold: bool, note: str
) -> Objection:
    """Uphold or dismiss an objection (the body or the regulator); an upheld one withholds the award."""
    exam = get_batch(session, actor=actor, batch_id=batch_id)
    require_admin(actor, exam)
    objection = session.get(Objection, objection_id)
    if objection is None or objection.session_id != exam.id:
        raise ObjectionNotFound("该批次没有此异议", "no such objection in this batch")

    def check(objection: Objection) -> None:
        if objection.status != ObjectionStatus.OPEN:
            raise BatchStateConflict("该异议已处理", "the objection has been decided already")

    def prepare(objection: Objection) -> None:
        objection.decision_note = note
        objection.decided_by = actor.label

    return apply_transition(
        session,
        objection,
        table=OBJECTION_TRANSITIONS,
        target=ObjectionStatus.UPHELD if uphold else ObjectionStatus.DISMISSED,
        actor=actor,
        entity_type="objection",
        body_id=exam.body_id,
        reason=note,
        check=check,
        prepare=prepare,
        stamp=("decided_at",),
        before={"objection_id": objection.id},
        audit_entity=("session", exam.id),  # objections are audited on their batch
    )


def close_batch(session: Session, *, actor: Actor, batch_id: uuid.UUID) -> ExamSession:
    """Close after 公示: passing candidates without an upheld objection receive their grade awards."""
    exam = get_batch(session, actor=actor, batch_id=batch_id)
    require_admin(actor, exam)

    def prepare(exam: ExamSession) -> dict[str, Any]:
        assert exam.publicity_ends_at is not None
        if utcnow() < exam.publicity_ends_at:
            ends = as_utc(exam.publicity_ends_at).astimezone(CHINA_TZ)
            raise PublicityNotOver(
                f"公示期至 {ends:%Y-%m-%d %H:%M}（北京时间）结束：公示期满、异议全部处理后才能结束批次",
                f"the publicity period runs until {ends:%Y-%m-%d %H:%M} Beijing time: the batch is closed once it "
                "is over and every objection is decided",
                extra={"publicity_ends_at": exam.publicity_ends_at.isoformat()},
            )
        objections = session.exec(select(Objection).where(Objection.session_id == exam.id)).all()
        undecided = sum(1 for o in objections if o.status == ObjectionStatus.OPEN)
        if undecided:
            raise ObjectionsOpen(
                f"尚有 {undecided} 项异议未处理：逐项决定（支持或驳回）后才能结束批次",
                f"{undecided} objections are undecided: decide each (uphold or dismiss) before closing the batch",
                extra={"undecided": undecided},
            )
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
        return {"awarded": awarded, "withheld_by_objection": withheld, "already_held": already}

    return change_status(
        session, actor=actor, exam=exam, target=SessionStatus.CLOSED, prepare=prepare, stamp=("closed_at",)
    )


def award_ids_of_batch(session: Session, *, actor: Actor, batch_id: uuid.UUID) -> list[uuid.UUID]:
    """The awards a closed batch created (for issuing its certificates)."""
    exam = get_batch(session, actor=actor, batch_id=batch_id)
    if exam.status != SessionStatus.CLOSED:
        raise BatchStateConflict(
            f"批次状态为{SESSION_STATUS_ZH[exam.status]}，结束后才能发证",
            f"the batch is {exam.status.value}: certificates are issued once it is closed",
        )
    rows = session.exec(
        select(Candidate.award_id).where(Candidate.session_id == exam.id, col(Candidate.award_id).is_not(None))
    ).all()
    return [a for a in rows if a is not None]
