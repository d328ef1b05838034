"""Assessor tables and API shapes."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

import sqlalchemy as sa
from pydantic import model_validator
from sqlmodel import Field, SQLModel

from registry.db import UTCDateTime, enum_type
from registry.fields import CardNumber, Day, OccupationCode, bilingual
from registry.grades import GradeCode


class AssessorKind(StrEnum):
    """What the card entitles its holder to do."""

    ASSESSOR = "assessor"  # 考评员
    SUPERVISOR = "supervisor"  # 质量督导员


class AssessorStatus(StrEnum):
    """Standing of a card."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


ASSESSOR_STATUS_ZH = {
    AssessorStatus.ACTIVE: "有效",
    AssessorStatus.SUSPENDED: "已暂停",
    AssessorStatus.REVOKED: "已注销",
}
KIND_ZH = {AssessorKind.ASSESSOR: "考评员", AssessorKind.SUPERVISOR: "质量督导员"}


class Assessor(SQLModel, table=True):
    """A carded assessor or supervisor: occupations, the highest grade they may assess, validity."""

    __tablename__ = "assessor"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    card_number: str = Field(max_length=32, sa_column_kwargs={"unique": True})
    kind: AssessorKind = Field(sa_type=enum_type(AssessorKind, "assessor_kind"))
    body_id: uuid.UUID | None = Field(default=None, foreign_key="evaluation_body.id", index=True)
    max_grade: GradeCode = Field(sa_type=enum_type(GradeCode, "max_grade"))
    held_grade: GradeCode = Field(sa_type=enum_type(GradeCode, "held_grade"))
    valid_from: dt.date
    valid_to: dt.date
    status: AssessorStatus = Field(default=AssessorStatus.ACTIVE, sa_type=enum_type(AssessorStatus, "assessor_status"))
    created_at: dt.datetime = Field(sa_type=UTCDateTime())


class AssessorOccupation(SQLModel, table=True):
    """An occupation an assessor is qualified for."""

    __tablename__ = "assessor_occupation"
    __table_args__ = (sa.UniqueConstraint("assessor_id", "occupation_code", name="uq_assessor_occupation"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    assessor_id: uuid.UUID = Field(foreign_key="assessor.id", index=True)
    occupation_code: str = Field(foreign_key="occupation.code", max_length=16)


class AssessorCreate(SQLModel):
    """A card as the regulator issues it."""

    person_id: uuid.UUID
    card_number: CardNumber = Field(description="4–32 characters: A–Z, 0–9 or '-' (lower case is upper-cased)")
    kind: AssessorKind = AssessorKind.ASSESSOR
    body_id: uuid.UUID | None = None
    max_grade: GradeCode
    held_grade: GradeCode
    valid_from: Day
    valid_to: Day
    occupations: list[OccupationCode] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _window(self) -> AssessorCreate:
        if self.valid_to <= self.valid_from:
            raise bilingual("window", "有效期截止日须晚于起始日", "valid_to must be after valid_from")
        return self


class AssessorPublic(SQLModel):
    """An assessor as the API shows it (name masked: assessors are listed to every body for staffing)."""

    id: uuid.UUID
    person_id: uuid.UUID
    name_masked: str
    card_number: str
    kind: AssessorKind
    body_id: uuid.UUID | None
    max_grade: GradeCode
    held_grade: GradeCode
    valid_from: dt.date
    valid_to: dt.date
    status: AssessorStatus
    occupations: list[str]


class AssessorAction(StrEnum):
    """Audit actions of assessors and supervisors."""

    CREATED = "assessor.created"
    SUSPENDED = "assessor.suspended"
    REINSTATED = "assessor.reinstated"
    REVOKED = "assessor.revoked"
