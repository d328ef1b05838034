"""Exam batches (考务批次): planning, enrolment, scoring, attestation, finalizing, 公示, objections, closing."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from sqlmodel import Field, SQLModel

from api.deps import SessionDep, SettingsDep
from api.openapi import errors
from api.ratelimit import OBJECTION, limit
from api.security import CurrentActor, OptionalActor
from api.uploads import read_upload
from assessment.batches import service
from assessment.batches.models import (
    CandidatePublic,
    CorrectionIn,
    CorrectionPublic,
    EnrolIn,
    ExamSession,
    ObjectionDecisionIn,
    ObjectionIn,
    ObjectionPublic,
    PublicityList,
    ScoresIn,
    SessionCreate,
    SessionPublic,
    SessionStatus,
)
from registry.bodies.models import StatusChange
from registry.fields import free_text
from registry.tabular import read_table

router = APIRouter(prefix="/api/v1", tags=["exam batches"])


class AttestIn(SQLModel):
    """The supervisor's attestation note (optional)."""

    note: Annotated[str, free_text(2000, min_length=0)] = Field(default="", max_length=2000)


class UploadResult(SQLModel):
    """What an upload did."""

    rows: int
    created: int


def _view(session: SessionDep, exam: ExamSession) -> SessionPublic:
    return service.batch_view(session, exam)


@router.post("/sessions", response_model=SessionPublic, status_code=201, responses=errors(404, 409))
def create_session(
    session: SessionDep, settings: SettingsDep, actor: CurrentActor, data: SessionCreate
) -> SessionPublic:
    """Plan a batch under an approved filing: occupation, grade, date, venue, assessors, supervisor, components."""
    return _view(session, service.create_batch(session, actor=actor, data=data, settings=settings))


@router.get("/sessions", response_model=list[SessionPublic])
def list_sessions(
    session: SessionDep, actor: CurrentActor, body_id: uuid.UUID | None = None, status: SessionStatus | None = None
) -> list[SessionPublic]:
    """List batches: a body's own, an assessor's assigned ones, or all (regulator)."""
    return [_view(session, e) for e in service.list_batches(session, actor=actor, body_id=body_id, status=status)]


@router.get("/sessions/{session_id}", response_model=SessionPublic)
def get_session(session: SessionDep, actor: CurrentActor, session_id: uuid.UUID) -> SessionPublic:
    """Show a batch."""
    return _view(session, service.get_batch(session, actor=actor, batch_id=session_id))


@router.post("/sessions/{session_id}/open", response_model=SessionPublic, responses=errors(409))
def open_session(session: SessionDep, actor: CurrentActor, session_id: uuid.UUID) -> SessionPublic:
    """Open a planned batch for scoring."""
    return _view(session, service.open_batch(session, actor=actor, batch_id=session_id))


@router.post("/sessions/{session_id}/cancel", response_model=SessionPublic, responses=errors(409))
def cancel_session(
    session: SessionDep, actor: CurrentActor, session_id: uuid.UUID, data: StatusChange
) -> SessionPublic:
    """Cancel a batch before attestation, with the reason."""
    return _view(session, service.cancel_batch(session, actor=actor, batch_id=session_id, reason=data.reason))


@router.post(
    "/sessions/{session_id}/candidates", response_model=CandidatePublic, status_code=201, responses=errors(409)
)
def enrol(
    session: SessionDep, settings: SettingsDep, actor: CurrentActor, session_id: uuid.UUID, data: EnrolIn
) -> CandidatePublic:
    """Enrol one candidate; the eligibility rules run and an ineligible candidate is refused, naming the rule."""
    candidate = service.enrol(session, actor=actor, batch_id=session_id, data=data, settings=settings)
    exam = service.get_batch(session, actor=actor, batch_id=session_id)
    return service.candidate_view(session, actor=actor, exam=exam, candidate_id=candidate.id)


@router.post(
    "/sessions/{session_id}/candidates/upload",
    response_model=UploadResult,
    status_code=201,
    responses=errors(409, 413),
)
def enrol_upload(
    session: SessionDep,
    settings: SettingsDep,
    actor: CurrentActor,
    session_id: uuid.UUID,
    file: Annotated[UploadFile, File(description="CSV or .xlsx: name,id_number[,id_type,employer_uscc,…]")],
) -> UploadResult:
    """Enrol many candidates from CSV or Excel; one bad row refuses the file, naming every bad row."""
    data, name = read_upload(file, settings)
    rows = read_table(data, filename=name, required=service.ENROL_COLUMNS, optional=service.ENROL_OPTIONAL)
    created = service.enrol_rows(session, actor=actor, batch_id=session_id, rows=rows, settings=settings)
    return UploadResult(rows=len(rows), created=len(created))


@router.get("/sessions/{session_id}/candidates", response_model=list[CandidatePublic])
def list_candidates(session: SessionDep, actor: CurrentActor, session_id: uuid.UUID) -> list[CandidatePublic]:
    """List a batch's candidates with eligibility reports, scores and results."""
    exam = service.get_batch(session, actor=actor, batch_id=session_id)
    return service.candidate_views(session, actor=actor, exam=exam)


@router.put(
    "/sessions/{session_id}/candidates/{candidate_id}/scores", response_model=CandidatePublic, responses=errors(409)
)
def record_scores(
    session: SessionDep, actor: CurrentActor, session_id: uuid.UUID, candidate_id: uuid.UUID, data: ScoresIn
) -> CandidatePublic:
    """Record the calling assessor's own scores (0–100) for one candidate while the batch is open."""
    service.record_scores(session, actor=actor, batch_id=session_id, candidate_id=candidate_id, scores=data.scores)
    exam = service.get_batch(session, actor=actor, batch_id=session_id)
    return service.candidate_view(session, actor=actor, exam=exam, candidate_id=candidate_id)


@router.post("/sessions/{session_id}/scores/upload", response_model=UploadResult, responses=errors(409, 413))
def upload_scores(
    session: SessionDep,
    settings: SettingsDep,
    actor: CurrentActor,
    session_id: uuid.UUID,
    file: Annotated[UploadFile, File(description="CSV or .xlsx: id_number,component,score")],
) -> UploadResult:
    """Record the calling assessor's scores from a file; one bad row refuses it all."""
    data, name = read_upload(file, settings)
    rows = read_table(data, filename=name, required=service.SCORE_COLUMNS, optional=service.SCORE_OPTIONAL)
    count = service.record_score_rows(session, actor=actor, batch_id=session_id, rows=rows, settings=settings)
    return UploadResult(rows=len(rows), created=count)


@router.post("/sessions/{session_id}/attest", response_model=SessionPublic, responses=errors(409))
def attest(session: SessionDep, actor: CurrentActor, session_id: uuid.UUID, data: AttestIn) -> SessionPublic:
    """The batch's supervisor attests the exam and complete scoring (open → scored)."""
    return _view(session, service.attest_batch(session, actor=actor, batch_id=session_id, note=data.note))


@router.post("/sessions/{session_id}/finalize", response_model=SessionPublic, responses=errors(409))
def finalize(session: SessionDep, actor: CurrentActor, session_id: uuid.UUID) -> SessionPublic:
    """Compute results and lock the scores; refused with missing scores or no attestation."""
    return _view(session, service.finalize_batch(session, actor=actor, batch_id=session_id))


@router.post(
    "/sessions/{session_id}/candidates/{candidate_id}/corrections",
    response_model=CorrectionPublic,
    status_code=201,
    responses=errors(409),
)
def correct_score(
    session: SessionDep, actor: CurrentActor, session_id: uuid.UUID, candidate_id: uuid.UUID, data: CorrectionIn
) -> CorrectionPublic:
    """Correct a locked score with a reason; kept as a separate record the regulator sees."""
    correction = service.correct_score(session, actor=actor, batch_id=session_id, candidate_id=candidate_id, data=data)
    return next(c for c in service.corrections(session, actor=actor, batch_id=session_id) if c.id == correction.id)


@router.get("/sessions/{session_id}/corrections", response_model=list[CorrectionPublic])
def list_corrections(session: SessionDep, actor: CurrentActor, session_id: uuid.UUID) -> list[CorrectionPublic]:
    """List a batch's corrections after finalizing."""
    return service.corrections(session, actor=actor, batch_id=session_id)


@router.post("/sessions/{session_id}/publish", response_model=SessionPublic, responses=errors(409))
def publish(session: SessionDep, settings: SettingsDep, actor: CurrentActor, session_id: uuid.UUID) -> SessionPublic:
    """Publish the results (公示) for REGISTRY_PUBLICITY_DAYS days."""
    return _view(session, service.publish_batch(session, actor=actor, batch_id=session_id, settings=settings))


@router.post(
    "/sessions/{session_id}/objections", response_model=ObjectionPublic, status_code=201, responses=errors(409, 429)
)
def file_objection(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: OptionalActor,
    session_id: uuid.UUID,
    data: ObjectionIn,
) -> ObjectionPublic:
    """File an objection (异议) to a result during 公示; anyone may, leaving a contact.

    Counted per client at REGISTRY_LOOKUP_RATE_PER_MINUTE (429 with Retry-After beyond it), one budget with the
    objection form of the public 公示 page (shared through Redis when REGISTRY_REDIS_URL is set).
    """
    limit(request, OBJECTION, settings.lookup_rate_per_minute)
    objection = service.file_objection(session, actor=actor, batch_id=session_id, data=data)
    return ObjectionPublic.model_validate(objection, from_attributes=True)


@router.get("/sessions/{session_id}/objections", response_model=list[ObjectionPublic])
def list_objections(session: SessionDep, actor: CurrentActor, session_id: uuid.UUID) -> list[ObjectionPublic]:
    """List a batch's objections."""
    return service.objections(session, actor=actor, batch_id=session_id)


@router.post(
    "/sessions/{session_id}/objections/{objection_id}/decision", response_model=ObjectionPublic, responses=errors(409)
)
def decide_objection(
    session: SessionDep, actor: CurrentActor, session_id: uuid.UUID, objection_id: uuid.UUID, data: ObjectionDecisionIn
) -> ObjectionPublic:
    """Uphold (withholding the award) or dismiss an objection."""
    objection = service.decide_objection(
        session, actor=actor, batch_id=session_id, objection_id=objection_id, uphold=data.uphold, note=data.note
    )
    return ObjectionPublic.model_validate(objection, from_attributes=True)


@router.post("/sessions/{session_id}/close", response_model=SessionPublic, responses=errors(409))
def close(session: SessionDep, actor: CurrentActor, session_id: uuid.UUID) -> SessionPublic:
    """Close after 公示: passing candidates without an upheld objection receive grade awards."""
    return _view(session, service.close_batch(session, actor=actor, batch_id=session_id))


@router.get("/publicity/{session_id}", response_model=PublicityList)
def publicity(session: SessionDep, session_id: uuid.UUID) -> PublicityList:
    """The public 公示 list of a published batch: masked names and results."""
    return service.publicity(session, batch_id=session_id)
