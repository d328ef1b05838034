"""Scoring (pure): means of assessors' scores, pass marks per component, components within policy."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assessment.batches.scoring import (
    ComponentRule,
    component_problems,
    default_components,
    evaluate,
    from_tenths,
    to_tenths,
)
from registry.grades import GradeCode

RULES = [ComponentRule("theory_exam", 30, 60), ComponentRule("skill_operation", 70, 60)]


class TestScores:
    @pytest.mark.parametrize(("value", "tenths"), [("0", 0), ("59.9", 599), ("100", 1000), ("78.5", 785)])
    def test_scores_are_kept_in_tenths(self, value: str, tenths: int) -> None:
        assert to_tenths(Decimal(value)) == tenths
        assert from_tenths(tenths) == Decimal(value).quantize(Decimal("0.1"))

    @pytest.mark.parametrize("value", ["100.1", "-1", "78.55"])
    def test_out_of_range_or_too_precise_scores_are_refused(self, value: str) -> None:
        with pytest.raises(ValueError, match="between 0 and 100"):
            to_tenths(Decimal(value))


class TestEvaluate:
    def test_component_score_is_the_mean_of_assessors(self) -> None:
        result = evaluate(RULES, {"theory_exam": [700, 800, 900], "skill_operation": [600, 610, 620]})
        assert [c.score for c in result.components] == [Decimal("80.00"), Decimal("61.00")]
        assert result.total == Decimal("66.70")
        assert result.passed

    def test_every_component_must_reach_its_pass_mark(self) -> None:
        result = evaluate(RULES, {"theory_exam": [1000, 1000], "skill_operation": [590, 600]})
        assert result.total > 60
        assert not result.passed

    def test_pass_mark_is_inclusive(self) -> None:
        assert evaluate(RULES, {"theory_exam": [600], "skill_operation": [600]}).passed


class TestComponentPolicy:
    def test_defaults_add_review_from_technician(self) -> None:
        assert [c.kind for c in default_components(GradeCode.SENIOR)] == ["theory_exam", "skill_operation"]
        assert "comprehensive_review" in [c.kind for c in default_components(GradeCode.TECHNICIAN)]

    def test_defaults_are_within_policy(self) -> None:
        methods = ["theory_exam", "skill_operation", "comprehensive_review"]
        for grade in (GradeCode.JUNIOR, GradeCode.TECHNICIAN, GradeCode.SENIOR_TECHNICIAN):
            assert component_problems(default_components(grade), grade, methods) == []

    @pytest.mark.parametrize(
        ("components", "problem"),
        [
            pytest.param(
                [ComponentRule("theory_exam", 30, 50), ComponentRule("skill_operation", 70, 60)],
                "below the national 60",
                id="pass-mark-below-60",
            ),
            pytest.param(
                [ComponentRule("theory_exam", 30, 60), ComponentRule("skill_operation", 60, 60)],
                "add up to 90",
                id="weights-not-100",
            ),
            pytest.param([ComponentRule("theory_exam", 100, 60)], "skill_operation", id="skill-is-required"),
            pytest.param(
                [ComponentRule("process_assessment", 30, 60), ComponentRule("skill_operation", 70, 60)],
                "not among the filing line",
                id="method-not-filed",
            ),
        ],
    )
    def test_components_outside_policy_are_named(self, components: list[ComponentRule], problem: str) -> None:
        problems = component_problems(components, GradeCode.SENIOR, ["theory_exam", "skill_operation"])
        assert any(problem in p for p in problems), problems

    def test_technician_batches_need_a_comprehensive_review(self) -> None:
        problems = component_problems(
            default_components(GradeCode.SENIOR), GradeCode.TECHNICIAN, ["theory_exam", "skill_operation"]
        )
        assert any("comprehensive_review" in p for p in problems)
