"""Scoring, pure: component means, pass marks, weighted totals; default components by grade. Stdlib only.

Scores are integer tenths of a point. A component's score is the mean of its assessors' scores; a candidate
passes when every component reaches its pass mark (DESIGN.md §3); the weighted total is for reporting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from registry import grades
from registry.grades import GradeCode

THEORY = "theory_exam"
SKILL = "skill_operation"
REVIEW = "comprehensive_review"
NATIONAL_PASS_MARK = 60
TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class ComponentRule:
    """A component of a batch: kind, weight (percent), pass mark (0–100)."""

    kind: str
    weight: int
    pass_mark: int


@dataclass(frozen=True)
class ComponentResult:
    """A candidate's result in one component."""

    kind: str
    score: Decimal
    pass_mark: int
    passed: bool


@dataclass(frozen=True)
class CandidateResult:
    """A candidate's overall result."""

    components: tuple[ComponentResult, ...]
    total: Decimal
    passed: bool

    @property
    def total_tenths(self) -> int:
        """The weighted total in tenths, rounded half up."""
        return int((self.total * 10).quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def as_dict(self) -> dict[str, dict[str, object]]:
        """The per-component results as JSON-ready data."""
        return {c.kind: {"score": str(c.score), "pass_mark": c.pass_mark, "passed": c.passed} for c in self.components}


def to_tenths(value: Decimal) -> int:
    """Convert a 0–100 score with at most one decimal to tenths; refuse anything else."""
    tenths = value * 10
    if tenths != tenths.to_integral_value() or not Decimal(0) <= value <= Decimal(100):
        raise ValueError(f"score {value} must be between 0 and 100 with at most one decimal")
    return int(tenths)


def from_tenths(tenths: int) -> Decimal:
    """Convert tenths back to a score."""
    return (Decimal(tenths) / 10).quantize(Decimal("0.1"))


def mean(values_tenths: Sequence[int]) -> Decimal:
    """The mean of assessors' scores, to two decimals."""
    return (Decimal(sum(values_tenths)) / 10 / len(values_tenths)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def default_components(grade: GradeCode) -> list[ComponentRule]:
    """Theory and skill at 60; technician and above add a comprehensive review at 60 (DESIGN.md §3)."""
    if grades.at_least(grade, GradeCode.TECHNICIAN):
        return [ComponentRule(THEORY, 20, 60), ComponentRule(SKILL, 50, 60), ComponentRule(REVIEW, 30, 60)]
    return [ComponentRule(THEORY, 30, 60), ComponentRule(SKILL, 70, 60)]


def component_problems(components: Sequence[ComponentRule], grade: GradeCode, line_methods: Sequence[str]) -> list[str]:
    """Return why a batch's components are outside policy (empty when they are fine)."""
    problems = []
    kinds = [c.kind for c in components]
    if len(set(kinds)) != len(kinds):
        problems.append("components repeat a kind")
    if sum(c.weight for c in components) != 100:
        problems.append(f"weights add up to {sum(c.weight for c in components)}, not 100")
    for c in components:
        if c.pass_mark < NATIONAL_PASS_MARK:
            problems.append(f"{c.kind} pass mark {c.pass_mark} is below the national {NATIONAL_PASS_MARK}")
        if c.kind not in line_methods:
            problems.append(f"{c.kind} is not among the filing line's methods {sorted(line_methods)}")
    required = {SKILL} | ({REVIEW} if grades.at_least(grade, GradeCode.TECHNICIAN) else set())
    missing = required - set(kinds)
    if missing:
        problems.append(f"missing required components: {', '.join(sorted(missing))}")
    return problems


def evaluate(components: Sequence[ComponentRule], scores: Mapping[str, Sequence[int]]) -> CandidateResult:
    """Compute a complete candidate's result (every component must have at least one score)."""
    results = []
    total = Decimal(0)
    for c in components:
        score = mean(scores[c.kind])
        results.append(ComponentResult(c.kind, score, c.pass_mark, score >= c.pass_mark))
        total += score * c.weight / 100
    total = total.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    return CandidateResult(tuple(results), total, all(r.passed for r in results))
