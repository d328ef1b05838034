"""Every anomaly rule fires on data built to trigger it and stays quiet on clean data beside it.

Batches, candidates, scores and awards are written as rows (the scene below): the rules read rows, and building
a hundred candidates through enrolment and scoring would cost the suite seconds per test for nothing the rules see.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from sqlmodel import Session

from assessment.assessors.models import Assessor
from assessment.batches.models import Candidate, ExamSession, Score, ScoreCorrection, SessionComponent, SessionStatus
from registry.awards.models import AwardBasis, GradeAward
from registry.bodies.models import EvaluationBody
from registry.clock import utcnow
from registry.filings.models import Filing
from registry.filings.rules import EvaluationMethod as M
from registry.grades import GradeCode as G
from registry.people.models import Person
from registry.settings import Settings
from regulator import anomalies
from regulator.verification_log import VerificationLog
from tests.factories import SYSTEM, make_assessor, make_body, make_filing, make_person

EXAM = dt.date(2026, 9, 10)
AT = dt.datetime(2026, 9, 10, 3, 0, tzinfo=dt.UTC)


class Scene:
    """Bodies with filings, a pool of people and assessors, and helpers that write batch rows."""

    def __init__(self, session: Session, settings: Settings, bodies: int = 3, people: int = 25) -> None:
        self.session, self.settings = session, settings
        self.bodies: list[EvaluationBody] = []
        self.filings: dict[uuid.UUID, Filing] = {}
        for _ in range(bodies):
            body = make_body(session)
            self.bodies.append(body)
            self.filings[body.id] = make_filing(session, settings, body=body)
        self.people: list[Person] = [make_person(session, settings) for _ in range(people)]
        self._assessors: list[Assessor] = []

    def assessors(self, n: int) -> list[Assessor]:
        while len(self._assessors) < n:
            self._assessors.append(make_assessor(self.session, self.settings))
        return self._assessors[:n]

    def batch(
        self,
        body: EvaluationBody,
        totals: list[int],
        *,
        passed: list[bool] | None = None,
        attested: bool = True,
        closed_after_days: int | None = 20,
        status: SessionStatus = SessionStatus.CLOSED,
        exam_on: dt.date = EXAM,
    ) -> tuple[ExamSession, list[Candidate]]:
        """A finished batch whose candidates have these totals (tenths); pass = total ≥ 600 unless given."""
        now = utcnow()
        finalized = dt.datetime.combine(exam_on, dt.time(8), tzinfo=dt.UTC) + dt.timedelta(days=1)
        exam = ExamSession(
            body_id=body.id,
            filing_id=self.filings[body.id].id,
            occupation_code="6-18-02-04",
            grade=G.SENIOR,
            exam_on=exam_on,
            venue="测试考场",
            status=status,
            attested_at=finalized if attested else None,
            finalized_at=finalized,
            closed_at=(
                dt.datetime.combine(exam_on, dt.time(8), tzinfo=dt.UTC) + dt.timedelta(days=closed_after_days)
                if closed_after_days is not None and status == SessionStatus.CLOSED
                else None
            ),
            created_at=now,
            updated_at=now,
        )
        self.session.add(exam)
        self.session.flush()
        self.session.add_all(
            SessionComponent(session_id=exam.id, kind=kind, weight=50, pass_mark=60, position=i)
            for i, kind in enumerate((M.THEORY_EXAM, M.SKILL_OPERATION))
        )
        outcomes = passed or [t >= 600 for t in totals]
        candidates = [
            Candidate(
                session_id=exam.id,
                person_id=self.people[i].id,
                eligibility={},
                ruleset_version="test",
                enrolled_at=now,
                total_tenths=total,
                passed=outcome,
            )
            for i, (total, outcome) in enumerate(zip(totals, outcomes, strict=True))
        ]
        self.session.add_all(candidates)
        self.session.flush()
        return exam, candidates

    def scores(self, candidates: list[Candidate], assessor: Assessor, values: list[int], at: dt.datetime = AT) -> None:
        self.session.add_all(
            Score(candidate_id=c.id, component=M.THEORY_EXAM, assessor_id=assessor.id, value_tenths=v, recorded_at=at)
            for c, v in zip(candidates, values, strict=True)
        )
        self.session.flush()

    def awards(self, body: EvaluationBody, basis: AwardBasis, grade: G, count: int, offset: int = 0) -> None:
        self.session.add_all(
            GradeAward(
                person_id=self.people[offset + i].id,
                body_id=body.id,
                filing_id=self.filings[body.id].id,
                occupation_code="6-18-02-04",
                grade=grade,
                awarded_on=EXAM,
                basis=basis,
                created_at=utcnow(),
            )
            for i in range(count)
        )
        self.session.flush()


def _flags(scene: Scene, rule: str, **changes: Any) -> list[anomalies.Flag]:
    settings = scene.settings.model_copy(update=changes)
    window = anomalies.Window.build(settings, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), body_id=None)
    return anomalies.anomalies(scene.session, actor=SYSTEM, settings=settings, window=window, rules=[rule])


def _subjects(flags: list[anomalies.Flag]) -> set[str]:
    return {f.subject_id for f in flags}


@pytest.fixture
def scene(session: Session, settings: Settings) -> Scene:
    return Scene(session, settings)


class TestRulesFireAndStayQuiet:
    def test_pass_rate_far_above_peers(self, scene: Scene) -> None:
        loud, quiet, other = scene.bodies
        scene.batch(loud, [700] * 20)  # everyone passes
        scene.batch(quiet, [700] * 12 + [400] * 8)  # 60 %
        scene.batch(other, [700] * 12 + [400] * 8)
        (flag,) = _flags(scene, "pass_rate_high")
        assert flag.subject_id == str(loud.id)
        assert (flag.figure, flag.baseline, flag.threshold) == (1.0, 0.6, 0.85)
        assert flag.why_zh and flag.why_en and flag.body_name == loud.name

    def test_scores_heaped_just_above_the_pass_mark(self, scene: Scene) -> None:
        loud, quiet, other = scene.bodies
        scene.batch(loud, [600, 605, 610, 615, 620, 625] * 3 + [601, 602])
        scene.batch(quiet, [650 + 10 * i for i in range(20)])
        scene.batch(other, [640 + 12 * i for i in range(20)])
        flags = _flags(scene, "score_heaping")
        assert _subjects(flags) == {str(loud.id)}
        assert flags[0].figure == 1.0
        assert flags[0].baseline == 0.0

    def test_high_direct_recognition_share(self, scene: Scene) -> None:
        loud, quiet, _ = scene.bodies
        scene.awards(loud, AwardBasis.RECOGNITION, G.JUNIOR, 8)
        scene.awards(loud, AwardBasis.EXAM, G.SENIOR, 4, offset=8)
        scene.awards(quiet, AwardBasis.EXAM, G.SENIOR, 11, offset=12)
        scene.awards(quiet, AwardBasis.RECOGNITION, G.JUNIOR, 1, offset=23)
        flags = _flags(scene, "direct_recognition_share")
        assert _subjects(flags) == {str(loud.id)}
        assert (flags[0].figure, flags[0].baseline) == (0.6667, 0.0833)

    def test_grade_skips(self, scene: Scene) -> None:
        loud, quiet, _ = scene.bodies
        scene.awards(loud, AwardBasis.RECOGNITION, G.TECHNICIAN, 3)  # from nothing to 技师
        scene.awards(quiet, AwardBasis.RECOGNITION, G.JUNIOR, 5, offset=3)  # one step
        scene.awards(quiet, AwardBasis.RECOGNITION, G.TECHNICIAN, 2, offset=8)  # two skips: below the threshold
        flags = _flags(scene, "grade_skips")
        assert _subjects(flags) == {str(loud.id)}
        assert (flags[0].figure, flags[0].threshold) == (3.0, 3.0)

    def test_a_grade_held_before_is_not_a_skip(self, scene: Scene) -> None:
        body = scene.bodies[0]
        scene.awards(body, AwardBasis.EXAM, G.SENIOR, 3)
        scene.awards(body, AwardBasis.RECOGNITION, G.TECHNICIAN, 3)  # 高级工 → 技师: one step
        assert _flags(scene, "grade_skips") == []

    def test_assessor_overload(self, scene: Scene) -> None:
        scene.people.extend(make_person(scene.session, scene.settings) for _ in range(6))
        busy, calm = scene.assessors(2)
        _, candidates = scene.batch(scene.bodies[0], [700] * 31)
        scene.scores(candidates, busy, [700] * 31)
        scene.scores(candidates[:10], calm, [700] * 10)
        flags = _flags(scene, "assessor_overload", anomaly_assessor_daily_max=30)
        assert _subjects(flags) == {str(busy.id)}
        assert (flags[0].figure, flags[0].baseline) == (31.0, 20.5)

    def test_assessors_scoring_identically(self, scene: Scene) -> None:
        first, second, third = scene.assessors(3)
        loud, candidates = scene.batch(scene.bodies[0], [700] * 12)
        scene.scores(candidates, first, [700 + i for i in range(12)])
        scene.scores(candidates, second, [700 + i for i in range(12)])
        _, others = scene.batch(scene.bodies[1], [700] * 12)
        scene.scores(others, first, [700 + i for i in range(12)])
        scene.scores(others, third, [690 + 3 * i for i in range(12)])
        flags = _flags(scene, "identical_scoring")
        assert _subjects(flags) == {str(loud.id)}
        assert flags[0].figure == 1.0

    def test_batch_finalized_without_attestation(self, scene: Scene) -> None:
        loud, _ = scene.batch(scene.bodies[0], [700] * 3, attested=False, status=SessionStatus.FINALIZED)
        scene.batch(scene.bodies[1], [700] * 3)
        flags = _flags(scene, "unattested_batch")
        assert _subjects(flags) == {str(loud.id)}
        assert flags[0].baseline == 0.5

    def test_batch_closed_in_haste(self, scene: Scene) -> None:
        loud, _ = scene.batch(scene.bodies[0], [700] * 3, closed_after_days=2)
        scene.batch(scene.bodies[1], [700] * 3, closed_after_days=20)
        scene.batch(scene.bodies[2], [700] * 3, closed_after_days=25)
        flags = _flags(scene, "hasty_close")
        assert _subjects(flags) == {str(loud.id)}
        assert (flags[0].figure, flags[0].baseline, flags[0].threshold) == (2.0, 20.0, 7.0)

    def test_corrections_after_finalization(self, scene: Scene) -> None:
        (assessor,) = scene.assessors(1)
        loud, candidates = scene.batch(scene.bodies[0], [590, 595, 598])
        _, others = scene.batch(scene.bodies[1], [590, 595, 598])
        after = loud.finalized_at + dt.timedelta(days=1)  # type: ignore[operator]
        before = loud.finalized_at - dt.timedelta(hours=1)  # type: ignore[operator]
        rows = [(c, after) for c in candidates] + [(others[0], after), (others[1], before), (others[2], before)]
        scene.session.add_all(
            ScoreCorrection(
                candidate_id=c.id,
                component=M.THEORY_EXAM,
                assessor_id=assessor.id,
                old_tenths=590,
                new_tenths=600,
                reason="复核更正",
                recorded_by="test",
                recorded_at=at,
            )
            for c, at in rows
        )
        scene.session.flush()
        flags = _flags(scene, "late_corrections")
        assert _subjects(flags) == {str(loud.id)}
        assert flags[0].figure == 3.0

    def test_one_certificate_verified_from_many_networks(self, scene: Scene) -> None:
        log = VerificationLog(scene.settings)
        for i in range(20):
            log.record("LOUD-NUMBER", f"203.0.{i}.7")
            log.record("LOUD-NUMBER", f"203.0.{i}.99")  # same /24: the same network
        for _ in range(30):
            log.record("QUIET-NUMBER", "198.51.100.4")  # one employer checking often
        log.flush(scene.session)
        flags = _flags(scene, "verification_burst")
        assert _subjects(flags) == {"LOUD-NUMBER"}
        assert (flags[0].figure, flags[0].baseline) == (20.0, 35.0)  # 20 networks; checks per certificate (40 + 30) / 2


class TestWindow:
    def test_unknown_rule_is_refused(self, scene: Scene) -> None:
        with pytest.raises(Exception, match="unknown rules"):
            _flags(scene, "made_up")

    def test_clean_data_raises_no_flag_at_all(self, scene: Scene) -> None:
        for body in scene.bodies:
            scene.batch(body, [650 + 15 * i for i in range(12)] + [450] * 8)
        window = anomalies.Window.build(
            scene.settings, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31), body_id=None
        )
        assert anomalies.anomalies(scene.session, actor=SYSTEM, settings=scene.settings, window=window) == []
