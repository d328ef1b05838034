"""The filing rules (DESIGN.md §4), table-driven; each case id starts with the clause it tests."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from registry.filings.rules import FILING_RULES, BodyFacts, FilingFacts, LineFacts, OccupationFacts
from registry.grades import GradeCode
from registry.rules import Outcome, Provenance

WELDER = OccupationFacts("6-18-02-04", "焊工", (5, 4, 3, 2, 1))
HEALTH_MANAGER = OccupationFacts("4-14-02-02", "健康管理师", (3, 2, 1))
INFANT_CARE = OccupationFacts("4-10-01-02", "育婴员", (5, 4, 3))

EMPLOYER = BodyFacts(kind="employer", status="active", is_manufacturing=True)


def line(
    occupation: OccupationFacts | None = WELDER, max_grade: GradeCode = GradeCode.SENIOR_TECHNICIAN, **overrides: Any
) -> LineFacts:
    values: dict[str, Any] = {
        "position": 0,
        "occupation_code": occupation.code if occupation else "6-99-99-99",
        "occupation": occupation,
        "max_grade": max_grade,
        "methods": ("theory_exam", "skill_operation"),
    }
    values.update(overrides)
    return LineFacts(**values)


def facts(
    ceiling: GradeCode = GradeCode.SENIOR_TECHNICIAN,
    *,
    body: BodyFacts = EMPLOYER,
    lines: tuple[LineFacts, ...] | None = None,
    draft: bool = True,
) -> FilingFacts:
    return FilingFacts(
        body=body,
        ceiling=ceiling,
        lines=lines if lines is not None else (line(max_grade=ceiling),),
        draft_in_force=draft,
    )


def body(**changes: Any) -> BodyFacts:
    return dataclasses.replace(EMPLOYER, **changes)


QUALIFIED = body(qualified_special=True)
CHAIN_LEAD = body(qualified_special=True, is_chain_lead=True)
S, C = GradeCode.SPECIAL_TECHNICIAN, GradeCode.CHIEF_TECHNICIAN

CASES = [
    pytest.param(facts(), set(), id="002:22-any-employer-may-file-up-to-senior-technician"),
    pytest.param(facts(body=body(status="suspended")), {"FIL-BODY-ACTIVE"}, id="002:27-suspended-body-cannot-file"),
    pytest.param(facts(body=body(status="revoked")), {"FIL-BODY-ACTIVE"}, id="002:27-revoked-body-cannot-file"),
    pytest.param(facts(S), {"FIL-CEILING-SPECIAL"}, id="001:44-ordinary-employer-cannot-file-special-technician"),
    pytest.param(facts(S, body=QUALIFIED), set(), id="001:44-qualifying-enterprise-may-file-special-technician"),
    pytest.param(
        facts(C),
        {"FIL-CEILING-SPECIAL", "FIL-CEILING-CHIEF"},
        id="001:44-ordinary-employer-cannot-file-chief-technician",
    ),
    pytest.param(
        facts(C, body=QUALIFIED),
        {"FIL-CEILING-CHIEF"},
        id="001:44-chief-technician-ceiling-needs-chain-lead-or-industry-leader",
    ),
    pytest.param(
        facts(C, body=body(is_chain_lead=True)),
        {"FIL-CEILING-SPECIAL", "FIL-CEILING-CHIEF"},
        id="001:44-chief-technician-ceiling-needs-a-qualifying-enterprise",
    ),
    pytest.param(facts(C, body=CHAIN_LEAD), set(), id="001:44-chain-lead-may-file-chief-technician"),
    pytest.param(
        facts(C, body=body(qualified_special=True, is_industry_leader=True)),
        set(),
        id="001:44-industry-leader-may-file-chief-technician",
    ),
    pytest.param(
        facts(S, body=BodyFacts(kind="social_org", status="active", qualified_special=True)),
        {"FIL-CEILING-SPECIAL", "FIL-CEILING-SOCIAL"},
        id="§9-social-org-never-above-senior-technician",
    ),
    pytest.param(
        facts(C, body=BodyFacts(kind="school", status="active", qualified_special=True, is_chain_lead=True)),
        {"FIL-CEILING-SPECIAL", "FIL-CEILING-SOCIAL"},
        id="§9-school-never-above-senior-technician",
    ),
    pytest.param(facts(lines=()), {"FIL-SCOPE-PRESENT"}, id="registry-scope-names-at-least-one-occupation"),
    pytest.param(facts(lines=(line(None),)), {"FIL-SCOPE-OCCUPATION"}, id="registry-occupation-must-be-in-catalogue"),
    pytest.param(
        facts(GradeCode.TECHNICIAN, lines=(line(max_grade=GradeCode.SENIOR_TECHNICIAN),)),
        {"FIL-SCOPE-CEILING"},
        id="registry-scope-line-may-not-exceed-the-ceiling",
    ),
    pytest.param(
        facts(lines=(line(HEALTH_MANAGER, GradeCode.JUNIOR),)),
        {"FIL-SCOPE-LEVEL"},
        id="registry-grade-must-be-defined-by-the-occupation-standard",
    ),
    pytest.param(
        facts(lines=(line(HEALTH_MANAGER, GradeCode.JUNIOR, post_grade_targets=(GradeCode.JUNIOR,)),)),
        set(),
        id="001:44-enterprise-post-grades-cover-an-undefined-level",
    ),
    pytest.param(
        facts(S, body=QUALIFIED, lines=(line(INFANT_CARE, S),)),
        {"FIL-SCOPE-LEVEL"},
        id="registry-special-technician-needs-a-standard-reaching-level-one",
    ),
    pytest.param(
        facts(lines=(line(methods=("oral_exam",)),)),
        {"FIL-SCOPE-METHODS"},
        id="registry-methods-come-from-the-allowed-set",
    ),
    pytest.param(facts(lines=(line(methods=()),)), {"FIL-SCOPE-METHODS"}, id="registry-a-line-names-its-methods"),
    pytest.param(
        facts(lines=(line(direct_recognition=True),)),
        {"FIL-DR-ANY-LEVEL"},
        id="001:46-ordinary-employer-may-not-recognise-every-grade-directly",
    ),
    pytest.param(
        facts(body=body(is_large=True), lines=(line(direct_recognition=True),)),
        set(),
        id="001:46-large-manufacturer-may-recognise-every-grade-directly",
    ),
    pytest.param(
        facts(body=body(is_listed=True), lines=(line(direct_recognition=True),)),
        set(),
        id="001:46-listed-manufacturer-may-recognise-every-grade-directly",
    ),
    pytest.param(
        facts(body=body(is_manufacturing=False, is_listed=True), lines=(line(direct_recognition=True),)),
        {"FIL-DR-ANY-LEVEL"},
        id="001:46-listed-company-outside-manufacturing-may-not-(our-reading)",
    ),
    pytest.param(
        facts(body=BodyFacts(kind="chain_body", status="active"), lines=(line(direct_recognition=True),)),
        set(),
        id="001:46-chain-body-may-recognise-every-grade-directly",
    ),
    pytest.param(
        facts(body=body(is_large=True), lines=(line(HEALTH_MANAGER, direct_recognition=True),)),
        {"FIL-DR-ANY-LEVEL"},
        id="001:46-direct-recognition-of-every-grade-needs-a-complete-ladder",
    ),
    pytest.param(
        facts(S, body=QUALIFIED, draft=False),
        {"FIL-CEILING-NATIONAL"},
        id="registry-000:47-003:714-name-special-technicians-but-set-no-ceiling-draft-off",
    ),
    pytest.param(
        facts(body=body(is_large=True), lines=(line(direct_recognition=True),), draft=False),
        {"FIL-DR-BASELINE"},
        id="registry-001:46-draft-off-direct-recognition-of-every-grade-has-no-basis",
    ),
    pytest.param(
        facts(lines=(line(HEALTH_MANAGER, GradeCode.JUNIOR, post_grade_targets=(GradeCode.JUNIOR,)),), draft=False),
        {"FIL-SCOPE-LEVEL"},
        id="registry-001:44-draft-off-own-post-grades-do-not-count",
    ),
]


class TestFilingRules:
    @pytest.mark.parametrize(("case", "failing"), CASES)
    def test_rule_outcomes(self, case: FilingFacts, failing: set[str]) -> None:
        decision = FILING_RULES.evaluate(case, jurisdiction="44", draft_in_force=case.draft_in_force)
        assert {r.rule_id for r in decision.failures} == failing
        assert decision.allowed is (not failing)

    def test_every_rule_but_a_registry_rule_cites_a_clause(self) -> None:
        for rule in FILING_RULES.rules:
            assert (rule.source is None) == (rule.provenance == Provenance.REGISTRY), rule.id
            assert rule.title_zh and rule.title_en

    def test_the_national_ceiling_says_exactly_what_000_47_and_003_714_do(self) -> None:
        decision = FILING_RULES.evaluate(facts(S, body=QUALIFIED, draft=False), jurisdiction="11", draft_in_force=False)
        (failure,) = decision.failures
        assert failure.rule_id == "FIL-CEILING-NATIONAL" and failure.provenance == Provenance.REGISTRY
        assert (
            "000:47" in failure.message_zh
            and "003:714" in failure.message_zh
            and "未规定备案上限" in failure.message_zh
        )
        assert "set no filing ceiling" in failure.message_en

    def test_draft_rules_are_those_of_document_001(self) -> None:
        drafts = [r for r in FILING_RULES.rules if r.provenance == Provenance.DRAFT]
        assert drafts
        assert all(r.source.startswith("001:") for r in drafts)

    def test_draft_rules_are_disabled_where_the_draft_is_not_in_force(self) -> None:
        decision = FILING_RULES.evaluate(facts(draft=False), jurisdiction="11", draft_in_force=False)
        disabled = {r.rule_id for r in decision.results if r.outcome == Outcome.DISABLED}
        assert disabled == {r.id for r in FILING_RULES.rules if r.provenance == Provenance.DRAFT}

    def test_decision_records_the_ruleset_version(self) -> None:
        report = FILING_RULES.evaluate(facts(), jurisdiction="44", draft_in_force=True).as_dict()
        assert report["version"] == FILING_RULES.version
        assert len(report["results"]) == len(FILING_RULES.rules)
