"""Reads run a fixed number of SQL statements, whatever the number of rows they show.

Each test measures the route handler (what the API does) at two sizes and holds both under the same small
constant, so a per-row query (N+1) fails at the larger size. A one-row write answers with that row only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import partial
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import Session, col, select

from api.routers import certificates as certificate_routes
from api.routers import sessions as batch_routes
from assessment.batches.models import Candidate, EnrolIn, ScoresIn
from assessment.batches.service import enrol
from certificates.service import issue_certificates
from registry.actor import Actor, Role
from registry.bodies.models import EvaluationBody
from registry.filings.rules import EvaluationMethod
from registry.grades import GradeCode
from registry.settings import Settings
from tests.factories import (
    SYSTEM,
    Batch,
    assessor_actor,
    ensure_signing_key,
    give_award,
    make_batch,
    make_body,
    make_exam_award,
    make_filing,
    make_issuing_body,
    make_person,
)

CANDIDATE_VIEW_MAX = 8
SCORE_WRITE_MAX = 20
CERTIFICATE_PAGE_MAX = 6


@contextmanager
def counting(session: Session) -> Iterator[list[str]]:
    """Collect the SQL statements the session's connection executes inside the block."""
    statements: list[str] = []

    def on_execute(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", on_execute)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", on_execute)


def count(session: Session, call: Callable[[], object]) -> int:
    session.expire_all()  # nothing read before the call is served from the identity map
    with counting(session) as statements:
        call()
    return len(statements)


def _enrol(session: Session, settings: Settings, body: EvaluationBody, batch: Batch, n: int) -> None:
    for _ in range(n):
        person = make_person(session, settings, employer=body)
        give_award(session, person=person, body=body, grade=GradeCode.INTERMEDIATE, on=dt.date(2026, 1, 5))
        enrol(session, actor=SYSTEM, batch_id=batch.exam.id, data=EnrolIn(person_id=person.id), settings=settings)
    session.flush()


def _body_admin(body: EvaluationBody) -> Actor:
    return Actor(label="admin", role=Role.BODY_ADMIN, body_id=body.id)


def test_the_candidate_view_and_a_score_write_run_a_fixed_number_of_statements(
    session: Session, settings: Settings
) -> None:
    settings = settings.model_copy(update={"eligibility_min_years": {"senior": 0}})
    body = make_body(session)
    make_filing(session, settings, body=body)
    batch = make_batch(session, settings, body=body)
    assessor = assessor_actor(batch.assessors[0])
    figures: dict[int, tuple[int, int, int]] = {}
    enrolled = 0
    for size in (5, 100):
        _enrol(session, settings, body, batch, size - enrolled)
        enrolled = size
        first = session.exec(
            select(Candidate).where(Candidate.session_id == batch.exam.id).order_by(col(Candidate.enrolled_at))
        ).first()
        assert first is not None
        scores = ScoresIn(scores={EvaluationMethod.THEORY_EXAM: Decimal("80")})
        as_admin = count(session, lambda: batch_routes.list_candidates(session, _body_admin(body), batch.exam.id))
        as_staff = count(session, lambda: batch_routes.list_candidates(session, assessor, batch.exam.id))
        write = count(session, partial(batch_routes.record_scores, session, assessor, batch.exam.id, first.id, scores))
        figures[size] = (as_admin, as_staff, write)
    print(f"\nSTATEMENTS candidate view / score write: {figures}")
    for as_admin, as_staff, write in figures.values():
        assert as_admin <= CANDIDATE_VIEW_MAX and as_staff <= CANDIDATE_VIEW_MAX
        assert write <= SCORE_WRITE_MAX
    assert figures[5] == figures[100]


def test_the_score_write_answers_with_the_row_the_full_view_shows(session: Session, settings: Settings) -> None:
    settings = settings.model_copy(update={"eligibility_min_years": {"senior": 0}})
    body = make_body(session)
    make_filing(session, settings, body=body)
    batch = make_batch(session, settings, body=body)
    _enrol(session, settings, body, batch, 3)
    assessor = assessor_actor(batch.assessors[1])
    second = session.exec(
        select(Candidate).where(Candidate.session_id == batch.exam.id).order_by(col(Candidate.enrolled_at))
    ).all()[1]
    scores = ScoresIn(scores={EvaluationMethod.THEORY_EXAM: Decimal("61.5")})
    answer = batch_routes.record_scores(session, assessor, batch.exam.id, second.id, scores)
    (shown,) = [c for c in batch_routes.list_candidates(session, assessor, batch.exam.id) if c.id == second.id]
    assert answer == shown
    assert answer.scores == {"theory_exam": ["61.5"]}


def _certificates(session: Session, settings: Settings, body: EvaluationBody, n: int) -> None:
    award_ids = [make_exam_award(session, settings, body=body).id for _ in range(n)]
    issue_certificates(session, actor=SYSTEM, award_ids=award_ids, settings=settings)
    session.flush()


@pytest.mark.parametrize("role", ["regulator", "body_admin"])
def test_a_page_of_certificates_runs_a_fixed_number_of_statements(
    session: Session, settings: Settings, role: str
) -> None:
    ensure_signing_key(settings)
    body = make_issuing_body(session, settings)
    actor = SYSTEM if role == "regulator" else _body_admin(body)
    figures: dict[int, int] = {}
    made = 0
    for size in (3, 30):
        _certificates(session, settings, body, size - made)
        made = size
        figures[size] = count(
            session, partial(certificate_routes.list_certificates, session, settings, actor, body_id=body.id)
        )
        assert len(certificate_routes.list_certificates(session, settings, actor, body_id=body.id)) == size
    print(f"\nSTATEMENTS certificate page ({role}): {figures}")
    assert figures[3] == figures[30] <= CERTIFICATE_PAGE_MAX
