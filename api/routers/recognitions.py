"""Direct recognition (直接认定) under DR-A/C/D/E/G, and the competition-promotion table."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from api.deps import SessionDep, SettingsDep
from api.openapi import errors
from api.security import CurrentActor, RegulatorActor
from assessment.recognition import service
from assessment.recognition.models import (
    CompetitionRule,
    CompetitionRuleIn,
    RecognitionDecisionIn,
    RecognitionIn,
    RecognitionPublic,
    RecognitionStatus,
)

router = APIRouter(prefix="/api/v1", tags=["recognition"])


@router.post("/recognitions", response_model=RecognitionPublic, status_code=201, responses=errors(404, 409))
def apply(session: SessionDep, settings: SettingsDep, actor: CurrentActor, data: RecognitionIn) -> RecognitionPublic:
    """Apply for a direct recognition; the rules decide at once and cite the clause (a refusal stores nothing)."""
    return service.recognition_view(service.apply_for_recognition(session, actor=actor, data=data, settings=settings))


@router.get("/recognitions", response_model=list[RecognitionPublic])
def list_recognitions(
    session: SessionDep, actor: CurrentActor, body_id: uuid.UUID | None = None, status: RecognitionStatus | None = None
) -> list[RecognitionPublic]:
    """List applications: a body's own, or all (regulator)."""
    rows = service.list_recognitions(session, actor=actor, body_id=body_id, status=status)
    return [service.recognition_view(r) for r in rows]


@router.get("/recognitions/{recognition_id}", response_model=RecognitionPublic)
def get_recognition(session: SessionDep, actor: CurrentActor, recognition_id: uuid.UUID) -> RecognitionPublic:
    """Show an application with its rule report."""
    return service.recognition_view(service.get_recognition(session, actor=actor, recognition_id=recognition_id))


@router.post("/recognitions/{recognition_id}/decision", response_model=RecognitionPublic, responses=errors(409))
def decide(
    session: SessionDep,
    settings: SettingsDep,
    actor: CurrentActor,
    recognition_id: uuid.UUID,
    data: RecognitionDecisionIn,
) -> RecognitionPublic:
    """Approve (creating the grade award) or reject an application."""
    recognition = service.decide_recognition(
        session, actor=actor, recognition_id=recognition_id, approve=data.approve, note=data.note, settings=settings
    )
    return service.recognition_view(recognition)


@router.get("/competition-rules", response_model=list[CompetitionRule])
def competition_rules(session: SessionDep) -> list[CompetitionRule]:
    """The competition-promotion table: tier and rank → one-grade promotion up to a cap (DR-G)."""
    return list(service.competition_rules(session))


@router.put("/competition-rules", response_model=list[CompetitionRule])
def replace_competition_rules(
    session: SessionDep, actor: RegulatorActor, rows: list[CompetitionRuleIn]
) -> list[CompetitionRule]:
    """Replace the competition-promotion table (regulator)."""
    return service.replace_competition_rules(session, actor=actor, rows=rows)
