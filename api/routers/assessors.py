"""Assessor (考评员) and quality supervisor (质量督导员) cards."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.deps import SessionDep
from api.openapi import errors
from api.security import CurrentActor
from assessment.assessors import service
from assessment.assessors.models import AssessorCreate, AssessorKind, AssessorPublic

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
