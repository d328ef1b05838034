"""People (持证人/考生) and their employment; ID numbers shown in full only to their own bodies and the regulator."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import SessionDep, SettingsDep
from api.security import CurrentActor
from registry.people import service
from registry.people.models import EmploymentIn, PersonCreate, PersonPublic

router = APIRouter(prefix="/api/v1/persons", tags=["people"])


@router.post("", response_model=PersonPublic, status_code=201, responses={200: {"model": PersonPublic}})
def register_person(
    session: SessionDep, settings: SettingsDep, actor: CurrentActor, data: PersonCreate
) -> PersonPublic | JSONResponse:
    """Register a person (居民身份证 checked); an identity already registered returns that person (200)."""
    person, created = service.register_person(session, actor=actor, data=data, settings=settings)
    view = service.person_view(session, actor=actor, person=person, settings=settings)
    if created:
        return view
    return JSONResponse(view.model_dump(mode="json"), status_code=200)


@router.get("/{person_id}", response_model=PersonPublic)
def get_person(session: SessionDep, settings: SettingsDep, actor: CurrentActor, person_id: uuid.UUID) -> PersonPublic:
    """Show a person the caller deals with."""
    person = service.get_person(session, actor=actor, person_id=person_id)
    return service.person_view(session, actor=actor, person=person, settings=settings)


@router.post("/{person_id}/employments", response_model=PersonPublic, status_code=201)
def add_employment(
    session: SessionDep, settings: SettingsDep, actor: CurrentActor, person_id: uuid.UUID, data: EmploymentIn
) -> PersonPublic:
    """Record who employs a person (dispatched workers name the agency, 002:22)."""
    service.add_employment(session, actor=actor, person_id=person_id, data=data)
    person = service.get_person(session, actor=actor, person_id=person_id)
    return service.person_view(session, actor=actor, person=person, settings=settings)
