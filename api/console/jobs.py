"""A job's progress for the console: a page (works without JavaScript), its JSON for /static/console.js, its file.

Only the account that started a job sees it (registry.jobs.service.get_job), exactly as in the API.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse

from api.console.session import PageActor, render
from api.deps import SessionDep, SettingsDep
from api.jobs import job_file
from registry.errors import NotFound
from registry.jobs import service as jobs
from registry.jobs.models import JobKind, JobPublic, JobStatus

router = APIRouter(include_in_schema=False)


def progress_url(job_id: uuid.UUID) -> str:
    """Where console.js polls a job."""
    return f"/console/jobs/{job_id}/progress"


def view(job: Any) -> JobPublic:
    """The job with the console's download link when it has a file."""
    has_file = job.kind == JobKind.EXPORT_CERTIFICATES and job.status == JobStatus.SUCCEEDED
    return jobs.job_view(job, file_url=f"/console/jobs/{job.id}/file" if has_file else None)


@router.get("/console/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, session: SessionDep, actor: PageActor, job_id: uuid.UUID) -> HTMLResponse:
    """A job's progress and outcome (refreshes itself without JavaScript while it runs)."""
    job = view(jobs.get_job(session, actor=actor, job_id=job_id))
    return render(request, "console/job.html", {"job": job, "job_id": job.id})


@router.get("/console/jobs/{job_id}/progress")
def job_progress(session: SessionDep, actor: PageActor, job_id: uuid.UUID) -> JSONResponse:
    """The job as JSON for the page's script (a GET read with the session cookie; never a write)."""
    job = view(jobs.get_job(session, actor=actor, job_id=job_id))
    return JSONResponse(job.model_dump(mode="json"), headers={"Cache-Control": "no-store"})


@router.get("/console/jobs/{job_id}/file", response_class=FileResponse)
def job_download(session: SessionDep, settings: SettingsDep, actor: PageActor, job_id: uuid.UUID) -> FileResponse:
    """An export job's ZIP once it has succeeded."""
    job = jobs.get_job(session, actor=actor, job_id=job_id)
    path = job_file(settings, job.id, ".zip")
    if job.kind != JobKind.EXPORT_CERTIFICATES or job.status != JobStatus.SUCCEEDED or not path.exists():
        raise NotFound(
            "此任务没有可下载的文件（尚未完成或不是导出任务）", "this job has no file (not done, or no export)"
        )
    return FileResponse(path, media_type="application/zip", filename=f"certificates-{job.id}.zip")
