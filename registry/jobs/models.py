"""The job table: one row per bulk job; the database, not the queue, holds its state and progress."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from registry.clock import utcnow
from registry.db import JSONType, UTCDateTime, enum_type


class JobKind(StrEnum):
    """What a job does."""

    ISSUE_CERTIFICATES = "issue_certificates"
    EXPORT_CERTIFICATES = "export_certificates"
    IMPORT_LEGACY_AWARDS = "import_legacy_awards"
    ENROL_CANDIDATES = "enrol_candidates"  # a batch's candidate upload
    IMPORT_RESULTS = "import_results"  # a batch's results upload (candidates and every assessor's scores)


class JobStatus(StrEnum):
    """Where a job is: queued → running → succeeded | failed (a killed run goes back to running on resume)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


KIND_ZH = {
    JobKind.ISSUE_CERTIFICATES: "批量发证",
    JobKind.EXPORT_CERTIFICATES: "批量导出证书",
    JobKind.IMPORT_LEGACY_AWARDS: "批量导入历史证书",
    JobKind.ENROL_CANDIDATES: "批量报名考生",
    JobKind.IMPORT_RESULTS: "批量导入考核成绩",
}
STATUS_ZH = {
    JobStatus.QUEUED: "排队中",
    JobStatus.RUNNING: "进行中",
    JobStatus.SUCCEEDED: "已完成",
    JobStatus.FAILED: "失败",
}


class Job(SQLModel, table=True):
    """A bulk job, its owner (the account that asked, and the actor it runs as) and its progress."""

    __tablename__ = "job"
    __table_args__ = (
        sa.UniqueConstraint("owner_label", "idempotency_key"),
        sa.CheckConstraint("total >= 0 AND done >= 0 AND attempts >= 0", name="counts"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: JobKind = Field(sa_type=enum_type(JobKind, "job_kind"))
    status: JobStatus = Field(default=JobStatus.QUEUED, sa_type=enum_type(JobStatus, "job_status"), index=True)
    owner_user_id: uuid.UUID | None = Field(default=None, index=True)
    owner_label: str = Field(max_length=128)
    actor: dict[str, Any] = Field(sa_type=JSONType())  # the Actor the job runs as (role, body, …), re-checked
    idempotency_key: str | None = Field(default=None, max_length=128)
    params: dict[str, Any] = Field(sa_type=JSONType())
    total: int = Field(default=0, ge=0)
    done: int = Field(default=0, ge=0)
    result: dict[str, Any] | None = Field(default=None, sa_type=JSONType())
    error: dict[str, Any] | None = Field(default=None, sa_type=JSONType())
    attempts: int = Field(default=0, ge=0)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())
    started_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    finished_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_type=UTCDateTime())


class JobPublic(SQLModel):
    """A job as its owner sees it: status, progress, outcome."""

    id: uuid.UUID
    kind: JobKind
    kind_zh: str
    status: JobStatus
    status_zh: str
    total: int
    done: int
    progress: float = Field(description="done / total, 0..1")
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    attempts: int
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    file_url: str | None = Field(default=None, description="the export's ZIP, once the job succeeded")
