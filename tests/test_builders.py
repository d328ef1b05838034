"""The shared builders (api.builders) that the demo and the factories both use: one drives a batch to a state."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from api import builders
from assessment.batches.models import Candidate, EnrolIn, SessionStatus
from assessment.batches.service import enrol
from registry.filings.rules import EvaluationMethod
from registry.grades import GradeCode
from registry.settings import Settings
from registry.validators import check_resident_id
from tests.factories import SYSTEM, give_award, make_batch, make_body, make_filing, make_person


def test_identifiers_are_valid_and_fixed_for_fixed_input() -> None:
    number = builders.resident_id("440606", dt.date(1990, 2, 3), 123)
    assert number.startswith("44060619900203123") and check_resident_id(number) is None
    assert builders.uscc("D0000001", "440100") == builders.uscc("D0000001", "440100")


@pytest.mark.parametrize("to", [SessionStatus.CANCELLED, SessionStatus.CLOSED])
def test_drive_batch_takes_a_planned_batch_through_every_step_to_the_state(
    session: Session, settings: Settings, to: SessionStatus
) -> None:
    settings = settings.model_copy(update={"eligibility_min_years": {"senior": 0}})
    body = make_body(session)
    make_filing(session, settings, body=body, starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2028, 12, 31))
    batch = make_batch(session, settings, body=body, open_it=False)
    candidates = []
    for _ in range(2):
        person = make_person(session, settings, employer=body)
        give_award(session, person=person, grade=GradeCode.INTERMEDIATE, on=dt.date(2026, 1, 5))
        data = EnrolIn(person_id=person.id)
        candidates.append(enrol(session, actor=SYSTEM, batch_id=batch.exam.id, data=data, settings=settings))

    def score(index: int, _assessor: int, _kind: EvaluationMethod) -> Decimal:
        return Decimal("85") if index == 0 else Decimal("40")

    builders.drive_batch(
        session,
        settings,
        actor=SYSTEM,
        exam=batch.exam,
        to=to,
        candidates=candidates,
        staff=batch.assessors,
        supervisor=batch.supervisor,
        score=score,
    )
    assert batch.exam.status == to
    if to == SessionStatus.CLOSED:
        rows = session.exec(select(Candidate).where(Candidate.session_id == batch.exam.id)).all()
        assert sorted((c.passed, c.award_id is not None) for c in rows) == [(False, False), (True, True)]
