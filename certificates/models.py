"""Certificate tables (certificate, print history, serial counters) and API shapes."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, Any

import sqlalchemy as sa
from pydantic import model_validator
from sqlmodel import Field, SQLModel

from registry import access
from registry.db import UTCDateTime, enum_type
from registry.fields import bilingual, free_text
from registry.grades import GradeCode


class CertificateStatus(StrEnum):
    """Standing of a certificate; revoked is final and wins over suspended."""

    VALID = "valid"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


STATUS_ZH = {
    CertificateStatus.VALID: "有效",
    CertificateStatus.SUSPENDED: "已暂停",
    CertificateStatus.REVOKED: "已撤销",
}


class RevocationReason(StrEnum):
    """Why a certificate was revoked."""

    FRAUDULENT_EVALUATION = "fraudulent_evaluation"  # 虚假评价 (000:53, 002:27)
    ISSUED_IN_ERROR = "issued_in_error"  # 信息错误或误发
    DUPLICATE = "duplicate"  # 重复发证
    AWARD_WITHDRAWN = "award_withdrawn"  # 等级被撤销
    COURT_ORDER = "court_order"  # 司法机关决定
    OTHER = "other"


REASON_ZH = {
    RevocationReason.FRAUDULENT_EVALUATION: "虚假评价",
    RevocationReason.ISSUED_IN_ERROR: "信息错误或误发",
    RevocationReason.DUPLICATE: "重复发证",
    RevocationReason.AWARD_WITHDRAWN: "等级被撤销",
    RevocationReason.COURT_ORDER: "司法机关决定",
    RevocationReason.OTHER: "其他",
}


class Certificate(SQLModel, table=True):
    """The certificate documenting one award: national number, current print, signed token, status."""

    __tablename__ = "certificate"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    number: str = Field(max_length=22, sa_column_kwargs={"unique": True})
    award_id: uuid.UUID = Field(foreign_key="grade_award.id", sa_column_kwargs={"unique": True})
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    body_id: uuid.UUID = Field(foreign_key="evaluation_body.id", index=True)
    occupation_code: str = Field(foreign_key="occupation.code", max_length=16)
    work_type: str = Field(default="", max_length=64)
    grade: GradeCode = Field(sa_type=enum_type(GradeCode, "grade"))
    issued_on: dt.date = Field(index=True)
    print_serial: int = 1
    kid: str = Field(max_length=32)
    token: str = Field(max_length=512)
    # A random value in v2 tokens, hashed with the number in the revocation list (None: issued as v1, not reissued).
    status_ref: str | None = Field(default=None, max_length=24)
    status: CertificateStatus = Field(
        default=CertificateStatus.VALID, sa_type=enum_type(CertificateStatus, "certificate_status")
    )
    revocation_reason: RevocationReason | None = Field(
        default=None, sa_type=enum_type(RevocationReason, "revocation_reason")
    )
    status_note: str | None = Field(default=None, max_length=2000)
    status_changed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    created_at: dt.datetime = Field(sa_type=UTCDateTime())


class CertificatePrint(SQLModel, table=True):
    """One print (印制) of a certificate; a reissue voids the previous print."""

    __tablename__ = "certificate_print"
    __table_args__ = (sa.UniqueConstraint("certificate_id", "print_serial", name="uq_certificate_print_serial"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    certificate_id: uuid.UUID = Field(foreign_key="certificate.id", index=True)
    print_serial: int
    kid: str = Field(max_length=32)
    issued_at: dt.datetime = Field(sa_type=UTCDateTime())
    voided_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    void_reason: str | None = Field(default=None, max_length=2000)


class HolderCheck(SQLModel, table=True):
    """Online holder checks of one certificate holder in the current window (shared by every API process)."""

    __tablename__ = "holder_check"

    person_id: uuid.UUID = Field(foreign_key="person.id", primary_key=True)
    window_started_at: dt.datetime = Field(sa_type=UTCDateTime())
    attempts: int = 0


class SerialCounter(SQLModel, table=True):
    """The last serial used per (site, year, level); its row lock makes allocation gapless and unique."""

    __tablename__ = "serial_counter"

    site_key: str = Field(primary_key=True, max_length=13)
    year: int = Field(primary_key=True)
    level: str = Field(primary_key=True, max_length=1)
    last_serial: int = 0


class IssueIn(SQLModel):
    """Awards to issue certificates for: a list of award ids, or every award of a closed batch."""

    award_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20_000)
    session_id: uuid.UUID | None = None

    @model_validator(mode="after")
    def _one_source(self) -> IssueIn:
        if bool(self.award_ids) == (self.session_id is not None):
            raise bilingual("one_source", "请提供 award_ids 或 session_id 之一", "give award_ids or session_id")
        return self


class StatusIn(SQLModel):
    """A suspension, reinstatement or reissue with its note."""

    note: Annotated[str, free_text(2000, min_length=2)] = Field(min_length=2, max_length=2000)


class RevokeIn(SQLModel):
    """A revocation: reason code and text (final)."""

    reason: RevocationReason
    note: Annotated[str, free_text(2000, min_length=2)] = Field(min_length=2, max_length=2000)


class CertificatePublic(SQLModel):
    """A certificate as its body, its holder and the regulator see it."""

    id: uuid.UUID
    number: str
    award_id: uuid.UUID
    person_id: uuid.UUID
    holder_name: str
    body_id: uuid.UUID
    body_name: str
    occupation_code: str
    occupation_name_zh: str
    work_type: str
    grade: GradeCode
    grade_zh: str
    national_level: int | None
    issued_on: dt.date
    print_serial: int
    kid: str
    status: CertificateStatus
    status_zh: str
    revocation_reason: RevocationReason | None
    status_note: str | None
    status_changed_at: dt.datetime | None
    verify_url: str


class IssueResult(SQLModel):
    """What an issue request did (idempotent per award)."""

    issued: list[CertificatePublic]
    already_issued: list[str]
    details: dict[str, Any] = Field(default_factory=dict)


class CertificateAction(StrEnum):
    """Audit actions of certificates."""

    ISSUED = "certificate.issued"
    REISSUED = "certificate.reissued"
    SUSPENDED = "certificate.suspended"
    REINSTATED = "certificate.reinstated"
    REVOKED = "certificate.revoked"


# Who sees which rows (registry.access).
access.register(Certificate, access.Ownership(body=Certificate.body_id, person=Certificate.person_id))
