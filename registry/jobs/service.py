"""Jobs: create (idempotent per owner and key), read (owner only), and the state changes a runner makes.

The queue only carries a job's id: state and progress live in this table and change in the same transaction as
the work they describe, so a run killed at any point leaves a record that says exactly what is done, and running
the job again (any number of times) continues from there.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

from sqlmodel import Session, col, select

from registry.actor import Actor, Role
from registry.clock import utcnow
from registry.errors import DomainError, NotFound
from registry.jobs.models import KIND_ZH, STATUS_ZH, Job, JobKind, JobPublic, JobStatus


class JobNotFound(NotFound):
    """No such job, or not the caller's."""

    code = "job_not_found"


def actor_data(actor: Actor) -> dict[str, Any]:
    """The actor as JSON, to run the job as later."""
    return {k: (str(v) if isinstance(v, uuid.UUID) else v) for k, v in asdict(actor).items()}


def actor_of(job: Job) -> Actor:
    """The actor the job runs as (its permissions are checked again by the services it calls)."""
    data = job.actor

    def _id(key: str) -> uuid.UUID | None:
        return uuid.UUID(data[key]) if data.get(key) else None

    return Actor(
        label=data["label"],
        role=Role(data["role"]) if data.get("role") else None,
        user_id=_id("user_id"),
        body_id=_id("body_id"),
        person_id=_id("person_id"),
        assessor_id=_id("assessor_id"),
    )


def create_job(
    session: Session,
    *,
    actor: Actor,
    kind: JobKind,
    params: dict[str, Any],
    total: int,
    idempotency_key: str | None = None,
) -> tuple[Job, bool]:
    """Record a queued job; with an idempotency key the caller's earlier job with that key is returned instead.

    Returns (job, created). The caller enqueues the job's id after the transaction commits.
    """
    if idempotency_key is not None:
        earlier = session.exec(
            select(Job).where(Job.owner_label == actor.label, Job.idempotency_key == idempotency_key)
        ).first()
        if earlier is not None:
            return earlier, False
    job = Job(
        kind=kind,
        owner_user_id=actor.user_id,
        owner_label=actor.label,
        actor=actor_data(actor),
        idempotency_key=idempotency_key,
        params=params,
        total=total,
    )
    session.add(job)
    session.flush()
    return job, True


def get_job(session: Session, *, actor: Actor, job_id: uuid.UUID) -> Job:
    """The caller's own job (another account's is "not found", whatever its role)."""
    job = session.get(Job, job_id)
    if job is None or job.owner_label != actor.label:
        raise JobNotFound("任务不存在", "no such job", extra={"job_id": str(job_id)})
    return job


def list_jobs(session: Session, *, actor: Actor, limit: int = 50) -> list[Job]:
    """The caller's jobs, newest first."""
    statement = select(Job).where(Job.owner_label == actor.label).order_by(col(Job.created_at).desc()).limit(limit)
    return list(session.exec(statement).all())


def job_view(job: Job, *, file_url: str | None = None) -> JobPublic:
    """The job as its owner sees it."""
    return JobPublic(
        id=job.id,
        kind=job.kind,
        kind_zh=KIND_ZH[job.kind],
        status=job.status,
        status_zh=STATUS_ZH[job.status],
        total=job.total,
        done=job.done,
        progress=round(job.done / job.total, 4) if job.total else (1.0 if job.status == JobStatus.SUCCEEDED else 0.0),
        result=job.result,
        error=job.error,
        attempts=job.attempts,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        file_url=file_url if job.status == JobStatus.SUCCEEDED else None,
    )


def unfinished_jobs(session: Session, *, queued: bool = True) -> list[uuid.UUID]:
    """Jobs left running (by a process that may have died) and, with queued, those queued; oldest first."""
    statuses = [JobStatus.QUEUED, JobStatus.RUNNING] if queued else [JobStatus.RUNNING]
    statement = select(Job.id).where(col(Job.status).in_(statuses)).order_by(col(Job.created_at))
    return list(session.exec(statement).all())


def start(session: Session, job: Job) -> None:
    """Mark a run as started (again, after a kill: attempts counts the runs)."""
    now = utcnow()
    job.status = JobStatus.RUNNING
    job.attempts += 1
    job.started_at = job.started_at or now
    job.updated_at = now
    session.add(job)


def advance(session: Session, job: Job, *, done: int, result: dict[str, Any] | None = None) -> None:
    """Record progress; call in the transaction that did the work."""
    job.done = done
    if result is not None:
        job.result = result
    job.updated_at = utcnow()
    session.add(job)


def succeed(session: Session, job: Job, *, result: dict[str, Any]) -> None:
    """The job is done; call in the transaction that did its last piece of work."""
    job.status = JobStatus.SUCCEEDED
    job.done = job.total if job.total else job.done
    job.result = result
    job.finished_at = job.updated_at = utcnow()
    session.add(job)


def fail(session: Session, job: Job, error: DomainError) -> None:
    """The job was refused (a domain error: running it again would give the same answer)."""
    job.status = JobStatus.FAILED
    job.error = {"error": error.code, "detail_zh": error.zh, "detail_en": error.en, **_jsonable(error.extra)}
    job.finished_at = job.updated_at = utcnow()
    session.add(job)


def _jsonable(extra: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in extra.items() if isinstance(v, str | int | float | bool | list | dict | type(None))}
