"""Award and appointment tables and their API shapes."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from registry import access
from registry.db import JSONType, UTCDateTime, enum_type
from registry.fields import Day, OccupationCode, free_text, line
from registry.grades import GradeCode


class AwardBasis(StrEnum):
    """How the grade was earned."""

    EXAM = "exam"  # an exam batch (考务批次)
    RECOGNITION = "recognition"  # direct recognition (直接认定)
    COMPETITION = "competition"  # a competition promotion (DR-G)
    LEGACY = "legacy"  # imported from an earlier register


class AwardStatus(StrEnum):
    """Whether the award stands; only an active award counts (prerequisites, appointments, 比照, verification)."""

    PENDING = "pending"  # a legacy record a body entered, awaiting the regulator's confirmation
    ACTIVE = "active"
    REVOKED = "revoked"  # final: e.g. fraudulent evaluation (虚假评价); its certificates are revoked with it
    REJECTED = "rejected"  # a legacy record the regulator did not confirm


AWARD_STATUS_ZH = {
    AwardStatus.PENDING: "待人社部门确认",
    AwardStatus.ACTIVE: "有效",
    AwardStatus.REVOKED: "已撤销",
    AwardStatus.REJECTED: "未予确认",
}


class AwardRevocationReason(StrEnum):
    """Why an award was revoked."""

    FRAUDULENT_EVALUATION = "fraudulent_evaluation"  # 虚假评价 (000:53, 002:27)
    ISSUED_IN_ERROR = "issued_in_error"  # 认定错误
    DUPLICATE = "duplicate"  # 重复登记
    COURT_ORDER = "court_order"  # 司法机关决定
    OTHER = "other"


AWARD_REASON_ZH = {
    AwardRevocationReason.FRAUDULENT_EVALUATION: "虚假评价",
    AwardRevocationReason.ISSUED_IN_ERROR: "认定错误",
    AwardRevocationReason.DUPLICATE: "重复登记",
    AwardRevocationReason.COURT_ORDER: "司法机关决定",
    AwardRevocationReason.OTHER: "其他",
}


class CertificateFamily(StrEnum):
    """The two certificate families that hold a grade (000:48, 004:86, 004:286)."""

    QUALIFICATION = "qualification"  # 职业资格证书 (the earlier system; 衔接 004:286)
    SKILL_LEVEL = "skill_level"  # 职业技能等级证书


FAMILY_ZH = {CertificateFamily.QUALIFICATION: "职业资格证书", CertificateFamily.SKILL_LEVEL: "职业技能等级证书"}
FAMILY_EN = {
    CertificateFamily.QUALIFICATION: "vocational qualification certificate",
    CertificateFamily.SKILL_LEVEL: "vocational skill level certificate",
}


class GradeAward(SQLModel, table=True):
    """Person P holds grade G in occupation O since D, on basis B, awarded by body X (none for a legacy record)."""

    __tablename__ = "grade_award"
    __table_args__ = (
        sa.CheckConstraint("filing_id IS NOT NULL OR basis = 'legacy'", name="filing_unless_legacy"),
        sa.CheckConstraint("body_id IS NOT NULL OR basis = 'legacy'", name="body_unless_legacy"),
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
    body_id: uuid.UUID | None = Field(default=None, foreign_key="evaluation_body.id", index=True)  # None: legacy
    filing_id: uuid.UUID | None = Field(default=None, foreign_key="filing.id")  # None only for legacy records
    occupation_code: str = Field(foreign_key="occupation.code", max_length=16)
    work_type: str = Field(default="", max_length=64)
    grade: GradeCode = Field(sa_type=enum_type(GradeCode, "grade"))
    awarded_on: dt.date
    basis: AwardBasis = Field(sa_type=enum_type(AwardBasis, "basis"))
    basis_ref: uuid.UUID | None = None  # the exam candidate or recognition behind it
    status: AwardStatus = Field(default=AwardStatus.ACTIVE, sa_type=enum_type(AwardStatus, "award_status"))
    revoked_reason: str | None = Field(default=None, max_length=2000)  # the note of a revocation or rejection
    revocation_reason: AwardRevocationReason | None = Field(
        default=None, sa_type=enum_type(AwardRevocationReason, "award_revocation_reason")
    )
    status_changed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    created_at: dt.datetime = Field(sa_type=UTCDateTime())

    def awarding_body(self) -> uuid.UUID:
        """The body that awarded it (every award but a legacy record has one)."""
        if self.body_id is None:
            raise ValueError(f"award {self.id} is a legacy record with no awarding body")
        return self.body_id


class LegacyCertificate(SQLModel, table=True):
    """The certificate behind a legacy award: issued before the registry, by another authority, never re-issued here."""

    __tablename__ = "legacy_certificate"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    award_id: uuid.UUID = Field(foreign_key="grade_award.id", sa_column_kwargs={"unique": True})
    family: CertificateFamily = Field(sa_type=enum_type(CertificateFamily, "certificate_family"))
    issuing_authority: str = Field(max_length=128)
    original_number: str = Field(max_length=64)
    number_key: str = Field(max_length=64, index=True)  # upper case, no spaces: what a look-up matches
    evidence: list[dict[str, Any]] = Field(sa_type=JSONType())
    recorded_by_body_id: uuid.UUID | None = Field(default=None, foreign_key="evaluation_body.id", index=True)
    decision_note: str | None = Field(default=None, max_length=2000)
    decided_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
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


class LegacyEvidence(SQLModel):
    """A piece of evidence for a legacy record: what it is and where it is kept."""

    kind: Annotated[str, line(64, min_length=2)] = Field(min_length=2, max_length=64)
    ref: Annotated[str, line(255)] = Field(min_length=1, max_length=255)
    description: Annotated[str, free_text(1000, min_length=0)] = Field(default="", max_length=1000)


class LegacyAwardIn(SQLModel):
    """A certificate issued before the registry, as a body or the regulator records it."""

    person_id: uuid.UUID
    occupation_code: OccupationCode
    work_type: Annotated[str, line(64, min_length=0)] = Field(default="", max_length=64)
    grade: GradeCode
    family: CertificateFamily
    issuing_authority: Annotated[str, line(128, min_length=2)] = Field(min_length=2, max_length=128)
    original_number: Annotated[str, line(64, min_length=4)] = Field(min_length=4, max_length=64)
    awarded_on: Day
    evidence: list[LegacyEvidence] = Field(min_length=1, max_length=20)


class AwardDecisionIn(SQLModel):
    """The regulator's decision on a legacy record a body entered."""

    approve: bool
    note: Annotated[str, free_text(2000, min_length=2)] = Field(min_length=2, max_length=2000)


class AwardRevokeIn(SQLModel):
    """A revocation of an award (final); its certificates are revoked with it."""

    reason: AwardRevocationReason
    note: Annotated[str, free_text(2000, min_length=2)] = Field(min_length=2, max_length=2000)


class LegacyPublic(SQLModel):
    """What is known of a legacy award's original certificate."""

    family: CertificateFamily
    family_zh: str
    issuing_authority: str
    original_number: str
    evidence: list[dict[str, Any]]
    recorded_by_body_id: uuid.UUID | None
    decision_note: str | None
    decided_at: dt.datetime | None


class AwardPublic(SQLModel):
    """An award as the API shows it."""

    id: uuid.UUID
    person_id: uuid.UUID
    person_name: str
    body_id: uuid.UUID | None
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
    status_zh: str
    revocation_reason: AwardRevocationReason | None = None
    revoked_reason: str | None = None
    legacy: LegacyPublic | None = None


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


class AwardAction(StrEnum):
    """Audit actions of grade awards and appointments."""

    CREATED = "award.created"
    RECORDED = "award.recorded"
    APPROVED = "award.approved"
    REJECTED = "award.rejected"
    REVOKED = "award.revoked"
    APPOINTMENT_CREATED = "appointment.created"
    APPOINTMENT_ENDED = "appointment.ended"


# Who sees which rows (registry.access).
access.register(GradeAward, access.Ownership(body=GradeAward.body_id, person=GradeAward.person_id, linked_people=True))
access.register(Appointment, access.Ownership(body=Appointment.body_id, person=Appointment.person_id))
