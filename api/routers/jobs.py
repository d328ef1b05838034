"""Background jobs: their progress and outcome, for the account that started them only."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import FileResponse, JSONResponse
from sqlmodel import Session

from api.deps import SessionDep, SettingsDep
from api.jobs import JobQueue, job_file
from api.openapi import errors
from api.security import CurrentActor
from registry.actor import Actor
from registry.errors import NotFound
from registry.jobs import service as jobs
from registry.jobs.models import JobKind, JobPublic, JobStatus
from registry.settings import Settings

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])
QUEUED: dict[int | str, dict[str, Any]] = {
    202: {"model": JobPublic, "description": "too large to do at once: queued as a job (see Location)"}
}


def file_url(job_id: uuid.UUID) -> str:
    """Where a job's file is downloaded."""
    return f"/api/v1/jobs/{job_id}/file"


def view(job: Any) -> JobPublic:
    """The job as its owner sees it (with its file's link when it has one)."""
    has_file = job.kind == JobKind.EXPORT_CERTIFICATES
    return jobs.job_view(job, file_url=file_url(job.id) if has_file else None)


def queue_job(
    request: Request,
    session: Session,
    background: BackgroundTasks,
    *,
    actor: Actor,
    kind: JobKind,
    params: dict[str, Any],
    total: int,
    idempotency_key: str | None,
    settings: Settings,
    before_submit: Any = None,
) -> JSONResponse:
    """Record the job (or find the caller's earlier one with this Idempotency-Key) and answer 202 with it.

    The id is handed to the queue after the response, when the request's transaction has committed.
    """
    job, created = jobs.create_job(
        session, actor=actor, kind=kind, params=params, total=total, idempotency_key=idempotency_key
    )
    if created:
        if before_submit is not None:
            before_submit(job.id)
        job_queue: JobQueue = request.app.state.job_queue(settings)
        background.add_task(job_queue.submit, job.id)
    return JSONResponse(
        view(job).model_dump(mode="json"),
        status_code=202,
        headers={"Location": f"/api/v1/jobs/{job.id}"},
    )


@router.get("", response_model=list[JobPublic])
def list_jobs(session: SessionDep, actor: CurrentActor) -> list[JobPublic]:
    """The caller's own jobs, newest first."""
    return [view(job) for job in jobs.list_jobs(session, actor=actor)]


@router.get("/{job_id}", response_model=JobPublic, responses=errors(404))
def get_job(session: SessionDep, actor: CurrentActor, job_id: uuid.UUID) -> JobPublic:
    """A job's status and progress (done of total) — only for the account that started it."""
    return view(jobs.get_job(session, actor=actor, job_id=job_id))


@router.get(
    "/{job_id}/file",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}},
        **errors(404),
    },
)
def job_file_download(session: SessionDep, settings: SettingsDep, actor: CurrentActor, job_id: uuid.UUID) -> Any:
    """Download an export job's ZIP once it has succeeded."""
    job = jobs.get_job(session, actor=actor, job_id=job_id)
    path = job_file(settings, job.id, ".zip")
    if job.kind != JobKind.EXPORT_CERTIFICATES or job.status != JobStatus.SUCCEEDED or not path.exists():
        raise NotFound(
            "此任务没有可下载的文件（尚未完成或不是导出任务）", "this job has no file (not done, or no export)"
        )
    return FileResponse(path, media_type="application/zip", filename=f"certificates-{job.id}.zip")
