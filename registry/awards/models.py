"""Award and appointment tables and their API shapes."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from registry.db import UTCDateTime, enum_type
from registry.fields import Day, OccupationCode, line
from registry.grades import GradeCode


class AwardBasis(StrEnum):
    """How the grade was earned."""

    EXAM = "exam"  # an exam batch (考务批次)
    RECOGNITION = "recognition"  # direct recognition (直接认定)
    COMPETITION = "competition"  # a competition promotion (DR-G)
    LEGACY = "legacy"  # imported from an earlier register


class AwardStatus(StrEnum):
    """Whether the award stands."""

    ACTIVE = "active"
    REVOKED = "revoked"


class GradeAward(SQLModel, table=True):
    """Person P holds grade G in occupation O since D, on basis B, awarded by body X."""

    __tablename__ = "grade_award"
    __table_args__ = (
        sa.CheckConstraint("filing_id IS NOT NULL OR basis = 'legacy'", name="filing_unless_legacy"),
        sa.Index(
            "uq_grade_award_active",
            "person_id",
            "occupation_code",
            "work_type",
            "grade",
            unique=True,
            sqlite_where=sa.text("status = 'active'"),
            postgresql_where=sa.text("status = 'active'"),
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    body_id: uuid.UUID = Field(foreign_key="evaluation_body.id", index=True)
    filing_id: uuid.UUID | None = Field(default=None, foreign_key="filing.id")  # None only for legacy imports
    occupation_code: str = Field(foreign_key="occupation.code", max_length=16)
    work_type: str = Field(default="", max_length=64)
    grade: GradeCode = Field(sa_type=enum_type(GradeCode, "grade"))
    awarded_on: dt.date
    basis: AwardBasis = Field(sa_type=enum_type(AwardBasis, "basis"))
    basis_ref: uuid.UUID | None = None  # the exam candidate or recognition behind it
    status: AwardStatus = Field(default=AwardStatus.ACTIVE, sa_type=enum_type(AwardStatus, "award_status"))
    revoked_reason: str | None = Field(default=None, max_length=2000)
    created_at: dt.datetime = Field(sa_type=UTCDateTime())


class Appointment(SQLModel, table=True):
    """A body appoints a grade holder to a post (评聘, e.g. 特级技师 or 首席技师 posts, 003:714)."""

    __tablename__ = "appointment"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    body_id: uuid.UUID = Field(foreign_key="evaluation_body.id", index=True)
    award_id: uuid.UUID = Field(foreign_key="grade_award.id")
    post_grade: GradeCode = Field(sa_type=enum_type(GradeCode, "post_grade"))
    post_title: str = Field(max_length=64)
    starts_on: dt.date
    ends_on: dt.date | None = None
    created_at: dt.datetime = Field(sa_type=UTCDateTime())


class AppointmentCreate(SQLModel):
    """An appointment as a body records it."""

    person_id: uuid.UUID
    body_id: uuid.UUID
    occupation_code: OccupationCode
    post_grade: GradeCode
    post_title: Annotated[str, line(64, min_length=2)] = Field(min_length=2, max_length=64)
    starts_on: Day
    ends_on: Day | None = None


class AwardPublic(SQLModel):
    """An award as the API shows it."""

    id: uuid.UUID
    person_id: uuid.UUID
    person_name: str
    body_id: uuid.UUID
    body_name: str
    occupation_code: str
    occupation_name_zh: str
    work_type: str
    grade: GradeCode
    grade_zh: str
    national_level: int | None
    awarded_on: dt.date
    basis: AwardBasis
    basis_ref: uuid.UUID | None
    status: AwardStatus


class AppointmentPublic(SQLModel):
    """An appointment as the API shows it."""

    id: uuid.UUID
    person_id: uuid.UUID
    body_id: uuid.UUID
    award_id: uuid.UUID
    post_grade: GradeCode
    post_title: str
    starts_on: dt.date
    ends_on: dt.date | None
