"""Grade awards (the lifelong record), legacy certificates, revocation, and appointments to posts (评聘)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, File, Query, Request, UploadFile
from sqlmodel import SQLModel

from api.deps import SessionDep, SettingsDep
from api.jobs import job_file
from api.openapi import errors
from api.pagination import Offset
from api.routers.certificates import IdempotencyKey
from api.routers.jobs import QUEUED, queue_job
from api.security import CurrentActor
from api.uploads import read_upload
from certificates import service as certificates
from registry.awards import legacy, service
from registry.awards.models import (
    AppointmentCreate,
    AppointmentPublic,
    AwardBasis,
    AwardDecisionIn,
    AwardPublic,
    AwardRevokeIn,
    AwardStatus,
    LegacyAwardIn,
)
from registry.grades import GradeCode
from registry.jobs.models import JobKind
from registry.tabular import read_table

router = APIRouter(prefix="/api/v1", tags=["awards"])


class LegacyUploadResult(SQLModel):
    """What a legacy upload did."""

    rows: int
    active: int
    pending: int


@router.get("/awards", response_model=list[AwardPublic])
def list_awards(
    session: SessionDep,
    actor: CurrentActor,
    person_id: uuid.UUID | None = None,
    body_id: uuid.UUID | None = None,
    occupation_code: str | None = None,
    grade: GradeCode | None = None,
    basis: AwardBasis | None = None,
    status: AwardStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Offset = 0,
) -> list[AwardPublic]:
    """List awards: a worker's own lifelong record, a body's awards and people, or all (regulator)."""
    rows = service.list_awards(
        session,
        actor=actor,
        person_id=person_id,
        body_id=body_id,
        occupation_code=occupation_code,
        grade=grade,
        basis=basis,
        status=status,
        limit=limit,
        offset=offset,
    )
    return service.award_views(session, actor=actor, awards=rows)


@router.post("/awards/legacy", response_model=AwardPublic, status_code=201, responses=errors(404, 409))
def record_legacy_award(session: SessionDep, actor: CurrentActor, data: LegacyAwardIn) -> AwardPublic:
    """Record a certificate issued before the registry (职业资格证书 or 职业技能等级证书).

    The regulator's records count at once; a body admin may record them only for its own staff, and they count
    (as a prerequisite, for appointments and 比照) only once the regulator confirms them.
    """
    award, _ = legacy.record_legacy_award(session, actor=actor, data=data)
    return service.award_views(session, actor=actor, awards=[award])[0]


@router.post(
    "/awards/legacy/upload",
    response_model=LegacyUploadResult,
    status_code=201,
    responses={**errors(404, 409, 413), **QUEUED},
)
def upload_legacy_awards(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    settings: SettingsDep,
    actor: CurrentActor,
    file: Annotated[
        UploadFile,
        File(
            description="CSV or .xlsx: id_number,name,occupation_code,grade,family,issuing_authority,"
            "original_number,awarded_on,evidence_ref[,id_type,work_type,evidence_kind,evidence_description]"
        ),
    ],
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Record many legacy certificates from CSV or Excel; one bad row refuses the file, naming every bad row.

    A file of more than REGISTRY_JOBS_THRESHOLD rows is imported by a background job (202 with the job), still
    all or nothing: the job's result or its error (naming the bad rows) shows at GET /api/v1/jobs/{id}.
    """
    data, name = read_upload(file, settings)
    rows = read_table(data, filename=name, required=legacy.LEGACY_COLUMNS, optional=legacy.LEGACY_OPTIONAL)
    if len(rows) > settings.jobs_threshold:

        def keep_upload(job_id: uuid.UUID) -> None:
            target = job_file(settings, job_id, ".upload")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)

        return queue_job(
            request,
            session,
            background,
            actor=actor,
            kind=JobKind.IMPORT_LEGACY_AWARDS,
            params={"filename": name, "rows": len(rows)},
            total=len(rows),
            idempotency_key=idempotency_key,
            settings=settings,
            before_submit=keep_upload,
        )
    summary = legacy.import_legacy(session, actor=actor, rows=rows, settings=settings)
    return LegacyUploadResult(rows=summary.rows, active=summary.active, pending=summary.pending)


@router.get("/awards/{award_id}", response_model=AwardPublic)
def get_award(session: SessionDep, actor: CurrentActor, award_id: uuid.UUID) -> AwardPublic:
    """Show one award (with its original certificate, for a legacy record)."""
    award = service.get_award(session, actor=actor, award_id=award_id)
    return service.award_views(session, actor=actor, awards=[award])[0]


@router.post("/awards/{award_id}/decision", response_model=AwardPublic, responses=errors(409))
def decide_legacy_award(
    session: SessionDep, actor: CurrentActor, award_id: uuid.UUID, data: AwardDecisionIn
) -> AwardPublic:
    """Confirm or reject a legacy record a body entered (regulator)."""
    award = legacy.decide_legacy_award(session, actor=actor, award_id=award_id, approve=data.approve, note=data.note)
    return service.award_views(session, actor=actor, awards=[award])[0]


@router.post("/awards/{award_id}/revoke", response_model=AwardPublic, responses=errors(409))
def revoke_award(session: SessionDep, actor: CurrentActor, award_id: uuid.UUID, data: AwardRevokeIn) -> AwardPublic:
    """Revoke an award (final) and every certificate documenting it; both audited, both shown on verification."""
    award = certificates.revoke_award(session, actor=actor, award_id=award_id, reason=data.reason, note=data.note)
    return service.award_views(session, actor=actor, awards=[award])[0]


@router.post("/appointments", response_model=AppointmentPublic, status_code=201, responses=errors(404, 409))
def create_appointment(session: SessionDep, actor: CurrentActor, data: AppointmentCreate) -> AppointmentPublic:
    """Appoint a holder to a post (评聘); separate from the award, as some 比照 entries need it (004:288)."""
    appointment = service.create_appointment(session, actor=actor, data=data)
    return AppointmentPublic.model_validate(appointment, from_attributes=True)


@router.get("/appointments", response_model=list[AppointmentPublic])
def list_appointments(
    session: SessionDep, actor: CurrentActor, person_id: uuid.UUID | None = None, body_id: uuid.UUID | None = None
) -> list[AppointmentPublic]:
    """List appointments the caller may see."""
    return service.list_appointments(session, actor=actor, person_id=person_id, body_id=body_id)
