"""Regulator tables (tallies, verification events, sanctions, spot-check samples and findings) and API shapes."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from assessment.batches.models import Candidate, ExamSession, Score
from assessment.recognition.models import Recognition
from certificates.models import Certificate
from registry.db import JSONType, UTCDateTime, enum_type
from registry.fields import ProvinceCode, free_text
from registry.filings.models import CatalogueEntry

# The tally's body key for records without an awarding body (legacy awards): a key, never a reference.
NO_BODY = uuid.UUID(int=0)


class StatTally(SQLModel, table=True):
    """Counts of certificates and awards per month, body, occupation, grade, basis, status and reason.

    Kept by database triggers (migration 0010) in the transaction that inserts or changes the counted row, so it
    is never stale; `regulator.tallies.rebuild_tallies` recomputes it from scratch (after a COPY load).
    """

    __tablename__ = "stat_tally"
    __table_args__ = (
        sa.UniqueConstraint(
            "kind",
            "month",
            "body_id",
            "occupation_code",
            "grade",
            "basis",
            "status",
            "reason",
            name="uq_stat_tally_key",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=12)  # certificate | award
    month: dt.date  # first day of the issue (certificate) or award month
    body_id: uuid.UUID  # NO_BODY for legacy awards
    occupation_code: str = Field(max_length=16)
    grade: str = Field(max_length=32)
    basis: str = Field(max_length=16)
    status: str = Field(max_length=16)
    reason: str = Field(max_length=32)
    n: int = 0


# Anomaly summaries (migration 0013), kept exact by triggers on candidate, session_component, score and
# grade_award: regulator/summary_sql.py says how. Keys only, no references: a summary row outlives nothing.


class BatchResultTally(SQLModel, table=True):
    """Candidates with a result per batch, those who passed, and totals per half point above the pass mark."""

    __tablename__ = "batch_result_tally"

    session_id: uuid.UUID = Field(primary_key=True)
    candidates: int
    passes: int
    near_00: int  # totals 0–0.5 points above the weighted pass mark
    near_01: int
    near_02: int
    near_03: int
    near_04: int
    near_05: int
    near_06: int
    near_07: int
    near_08: int
    near_09: int
    near_10: int
    near_11: int
    near_12: int
    near_13: int
    near_14: int
    near_15: int
    near_16: int
    near_17: int
    near_18: int
    near_19: int  # 9.5–10 points above


class BatchScoringTally(SQLModel, table=True):
    """Per batch: (candidate, component) pairs scored by two or more assessors, and those where two agreed."""

    __tablename__ = "batch_scoring_tally"

    session_id: uuid.UUID = Field(primary_key=True)
    items: int
    identical: int


class AssessorDayTally(SQLModel, table=True):
    """Distinct candidates an assessor scored on one Beijing day."""

    __tablename__ = "assessor_day_tally"

    day: dt.date = Field(primary_key=True)
    assessor_id: uuid.UUID = Field(primary_key=True)
    n: int


class AwardSkipTally(SQLModel, table=True):
    """Standing recognitions (and competition promotions) per body and day, and those that skipped a grade."""

    __tablename__ = "award_skip_tally"

    day: dt.date = Field(primary_key=True)
    body_id: uuid.UUID = Field(primary_key=True)  # NO_BODY when the award has none
    recognitions: int
    skips: int


class VerificationEvent(SQLModel, table=True):
    """One online verification: when, which certificate, and a keyed hash of the verifier's coarse network.

    The network is the /24 (IPv4) or /48 (IPv6) prefix hashed with a key derived from the server secret: it tells
    "many different places" from "one place many times" and identifies nobody. Kept for a limited time.
    """

    __tablename__ = "verification_event"
    __table_args__ = (sa.Index("ix_verification_event_number", "number", "occurred_at"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=22)
    occurred_at: dt.datetime = Field(sa_type=UTCDateTime(), index=True)
    network: str = Field(max_length=32)


class SanctionKind(StrEnum):
    """What the regulator does to a body (DESIGN.md §6)."""

    WARNING = "warning"  # 警告并责令限期整改
    SUSPEND_FILING = "suspend_filing"  # 暂停备案
    REVOKE_QUALIFICATION = "revoke_qualification"  # 取消评价资质 (002:27)
    REVOKE_BATCH = "revoke_batch"  # 虚假评价：撤销批次全部证书和等级 (000:53)


SANCTION_ZH = {
    SanctionKind.WARNING: "警告并责令限期整改",
    SanctionKind.SUSPEND_FILING: "暂停自主评价备案",
    SanctionKind.REVOKE_QUALIFICATION: "取消评价资质",
    SanctionKind.REVOKE_BATCH: "认定虚假评价，撤销该批次证书",
}
SANCTION_EN = {
    SanctionKind.WARNING: "warning with a rectification deadline",
    SanctionKind.SUSPEND_FILING: "filing suspended",
    SanctionKind.REVOKE_QUALIFICATION: "evaluation qualification revoked",
    SanctionKind.REVOKE_BATCH: "batch found fraudulent: its certificates and awards revoked",
}
SANCTION_BASIS = {
    SanctionKind.WARNING: "000:53",
    SanctionKind.SUSPEND_FILING: "000:53",
    SanctionKind.REVOKE_QUALIFICATION: "002:27",
    SanctionKind.REVOKE_BATCH: "000:53",
}
LIFTABLE = frozenset({SanctionKind.WARNING, SanctionKind.SUSPEND_FILING})


class SanctionStatus(StrEnum):
    """Whether a sanction still applies."""

    IN_EFFECT = "in_effect"
    LIFTED = "lifted"


class RegulatorAction(StrEnum):
    """Audit actions of the regulator's own records (verbs from registry.audit.actions.Verb)."""

    SANCTION_IMPOSED = "sanction.imposed"
    SANCTION_LIFTED = "sanction.lifted"
    SAMPLE_DRAWN = "sample.drawn"
    FINDING_RECORDED = "finding.recorded"
    EXPORT_EXPORTED = "export.exported"


SANCTION_STATUS_ZH = {SanctionStatus.IN_EFFECT: "生效中", SanctionStatus.LIFTED: "已解除"}


class Sanction(SQLModel, table=True):
    """A sanction against a body, with its reason, effects and history (public without personal data)."""

    __tablename__ = "sanction"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    body_id: uuid.UUID = Field(foreign_key="evaluation_body.id", index=True)
    kind: SanctionKind = Field(sa_type=enum_type(SanctionKind, "sanction_kind"))
    status: SanctionStatus = Field(
        default=SanctionStatus.IN_EFFECT, sa_type=enum_type(SanctionStatus, "sanction_status")
    )
    filing_id: uuid.UUID | None = Field(default=None, foreign_key="filing.id")
    batch_id: uuid.UUID | None = Field(default=None, foreign_key="exam_session.id")
    finding_id: uuid.UUID | None = Field(default=None, foreign_key="spot_finding.id")
    basis: str = Field(max_length=16)
    reason: str = Field(max_length=2000)
    deadline: dt.date | None = None
    effects: dict[str, Any] = Field(sa_type=JSONType())
    decided_at: dt.datetime = Field(sa_type=UTCDateTime())
    decided_by: str = Field(max_length=128)
    lifted_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    lift_reason: str | None = Field(default=None, max_length=2000)


class Population(StrEnum):
    """What a spot check samples."""

    BODIES = "bodies"
    BATCHES = "batches"
    CERTIFICATES = "certificates"


class SpotSample(SQLModel, table=True):
    """A reproducible random sample: the seed, the population's definition and size, the items drawn."""

    __tablename__ = "spot_sample"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    population: Population = Field(sa_type=enum_type(Population, "population"))
    seed: int
    size: int
    weighted: bool
    filters: dict[str, Any] = Field(sa_type=JSONType())
    population_size: int
    reason: str = Field(max_length=2000)
    created_at: dt.datetime = Field(sa_type=UTCDateTime())
    created_by: str = Field(max_length=128)


class SpotSampleItem(SQLModel, table=True):
    """One drawn item, in draw order."""

    __tablename__ = "spot_sample_item"
    __table_args__ = (sa.UniqueConstraint("sample_id", "position", name="uq_spot_sample_item_position"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    sample_id: uuid.UUID = Field(foreign_key="spot_sample.id", index=True)
    position: int
    item_ref: str = Field(max_length=64)  # body / batch id, or certificate number
    body_id: uuid.UUID | None = Field(default=None, foreign_key="evaluation_body.id")
    label: str = Field(max_length=255)
    flagged: bool = False


class FindingOutcome(StrEnum):
    """What the check found."""

    NO_ISSUE = "no_issue"
    MINOR = "minor"  # 一般问题，限期整改
    SERIOUS = "serious"  # 严重问题
    FRAUD = "fraud"  # 虚假评价


FINDING_ZH = {
    FindingOutcome.NO_ISSUE: "未发现问题",
    FindingOutcome.MINOR: "一般问题",
    FindingOutcome.SERIOUS: "严重问题",
    FindingOutcome.FRAUD: "虚假评价",
}


class SpotFinding(SQLModel, table=True):
    """A finding recorded against a sampled item; it may lead to a sanction (sanction.finding_id)."""

    __tablename__ = "spot_finding"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    item_id: uuid.UUID = Field(foreign_key="spot_sample_item.id", index=True)
    outcome: FindingOutcome = Field(sa_type=enum_type(FindingOutcome, "finding_outcome"))
    note: str = Field(max_length=2000)
    recorded_at: dt.datetime = Field(sa_type=UTCDateTime())
    recorded_by: str = Field(max_length=128)


# Indexes on other areas' tables that the regulator's queries need (created by migration 0010).
REGULATOR_INDEXES = (
    sa.Index(
        "ix_certificate_status_changed",
        Certificate.__table__.c.status,  # type: ignore[attr-defined]
        Certificate.__table__.c.status_changed_at,  # type: ignore[attr-defined]
    ),
    sa.Index("ix_exam_session_exam_on", ExamSession.__table__.c.exam_on),  # type: ignore[attr-defined]
    sa.Index(
        "ix_candidate_session_results",
        Candidate.__table__.c.session_id,  # type: ignore[attr-defined]
        Candidate.__table__.c.passed,  # type: ignore[attr-defined]
        Candidate.__table__.c.total_tenths,  # type: ignore[attr-defined]
    ),
    sa.Index("ix_recognition_decided_at", Recognition.__table__.c.decided_at),  # type: ignore[attr-defined]
    sa.Index(
        "ix_score_assessor_recorded",
        Score.__table__.c.assessor_id,  # type: ignore[attr-defined]
        Score.__table__.c.recorded_at,  # type: ignore[attr-defined]
    ),
)


# ------------------------------------------------------------------------------------------------ API shapes


class SanctionIn(SQLModel):
    """A sanction as the regulator sends it; `dry_run` shows exactly what would change and changes nothing."""

    kind: SanctionKind
    body_id: uuid.UUID
    filing_id: uuid.UUID | None = Field(default=None, description="suspend_filing: the filing (default: all approved)")
    batch_id: uuid.UUID | None = Field(default=None, description="revoke_batch: the batch found fraudulent")
    finding_id: uuid.UUID | None = Field(default=None, description="the spot-check finding that led to it")
    deadline: dt.date | None = Field(default=None, description="warning: rectify by this date")
    reason: Annotated[str, free_text(2000, min_length=4)] = Field(min_length=4, max_length=2000)
    dry_run: bool = False


class LiftIn(SQLModel):
    """Why a warning or a suspension is lifted."""

    reason: Annotated[str, free_text(2000, min_length=4)] = Field(min_length=4, max_length=2000)


class SanctionPublic(SQLModel):
    """A sanction as the regulator sees it."""

    id: uuid.UUID
    body_id: uuid.UUID
    body_name: str
    kind: SanctionKind
    kind_zh: str
    status: SanctionStatus
    status_zh: str
    basis: str
    filing_id: uuid.UUID | None
    batch_id: uuid.UUID | None
    finding_id: uuid.UUID | None
    deadline: dt.date | None
    reason: str
    effects: dict[str, Any]
    decided_at: dt.datetime
    decided_by: str
    lifted_at: dt.datetime | None
    lift_reason: str | None


class SanctionPlan(SQLModel):
    """What a sanction changes (dry run) or changed: counts and the lists."""

    dry_run: bool
    kind: SanctionKind
    kind_zh: str
    body_id: uuid.UUID
    body_name: str
    basis: str
    counts: dict[str, int]
    body_status: dict[str, str] | None = None
    filings: list[uuid.UUID] = Field(default_factory=list)
    batches_cancelled: list[uuid.UUID] = Field(default_factory=list)
    certificates: list[str] = Field(default_factory=list)
    awards: list[uuid.UUID] = Field(default_factory=list)
    sanction: SanctionPublic | None = None


class PublicSanction(SQLModel):
    """A sanction as the public catalogue shows it: kind, legal basis, dates and standing — no reason text, no
    personal data (the reason may name people; the kind and clause are what the law makes public)."""

    kind: SanctionKind
    kind_zh: str
    basis: str
    status: SanctionStatus
    status_zh: str
    decided_on: dt.date
    deadline: dt.date | None
    lifted_on: dt.date | None


class BodyStanding(SQLModel):
    """A body's public standing and sanction history."""

    body_id: uuid.UUID
    name: str
    uscc: str
    kind_zh: str
    province_code: str
    city_code: str | None
    status: str
    standing: str
    standing_zh: str
    in_catalogue: bool
    sanctions: list[PublicSanction]


class CatalogueEntryStanding(CatalogueEntry):
    """A catalogue entry with the body's public standing and sanction history."""

    standing: str
    standing_zh: str
    sanctions: list[PublicSanction]


class SampleIn(SQLModel):
    """A spot check to draw; the same seed over the same population draws the same sample."""

    population: Population
    size: int = Field(ge=1, le=500)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1, description="omit for a fresh random seed (recorded)")
    weighted: bool = Field(default=False, description="weight flagged items (anomaly flags) 5:1")
    date_from: dt.date | None = Field(default=None, alias="from")
    date_to: dt.date | None = Field(default=None, alias="to")
    province_code: ProvinceCode | None = None
    reason: Annotated[str, free_text(2000, min_length=4)] = Field(min_length=4, max_length=2000)


class SampleItemPublic(SQLModel):
    """One sampled item and its findings."""

    id: uuid.UUID
    position: int
    item_ref: str
    body_id: uuid.UUID | None
    label: str
    flagged: bool
    findings: list[FindingPublic]


class FindingIn(SQLModel):
    """A finding against a sampled item."""

    outcome: FindingOutcome
    note: Annotated[str, free_text(2000, min_length=4)] = Field(min_length=4, max_length=2000)


class FindingPublic(SQLModel):
    """A recorded finding."""

    id: uuid.UUID
    item_id: uuid.UUID
    outcome: FindingOutcome
    outcome_zh: str
    note: str
    recorded_at: dt.datetime
    recorded_by: str


class SamplePublic(SQLModel):
    """A drawn sample with its seed and items."""

    id: uuid.UUID
    population: Population
    seed: int
    size: int
    weighted: bool
    filters: dict[str, Any]
    population_size: int
    reason: str
    created_at: dt.datetime
    created_by: str
    items: list[SampleItemPublic]


SampleItemPublic.model_rebuild()

ExportKind = Literal["stats", "bodies", "certificates", "anomalies"]
