"""Exam batches through the services: staffing, enrolment, scoring, attestation, finalizing, 公示, closing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import Session, func, select

from assessment.assessors.models import AssessorKind
from assessment.assessors.service import AssessorNotQualified
from assessment.batches.models import Candidate, ComponentIn, CorrectionIn, EnrolIn, ObjectionIn, SessionStatus
from assessment.batches.service import (
    BatchIncomplete,
    BatchNotFound,
    BatchStateConflict,
    ComponentsOutsidePolicy,
    DuplicateCandidate,
    NotAttested,
    NotEligible,
    ObjectionsOpen,
    PublicityNotOver,
    attest_batch,
    close_batch,
    correct_score,
    corrections,
    decide_objection,
    enrol,
    enrol_rows,
    file_objection,
    finalize_batch,
    publish_batch,
    record_scores,
    score_grid,
)
from registry.awards.models import GradeAward
from registry.bodies.models import EvaluationBody
from registry.errors import InvalidInput, PermissionDenied
from registry.filings.rules import EvaluationMethod as M
from registry.filings.service import OutsideFilingScope
from registry.grades import GradeCode
from registry.people.models import Person
from registry.settings import Settings
from registry.tabular import read_table
from tests.factories import (
    SYSTEM,
    Batch,
    assessor_actor,
    give_award,
    han_number,
    make_assessor,
    make_batch,
    make_body,
    make_filing,
    make_person,
    valid_id,
)

THEORY, SKILL = M.THEORY_EXAM, M.SKILL_OPERATION


@pytest.fixture
def body(session: Session, settings: Settings) -> EvaluationBody:
    body = make_body(session)
    make_filing(session, settings, body=body)
    return body


def _eligible(session: Session, settings: Settings, body: EvaluationBody) -> Person:
    person = make_person(session, settings, employer=body)
    give_award(session, person=person, body=body, grade=GradeCode.INTERMEDIATE, on=dt.date(2026, 1, 5))
    return person


def _score_all(session: Session, batch: Batch, value: str = "80") -> None:
    for candidate in session.exec(select(Candidate).where(Candidate.session_id == batch.exam.id)).all():
        for assessor in batch.assessors:
            record_scores(
                session,
                actor=assessor_actor(assessor),
                batch_id=batch.exam.id,
                candidate_id=candidate.id,
                scores={THEORY: Decimal(value), SKILL: Decimal(value)},
            )


@pytest.fixture
def lenient(settings: Settings) -> Settings:
    """Settings without the years-since-prerequisite minimum (the demo people got their grades recently)."""
    return settings.model_copy(update={"eligibility_min_years": {"senior": 0}, "publicity_days": 0})


class TestCreateBatch:
    def test_batch_outside_the_filing_is_refused(
        self, session: Session, settings: Settings, body: EvaluationBody
    ) -> None:
        with pytest.raises(OutsideFilingScope):
            make_batch(session, settings, body=body, occupation_code="4-10-01-05")

    def test_technician_batches_need_three_assessors(
        self, session: Session, settings: Settings, body: EvaluationBody
    ) -> None:
        with pytest.raises(InvalidInput, match="at least 3"):
            make_batch(session, settings, body=body, grade=GradeCode.TECHNICIAN, assessors=2)

    def test_lower_grades_need_two(self, session: Session, settings: Settings, body: EvaluationBody) -> None:
        assert make_batch(session, settings, body=body, assessors=2).exam.status == SessionStatus.OPEN

    def test_assessor_below_the_grade_is_refused(
        self, session: Session, settings: Settings, body: EvaluationBody
    ) -> None:
        from assessment.batches.models import SessionCreate
        from assessment.batches.service import create_batch

        weak = [make_assessor(session, settings, max_grade=GradeCode.INTERMEDIATE) for _ in range(2)]
        supervisor = make_assessor(session, settings, kind=AssessorKind.SUPERVISOR)
        with pytest.raises(AssessorNotQualified, match="may assess up to intermediate"):
            create_batch(
                session,
                actor=SYSTEM,
                settings=settings,
                data=SessionCreate(
                    body_id=body.id,
                    occupation_code="6-18-02-04",
                    grade=GradeCode.SENIOR,
                    exam_on=dt.date(2026, 6, 1),
                    venue="考场",
                    assessor_ids=[a.id for a in weak],
                    supervisor_id=supervisor.id,
                ),
            )

    def test_components_below_the_national_pass_mark_are_refused(
        self, session: Session, settings: Settings, body: EvaluationBody
    ) -> None:
        with pytest.raises(ComponentsOutsidePolicy, match="below the national 60"):
            make_batch(
                session,
                settings,
                body=body,
                components=[
                    ComponentIn(kind=THEORY, weight=30, pass_mark=50),
                    ComponentIn(kind=SKILL, weight=70, pass_mark=60),
                ],
            )


class TestEnrol:
    def test_eligible_candidate_is_enrolled_with_the_report(
        self, session: Session, lenient: Settings, body: EvaluationBody
    ) -> None:
        batch = make_batch(session, lenient, body=body)
        person = _eligible(session, lenient, body)
        candidate = enrol(
            session, actor=SYSTEM, batch_id=batch.exam.id, data=EnrolIn(person_id=person.id), settings=lenient
        )
        assert candidate.eligibility["allowed"] is True
        assert candidate.ruleset_version.startswith("eligibility/")

    def test_ineligible_candidate_is_refused_naming_the_rule(
        self, session: Session, lenient: Settings, body: EvaluationBody
    ) -> None:
        batch = make_batch(session, lenient, body=body)
        person = make_person(session, lenient, employer=body)
        with pytest.raises(NotEligible, match="ELIG-PREREQUISITE"):
            enrol(session, actor=SYSTEM, batch_id=batch.exam.id, data=EnrolIn(person_id=person.id), settings=lenient)
        assert (
            session.exec(select(func.count()).select_from(Candidate).where(Candidate.session_id == batch.exam.id)).one()
            == 0
        )

    def test_years_since_the_prerequisite_count(
        self, session: Session, settings: Settings, body: EvaluationBody
    ) -> None:
        batch = make_batch(session, settings, body=body)
        person = _eligible(session, settings, body)
        with pytest.raises(NotEligible, match="ELIG-YEARS"):
            enrol(session, actor=SYSTEM, batch_id=batch.exam.id, data=EnrolIn(person_id=person.id), settings=settings)

    def test_duplicate_candidate_is_refused(self, session: Session, lenient: Settings, body: EvaluationBody) -> None:
        batch = make_batch(session, lenient, body=body)
        person = _eligible(session, lenient, body)
        enrol(session, actor=SYSTEM, batch_id=batch.exam.id, data=EnrolIn(person_id=person.id), settings=lenient)
        with pytest.raises(DuplicateCandidate):
            enrol(session, actor=SYSTEM, batch_id=batch.exam.id, data=EnrolIn(person_id=person.id), settings=lenient)

    def test_bulk_enrolment_is_all_or_nothing_naming_every_bad_row(
        self,
        session: Session,
        lenient: Settings,
        body: EvaluationBody,
    ) -> None:
        batch = make_batch(
            session,
            lenient,
            body=body,
            grade=GradeCode.JUNIOR,
            assessors=2,
            components=[
                ComponentIn(kind=THEORY, weight=30, pass_mark=60),
                ComponentIn(kind=SKILL, weight=70, pass_mark=60),
            ],
        )
        lines = ["name,id_number,employer_uscc,employer_name"]
        lines += [f"员工{han_number(i)},{valid_id()},{body.uscc},{body.name}" for i in range(200)]
        lines.insert(50, f"坏号码,{valid_id()[:-1]}Z,{body.uscc},{body.name}")
        lines.insert(120, f"外单位,{valid_id()},91440300708461136T,腾讯")
        rows = read_table(
            "\n".join(lines).encode(),
            filename="c.csv",
            required=("name", "id_number"),
            optional=("employer_uscc", "employer_name"),
        )
        with pytest.raises(InvalidInput) as refused:
            enrol_rows(session, actor=SYSTEM, batch_id=batch.exam.id, rows=rows, settings=lenient)
        assert refused.value.extra["bad_rows"] == [51, 121]
        assert "ELIG-EMPLOYMENT" in str(refused.value.extra["errors"])
        assert (
            session.exec(select(func.count()).select_from(Candidate).where(Candidate.session_id == batch.exam.id)).one()
            == 0
        )


@pytest.fixture
def scored(session: Session, lenient: Settings, body: EvaluationBody) -> Batch:
    batch = make_batch(session, lenient, body=body)
    for _ in range(3):
        enrol(
            session,
            actor=SYSTEM,
            batch_id=batch.exam.id,
            data=EnrolIn(person_id=_eligible(session, lenient, body).id),
            settings=lenient,
        )
    return batch


class TestScoring:
    def test_assessors_of_other_batches_cannot_even_see_this_one(
        self, session: Session, settings: Settings, scored: Batch
    ) -> None:
        outsider = make_assessor(session, settings)
        candidate = session.exec(select(Candidate).where(Candidate.session_id == scored.exam.id)).first()
        assert candidate is not None
        with pytest.raises(BatchNotFound):
            record_scores(
                session,
                actor=assessor_actor(outsider),
                batch_id=scored.exam.id,
                candidate_id=candidate.id,
                scores={THEORY: Decimal(80)},
            )

    def test_scores_outside_0_to_100_are_refused(self, session: Session, scored: Batch) -> None:
        candidate = session.exec(select(Candidate).where(Candidate.session_id == scored.exam.id)).first()
        assert candidate is not None
        with pytest.raises(InvalidInput, match="0–100"):
            record_scores(
                session,
                actor=assessor_actor(scored.assessors[0]),
                batch_id=scored.exam.id,
                candidate_id=candidate.id,
                scores={THEORY: Decimal("101")},
            )

    def test_component_outside_the_batch_is_refused(self, session: Session, scored: Batch) -> None:
        candidate = session.exec(select(Candidate).where(Candidate.session_id == scored.exam.id)).first()
        assert candidate is not None
        with pytest.raises(InvalidInput, match="no component"):
            record_scores(
                session,
                actor=assessor_actor(scored.assessors[0]),
                batch_id=scored.exam.id,
                candidate_id=candidate.id,
                scores={M.PROCESS_ASSESSMENT: Decimal("70")},
            )

    def test_attestation_needs_every_score(self, session: Session, scored: Batch) -> None:
        with pytest.raises(BatchIncomplete) as refused:
            attest_batch(session, actor=assessor_actor(scored.supervisor), batch_id=scored.exam.id)
        assert len(refused.value.extra["missing"]) == 3 * 2 * 3

    def test_only_the_supervisor_attests(self, session: Session, scored: Batch) -> None:
        _score_all(session, scored)
        with pytest.raises(PermissionDenied):
            attest_batch(session, actor=assessor_actor(scored.assessors[0]), batch_id=scored.exam.id)

    def test_finalizing_without_attestation_is_refused(self, session: Session, scored: Batch) -> None:
        _score_all(session, scored)
        with pytest.raises(NotAttested):
            finalize_batch(session, actor=SYSTEM, batch_id=scored.exam.id)

    def test_finalized_scores_are_locked(self, session: Session, scored: Batch) -> None:
        _score_all(session, scored)
        attest_batch(session, actor=assessor_actor(scored.supervisor), batch_id=scored.exam.id)
        finalize_batch(session, actor=SYSTEM, batch_id=scored.exam.id)
        candidate = session.exec(select(Candidate).where(Candidate.session_id == scored.exam.id)).first()
        assert candidate is not None
        assert candidate.passed is True
        with pytest.raises(BatchStateConflict):
            record_scores(
                session,
                actor=assessor_actor(scored.assessors[0]),
                batch_id=scored.exam.id,
                candidate_id=candidate.id,
                scores={THEORY: Decimal(10)},
            )

    def test_corrections_are_separate_visible_records_that_change_the_result(
        self, session: Session, scored: Batch
    ) -> None:
        _score_all(session, scored, "61")
        attest_batch(session, actor=assessor_actor(scored.supervisor), batch_id=scored.exam.id)
        finalize_batch(session, actor=SYSTEM, batch_id=scored.exam.id)
        candidate = session.exec(select(Candidate).where(Candidate.session_id == scored.exam.id)).first()
        assert candidate is not None
        correct_score(
            session,
            actor=assessor_actor(scored.assessors[0]),
            batch_id=scored.exam.id,
            candidate_id=candidate.id,
            data=CorrectionIn(
                component=SKILL,
                assessor_id=scored.assessors[0].id,
                value=Decimal("10"),
                reason="录入错误，原始记录为10分",
            ),
        )
        assert candidate.passed is False
        (shown,) = corrections(session, actor=SYSTEM, batch_id=scored.exam.id)
        assert (shown.old, shown.new) == ("61.0", "10.0")


def _finalized(session: Session, batch: Batch) -> None:
    _score_all(session, batch)
    attest_batch(session, actor=assessor_actor(batch.supervisor), batch_id=batch.exam.id)
    finalize_batch(session, actor=SYSTEM, batch_id=batch.exam.id)


class TestPublicityAndClosing:
    def test_closing_before_the_publicity_period_ends_is_refused(
        self, session: Session, settings: Settings, scored: Batch
    ) -> None:
        _finalized(session, scored)
        publish_batch(session, actor=SYSTEM, batch_id=scored.exam.id, settings=settings)
        with pytest.raises(PublicityNotOver):
            close_batch(session, actor=SYSTEM, batch_id=scored.exam.id)

    def test_closing_creates_awards_for_those_who_passed(
        self, session: Session, lenient: Settings, scored: Batch
    ) -> None:
        _finalized(session, scored)
        publish_batch(session, actor=SYSTEM, batch_id=scored.exam.id, settings=lenient)
        close_batch(session, actor=SYSTEM, batch_id=scored.exam.id)
        awards = session.exec(
            select(GradeAward).where(GradeAward.grade == GradeCode.SENIOR, GradeAward.body_id == scored.exam.body_id)
        ).all()
        assert len(awards) == 3
        assert {a.basis.value for a in awards} == {"exam"}

    def test_open_objections_block_closing_and_upheld_ones_withhold_the_award(
        self, session: Session, settings: Settings, scored: Batch
    ) -> None:
        _finalized(session, scored)
        publish_batch(session, actor=SYSTEM, batch_id=scored.exam.id, settings=settings)
        candidate = session.exec(select(Candidate).where(Candidate.session_id == scored.exam.id)).first()
        assert candidate is not None
        objection = file_objection(
            session,
            actor=SYSTEM,
            batch_id=scored.exam.id,
            data=ObjectionIn(candidate_id=candidate.id, text="该考生实际未参加技能操作考核", contact="13800000000"),
        )
        scored.exam.publicity_ends_at = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        with pytest.raises(ObjectionsOpen):
            close_batch(session, actor=SYSTEM, batch_id=scored.exam.id)
        decide_objection(
            session, actor=SYSTEM, batch_id=scored.exam.id, objection_id=objection.id, uphold=True, note="经核查属实"
        )
        close_batch(session, actor=SYSTEM, batch_id=scored.exam.id)
        assert candidate.award_id is None
        awarded = session.exec(
            select(Candidate).where(Candidate.session_id == scored.exam.id, Candidate.award_id.is_not(None))
        ).all()  # type: ignore[union-attr]
        assert len(awarded) == 2

    def test_objections_after_the_period_are_refused(self, session: Session, lenient: Settings, scored: Batch) -> None:
        _finalized(session, scored)
        publish_batch(session, actor=SYSTEM, batch_id=scored.exam.id, settings=lenient)
        candidate = session.exec(select(Candidate).where(Candidate.session_id == scored.exam.id)).first()
        assert candidate is not None
        with pytest.raises(BatchStateConflict, match="over"):
            file_objection(
                session,
                actor=SYSTEM,
                batch_id=scored.exam.id,
                data=ObjectionIn(candidate_id=candidate.id, text="迟到的异议内容", contact="x@y.cn"),
            )


class TestScoreGrid:
    def test_an_assessor_sees_their_own_cells_and_what_is_missing(self, session: Session, scored: Batch) -> None:
        first, second = (assessor_actor(a) for a in scored.assessors[:2])
        candidates = session.exec(select(Candidate).where(Candidate.session_id == scored.exam.id)).all()
        record_scores(
            session,
            actor=first,
            batch_id=scored.exam.id,
            candidate_id=candidates[0].id,
            scores={THEORY: Decimal("78.5")},
        )
        record_scores(
            session, actor=second, batch_id=scored.exam.id, candidate_id=candidates[0].id, scores={SKILL: Decimal(90)}
        )
        grid = score_grid(session, actor=first, exam=scored.exam)
        assert [c.kind for c in grid.components] == [THEORY, SKILL]
        assert grid.assessing
        row = next(r for r in grid.rows if r.candidate_id == candidates[0].id)
        assert row.mine == {"theory_exam": "78.5", "skill_operation": None}  # the other assessor's 90 is not mine
        assert row.missing == ["skill_operation"]
        assert row.scored_by == {"theory_exam": 1, "skill_operation": 1}  # by anyone: what a supervisor watches
        assert grid.my_missing == 3 * 2 - 1
        cards = {a.card_number: a for a in scored.assessors}
        assert grid.missing_by_assessor == {
            card: 6 - (1 if assessor.id in {first.assessor_id, second.assessor_id} else 0)
            for card, assessor in cards.items()
        }
        assert grid.missing_total == 3 * 2 * 3 - 2

    def test_the_supervisor_watches_without_cells_of_their_own(self, session: Session, scored: Batch) -> None:
        grid = score_grid(session, actor=assessor_actor(scored.supervisor), exam=scored.exam)
        assert not grid.assessing and grid.assessors == 3
        assert grid.my_missing == 0
        assert all(value is None for row in grid.rows for value in row.mine.values())
        assert grid.missing_total == 3 * 2 * 3
