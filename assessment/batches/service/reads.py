"""Reading exam batches: the transition table, visibility, a batch's staff, components, candidates and scores."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlmodel import Session, col, select

from assessment.assessors.service import get_assessor
from assessment.batches.models import (
    SESSION_STATUS_EN,
    SESSION_STATUS_ZH,
    BatchAction,
    Candidate,
    ExamSession,
    ObjectionStatus,
    Score,
    ScoreCorrection,
    SessionComponent,
    SessionStatus,
    StaffRole,
)
from assessment.batches.service.errors import BatchNotFound, CandidateNotFound
from assessment.batches.service.staffing import staff_of
from registry import access, pii
from registry.access import Power
from registry.actor import Actor
from registry.db import get_for_update
from registry.people.models import Person
from registry.settings import Settings
from registry.transitions import TransitionTable

BATCH_TRANSITIONS = TransitionTable(
    "考务批次 exam batch",
    {
        SessionStatus.PLANNED: {SessionStatus.OPEN, SessionStatus.CANCELLED},
        SessionStatus.OPEN: {SessionStatus.SCORED, SessionStatus.CANCELLED},
        SessionStatus.SCORED: {SessionStatus.FINALIZED},
        SessionStatus.FINALIZED: {SessionStatus.PUBLISHED},
        SessionStatus.PUBLISHED: {SessionStatus.CLOSED},
    },
    actions={
        SessionStatus.OPEN: BatchAction.OPENED,
        SessionStatus.CANCELLED: BatchAction.CANCELLED,
        SessionStatus.SCORED: BatchAction.ATTESTED,
        SessionStatus.FINALIZED: BatchAction.FINALIZED,
        SessionStatus.PUBLISHED: BatchAction.PUBLISHED,
        SessionStatus.CLOSED: BatchAction.CLOSED,
    },
    names=("考务批次", "exam batch"),
    words={s: (SESSION_STATUS_ZH[s], SESSION_STATUS_EN[s]) for s in SessionStatus},
)
OBJECTION_TRANSITIONS = TransitionTable(
    "异议 objection",
    {ObjectionStatus.OPEN: {ObjectionStatus.UPHELD, ObjectionStatus.DISMISSED}},
    actions={
        ObjectionStatus.UPHELD: BatchAction.OBJECTION_UPHELD,
        ObjectionStatus.DISMISSED: BatchAction.OBJECTION_DISMISSED,
    },
)
ENROLMENT_OPEN = frozenset({SessionStatus.PLANNED, SessionStatus.OPEN})
CORRECTABLE = frozenset({SessionStatus.FINALIZED, SessionStatus.PUBLISHED})


def components_of(session: Session, batch_id: uuid.UUID) -> list[SessionComponent]:
    return list(
        session.exec(
            select(SessionComponent)
            .where(SessionComponent.session_id == batch_id)
            .order_by(col(SessionComponent.position))
        ).all()
    )


def get_batch(session: Session, *, actor: Actor, batch_id: uuid.UUID, lock: bool = False) -> ExamSession:
    """Return a batch the actor may see: the regulator, its body's admins, its own assessors and supervisor."""
    exam = session.get(ExamSession, batch_id)
    if exam is None or not access.sees(session, actor, exam):
        raise BatchNotFound("考务批次不存在", "no such exam batch", extra={"session_id": str(batch_id)})
    if lock:
        exam = get_for_update(session, ExamSession, batch_id)
    assert exam is not None
    return exam


def list_batches(
    session: Session, *, actor: Actor, body_id: uuid.UUID | None = None, status: SessionStatus | None = None
) -> Sequence[ExamSession]:
    """Return batches: the regulator's all, a body's own, an assessor's assigned ones."""
    query = select(ExamSession).where(
        access.rows(actor, ExamSession), access.narrowed(actor, ExamSession.body_id, body_id)
    )
    if status is not None:
        query = query.where(ExamSession.status == status)
    return session.exec(query.order_by(col(ExamSession.exam_on).desc())).all()


def candidate_in(session: Session, exam: ExamSession, candidate_id: uuid.UUID) -> Candidate:
    candidate = session.get(Candidate, candidate_id)
    if candidate is None or candidate.session_id != exam.id:
        raise CandidateNotFound(
            "该批次没有此考生", "no such candidate in this batch", extra={"candidate_id": str(candidate_id)}
        )
    return candidate


def require_admin(actor: Actor, exam: ExamSession) -> None:
    access.require(actor, Power.MANAGE_BODY, body_id=exam.body_id)


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
    return effective_scores_of(session, [candidate_id]).get(candidate_id, {})


def effective_scores_of(
    session: Session, candidate_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, dict[uuid.UUID, int]]]:
    """effective_scores for many candidates in two statements (candidates without scores are absent)."""
    result: dict[uuid.UUID, dict[str, dict[uuid.UUID, int]]] = {}
    if not candidate_ids:
        return result
    for score in session.exec(select(Score).where(col(Score.candidate_id).in_(candidate_ids))).all():
        by_kind = result.setdefault(score.candidate_id, {})
        by_kind.setdefault(score.component.value, {})[score.assessor_id] = score.value_tenths
    corrections = session.exec(
        select(ScoreCorrection)
        .where(col(ScoreCorrection.candidate_id).in_(candidate_ids))
        .order_by(col(ScoreCorrection.recorded_at))
    ).all()
    for correction in corrections:
        by_kind = result.setdefault(correction.candidate_id, {})
        by_kind.setdefault(correction.component.value, {})[correction.assessor_id] = correction.new_tenths
    return result


def missing_scores(session: Session, exam: ExamSession) -> list[dict[str, str]]:
    """List every (candidate, component, assessor) still without a score."""
    assessors = [s.assessor_id for s in staff_of(session, exam.id) if s.role == StaffRole.ASSESSOR]
    cards = {a: get_assessor(session, a).card_number for a in assessors}
    components = components_of(session, exam.id)
    candidates = session.exec(select(Candidate).where(Candidate.session_id == exam.id)).all()
    scores = effective_scores_of(session, [c.id for c in candidates])
    missing = []
    for candidate in candidates:
        have = scores.get(candidate.id, {})
        for component in components:
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
