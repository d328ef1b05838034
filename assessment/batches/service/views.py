"""Read models of a batch: the batch, its candidates, corrections, objections and the public 公示 list."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from assessment.assessors.models import Assessor
from assessment.batches import scoring
from assessment.batches.models import (
    SESSION_STATUS_ZH,
    Candidate,
    CandidatePublic,
    ComponentPublic,
    CorrectionPublic,
    ExamSession,
    Objection,
    ObjectionPublic,
    ObjectionStatus,
    PublicityBatch,
    PublicityEntry,
    PublicityList,
    ScoreCorrection,
    SessionPublic,
    SessionStaff,
    SessionStatus,
    StaffRole,
)
from assessment.batches.service.errors import BatchNotFound
from assessment.batches.service.reads import components_of, effective_scores_of, get_batch, missing_scores
from assessment.batches.service.staffing import is_staff, staff_of
from registry import grades
from registry.actor import Actor
from registry.bodies.models import EvaluationBody
from registry.catalogue.models import Occupation
from registry.clock import utcnow
from registry.filings.models import Filing
from registry.filings.rules import METHOD_ZH
from registry.people.models import Person
from registry.people.service import identities_visible
from registry.validators import mask_id_public, mask_name


def batch_view(session: Session, exam: ExamSession) -> SessionPublic:
    """Present a batch."""
    occupation = session.get(Occupation, exam.occupation_code)
    staff = staff_of(session, exam.id)
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
            for c in components_of(session, exam.id)
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


def candidate_views(
    session: Session, *, actor: Actor, exam: ExamSession, only: uuid.UUID | None = None
) -> list[CandidatePublic]:
    """Present a batch's candidates (or only one) with their eligibility, scores and results.

    A fixed number of statements whatever the number of candidates: scores, corrections and the identity
    links are each read for all candidates at once.
    """
    query = (
        select(Candidate, Person)
        .join(Person, col(Person.id) == col(Candidate.person_id))
        .where(Candidate.session_id == exam.id)
    )
    if only is not None:
        query = query.where(Candidate.id == only)
    rows = session.exec(query.order_by(col(Candidate.enrolled_at))).all()
    scores_of = effective_scores_of(session, [candidate.id for candidate, _ in rows])
    staff = bool(rows) and is_staff(session, actor, exam.id)
    unmasked = set() if staff else identities_visible(session, actor=actor, person_ids=[p.id for _, p in rows])
    views = []
    for candidate, person in rows:
        scores = {
            kind: [str(scoring.from_tenths(v)) for v in by_assessor.values()]
            for kind, by_assessor in scores_of.get(candidate.id, {}).items()
        }
        visible = staff or person.id in unmasked
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


@dataclass(frozen=True)
class GridRow:
    """One candidate's line of an assessor's score grid: their own score per component (None: not yet)."""

    candidate_id: uuid.UUID
    name: str
    id_masked: str
    mine: dict[str, str | None]
    scored_by: dict[str, int]  # component → how many of the batch's assessors have scored it

    @property
    def missing(self) -> list[str]:
        """The components still without this assessor's score."""
        return [kind for kind, value in self.mine.items() if value is None]


@dataclass(frozen=True)
class ScoreGrid:
    """What an assessor fills in and a supervisor watches: candidates × components, and what is still missing."""

    components: list[ComponentPublic]
    rows: list[GridRow]
    assessing: bool  # the actor is one of the batch's assessors (their own scores are the cells)
    assessors: int  # how many assessors score each cell
    missing_by_assessor: dict[str, int]  # card number → (candidate, component) pairs without that assessor's score

    @property
    def my_missing(self) -> int:
        """The cells the actor still has to fill in."""
        return sum(len(row.missing) for row in self.rows) if self.assessing else 0

    @property
    def missing_total(self) -> int:
        """Scores the whole batch still lacks (every assessor's)."""
        return sum(self.missing_by_assessor.values())


def score_grid(session: Session, *, actor: Actor, exam: ExamSession) -> ScoreGrid:
    """The score grid of a batch the actor staffs: the actor's own scores per candidate and component, the gaps.

    Staff see candidates' names (they must tell them apart at the exam) and the staff mask of the ID number.
    """
    components = [
        ComponentPublic(kind=c.kind, kind_zh=METHOD_ZH[c.kind], weight=c.weight, pass_mark=c.pass_mark)
        for c in components_of(session, exam.id)
    ]
    kinds = [c.kind.value for c in components]
    rows = session.exec(
        select(Candidate, Person)
        .join(Person, col(Person.id) == col(Candidate.person_id))
        .where(Candidate.session_id == exam.id)
        .order_by(col(Candidate.enrolled_at), col(Candidate.id))
    ).all()
    scores_of = effective_scores_of(session, [candidate.id for candidate, _ in rows])
    me = actor.assessor_id if is_staff(session, actor, exam.id, StaffRole.ASSESSOR) else None
    grid_rows = []
    for candidate, person in rows:
        have = scores_of.get(candidate.id, {})
        mine: dict[str, str | None] = {}
        for kind in kinds:
            value = have.get(kind, {}).get(me) if me is not None else None
            mine[kind] = None if value is None else str(scoring.from_tenths(value))
        scored_by = {kind: len(have.get(kind, {})) for kind in kinds}
        grid_rows.append(GridRow(candidate.id, person.name, person.id_masked, mine, scored_by))
    cards = session.exec(
        select(Assessor.card_number)
        .join(SessionStaff, col(SessionStaff.assessor_id) == col(Assessor.id))
        .where(SessionStaff.session_id == exam.id, SessionStaff.role == StaffRole.ASSESSOR)
        .order_by(col(Assessor.card_number))
    ).all()
    missing = Counter(m["assessor"] for m in missing_scores(session, exam))
    return ScoreGrid(
        components=components,
        rows=grid_rows,
        assessing=me is not None,
        assessors=len(cards),
        missing_by_assessor={card: missing.get(card, 0) for card in cards},
    )


def candidate_view(session: Session, *, actor: Actor, exam: ExamSession, candidate_id: uuid.UUID) -> CandidatePublic:
    """Present one candidate of a batch, exactly as candidate_views shows it."""
    (view,) = candidate_views(session, actor=actor, exam=exam, only=candidate_id)
    return view


def corrections(session: Session, *, actor: Actor, batch_id: uuid.UUID) -> list[CorrectionPublic]:
    """List a batch's post-finalization corrections."""
    exam = get_batch(session, actor=actor, batch_id=batch_id)
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


def objections(session: Session, *, actor: Actor, batch_id: uuid.UUID) -> list[ObjectionPublic]:
    """List a batch's objections (to its body, staff and the regulator)."""
    exam = get_batch(session, actor=actor, batch_id=batch_id)
    rows = session.exec(select(Objection).where(Objection.session_id == exam.id).order_by(col(Objection.filed_at)))
    return [ObjectionPublic.model_validate(o, from_attributes=True) for o in rows.all()]


def publicity(session: Session, *, batch_id: uuid.UUID) -> PublicityList:
    """The public 公示 list of a published or closed batch: masked names and results."""
    exam = session.get(ExamSession, batch_id)
    if exam is None or exam.status not in {SessionStatus.PUBLISHED, SessionStatus.CLOSED}:
        raise BatchNotFound("没有该批次的公示", "no publicity for this batch")
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


def publicity_batches(session: Session, *, now: dt.datetime | None = None) -> list[PublicityBatch]:
    """Every batch whose 公示 is running now, the one ending soonest first, with its body, occupation and size."""
    moment = now or utcnow()
    counts = select(Candidate.session_id, sa.func.count().label("n")).group_by(col(Candidate.session_id)).subquery()
    rows = session.exec(
        select(ExamSession, EvaluationBody.name, Occupation.name_zh, counts.c.n)
        .join(EvaluationBody, col(EvaluationBody.id) == col(ExamSession.body_id))
        .outerjoin(Occupation, col(Occupation.code) == col(ExamSession.occupation_code))
        .outerjoin(counts, counts.c.session_id == col(ExamSession.id))
        .where(ExamSession.status == SessionStatus.PUBLISHED, col(ExamSession.publicity_ends_at) > moment)
        .order_by(col(ExamSession.publicity_ends_at), col(ExamSession.id))
    ).all()
    return [
        PublicityBatch(
            session_id=exam.id,
            body_name=body_name,
            occupation_code=exam.occupation_code,
            occupation_name_zh=occupation_name or "",
            grade=exam.grade,
            grade_zh=grades.info(exam.grade).name_zh,
            exam_on=exam.exam_on,
            published_at=exam.published_at,
            publicity_ends_at=exam.publicity_ends_at,
            candidates=int(count or 0),
        )
        for exam, body_name, occupation_name, count in rows
    ]
