"""Recognition applications, the competition-promotion table, and their API shapes."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import StringConstraints, model_validator
from sqlmodel import Field, SQLModel

from registry import access
from registry.db import JSONType, UTCDateTime, enum_type
from registry.fields import OccupationCode, bilingual, free_text, line
from registry.grades import GradeCode


class Path(StrEnum):
    """The policy path of a direct recognition (domain/policy-requirements.md §3.1)."""

    DR_A = "DR-A"  # 000:47 enterprises, 高级工以上, triggers T1–T4; waives 学历/资历/年龄/比例, not 等级
    DR_C = "DR-C"  # 001:44 filed manufacturers, 技师/高级技师, composite review (draft)
    DR_D = "DR-D"  # 001:46 large manufacturers, listed manufacturers, chain bodies; every grade (draft)
    DR_E = "DR-E"  # 002:22 qualifying enterprises, outstanding staff; may skip grades with the 等级 waiver
    DR_G = "DR-G"  # 001:36 competition prize → promotion (draft)


class Trigger(StrEnum):
    """What the worker did (§3.2)."""

    T1 = "T1"  # 解决重大工艺技术难题 (000:47)
    T2 = "T2"  # 解决重大质量问题 (000:47)
    T3 = "T3"  # 技术创新成果获得省部级以上奖项 (000:47)
    T4 = "T4"  # 师带徒效果明显 (000:47)
    T5 = "T5"  # 岗位职责、工作表现、工作业绩等综合指标 (001:44)
    T6 = "T6"  # 表现突出 (002:22)
    T7 = "T7"  # 职业技能竞赛获奖 (001:36; in-force 003:745-749 only asks employers to favour winners)
    T8 = "T8"  # 企业技能人才规划和发展需要 (001:46)


TRIGGER_ZH = {
    Trigger.T1: "解决重大工艺技术难题",
    Trigger.T2: "解决重大质量问题",
    Trigger.T3: "技术创新成果获得省部级以上奖项",
    Trigger.T4: "师带徒效果明显",
    Trigger.T5: "岗位职责、工作表现、工作业绩等综合指标",
    Trigger.T6: "表现突出",
    Trigger.T7: "职业技能竞赛获奖",
    Trigger.T8: "企业技能人才规划和发展需要",
}


class Waiver(StrEnum):
    """Restrictions a recognition may waive (§3.3)."""

    EDUCATION = "education"  # 学历
    SENIORITY = "seniority"  # 资历
    AGE = "age"  # 年龄
    QUOTA = "quota"  # 比例
    WORK_YEARS = "work_years"  # 工作年限
    GRADE = "grade"  # 等级
    SEQUENTIAL = "sequential"  # 逐级评价


class CompetitionTier(StrEnum):
    """Competition tiers (003:726-732, 004:140)."""

    WORLD = "world"  # 世界技能大赛
    NATIONAL = "national"  # 全国职业技能大赛
    PROVINCIAL = "provincial"  # 省级一类竞赛 (004:140)
    PROVINCIAL_SECOND = "provincial_second"  # 省级二类竞赛 (004:140)
    MUNICIPAL = "municipal"  # 市级一类、二类竞赛 (004:140)
    INDUSTRY = "industry"  # 行业竞赛
    ENTERPRISE = "enterprise"  # 企业岗位练兵技能比武


class RecognitionStatus(StrEnum):
    """Lifecycle of an application."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class CompetitionRule(SQLModel, table=True):
    """Configurable data: winners of a tier up to a rank are promoted one grade, up to max_grade."""

    __tablename__ = "competition_rule"
    __table_args__ = (sa.UniqueConstraint("tier", "max_rank", name="uq_competition_rule_tier_rank"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    tier: CompetitionTier = Field(sa_type=enum_type(CompetitionTier, "tier"))
    max_rank: int = Field(ge=1, le=100)
    max_grade: GradeCode = Field(sa_type=enum_type(GradeCode, "max_grade"))
    source: str = Field(max_length=255)
    status: str = Field(default="unverified", max_length=16)


class CompetitionRuleIn(SQLModel):
    """A row of the competition-promotion table as the regulator sets it."""

    tier: CompetitionTier
    max_rank: int = Field(ge=1, le=100)
    max_grade: GradeCode
    source: Annotated[str, line(255, min_length=2)] = Field(min_length=2, max_length=255)
    status: Literal["in_force", "draft", "unverified"] = "in_force"


class Evidence(SQLModel):
    """A piece of evidence: what it is and where it is kept."""

    kind: Annotated[str, line(64, min_length=2)] = Field(min_length=2, max_length=64)
    ref: Annotated[str, line(255)] = Field(min_length=1, max_length=255)
    description: Annotated[str, free_text(1000, min_length=0)] = Field(default="", max_length=1000)


class CompetitionResult(SQLModel):
    """A competition result behind a DR-G promotion."""

    name: Annotated[str, line(128, min_length=2)] = Field(min_length=2, max_length=128)
    tier: CompetitionTier
    rank: int = Field(ge=1, le=1000)
    year: int = Field(ge=2000, le=2100)


class RecognitionIn(SQLModel):
    """A direct-recognition application."""

    body_id: uuid.UUID
    person_id: uuid.UUID
    occupation_code: OccupationCode
    work_type: Annotated[str, line(64, min_length=0)] = Field(default="", max_length=64)
    target_grade: GradeCode
    path: Path
    triggers: list[Trigger] = Field(min_length=1, max_length=8)
    evidence: list[Evidence] = Field(default_factory=list, max_length=20)
    waived: list[Waiver] = Field(default_factory=list, max_length=7)
    justifications: dict[
        Waiver,
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=1000), free_text(1000)],
    ] = Field(
        default_factory=dict,
        description="why each claimed waiver applies to this worker; DR-E skips grades only with the 等级 (grade) "
        "waiver claimed and justified here",
    )
    methods: list[Annotated[str, line(32)]] = Field(default_factory=list, max_length=6)
    competition: CompetitionResult | None = None

    @model_validator(mode="after")
    def _justify_only_claimed_waivers(self) -> RecognitionIn:
        unclaimed = sorted(w.value for w in self.justifications if w not in self.waived)
        if unclaimed:
            raise bilingual(
                "unclaimed_waiver",
                f"说明了未申明突破的限制：{unclaimed}",
                f"justifications name waivers not claimed in waived: {unclaimed}",
            )
        return self


class Recognition(SQLModel, table=True):
    """A direct-recognition application, its rule report and decision."""

    __tablename__ = "recognition"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    body_id: uuid.UUID = Field(foreign_key="evaluation_body.id", index=True)
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    occupation_code: str = Field(foreign_key="occupation.code", max_length=16)
    work_type: str = Field(default="", max_length=64)
    target_grade: GradeCode = Field(sa_type=enum_type(GradeCode, "target_grade"))
    path: Path = Field(sa_type=enum_type(Path, "path"))
    triggers: list[str] = Field(sa_type=JSONType())
    evidence: list[dict[str, Any]] = Field(sa_type=JSONType())
    waived: list[str] = Field(sa_type=JSONType())
    justifications: dict[str, str] = Field(default_factory=dict, sa_type=JSONType())
    methods: list[str] = Field(sa_type=JSONType())
    competition: dict[str, Any] | None = Field(default=None, sa_type=JSONType())
    status: RecognitionStatus = Field(
        default=RecognitionStatus.SUBMITTED, sa_type=enum_type(RecognitionStatus, "recognition_status")
    )
    report: dict[str, Any] = Field(sa_type=JSONType())
    ruleset_version: str = Field(max_length=32)
    decision_note: str | None = Field(default=None, max_length=2000)
    decided_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    decided_by: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    award_id: uuid.UUID | None = Field(default=None, foreign_key="grade_award.id")
    created_at: dt.datetime = Field(sa_type=UTCDateTime())


class RecognitionDecisionIn(SQLModel):
    """The body's decision on an application."""

    approve: bool
    note: Annotated[str, free_text(2000, min_length=2)] = Field(min_length=2, max_length=2000)


class RecognitionPublic(SQLModel):
    """An application as shown to its body and the regulator."""

    id: uuid.UUID
    body_id: uuid.UUID
    person_id: uuid.UUID
    occupation_code: str
    work_type: str
    target_grade: GradeCode
    path: Path
    triggers: list[str]
    evidence: list[dict[str, Any]]
    waived: list[str]
    justifications: dict[str, str]
    methods: list[str]
    competition: dict[str, Any] | None
    status: RecognitionStatus
    report: dict[str, Any]
    ruleset_version: str
    decision_note: str | None
    decided_at: dt.datetime | None
    award_id: uuid.UUID | None
    created_at: dt.datetime


class RecognitionAction(StrEnum):
    """Audit actions of direct recognition (直接认定) and its competition rules."""

    SUBMITTED = "recognition.submitted"
    APPROVED = "recognition.approved"
    REJECTED = "recognition.rejected"
    COMPETITION_RULES_REPLACED = "competition_rules.replaced"


# Who sees which rows (registry.access).
access.register(
    Recognition,
    access.Ownership(body=Recognition.body_id, refuse_list=lambda: access.refusal(access.Power.MANAGE_BODY)),
)
