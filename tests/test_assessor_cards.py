"""Assessor and supervisor cards: the regulator suspends, reinstates and revokes them, each with its reason."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from assessment.assessors.models import AssessorKind, AssessorStatus
from assessment.assessors.service import AssessorNotQualified, list_cards, set_assessor_status
from registry.actor import Role
from registry.audit.models import AuditEvent
from registry.errors import PermissionDenied, TransitionNotAllowed
from registry.grades import GradeCode
from registry.settings import Settings
from tests.factories import SYSTEM, login, make_assessor, make_body, make_user

REASON = {"reason": "抽查发现考评记录不实，暂停证卡"}


def test_suspension_is_audited_with_its_reason_and_reinstatement_restores(session: Session, settings: Settings) -> None:
    card = make_assessor(session, settings)
    set_assessor_status(session, actor=SYSTEM, assessor_id=card.id, status=AssessorStatus.SUSPENDED, reason="暂停原因")
    assert card.status == AssessorStatus.SUSPENDED
    set_assessor_status(session, actor=SYSTEM, assessor_id=card.id, status=AssessorStatus.ACTIVE, reason="整改完成")
    events = session.exec(
        select(AuditEvent).where(AuditEvent.entity_id == str(card.id)).order_by(col(AuditEvent.seq))
    ).all()
    assert [(e.action, e.reason) for e in events[-2:]] == [
        ("assessor.suspended", "暂停原因"),
        ("assessor.reinstated", "整改完成"),
    ]


def test_a_revoked_card_is_final(session: Session, settings: Settings) -> None:
    card = make_assessor(session, settings)
    set_assessor_status(session, actor=SYSTEM, assessor_id=card.id, status=AssessorStatus.REVOKED, reason="注销原因")
    with pytest.raises(TransitionNotAllowed):
        set_assessor_status(session, actor=SYSTEM, assessor_id=card.id, status=AssessorStatus.ACTIVE, reason="恢复")


def test_a_suspended_card_cannot_staff_a_batch(session: Session, settings: Settings) -> None:
    from assessment.assessors.service import check_qualified

    card = make_assessor(session, settings)
    set_assessor_status(session, actor=SYSTEM, assessor_id=card.id, status=AssessorStatus.SUSPENDED, reason="暂停原因")
    with pytest.raises(AssessorNotQualified, match="suspended"):
        check_qualified(
            session,
            card,
            kind=AssessorKind.ASSESSOR,
            occupation_code="6-18-02-04",
            grade=GradeCode.SENIOR,
            on=dt.date(2026, 6, 1),
        )


def test_only_the_regulator_changes_cards(session: Session, settings: Settings) -> None:
    body = make_body(session)
    card = make_assessor(session, settings, body=body)
    from registry.actor import Actor

    admin = Actor(label="admin", role=Role.BODY_ADMIN, body_id=body.id)
    with pytest.raises(PermissionDenied):
        set_assessor_status(session, actor=admin, assessor_id=card.id, status=AssessorStatus.SUSPENDED, reason="越权")
    assert card.status == AssessorStatus.ACTIVE


def test_list_cards_shows_every_status_and_the_external_ones(session: Session, settings: Settings) -> None:
    body = make_body(session)
    own = make_assessor(session, settings, body=body)
    external = make_assessor(session, settings, kind=AssessorKind.SUPERVISOR)
    set_assessor_status(session, actor=SYSTEM, assessor_id=own.id, status=AssessorStatus.SUSPENDED, reason="暂停原因")
    assert [c.id for c in list_cards(session, actor=SYSTEM, body_id=body.id)] == [own.id]
    outside = list_cards(session, actor=SYSTEM, external=True, kind=AssessorKind.SUPERVISOR)
    assert external.id in [c.id for c in outside] and own.id not in [c.id for c in outside]


def test_the_api_suspends_with_a_reason_and_refuses_without(
    client: TestClient, session: Session, settings: Settings
) -> None:
    card = make_assessor(session, settings)
    make_user(session, settings, username="regulator-cards")
    headers = login(client, "regulator-cards")
    refused = client.post(f"/api/v1/assessors/{card.id}/suspend", json={}, headers=headers)
    assert refused.status_code == 422
    done = client.post(f"/api/v1/assessors/{card.id}/suspend", json=REASON, headers=headers)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "suspended"
    again = client.post(f"/api/v1/assessors/{card.id}/suspend", json=REASON, headers=headers)
    assert again.status_code == 409
