"""Filing tables (programme + scope lines) and their API shapes."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import model_validator
from sqlmodel import Field, SQLModel

from registry import access
from registry.db import JSONType, UTCDateTime, enum_type
from registry.fields import Day, OccupationCode, bilingual, free_text, line
from registry.filings.rules import EvaluationMethod
from registry.grades import GradeCode


class FilingStatus(StrEnum):
    """Stored lifecycle of a filing; 'expired' is derived from ends_on."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


FILING_STATUS_ZH = {
    FilingStatus.DRAFT: "草稿",
    FilingStatus.SUBMITTED: "已提交待审",
    FilingStatus.APPROVED: "已备案",
    FilingStatus.REJECTED: "未通过",
    FilingStatus.SUSPENDED: "已暂停",
    FilingStatus.REVOKED: "已撤销",
}
# The status as users read it (Filing.effective_status: an approved or suspended filing past ends_on is expired).
FILING_STATUS_WORDS: dict[str, tuple[str, str]] = {
    FilingStatus.DRAFT.value: ("草稿", "draft"),
    FilingStatus.SUBMITTED.value: ("已提交待审", "submitted for review"),
    FilingStatus.APPROVED.value: ("已备案", "approved"),
    FilingStatus.REJECTED.value: ("未通过", "not approved"),
    FilingStatus.SUSPENDED.value: ("已暂停", "suspended"),
    FilingStatus.REVOKED.value: ("已撤销", "revoked"),
    "expired": ("已过期", "expired"),
}


class PostGrade(SQLModel):
    """An enterprise-defined post grade (岗位等级) mapped to a national grade (001:44)."""

    name: Annotated[str, line(64)] = Field(min_length=1, max_length=64)
    grade: GradeCode


class ScopeLineIn(SQLModel):
    """One scope line as a body sends it."""

    occupation_code: OccupationCode
    work_type: Annotated[str, line(64, min_length=0)] = Field(default="", max_length=64)
    max_grade: GradeCode
    methods: list[EvaluationMethod] = Field(min_length=1, max_length=6)
    post_norm_ref: Annotated[str, line(255, min_length=0)] = Field(default="", max_length=255)
    post_grades: list[PostGrade] = Field(default_factory=list, max_length=20)
    direct_recognition: bool = False


class FilingIn(SQLModel):
    """A programme as a body drafts it."""

    ceiling: GradeCode
    starts_on: Day
    ends_on: Day
    lines: list[ScopeLineIn] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _window(self) -> FilingIn:
        if self.ends_on <= self.starts_on:
            raise bilingual("window", "备案截止日期须晚于开始日期", "ends_on must be after starts_on")
        return self


class FilingCreate(FilingIn):
    """A new draft for a body."""

    body_id: uuid.UUID


class Filing(SQLModel, table=True):
    """A body's self-assessment programme (自主评价备案) and its lifecycle."""

    __tablename__ = "filing"
    __table_args__ = (sa.CheckConstraint("ends_on > starts_on", name="window"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    body_id: uuid.UUID = Field(foreign_key="evaluation_body.id", index=True)
    ceiling: GradeCode = Field(sa_type=enum_type(GradeCode, "ceiling"))
    starts_on: dt.date
    ends_on: dt.date
    status: FilingStatus = Field(default=FilingStatus.DRAFT, sa_type=enum_type(FilingStatus, "filing_status"))
    jurisdiction: str = Field(max_length=8)
    rule_report: dict[str, Any] | None = Field(default=None, sa_type=JSONType())
    ruleset_version: str | None = Field(default=None, max_length=32)
    submitted_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    decided_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    decided_by: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    decision_note: str | None = Field(default=None, max_length=2000)
    status_reason: str | None = Field(default=None, max_length=2000)
    created_by: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    created_at: dt.datetime = Field(sa_type=UTCDateTime())
    updated_at: dt.datetime = Field(sa_type=UTCDateTime())

    def effective_status(self, today: dt.date) -> str:
        """The status as users should read it today: approved filings past ends_on are 'expired'."""
        if self.status in {FilingStatus.APPROVED, FilingStatus.SUSPENDED} and today > self.ends_on:
            return "expired"
        return self.status.value

    def in_force_on(self, day: dt.date) -> bool:
        """Whether the filing authorises assessment and issuing on day."""
        return self.status == FilingStatus.APPROVED and self.starts_on <= day <= self.ends_on


class FilingScopeLine(SQLModel, table=True):
    """One occupation (and 工种) a filing covers, up to a grade, by given methods."""

    __tablename__ = "filing_scope_line"
    __table_args__ = (
        sa.UniqueConstraint("filing_id", "occupation_code", "work_type", name="uq_filing_scope_line_occupation"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    filing_id: uuid.UUID = Field(foreign_key="filing.id", index=True, ondelete="CASCADE")
    position: int
    occupation_code: str = Field(foreign_key="occupation.code", max_length=16)
    work_type: str = Field(default="", max_length=64)
    max_grade: GradeCode = Field(sa_type=enum_type(GradeCode, "max_grade"))
    methods: list[str] = Field(sa_type=JSONType())
    post_norm_ref: str = Field(default="", max_length=255)
    post_grades: list[dict[str, str]] = Field(default_factory=list, sa_type=JSONType())
    direct_recognition: bool = False


class ScopeLinePublic(SQLModel):
    """A scope line as the API shows it."""

    occupation_code: str
    occupation_name_zh: str
    work_type: str
    max_grade: GradeCode
    methods: list[str]
    post_norm_ref: str
    post_grades: list[dict[str, str]]
    direct_recognition: bool


class FilingPublic(SQLModel):
    """A filing with its lines and its rule report."""

    id: uuid.UUID
    body_id: uuid.UUID
    ceiling: GradeCode
    starts_on: dt.date
    ends_on: dt.date
    status: FilingStatus
    effective_status: str
    status_zh: str
    jurisdiction: str
    lines: list[ScopeLinePublic]
    rule_report: dict[str, Any] | None
    rule_report_is_preview: bool
    ruleset_version: str | None
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    decision_note: str | None
    status_reason: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


class FilingDecision(SQLModel):
    """The regulator's decision on a submitted filing."""

    approve: bool
    note: Annotated[str, free_text(2000, min_length=2)] = Field(min_length=2, max_length=2000)


class CatalogueLine(SQLModel):
    """An approved scope line in the public catalogue."""

    occupation_code: str
    occupation_name_zh: str
    work_type: str
    max_grade: GradeCode
    max_grade_zh: str
    direct_recognition: bool


class CatalogueEntry(SQLModel):
    """A body in the public catalogue of evaluation bodies (评价机构目录, 000:43): nothing private."""

    body_id: uuid.UUID
    name: str
    uscc: str
    kind: str
    kind_zh: str
    province_code: str
    province_zh: str
    city_code: str | None
    city_zh: str | None
    filing_id: uuid.UUID
    ceiling: GradeCode
    ceiling_zh: str
    valid_from: dt.date
    valid_to: dt.date
    scope: list[CatalogueLine]


class FilingAction(StrEnum):
    """Audit actions of filings (备案)."""

    CREATED = "filing.created"
    UPDATED = "filing.updated"
    SUBMITTED = "filing.submitted"
    APPROVED = "filing.approved"
    REJECTED = "filing.rejected"
    SUSPENDED = "filing.suspended"
    REINSTATED = "filing.reinstated"
    REVOKED = "filing.revoked"


# Who sees which rows (registry.access).
access.register(
    Filing, access.Ownership(body=Filing.body_id, refuse_list=lambda: access.refusal(access.Power.MANAGE_BODY))
)
