"""Certificates: issue for awards or a closed batch, read, PDF, streamed ZIP export, status and reissue."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Header, Request
from fastapi.responses import Response, StreamingResponse

from api.deps import SessionDep, SessionFactoryDep, SettingsDep
from api.openapi import errors
from api.routers.jobs import QUEUED, queue_job
from api.security import CurrentActor
from assessment.batches.service import award_ids_of_batch
from certificates import service
from certificates.export import zip_stream
from certificates.files import record_file
from certificates.models import (
    CertificatePublic,
    CertificateStatus,
    IssueIn,
    IssueResult,
    RevokeIn,
    StatusIn,
)
from registry.actor import Actor
from registry.clock import today
from registry.grades import GradeCode
from registry.jobs.models import JobKind
from registry.settings import Settings

router = APIRouter(prefix="/api/v1/certificates", tags=["certificates"])
BINARY = {"type": "string", "format": "binary"}
EXPORT_PAGE = 200


IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=128,
        description="sending the same key again returns the job it started instead of queuing a second one",
    ),
]


@router.post("/issue", response_model=IssueResult, responses={**errors(404, 409), **QUEUED})
def issue(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    settings: SettingsDep,
    actor: CurrentActor,
    data: IssueIn,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Issue certificates for awards (or a whole closed batch); idempotent per award, inside the filing only.

    More than REGISTRY_JOBS_THRESHOLD awards (default 500) are issued by a background job instead: the answer is
    202 with the job (GET /api/v1/jobs/{id} shows its progress); the job issues 200 awards per transaction.
    """
    award_ids = data.award_ids
    if data.session_id is not None:
        award_ids = award_ids_of_batch(session, actor=actor, batch_id=data.session_id)
    if len(award_ids) > settings.jobs_threshold:
        ids = list(dict.fromkeys(award_ids))
        return queue_job(
            request,
            session,
            background,
            actor=actor,
            kind=JobKind.ISSUE_CERTIFICATES,
            params={"award_ids": [str(i) for i in ids], "on": today().isoformat()},
            total=len(ids),
            idempotency_key=idempotency_key,
            settings=settings,
        )
    outcome = service.issue_certificates(session, actor=actor, award_ids=award_ids, settings=settings)
    certificates = [service.get_certificate(session, actor=actor, number=n) for _, n, _ in outcome.issued[:200]]
    shown = service.certificate_views(session, actor=actor, certificates=certificates, settings=settings)
    return IssueResult(
        issued=shown,
        already_issued=outcome.already_issued,
        details={"issued_count": len(outcome.issued), "numbers": [n for _, n, _ in outcome.issued]},
    )


@router.get("", response_model=list[CertificatePublic])
def list_certificates(
    session: SessionDep,
    settings: SettingsDep,
    actor: CurrentActor,
    body_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    status: CertificateStatus | None = None,
    occupation_code: str | None = None,
    grade: GradeCode | None = None,
    after: str | None = None,
) -> list[CertificatePublic]:
    """List certificates the caller may see, by number; page with after=<last number>."""
    rows = service.list_certificates(
        session,
        actor=actor,
        body_id=body_id,
        person_id=person_id,
        status=status,
        occupation_code=occupation_code,
        grade=grade,
        after=after,
    )
    return service.certificate_views(session, actor=actor, certificates=rows, settings=settings)


@router.get(
    "/export.zip",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/zip": {"schema": BINARY}}, "description": "PDFs + manifest.csv"}},
)
def export_zip(
    settings: SettingsDep,
    actor: CurrentActor,
    open_session: SessionFactoryDep,
    body_id: uuid.UUID | None = None,
    status: CertificateStatus | None = None,
    occupation_code: str | None = None,
    grade: GradeCode | None = None,
) -> StreamingResponse:
    """Download the caller's certificates as one ZIP of PDFs plus a manifest, streamed in constant memory."""
    only = service.ExportFilter(body_id, status, occupation_code, grade)
    return StreamingResponse(
        zip_stream(service.export_entries(open_session, actor=actor, only=only, settings=settings)),
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="certificates.zip"'},
    )


@router.post("/export", status_code=202, responses=QUEUED)
def export_job(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    settings: SettingsDep,
    actor: CurrentActor,
    body_id: uuid.UUID | None = None,
    status: CertificateStatus | None = None,
    occupation_code: str | None = None,
    grade: GradeCode | None = None,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Export the caller's certificates (e.g. a whole body's) as a ZIP of PDFs + manifest, in a background job.

    The answer is the job (202); when it has succeeded its ZIP is at GET /api/v1/jobs/{id}/file.
    """
    total = service.count_certificates(
        session, actor=actor, body_id=body_id, status=status, occupation_code=occupation_code, grade=grade
    )
    params = {
        "body_id": str(body_id) if body_id else None,
        "status": status.value if status else None,
        "occupation_code": occupation_code,
        "grade": grade.value if grade else None,
    }
    return queue_job(
        request,
        session,
        background,
        actor=actor,
        kind=JobKind.EXPORT_CERTIFICATES,
        params=params,
        total=total,
        idempotency_key=idempotency_key,
        settings=settings,
    )


@router.get("/{number}", response_model=CertificatePublic)
def get_certificate(session: SessionDep, settings: SettingsDep, actor: CurrentActor, number: str) -> CertificatePublic:
    """Show a certificate (its body, its holder, the regulator)."""
    certificate = service.get_certificate(session, actor=actor, number=number)
    return service.certificate_view(session, actor=actor, certificate=certificate, settings=settings)


@router.get(
    "/{number}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {"schema": BINARY}}, "description": "the current print"}},
)
def certificate_pdf(session: SessionDep, settings: SettingsDep, actor: CurrentActor, number: str) -> Response:
    """Download the current print as PDF (revoked or suspended ones carry a watermark)."""
    certificate = service.get_certificate(session, actor=actor, number=number)
    pdf = service.render_pdf(session, certificate, settings)
    record_file(session, certificate, pdf)  # so the file can be recognised later (POST /api/v1/verify/pdf)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{certificate.number}.pdf"'},
    )


def _changed(session: SessionDep, settings: Settings, actor: Actor, number: str) -> CertificatePublic:
    certificate = service.get_certificate(session, actor=actor, number=number)
    return service.certificate_view(session, actor=actor, certificate=certificate, settings=settings)


@router.post("/{number}/suspend", response_model=CertificatePublic, responses=errors(409))
def suspend(
    session: SessionDep, settings: SettingsDep, actor: CurrentActor, number: str, data: StatusIn
) -> CertificatePublic:
    """Suspend a certificate (reversible); verification shows 已暂停."""
    service.set_status(session, actor=actor, number=number, target=CertificateStatus.SUSPENDED, note=data.note)
    return _changed(session, settings, actor, number)


@router.post("/{number}/reinstate", response_model=CertificatePublic, responses=errors(409))
def reinstate(
    session: SessionDep, settings: SettingsDep, actor: CurrentActor, number: str, data: StatusIn
) -> CertificatePublic:
    """Lift a suspension."""
    service.set_status(session, actor=actor, number=number, target=CertificateStatus.VALID, note=data.note)
    return _changed(session, settings, actor, number)


@router.post("/{number}/revoke", response_model=CertificatePublic, responses=errors(409))
def revoke(
    session: SessionDep, settings: SettingsDep, actor: CurrentActor, number: str, data: RevokeIn
) -> CertificatePublic:
    """Revoke a certificate (final) with a reason code, e.g. fraudulent_evaluation (虚假评价)."""
    service.set_status(
        session, actor=actor, number=number, target=CertificateStatus.REVOKED, note=data.note, reason=data.reason
    )
    return _changed(session, settings, actor, number)


@router.post("/{number}/reissue", response_model=CertificatePublic, responses=errors(409))
def reissue(
    session: SessionDep, settings: SettingsDep, actor: CurrentActor, number: str, data: StatusIn
) -> CertificatePublic:
    """Reissue: same number, new print serial and token; the previous print verifies as superseded."""
    service.reissue(session, actor=actor, number=number, note=data.note, settings=settings)
    return _changed(session, settings, actor, number)
