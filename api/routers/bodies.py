"""Evaluation bodies: the public catalogue (评价机构目录), registration, updates, sanctions, chain members."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlmodel import SQLModel

from api.deps import SessionDep
from api.openapi import errors
from api.security import CurrentActor, RegulatorActor
from registry.audit.models import AuditEventPublic
from registry.audit.service import list_events
from registry.bodies import service
from registry.bodies.models import (
    BodyCreate,
    BodyKind,
    BodyPublic,
    BodyStatus,
    BodyUpdate,
    ChainMemberIn,
    StatusChange,
)
from regulator import sanctions
from regulator.models import CatalogueEntryStanding

router = APIRouter(prefix="/api/v1", tags=["bodies"])


class ChainMemberOut(SQLModel):
    """A member enterprise of a chain."""

    uscc: str
    name: str


def _public(body: object) -> BodyPublic:
    return BodyPublic.model_validate(body, from_attributes=True)


@router.get("/bodies", response_model=list[CatalogueEntryStanding])
def catalogue(session: SessionDep) -> list[CatalogueEntryStanding]:
    """The public catalogue of evaluation bodies (000:43): active bodies with an approved, unexpired filing, each
    with its standing and sanction history (in effect / lifted; no reasons, no personal data)."""
    return sanctions.catalogue(session)


@router.post("/bodies", response_model=BodyPublic, status_code=201, responses=errors(409))
def create_body(session: SessionDep, actor: RegulatorActor, data: BodyCreate) -> BodyPublic:
    """Register an evaluation body (regulator); the USCC is checked (GB 32100) and must be new."""
    return _public(service.create_body(session, actor=actor, data=data))


@router.get("/regulator/bodies", response_model=list[BodyPublic])
def list_bodies(
    session: SessionDep,
    actor: RegulatorActor,
    status: BodyStatus | None = None,
    kind: BodyKind | None = None,
    province_code: str | None = None,
) -> list[BodyPublic]:
    """List every registered body whatever its status (regulator)."""
    rows = service.list_bodies(session, actor=actor, status=status, kind=kind, province_code=province_code)
    return [_public(b) for b in rows]


@router.get("/bodies/{body_id}", response_model=BodyPublic)
def get_body(session: SessionDep, actor: CurrentActor, body_id: uuid.UUID) -> BodyPublic:
    """Show a body's full record (its admins and the regulator)."""
    return _public(service.get_body(session, actor=actor, body_id=body_id))


@router.patch("/bodies/{body_id}", response_model=BodyPublic, responses=errors(409))
def update_body(session: SessionDep, actor: CurrentActor, body_id: uuid.UUID, data: BodyUpdate) -> BodyPublic:
    """Change a body; its admins may change only contact details, the regulator anything but the USCC."""
    return _public(service.update_body(session, actor=actor, body_id=body_id, data=data))


@router.post("/bodies/{body_id}/suspend", response_model=BodyPublic, responses=errors(409))
def suspend_body(session: SessionDep, actor: RegulatorActor, body_id: uuid.UUID, data: StatusChange) -> BodyPublic:
    """Suspend a body (regulator); it leaves the catalogue and may not assess or issue."""
    return _public(
        service.set_body_status(session, actor=actor, body_id=body_id, status=BodyStatus.SUSPENDED, reason=data.reason)
    )


@router.post("/bodies/{body_id}/reinstate", response_model=BodyPublic, responses=errors(409))
def reinstate_body(session: SessionDep, actor: RegulatorActor, body_id: uuid.UUID, data: StatusChange) -> BodyPublic:
    """Lift a suspension (regulator)."""
    return _public(
        service.set_body_status(session, actor=actor, body_id=body_id, status=BodyStatus.ACTIVE, reason=data.reason)
    )


@router.post("/bodies/{body_id}/revoke", response_model=BodyPublic, responses=errors(409))
def revoke_body(session: SessionDep, actor: RegulatorActor, body_id: uuid.UUID, data: StatusChange) -> BodyPublic:
    """Revoke a body's evaluation qualification (取消评价资质, 002:27); final."""
    return _public(
        service.set_body_status(session, actor=actor, body_id=body_id, status=BodyStatus.REVOKED, reason=data.reason)
    )


@router.get("/bodies/{body_id}/members", response_model=list[ChainMemberOut])
def list_members(session: SessionDep, actor: CurrentActor, body_id: uuid.UUID) -> list[ChainMemberOut]:
    """List a chain body's member enterprises."""
    rows = service.list_chain_members(session, actor=actor, body_id=body_id)
    return [ChainMemberOut(uscc=m.member_uscc, name=m.member_name) for m in rows]


@router.put("/bodies/{body_id}/members", response_model=list[ChainMemberOut])
def replace_members(
    session: SessionDep, actor: CurrentActor, body_id: uuid.UUID, members: list[ChainMemberIn]
) -> list[ChainMemberOut]:
    """Replace a chain body's member enterprises, whose staff it may assess (001:46)."""
    rows = service.replace_chain_members(session, actor=actor, body_id=body_id, members=members)
    return [ChainMemberOut(uscc=m.member_uscc, name=m.member_name) for m in rows]


@router.get("/bodies/{body_id}/history", response_model=list[AuditEventPublic])
def body_history(session: SessionDep, actor: CurrentActor, body_id: uuid.UUID) -> list[AuditEventPublic]:
    """Show a body's status and change history from the audit log."""
    service.get_body(session, actor=actor, body_id=body_id)
    events = list_events(session, actor=actor, entity_type="body", entity_id=str(body_id), limit=500)
    return [AuditEventPublic.model_validate(e, from_attributes=True) for e in events]
