"""The audit log: list events (regulator; body admins their own body's) and verify the hash chain."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import SQLModel

from api.deps import SessionDep
from api.pagination import BeforeSeq
from api.security import CurrentActor, RegulatorActor
from registry.audit import service
from registry.audit.models import AuditEventPublic

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


class ChainCheck(SQLModel):
    """The result of checking the audit chain."""

    ok: bool
    checked: int
    last_seq: int
    first_broken_seq: int | None
    problem_zh: str | None
    problem_en: str | None


@router.get("/events", response_model=list[AuditEventPublic])
def list_events(
    session: SessionDep,
    actor: CurrentActor,
    entity_type: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    body_id: uuid.UUID | None = None,
    before_seq: BeforeSeq = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditEventPublic]:
    """List audit events newest first; page with before_seq. Body admins see only their body's events."""
    events = service.list_events(
        session,
        actor=actor,
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        body_id=body_id,
        before_seq=before_seq,
        limit=limit,
    )
    return [AuditEventPublic.model_validate(e, from_attributes=True) for e in events]


@router.get("/verify", response_model=ChainCheck)
def verify(session: SessionDep, actor: RegulatorActor) -> ChainCheck:
    """Recompute the hash chain and name the first event that was edited, removed or reordered (regulator)."""
    report = service.verify_chain(session)
    return ChainCheck(
        ok=report.ok,
        checked=report.checked,
        last_seq=report.last_seq,
        first_broken_seq=report.first_broken_seq,
        problem_zh=report.problem_zh,
        problem_en=report.problem_en,
    )
