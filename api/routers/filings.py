"""Filings (自主评价备案): draft, submit against the rules, regulator decisions and sanctions."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.deps import SessionDep, SettingsDep
from api.openapi import errors
from api.security import CurrentActor, RegulatorActor
from registry.bodies.models import StatusChange
from registry.filings import service
from registry.filings.models import FilingCreate, FilingDecision, FilingIn, FilingPublic, FilingStatus

router = APIRouter(prefix="/api/v1/filings", tags=["filings"])


@router.post("", response_model=FilingPublic, status_code=201, responses=errors(404))
def create_filing(session: SessionDep, settings: SettingsDep, actor: CurrentActor, data: FilingCreate) -> FilingPublic:
    """Draft a programme for a body: ceiling, validity window, scope lines (occupation, grade, methods)."""
    filing = service.create_filing(session, actor=actor, data=data)
    return service.filing_view(session, filing=filing, settings=settings)


@router.get("", response_model=list[FilingPublic])
def list_filings(
    session: SessionDep,
    settings: SettingsDep,
    actor: CurrentActor,
    body_id: uuid.UUID | None = None,
    status: FilingStatus | None = None,
) -> list[FilingPublic]:
    """List filings: a body admin's own, or the regulator's all (optionally one body's)."""
    rows = service.list_filings(session, actor=actor, body_id=body_id, status=status)
    return [service.filing_view(session, filing=f, settings=settings) for f in rows]


@router.get("/{filing_id}", response_model=FilingPublic)
def get_filing(session: SessionDep, settings: SettingsDep, actor: CurrentActor, filing_id: uuid.UUID) -> FilingPublic:
    """Show a filing with its rule report (a live preview while it is a draft)."""
    filing = service.get_filing(session, actor=actor, filing_id=filing_id)
    return service.filing_view(session, filing=filing, settings=settings)


@router.put("/{filing_id}", response_model=FilingPublic, responses=errors(409))
def update_filing(
    session: SessionDep, settings: SettingsDep, actor: CurrentActor, filing_id: uuid.UUID, data: FilingIn
) -> FilingPublic:
    """Replace a draft's programme (drafts only)."""
    filing = service.update_filing(session, actor=actor, filing_id=filing_id, data=data)
    return service.filing_view(session, filing=filing, settings=settings)


@router.post("/{filing_id}/submit", response_model=FilingPublic, responses=errors(409))
def submit_filing(
    session: SessionDep, settings: SettingsDep, actor: CurrentActor, filing_id: uuid.UUID
) -> FilingPublic:
    """Submit a draft: the filing rules run; any failed rule refuses it and every outcome is shown."""
    filing = service.submit_filing(session, actor=actor, filing_id=filing_id, settings=settings)
    return service.filing_view(session, filing=filing, settings=settings)


@router.post("/{filing_id}/decision", response_model=FilingPublic, responses=errors(409))
def decide_filing(
    session: SessionDep, settings: SettingsDep, actor: RegulatorActor, filing_id: uuid.UUID, data: FilingDecision
) -> FilingPublic:
    """Approve or reject a submitted filing with a note (regulator)."""
    filing = service.decide_filing(
        session, actor=actor, filing_id=filing_id, approve=data.approve, note=data.note, settings=settings
    )
    return service.filing_view(session, filing=filing, settings=settings)


def _status(
    session: SessionDep,
    settings: SettingsDep,
    actor: RegulatorActor,
    filing_id: uuid.UUID,
    status: FilingStatus,
    reason: str,
) -> FilingPublic:
    filing = service.set_filing_status(session, actor=actor, filing_id=filing_id, status=status, reason=reason)
    return service.filing_view(session, filing=filing, settings=settings)


@router.post("/{filing_id}/suspend", response_model=FilingPublic, responses=errors(409))
def suspend_filing(
    session: SessionDep, settings: SettingsDep, actor: RegulatorActor, filing_id: uuid.UUID, data: StatusChange
) -> FilingPublic:
    """Suspend an approved filing (regulator): no assessment or issuing under it until reinstated."""
    return _status(session, settings, actor, filing_id, FilingStatus.SUSPENDED, data.reason)


@router.post("/{filing_id}/reinstate", response_model=FilingPublic, responses=errors(409))
def reinstate_filing(
    session: SessionDep, settings: SettingsDep, actor: RegulatorActor, filing_id: uuid.UUID, data: StatusChange
) -> FilingPublic:
    """Reinstate a suspended filing (regulator)."""
    return _status(session, settings, actor, filing_id, FilingStatus.APPROVED, data.reason)


@router.post("/{filing_id}/revoke", response_model=FilingPublic, responses=errors(409))
def revoke_filing(
    session: SessionDep, settings: SettingsDep, actor: RegulatorActor, filing_id: uuid.UUID, data: StatusChange
) -> FilingPublic:
    """Revoke a filing (regulator); final."""
    return _status(session, settings, actor, filing_id, FilingStatus.REVOKED, data.reason)
