"""Exam batch tables and API shapes; scores are integer tenths (78.5 → 785) so both databases agree exactly."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Field, SQLModel, col, select

from registry import access
from registry.actor import Actor
from registry.db import JSONType, UTCDateTime, enum_type
from registry.errors import PermissionDenied
from registry.fields import Day, OccupationCode, free_text, line
from registry.filings.rules import EvaluationMethod
from registry.grades import GradeCode
from registry.people.models import PersonCreate


class SessionStatus(StrEnum):
    """Lifecycle of a batch."""

    PLANNED = "planned"
    OPEN = "open"
    SCORED = "scored"  # scoring complete and attested by the supervisor
    FINALIZED = "finalized"  # results computed, scores locked
    PUBLISHED = "published"  # 公示 under way
    CLOSED = "closed"  # awards created
    CANCELLED = "cancelled"


SESSION_STATUS_ZH = {
    SessionStatus.PLANNED: "计划中",
    SessionStatus.OPEN: "考核中",
    SessionStatus.SCORED: "已评分待定稿",
    SessionStatus.FINALIZED: "已定稿",
    SessionStatus.PUBLISHED: "公示中",
    SessionStatus.CLOSED: "已结束",
    SessionStatus.CANCELLED: "已取消",
}
SESSION_STATUS_EN = {
    SessionStatus.PLANNED: "planned",
    SessionStatus.OPEN: "open for scoring",
    SessionStatus.SCORED: "scored, to be finalized",
    SessionStatus.FINALIZED: "finalized",
    SessionStatus.PUBLISHED: "under publicity (公示)",
    SessionStatus.CLOSED: "closed",
    SessionStatus.CANCELLED: "cancelled",
}


class StaffRole(StrEnum):
    """A person's role in one batch."""

    ASSESSOR = "assessor"
    SUPERVISOR = "supervisor"


class ObjectionStatus(StrEnum):
    """Where an objection (异议) stands."""

    OPEN = "open"
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class ExamSession(SQLModel, table=True):
    """An exam batch for one occupation and grade under an approved filing."""

    __tablename__ = "exam_session"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    body_id: uuid.UUID = Field(foreign_key="evaluation_body.id", index=True)
    filing_id: uuid.UUID = Field(foreign_key="filing.id", index=True)
    occupation_code: str = Field(foreign_key="occupation.code", max_length=16)
    work_type: str = Field(default="", max_length=64)
    grade: GradeCode = Field(sa_type=enum_type(GradeCode, "grade"))
    exam_on: dt.date
    venue: str = Field(max_length=255)
    status: SessionStatus = Field(default=SessionStatus.PLANNED, sa_type=enum_type(SessionStatus, "session_status"))
    recusal_same_employer: bool = False
    attested_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    attested_by: uuid.UUID | None = Field(default=None, foreign_key="assessor.id")
    finalized_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    published_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    publicity_ends_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    closed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    created_at: dt.datetime = Field(sa_type=UTCDateTime())
    updated_at: dt.datetime = Field(sa_type=UTCDateTime())


class SessionComponent(SQLModel, table=True):
    """A scored component of a batch: weight (percent) and pass mark (100-point scale)."""

    __tablename__ = "session_component"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "kind", name="uq_session_component_kind"),
        sa.CheckConstraint("weight > 0 AND weight <= 100", name="weight"),
        sa.CheckConstraint("pass_mark >= 0 AND pass_mark <= 100", name="pass_mark"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    session_id: uuid.UUID = Field(foreign_key="exam_session.id", index=True)
    kind: EvaluationMethod = Field(sa_type=enum_type(EvaluationMethod, "component_kind"))
    weight: int
    pass_mark: int
    position: int


class SessionStaff(SQLModel, table=True):
    """An assessor or the supervisor assigned to a batch."""

    __tablename__ = "session_staff"
    __table_args__ = (sa.UniqueConstraint("session_id", "assessor_id", name="uq_session_staff_assessor"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    session_id: uuid.UUID = Field(foreign_key="exam_session.id", index=True)
    assessor_id: uuid.UUID = Field(foreign_key="assessor.id", index=True)
    role: StaffRole = Field(sa_type=enum_type(StaffRole, "staff_role"))


class Candidate(SQLModel, table=True):
    """A person enrolled in a batch, with the eligibility report and, once finalized, the result."""

    __tablename__ = "candidate"
    __table_args__ = (sa.UniqueConstraint("session_id", "person_id", name="uq_candidate_person"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    session_id: uuid.UUID = Field(foreign_key="exam_session.id", index=True)
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    eligibility: dict[str, Any] = Field(sa_type=JSONType())
    ruleset_version: str = Field(max_length=32)
    enrolled_at: dt.datetime = Field(sa_type=UTCDateTime())
    total_tenths: int | None = None
    passed: bool | None = None
    results: dict[str, Any] | None = Field(default=None, sa_type=JSONType())
    award_id: uuid.UUID | None = Field(default=None, foreign_key="grade_award.id")


class Score(SQLModel, table=True):
    """One assessor's score for one candidate and component, in tenths of a point."""

    __tablename__ = "score"
    __table_args__ = (
        sa.UniqueConstraint("candidate_id", "component", "assessor_id", name="uq_score_one_per_assessor"),
        sa.CheckConstraint("value_tenths >= 0 AND value_tenths <= 1000", name="range"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    candidate_id: uuid.UUID = Field(foreign_key="candidate.id", index=True)
    component: EvaluationMethod = Field(sa_type=enum_type(EvaluationMethod, "component"))
    assessor_id: uuid.UUID = Field(foreign_key="assessor.id")
    value_tenths: int
    recorded_at: dt.datetime = Field(sa_type=UTCDateTime())


class ScoreCorrection(SQLModel, table=True):
    """A change to a locked score after finalization: a separate record with its reason (visible to the regulator)."""

    __tablename__ = "score_correction"
    __table_args__ = (sa.CheckConstraint("new_tenths >= 0 AND new_tenths <= 1000", name="range"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    candidate_id: uuid.UUID = Field(foreign_key="candidate.id", index=True)
    component: EvaluationMethod = Field(sa_type=enum_type(EvaluationMethod, "component"))
    assessor_id: uuid.UUID = Field(foreign_key="assessor.id")
    old_tenths: int
    new_tenths: int
    reason: str = Field(max_length=2000)
    recorded_by: str = Field(max_length=128)
    recorded_at: dt.datetime = Field(sa_type=UTCDateTime())


class Objection(SQLModel, table=True):
    """An objection (异议) filed during 公示 against a candidate's result."""

    __tablename__ = "objection"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    session_id: uuid.UUID = Field(foreign_key="exam_session.id", index=True)
    candidate_id: uuid.UUID = Field(foreign_key="candidate.id", index=True)
    text: str = Field(max_length=2000)
    contact: str = Field(max_length=128)
    status: ObjectionStatus = Field(
        default=ObjectionStatus.OPEN, sa_type=enum_type(ObjectionStatus, "objection_status")
    )
    filed_at: dt.datetime = Field(sa_type=UTCDateTime())
    decision_note: str | None = Field(default=None, max_length=2000)
    decided_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    decided_by: str | None = Field(default=None, max_length=128)


class ComponentIn(SQLModel):
    """A component as a body configures it for a batch."""

    kind: EvaluationMethod
    weight: int = Field(gt=0, le=100)
    pass_mark: int = Field(ge=0, le=100)


class SessionCreate(SQLModel):
    """A new exam batch."""

    body_id: uuid.UUID
    occupation_code: OccupationCode
    work_type: Annotated[str, line(64, min_length=0)] = Field(default="", max_length=64)
    grade: GradeCode
    exam_on: Day
    venue: Annotated[str, line(255, min_length=2)] = Field(min_length=2, max_length=255)
    assessor_ids: list[uuid.UUID] = Field(min_length=1, max_length=20)
    supervisor_id: uuid.UUID
    components: list[ComponentIn] | None = None
    recusal_same_employer: bool = False


class EnrolIn(SQLModel):
    """Enrol one candidate: an existing person, or a person to register."""

    person_id: uuid.UUID | None = None
    person: PersonCreate | None = None


class ScoresIn(SQLModel):
    """The calling assessor's scores for one candidate, per component (0–100, one decimal)."""

    scores: dict[EvaluationMethod, Annotated[Decimal, Field(ge=0, le=100, decimal_places=1)]] = Field(
        min_length=1, max_length=len(EvaluationMethod)
    )


class CorrectionIn(SQLModel):
    """A correction to a locked score, with its reason."""

    component: EvaluationMethod
    assessor_id: uuid.UUID
    value: Decimal = Field(ge=0, le=100, decimal_places=1)
    reason: Annotated[str, free_text(2000, min_length=4)] = Field(min_length=4, max_length=2000)


class ObjectionIn(SQLModel):
    """An objection filed during 公示."""

    candidate_id: uuid.UUID
    text: Annotated[str, free_text(2000, min_length=5)] = Field(min_length=5, max_length=2000)
    contact: Annotated[str, line(128, min_length=3)] = Field(min_length=3, max_length=128)


class ObjectionDecisionIn(SQLModel):
    """The decision on an objection."""

    uphold: bool
    note: Annotated[str, free_text(2000, min_length=2)] = Field(min_length=2, max_length=2000)


class ComponentPublic(SQLModel):
    """A component as shown."""

    kind: EvaluationMethod
    kind_zh: str
    weight: int
    pass_mark: int


class SessionPublic(SQLModel):
    """A batch as shown to its body, its staff and the regulator."""

    id: uuid.UUID
    body_id: uuid.UUID
    filing_id: uuid.UUID
    occupation_code: str
    occupation_name_zh: str
    work_type: str
    grade: GradeCode
    grade_zh: str
    exam_on: dt.date
    venue: str
    status: SessionStatus
    status_zh: str
    components: list[ComponentPublic]
    assessor_ids: list[uuid.UUID]
    supervisor_id: uuid.UUID | None
    candidates: int
    passed: int | None
    attested_at: dt.datetime | None
    finalized_at: dt.datetime | None
    published_at: dt.datetime | None
    publicity_ends_at: dt.datetime | None
    closed_at: dt.datetime | None


class CandidatePublic(SQLModel):
    """A candidate with eligibility report, scores recorded so far and result."""

    id: uuid.UUID
    person_id: uuid.UUID
    name: str
    id_masked: str
    eligibility: dict[str, Any]
    scores: dict[str, list[str]]
    results: dict[str, Any] | None
    total: str | None
    passed: bool | None
    award_id: uuid.UUID | None


class CorrectionPublic(SQLModel):
    """A score correction as shown to the body and the regulator."""

    id: uuid.UUID
    candidate_id: uuid.UUID
    component: EvaluationMethod
    assessor_id: uuid.UUID
    old: str
    new: str
    reason: str
    recorded_by: str
    recorded_at: dt.datetime


class ObjectionPublic(SQLModel):
    """An objection as shown to the body and the regulator."""

    id: uuid.UUID
    candidate_id: uuid.UUID
    text: str
    status: ObjectionStatus
    filed_at: dt.datetime
    decision_note: str | None
    decided_at: dt.datetime | None


class PublicityEntry(SQLModel):
    """One line of the public 公示 list: masked name, result."""

    candidate_id: uuid.UUID
    name_masked: str
    id_masked: str
    total: str | None
    passed: bool | None


class PublicityList(SQLModel):
    """The public 公示 of a batch's results."""

    session_id: uuid.UUID
    body_name: str
    occupation_name_zh: str
    grade_zh: str
    exam_on: dt.date
    published_at: dt.datetime | None
    publicity_ends_at: dt.datetime | None
    objections_open: bool
    entries: list[PublicityEntry]


class PublicityBatch(SQLModel):
    """A batch under 公示, as the public list of publicity shows it (no names: those are on its own page)."""

    session_id: uuid.UUID
    body_name: str
    occupation_code: str
    occupation_name_zh: str
    grade: GradeCode
    grade_zh: str
    exam_on: dt.date
    published_at: dt.datetime | None
    publicity_ends_at: dt.datetime | None
    candidates: int


class BatchAction(StrEnum):
    """Audit actions of exam batches (stored under the area name `session`), their candidates, scores and objections."""

    CREATED = "session.created"
    OPENED = "session.opened"
    CANCELLED = "session.cancelled"
    ATTESTED = "session.attested"
    FINALIZED = "session.finalized"
    PUBLISHED = "session.published"
    CLOSED = "session.closed"
    CANDIDATE_ENROLLED = "candidate.enrolled"
    SCORE_RECORDED = "score.recorded"
    SCORE_CORRECTED = "score.corrected"
    OBJECTION_FILED = "objection.filed"
    OBJECTION_UPHELD = "objection.upheld"
    OBJECTION_DISMISSED = "objection.dismissed"


# Who sees which rows (registry.access).
def _staffed(actor: Actor) -> ColumnElement[bool]:
    staffed = select(SessionStaff.session_id).where(SessionStaff.assessor_id == actor.assessor_id)
    return col(ExamSession.id).in_(staffed)


access.register(
    ExamSession,
    access.Ownership(
        body=ExamSession.body_id,
        staffed=_staffed,
        refuse_list=lambda: PermissionDenied("无权查看考务批次", "you may not list exam batches"),
    ),
)
