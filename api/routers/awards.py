"""Grade awards (the lifelong record) and appointments to posts (评聘)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import SessionDep
from api.openapi import errors
from api.pagination import Offset
from api.security import CurrentActor
from registry.awards import service
from registry.awards.models import AppointmentCreate, AppointmentPublic, AwardBasis, AwardPublic
from registry.grades import GradeCode

router = APIRouter(prefix="/api/v1", tags=["awards"])


@router.get("/awards", response_model=list[AwardPublic])
def list_awards(
    session: SessionDep,
    actor: CurrentActor,
    person_id: uuid.UUID | None = None,
    body_id: uuid.UUID | None = None,
    occupation_code: str | None = None,
    grade: GradeCode | None = None,
    basis: AwardBasis | None = None,
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
        limit=limit,
        offset=offset,
    )
    return service.award_views(session, actor=actor, awards=rows)


@router.post("/appointments", response_model=AppointmentPublic, status_code=201, responses=errors(404, 409))
def create_appointment(session: SessionDep, actor: CurrentActor, data: AppointmentCreate) -> AppointmentPublic:
    """Appoint a holder to a post (评聘); separate from the award, as some equivalences need it (004:288)."""
    appointment = service.create_appointment(session, actor=actor, data=data)
    return AppointmentPublic.model_validate(appointment, from_attributes=True)


@router.get("/appointments", response_model=list[AppointmentPublic])
def list_appointments(
    session: SessionDep, actor: CurrentActor, person_id: uuid.UUID | None = None, body_id: uuid.UUID | None = None
) -> list[AppointmentPublic]:
    """List appointments the caller may see."""
    return service.list_appointments(session, actor=actor, person_id=person_id, body_id=body_id)
