"""Assessor (考评员) and quality supervisor (质量督导员) cards."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.deps import SessionDep
from api.openapi import errors
from api.security import CurrentActor, RegulatorActor
from assessment.assessors import service
from assessment.assessors.models import AssessorCreate, AssessorKind, AssessorPublic, AssessorStatus
from registry.bodies.models import StatusChange

router = APIRouter(prefix="/api/v1/assessors", tags=["assessors"])


@router.post("", response_model=AssessorPublic, status_code=201, responses=errors(404, 409))
def register_assessor(session: SessionDep, actor: CurrentActor, data: AssessorCreate) -> AssessorPublic:
    """Issue a card: occupations, highest grade assessable, grade held, validity (the regulator any card; a body
    admin an assessor card of its own body — supervisor cards remain the regulator's)."""
    return service.assessor_view(session, service.register_assessor(session, actor=actor, data=data))


@router.get("", response_model=list[AssessorPublic])
def list_assessors(
    session: SessionDep, actor: CurrentActor, occupation_code: str | None = None, kind: AssessorKind | None = None
) -> list[AssessorPublic]:
    """List active cards (to staff batches), optionally for one occupation."""
    return [
        service.assessor_view(session, a)
        for a in service.list_assessors(session, occupation_code=occupation_code, kind=kind)
    ]


@router.get("/{assessor_id}", response_model=AssessorPublic)
def get_assessor(session: SessionDep, actor: CurrentActor, assessor_id: uuid.UUID) -> AssessorPublic:
    """Show one card."""
    return service.assessor_view(session, service.get_assessor(session, assessor_id))


def _status(
    session: SessionDep, actor: RegulatorActor, assessor_id: uuid.UUID, status: AssessorStatus, reason: str
) -> AssessorPublic:
    card = service.set_assessor_status(session, actor=actor, assessor_id=assessor_id, status=status, reason=reason)
    return service.assessor_view(session, card)


@router.post("/{assessor_id}/suspend", response_model=AssessorPublic, responses=errors(404, 409))
def suspend_assessor(
    session: SessionDep, actor: RegulatorActor, assessor_id: uuid.UUID, data: StatusChange
) -> AssessorPublic:
    """Suspend a card (regulator): it may be named on no batch and record no score until reinstated."""
    return _status(session, actor, assessor_id, AssessorStatus.SUSPENDED, data.reason)


@router.post("/{assessor_id}/reinstate", response_model=AssessorPublic, responses=errors(404, 409))
def reinstate_assessor(
    session: SessionDep, actor: RegulatorActor, assessor_id: uuid.UUID, data: StatusChange
) -> AssessorPublic:
    """Reinstate a suspended card (regulator)."""
    return _status(session, actor, assessor_id, AssessorStatus.ACTIVE, data.reason)


@router.post("/{assessor_id}/revoke", response_model=AssessorPublic, responses=errors(404, 409))
def revoke_assessor(
    session: SessionDep, actor: RegulatorActor, assessor_id: uuid.UUID, data: StatusChange
) -> AssessorPublic:
    """Revoke a card (regulator); final — a new card is issued instead."""
    return _status(session, actor, assessor_id, AssessorStatus.REVOKED, data.reason)
