"""The anomaly summaries stay exact: after every kind of write, the summary-based counts equal a recount.

Each test changes data — through the services (enrol, score, attest, finalize, correct, close, award, revoke)
and by plain SQL statements that touch many rows at once (what a statement-level trigger must get right) — and
compares `counts.Summaries` with `counts.Recount`, which counts the rows themselves, and the flags raised from
each. On PostgreSQL, two transactions scoring the same candidate at once must not miss each other's rows.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from api import builders
from assessment.batches.models import (
    Candidate,
    CorrectionIn,
    EnrolIn,
    Score,
    SessionComponent,
    SessionStatus,
)
from assessment.batches.service import close_batch, correct_score, enrol, publish_batch
from certificates.service import revoke_award
from registry import grades
from registry.awards.models import AwardBasis, AwardRevocationReason, GradeAward
from registry.awards.service import create_award
from registry.db import make_engine, session_scope
from registry.filings.rules import EvaluationMethod as M
from registry.grades import GradeCode as G
from registry.settings import Settings
from regulator import anomalies, summary_sql
from regulator.counts import Recount, Summaries, day_key
from tests.factories import SYSTEM, give_award, make_batch, make_body, make_filing, make_person
from tests.test_regulator_anomalies import AT, Scene

EVERYTHING = anomalies.Window(dt.date(2000, 1, 1), dt.date(2100, 12, 31))
WINDOWS = (EVERYTHING, anomalies.Window(dt.date(2026, 9, 10), dt.date(2026, 9, 10)))
SCORE = Score.__table__  # type: ignore[attr-defined]
AWARD = GradeAward.__table__  # type: ignore[attr-defined]


def _sorted(rows: list[Any]) -> list[Any]:
    return sorted(([day_key(v) if isinstance(v, dt.date | str) else v for v in r] for r in rows), key=str)


def assert_exact(session: Session, settings: Settings) -> None:
    """Every count the rules read is the same from the summaries and from the rows; so are the flags."""
    session.flush()
    ours, recount = Summaries(session), Recount(session)
    for window in WINDOWS:
        for band in (5, 30, 100):
            assert _sorted(ours.results(window, band)) == _sorted(recount.results(window, band))
        assert _sorted(ours.scoring(window)) == _sorted(recount.scoring(window))
        for above in (0, 2):
            (rows, mean), (raw_rows, raw_mean) = ours.assessor_days(window, above), recount.assessor_days(window, above)
            assert _sorted(rows) == _sorted(raw_rows)
            assert mean == pytest.approx(raw_mean)
        assert _sorted(ours.skips(window)) == _sorted(recount.skips(window))
    loose = settings.model_copy(
        update={"anomaly_min_candidates": 1, "anomaly_assessor_daily_max": 1, "anomaly_identical_min": 2}
    )
    flags = anomalies.anomalies(session, actor=SYSTEM, settings=loose, window=EVERYTHING)
    again = anomalies.anomalies(session, actor=SYSTEM, settings=loose, window=EVERYTHING, counts=recount)
    assert sorted(flags, key=repr) == sorted(again, key=repr)


def test_the_frozen_ladder_matches_the_grades() -> None:
    assert {g.code.value: g.ordinal for g in grades.LADDER} == summary_sql.ORDINALS
    assert grades.ordinal(G.JUNIOR) - 1 == summary_sql.NO_PRIOR_ORDINAL


@pytest.mark.parametrize("band", [10.5, 2.7, 0])
def test_a_heaping_band_the_histogram_cannot_answer_is_refused(settings: Settings, band: float) -> None:
    assert Settings(**{**settings.model_dump(), "anomaly_heaping_band": 9.5}).anomaly_heaping_band == 9.5
    with pytest.raises(ValueError, match="anomaly_heaping_band"):
        Settings(**{**settings.model_dump(), "anomaly_heaping_band": band})


class TestThroughTheServices:
    def test_scoring_finalizing_correcting_closing_awarding_and_revoking(
        self, session: Session, settings: Settings
    ) -> None:
        settings = settings.model_copy(update={"eligibility_min_years": {"senior": 0}})
        body = make_body(session)
        make_filing(session, settings, body=body, starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2028, 12, 31))
        batch = make_batch(session, settings, body=body, open_it=False, assessors=2)
        candidates = []
        for _ in range(4):
            person = make_person(session, settings, employer=body)
            give_award(session, person=person, grade=G.INTERMEDIATE, on=dt.date(2026, 1, 5))
            data = EnrolIn(person_id=person.id)
            candidates.append(enrol(session, actor=SYSTEM, batch_id=batch.exam.id, data=data, settings=settings))
        assert_exact(session, settings)

        def score(index: int, assessor: int, _kind: M) -> Decimal:
            return Decimal(("61", "60.5", "75", "40")[index]) + (Decimal("0.5") * assessor if index == 2 else 0)

        builders.drive_batch(
            session,
            settings,
            actor=SYSTEM,
            exam=batch.exam,
            to=SessionStatus.FINALIZED,
            candidates=candidates,
            staff=batch.assessors,
            supervisor=batch.supervisor,
            score=score,
        )
        assert_exact(session, settings)
        assert Summaries(session).scoring(EVERYTHING) == [(batch.exam.id, 8, 6)]

        # a correction after finalizing changes an item's agreement and a candidate's result
        fix = CorrectionIn(
            component=M.THEORY_EXAM, assessor_id=batch.assessors[0].id, value=Decimal("70"), reason="复核更正"
        )
        correct_score(session, actor=SYSTEM, batch_id=batch.exam.id, candidate_id=candidates[3].id, data=fix)
        assert_exact(session, settings)

        quick = settings.model_copy(update={"publicity_days": 0})
        publish_batch(session, actor=SYSTEM, batch_id=batch.exam.id, settings=quick)
        close_batch(session, actor=SYSTEM, batch_id=batch.exam.id)
        session.expire_all()
        awarded = [c.award_id for c in session.exec(select(Candidate)).all() if c.award_id]
        assert awarded
        # recognitions: one a step above a 中级工, one from nothing to 高级工 (a skip)
        holder = session.get(GradeAward, awarded[0])
        assert holder is not None
        stepping = make_person(session, settings, employer=body)
        give_award(session, person=stepping, grade=G.INTERMEDIATE, on=dt.date(2026, 1, 5))
        newcomer = make_person(session, settings, employer=body)
        recognitions = [
            create_award(
                session,
                actor=SYSTEM,
                person_id=person_id,
                body_id=body.id,
                occupation_code="6-18-02-04",
                grade=G.SENIOR,
                basis=AwardBasis.RECOGNITION,
                basis_ref=None,
                awarded_on=dt.date(2026, 7, 1),
            )
            for person_id in (stepping.id, newcomer.id)
        ]
        assert_exact(session, settings)
        assert Summaries(session).skips(EVERYTHING) == [(body.id, 2, 1)]

        # revoking an exam award and the skipping recognition (revoked awards still count as awarded)
        for award_id in (holder.id, recognitions[1].id):
            revoke_award(
                session,
                actor=SYSTEM,
                award_id=award_id,
                reason=AwardRevocationReason.FRAUDULENT_EVALUATION,
                note="虚假评价",
            )
            assert_exact(session, settings)
        assert Summaries(session).skips(EVERYTHING) == [(body.id, 2, 1)]


@pytest.fixture
def scene(session: Session, settings: Settings) -> Scene:
    return Scene(session, settings)


def _scored_scene(scene: Scene) -> tuple[list[Any], list[Candidate]]:
    first, second, third = scene.assessors(3)
    _, candidates = scene.batch(scene.bodies[0], [600 + 7 * i for i in range(12)])
    scene.scores(candidates, first, [600 + 7 * i for i in range(12)])
    scene.scores(candidates, second, [600 + 7 * i + (i % 3) for i in range(12)])
    scene.scores(candidates[:5], third, [650] * 5, at=AT + dt.timedelta(hours=20))  # the next Beijing day
    return [first, second, third], candidates


class TestStatementsTouchingManyRows:
    def test_one_update_of_many_scores_of_the_same_candidates(self, scene: Scene) -> None:
        assessors, candidates = _scored_scene(scene)
        assert_exact(scene.session, scene.settings)
        scene.session.execute(
            sa.update(SCORE).where(SCORE.c.candidate_id.in_([c.id for c in candidates[:6]])).values(value_tenths=700)
        )
        assert_exact(scene.session, scene.settings)
        scene.session.execute(
            sa.update(SCORE).where(SCORE.c.assessor_id == assessors[1].id).values(recorded_at=AT + dt.timedelta(days=3))
        )
        assert_exact(scene.session, scene.settings)

    def test_deleting_an_assessors_scores_and_moving_the_pass_mark(self, scene: Scene) -> None:
        assessors, candidates = _scored_scene(scene)
        scene.session.execute(sa.delete(SCORE).where(SCORE.c.assessor_id == assessors[0].id))
        assert_exact(scene.session, scene.settings)
        exam_id = candidates[0].session_id
        component = SessionComponent.__table__  # type: ignore[attr-defined]
        scene.session.execute(sa.update(component).where(component.c.session_id == exam_id).values(pass_mark=55))
        assert_exact(scene.session, scene.settings)
        scene.session.execute(sa.delete(component).where(component.c.session_id == exam_id, component.c.position == 0))
        assert_exact(scene.session, scene.settings)

    def test_results_changed_and_withdrawn_in_bulk(self, scene: Scene) -> None:
        _, candidates = _scored_scene(scene)
        table = Candidate.__table__  # type: ignore[attr-defined]
        ids = [c.id for c in candidates]
        scene.session.execute(sa.update(table).where(table.c.id.in_(ids[:4])).values(total_tenths=601, passed=True))
        assert_exact(scene.session, scene.settings)
        scene.session.execute(sa.update(table).where(table.c.id.in_(ids[4:8])).values(passed=None))
        assert_exact(scene.session, scene.settings)

    def test_awards_inserted_revoked_and_deleted_around_recognitions(self, scene: Scene) -> None:
        body = scene.bodies[0]
        scene.awards(body, AwardBasis.RECOGNITION, G.TECHNICIAN, 4)
        assert_exact(scene.session, scene.settings)
        scene.awards(scene.bodies[1], AwardBasis.EXAM, G.SENIOR, 2)  # earlier grades: two are no longer skips
        assert_exact(scene.session, scene.settings)
        scene.session.execute(sa.update(AWARD).where(AWARD.c.basis == AwardBasis.EXAM.value).values(status="rejected"))
        assert_exact(scene.session, scene.settings)
        scene.session.execute(sa.update(AWARD).values(awarded_on=dt.date(2026, 12, 1)))
        assert_exact(scene.session, scene.settings)
        scene.session.execute(sa.delete(AWARD).where(AWARD.c.basis == AwardBasis.EXAM.value))
        assert_exact(scene.session, scene.settings)

    def test_a_rolled_back_write_leaves_no_count(self, scene: Scene) -> None:
        _scored_scene(scene)
        before = Summaries(scene.session).scoring(EVERYTHING)
        savepoint = scene.session.begin_nested()
        scene.session.execute(sa.update(SCORE).values(value_tenths=500))
        savepoint.rollback()
        assert Summaries(scene.session).scoring(EVERYTHING) == before
        assert_exact(scene.session, scene.settings)

    def test_a_rebuild_from_the_rows_finds_the_same_summaries(self, scene: Scene) -> None:
        _scored_scene(scene)
        scene.awards(scene.bodies[0], AwardBasis.RECOGNITION, G.TECHNICIAN, 3)
        tables = [sa.table(s.table, *(sa.column(c) for c in (*s.key, *s.values))) for s in summary_sql.SUMMARIES]

        def contents() -> list[list[tuple[Any, ...]]]:
            """Rows with counts (a key whose counts went back to zero keeps its row: harmless, never read)."""
            out = []
            for summary, table in zip(summary_sql.SUMMARIES, tables, strict=True):
                rows = scene.session.execute(sa.select(table)).all()
                out.append(sorted((tuple(r) for r in rows if any(r[len(summary.key) :])), key=str))
            return out

        kept = contents()
        dialect = scene.session.get_bind().dialect.name
        for statement in summary_sql.rebuild_statements(dialect):
            scene.session.execute(sa.text(statement))
        assert contents() == kept
        assert all(kept)


def test_two_writers_scoring_one_candidate_at_once_do_not_miss_each_other(committed_url: str) -> None:
    """PostgreSQL's statement-level triggers see their own snapshot: the advisory lock per candidate makes the
    second writer wait for the first and then count both scores."""
    if not committed_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time")
    engine = make_engine(committed_url)
    settings = Settings()
    try:
        with session_scope(engine) as s:
            scene = Scene(s, settings, bodies=1, people=1)
            first, second = scene.assessors(2)
            _, (candidate,) = scene.batch(scene.bodies[0], [700])
            ids = (candidate.id, first.id, second.id)

        def write(assessor_id: Any, hold: threading.Event | None) -> None:
            with engine.begin() as conn:
                conn.execute(
                    sa.insert(SCORE).values(
                        id=uuid.uuid4(),
                        candidate_id=ids[0],
                        component=M.THEORY_EXAM.value,
                        assessor_id=assessor_id,
                        value_tenths=700,
                        recorded_at=AT,
                    )
                )
                if hold is not None:
                    hold.wait(10)

        release = threading.Event()
        holder = threading.Thread(target=write, args=(ids[1], release))
        holder.start()
        time.sleep(0.5)
        waiter = threading.Thread(target=write, args=(ids[2], None))
        waiter.start()
        time.sleep(0.5)
        assert waiter.is_alive(), "the second writer should wait for the first one's lock"
        release.set()
        holder.join(10)
        waiter.join(10)
        with session_scope(engine) as s:
            assert Summaries(s).scoring(EVERYTHING) == [(candidate.session_id, 1, 1)]
            assert Summaries(s).scoring(EVERYTHING) == Recount(s).scoring(EVERYTHING)
    finally:
        engine.dispose()
