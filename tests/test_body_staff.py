"""A body's own staff: its admins open assessor cards of their own body and those assessors' logins; supervisors'
cards, other bodies' cards and other kinds of account stay the regulator's. Results imports are the body's."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from assessment.assessors.models import AssessorCreate, AssessorKind, AssessorStatus
from assessment.assessors.service import (
    AssessorNotFound,
    card_accounts,
    cards_of_body,
    open_card_account,
    register_assessor,
)
from assessment.batches.imports import import_results
from registry.accounts.models import AccountIn
from registry.actor import Actor, Role
from registry.errors import PermissionDenied
from registry.grades import GradeCode
from registry.settings import Settings
from registry.tabular import Row
from tests.factories import assessor_actor, make_assessor, make_batch, make_body, make_filing, make_person


def _card(
    person_id: object, body_id: object, *, kind: AssessorKind = AssessorKind.ASSESSOR, number: str
) -> AssessorCreate:
    return AssessorCreate.model_validate(
        {
            "person_id": person_id,
            "card_number": number,
            "kind": kind,
            "body_id": body_id,
            "max_grade": GradeCode.SENIOR,
            "held_grade": GradeCode.TECHNICIAN,
            "valid_from": dt.date(2026, 1, 1),
            "valid_to": dt.date(2028, 1, 1),
            "occupations": ["6-18-02-04"],
        }
    )


def test_a_body_admin_issues_assessor_cards_of_its_own_body_only(session: Session, settings: Settings) -> None:
    body, other = make_body(session), make_body(session)
    admin = Actor(label="a", role=Role.BODY_ADMIN, body_id=body.id)
    staff = make_person(session, settings, employer=body, actor=admin)
    card = register_assessor(session, actor=admin, data=_card(staff.id, body.id, number="KB000001"))
    assert (card.body_id, card.kind, card.status) == (body.id, AssessorKind.ASSESSOR, AssessorStatus.ACTIVE)
    assert [c.id for c in cards_of_body(session, actor=admin, body_id=body.id)] == [card.id]
    refused = [
        _card(staff.id, body.id, kind=AssessorKind.SUPERVISOR, number="RB000001"),  # supervisors: the regulator's
        _card(staff.id, other.id, number="KB000002"),  # another body's card
        _card(staff.id, None, number="KB000003"),  # a card of no body
    ]
    for data in refused:
        with pytest.raises(PermissionDenied):
            register_assessor(session, actor=admin, data=data)
    with pytest.raises(PermissionDenied):
        cards_of_body(session, actor=admin, body_id=other.id)


def test_a_body_opens_the_login_of_its_own_assessors_only(session: Session, settings: Settings) -> None:
    body = make_body(session)
    admin = Actor(label="a", role=Role.BODY_ADMIN, body_id=body.id)
    own = make_assessor(session, settings, body=body)
    foreign = make_assessor(session, settings, body=make_body(session))
    national = make_assessor(session, settings)
    supervisor = make_assessor(session, settings, kind=AssessorKind.SUPERVISOR, body=body)
    account = AccountIn(username="kb.own", password="a-long-password-1")
    user = open_card_account(session, actor=admin, assessor_id=own.id, account=account, settings=settings)
    assert (user.role, user.person_id, user.body_id) == (Role.ASSESSOR, own.person_id, None)
    assert card_accounts(session, actor=admin, body_id=body.id)[own.id].id == user.id
    for card in (foreign, national):
        with pytest.raises(AssessorNotFound):
            open_card_account(session, actor=admin, assessor_id=card.id, account=account, settings=settings)
    with pytest.raises(PermissionDenied):
        open_card_account(session, actor=admin, assessor_id=supervisor.id, account=account, settings=settings)


def test_only_the_body_imports_a_batchs_results(session: Session, settings: Settings) -> None:
    body = make_body(session)
    make_filing(session, settings, body=body)
    batch = make_batch(session, settings, body=body, grade=GradeCode.JUNIOR, assessors=2)
    row = Row(
        line=2,
        values={
            "id_number": "440106198501010015",
            "name": "王小明",
            "component": "theory_exam",
            "score": "90",
            "assessor_card": batch.assessors[1].card_number,
        },
    )
    # an assessor of the batch may not record another assessor's scores through the import
    with pytest.raises(PermissionDenied):
        import_results(
            session, actor=assessor_actor(batch.assessors[0]), batch_id=batch.exam.id, rows=[row], settings=settings
        )
