"""Eligibility and direct-recognition rules, table-driven; each case id starts with the clause it tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from assessment.batches.eligibility import DEFAULT_MIN_YEARS, ELIGIBILITY_RULES, EligibilityFacts, EmploymentFacts
from assessment.recognition.rules import RECOGNITION_RULES, RecognitionFacts
from registry.grades import GradeCode as G
from registry.rules import Provenance

BODY = "91440606D0000028X1"
MEMBER = "91440100D0000213X2"
EXAM = dt.date(2026, 6, 15)


def elig(**changes: Any) -> EligibilityFacts:
    base = EligibilityFacts(
        body_kind="employer",
        body_uscc=BODY,
        chain_member_usccs=frozenset({MEMBER}),
        employments=(EmploymentFacts(BODY, False),),
        held=((G.INTERMEDIATE, dt.date(2020, 1, 1)),),
        target=G.SENIOR,
        exam_on=EXAM,
        in_scope=True,
        candidate_person_id="p",
        staff_person_ids=frozenset({"a"}),
    )
    return dataclasses.replace(base, **changes)


ELIGIBILITY_CASES = [
    pytest.param(elig(), set(), id="002:22-own-employee-holding-the-grade-below-is-eligible"),
    pytest.param(
        elig(employments=(EmploymentFacts(BODY, True),)),
        set(),
        id="002:22-dispatched-worker-of-the-employer-is-eligible",
    ),
    pytest.param(
        elig(employments=(EmploymentFacts(MEMBER, False),)),
        {"ELIG-EMPLOYMENT"},
        id="002:22-employer-may-not-assess-another-companys-staff",
    ),
    pytest.param(
        elig(body_kind="chain_body", employments=(EmploymentFacts(MEMBER, False),)),
        set(),
        id="001:46-chain-body-assesses-chain-member-staff",
    ),
    pytest.param(
        elig(body_kind="chain_body", employments=(EmploymentFacts("91110000X00000000X", False),)),
        {"ELIG-CHAIN"},
        id="001:46-chain-body-may-not-assess-outsiders",
    ),
    pytest.param(
        elig(body_kind="chain_body", employments=(EmploymentFacts(MEMBER, False),), draft_in_force=False),
        {"ELIG-EMPLOYMENT"},
        id="001:46-draft-off-chain-body-assesses-only-its-own-staff",
    ),
    pytest.param(elig(body_kind="social_org", employments=()), set(), id="002:22-social-org-assesses-anyone"),
    pytest.param(elig(in_scope=False), {"ELIG-SCOPE"}, id="registry-batch-outside-the-filing"),
    pytest.param(elig(held=()), {"ELIG-PREREQUISITE"}, id="§9-grade-by-grade-needs-the-grade-below"),
    pytest.param(
        elig(held=((G.JUNIOR, dt.date(2010, 1, 1)),)), {"ELIG-PREREQUISITE"}, id="§9-two-grades-below-is-not-enough"
    ),
    pytest.param(elig(target=G.JUNIOR, held=()), set(), id="§9-junior-needs-no-prior-grade"),
    pytest.param(
        elig(held=((G.INTERMEDIATE, dt.date(2024, 1, 1)),)),
        {"ELIG-YEARS"},
        id="§9-four-years-after-intermediate-before-senior",
    ),
    pytest.param(elig(held=((G.INTERMEDIATE, dt.date(2022, 6, 15)),)), set(), id="§9-exactly-four-years-is-enough"),
    pytest.param(
        elig(held=((G.INTERMEDIATE, dt.date(2024, 1, 1)),), min_years={"senior": 1}),
        set(),
        id="§9-minimum-years-are-configurable",
    ),
    pytest.param(
        elig(held=((G.INTERMEDIATE, dt.date(2019, 1, 1)), (G.SENIOR, dt.date(2023, 1, 1)))),
        {"ELIG-NOT-HELD"},
        id="registry-already-holds-the-grade",
    ),
    pytest.param(
        elig(target=G.SPECIAL_TECHNICIAN, held=((G.SENIOR_TECHNICIAN, dt.date(2025, 1, 1)),)),
        {"ELIG-YEARS-TOP"},
        id="registry-two-years-after-senior-technician-before-special-technician",
    ),
    pytest.param(
        elig(target=G.SPECIAL_TECHNICIAN, held=((G.SENIOR_TECHNICIAN, dt.date(2024, 6, 15)),)),
        set(),
        id="registry-two-years-are-enough-for-special-technician",
    ),
    pytest.param(
        elig(target=G.CHIEF_TECHNICIAN, held=((G.SPECIAL_TECHNICIAN, dt.date(2026, 1, 1)),), min_years={}),
        set(),
        id="registry-top-grade-years-are-configurable",
    ),
    pytest.param(
        elig(staff_person_ids=frozenset({"p"})), {"ELIG-RECUSAL"}, id="§9-recusal-assessor-may-not-assess-self"
    ),
    pytest.param(
        elig(recusal_same_employer=True, staff_home_usccs=frozenset({BODY})),
        {"ELIG-RECUSAL"},
        id="§9-recusal-of-colleagues-when-the-batch-requires-it",
    ),
    pytest.param(elig(staff_home_usccs=frozenset({BODY})), set(), id="§9-recusal-colleagues-allowed-by-default"),
]


class TestEligibilityRules:
    @pytest.mark.parametrize(("facts", "failing"), ELIGIBILITY_CASES)
    def test_outcomes(self, facts: EligibilityFacts, failing: set[str]) -> None:
        decision = ELIGIBILITY_RULES.evaluate(facts, jurisdiction="44", draft_in_force=facts.draft_in_force)
        assert {r.rule_id for r in decision.failures} == failing

    def test_years_rule_is_outside_knowledge_and_the_top_grades_years_are_ours(self) -> None:
        rules = {r.id: r.provenance for r in ELIGIBILITY_RULES.rules}
        assert (rules["ELIG-YEARS"], rules["ELIG-YEARS-TOP"]) == (Provenance.OUTSIDE, Provenance.REGISTRY)

    def test_the_default_years_are_those_the_readme_shows(self) -> None:
        assert dict(DEFAULT_MIN_YEARS) == {
            "intermediate": 2,
            "senior": 4,
            "technician": 4,
            "senior_technician": 4,
            "special_technician": 2,
            "chief_technician": 2,
        }


def rec(**changes: Any) -> RecognitionFacts:
    base = RecognitionFacts(
        path="DR-A",
        body_kind="employer",
        body_status="active",
        is_manufacturing=True,
        is_large=False,
        is_listed=False,
        target=G.SENIOR,
        ceiling=G.SENIOR_TECHNICIAN,
        in_scope=True,
        line_allows_any_level=False,
        occupation_complete=True,
        held=((G.INTERMEDIATE, dt.date(2020, 1, 1)),),
        triggers=frozenset({"T1"}),
        waived=frozenset({"education"}),
        evidence_count=1,
        methods=frozenset(),
        employed=True,
        competition_cap=None,
        has_competition=False,
        draft_in_force=True,
    )
    return dataclasses.replace(base, **changes)


DR_D = {
    "path": "DR-D",
    "is_large": True,
    "line_allows_any_level": True,
    "triggers": frozenset({"T8"}),
    "waived": frozenset({"sequential"}),
    "methods": frozenset({"performance_review"}),
}

DR_G = {
    "path": "DR-G",
    "triggers": frozenset({"T7"}),
    "waived": frozenset(),
    "has_competition": True,
    "competition_cap": G.TECHNICIAN,
}
DR_E_SKIP = {
    "path": "DR-E",
    "triggers": frozenset({"T6"}),
    "waived": frozenset({"grade", "work_years"}),
    "justified": frozenset({"grade"}),
}

RECOGNITION_CASES = [
    pytest.param(rec(), set(), id="000:47-DR-A-senior-with-trigger-and-evidence"),
    pytest.param(
        rec(target=G.INTERMEDIATE, held=((G.JUNIOR, dt.date(2020, 1, 1)),)),
        {"REC-DR-A"},
        id="000:47-DR-A-only-senior-and-above",
    ),
    pytest.param(rec(triggers=frozenset({"T6"})), {"REC-TRIGGERS"}, id="000:47-DR-A-triggers-are-T1-to-T4"),
    pytest.param(
        rec(waived=frozenset({"work_years"})),
        {"REC-TRIGGERS"},
        id="000:47-DR-A-waives-education-seniority-age-quota-only",
    ),
    pytest.param(rec(evidence_count=0), {"REC-EVIDENCE"}, id="registry-evidence-is-required"),
    pytest.param(rec(target=G.TECHNICIAN), {"REC-SEQUENTIAL"}, id="000:47-DR-A-may-not-skip-a-grade"),
    pytest.param(rec(held=()), {"REC-SEQUENTIAL"}, id="000:47-DR-A-no-grade-held-means-no-direct-senior"),
    pytest.param(rec(body_kind="social_org"), {"REC-DR-A"}, id="000:47-DR-A-is-for-enterprises"),
    pytest.param(rec(employed=False), {"REC-EMPLOYED"}, id="002:22-only-the-bodys-own-staff"),
    pytest.param(rec(in_scope=False), {"REC-SCOPE"}, id="registry-outside-the-filing"),
    pytest.param(
        rec(target=G.SPECIAL_TECHNICIAN, held=((G.SENIOR_TECHNICIAN, dt.date(2020, 1, 1)),)),
        {"REC-CEILING"},
        id="registry-never-above-the-filing-ceiling",
    ),
    pytest.param(rec(held=((G.SENIOR, dt.date(2020, 1, 1)),)), {"REC-NOT-HELD"}, id="registry-already-holds-it"),
    pytest.param(rec(body_status="suspended"), {"REC-BODY-ACTIVE"}, id="002:27-suspended-body"),
    pytest.param(
        rec(path="DR-C", target=G.TECHNICIAN, held=((G.SENIOR, dt.date(2020, 1, 1)),), triggers=frozenset({"T5"})),
        set(),
        id="001:44-DR-C-manufacturer-recognises-technician",
    ),
    pytest.param(
        rec(path="DR-C", target=G.SENIOR, triggers=frozenset({"T5"})),
        {"REC-DR-C"},
        id="001:44-DR-C-only-technician-and-senior-technician",
    ),
    pytest.param(
        rec(
            path="DR-C",
            target=G.TECHNICIAN,
            held=((G.SENIOR, dt.date(2020, 1, 1)),),
            triggers=frozenset({"T5"}),
            draft_in_force=False,
        ),
        {"REC-DRAFT-BASIS"},
        id="001:44-draft-off-DR-C-has-no-basis",
    ),
    pytest.param(rec(target=G.TECHNICIAN, held=(), **DR_D), set(), id="001:46-DR-D-large-manufacturer-skips-grades"),
    pytest.param(
        rec(target=G.TECHNICIAN, held=(), **{**DR_D, "is_large": False}),
        {"REC-DR-D"},
        id="001:46-DR-D-not-for-ordinary-employers",
    ),
    pytest.param(
        rec(target=G.TECHNICIAN, held=(), **{**DR_D, "occupation_complete": False}),
        {"REC-DR-D"},
        id="001:46-DR-D-needs-a-complete-ladder",
    ),
    pytest.param(
        rec(target=G.TECHNICIAN, held=(), **{**DR_D, "line_allows_any_level": False}),
        {"REC-DR-D"},
        id="001:46-DR-D-needs-the-filing-line-to-include-it",
    ),
    pytest.param(
        rec(target=G.TECHNICIAN, held=(), **{**DR_D, "methods": frozenset({"theory_exam"})}),
        {"REC-DR-D"},
        id="001:46-DR-D-methods-are-skill-performance-process",
    ),
    pytest.param(
        rec(target=G.TECHNICIAN, held=(), **{**DR_D, "draft_in_force": False}),
        {"REC-DRAFT-BASIS", "REC-SEQUENTIAL"},
        id="001:46-draft-off-DR-D-has-no-basis-and-skipping-is-refused",
    ),
    pytest.param(
        rec(
            body_kind="chain_body",
            is_manufacturing=False,
            target=G.TECHNICIAN,
            held=(),
            **{k: v for k, v in DR_D.items() if k != "is_large"},
        ),
        set(),
        id="001:46-DR-D-chain-body",
    ),
    pytest.param(
        rec(path="DR-E", triggers=frozenset({"T6"}), waived=frozenset({"work_years"})),
        set(),
        id="002:22-DR-E-outstanding-staff",
    ),
    pytest.param(
        rec(
            path="DR-G",
            triggers=frozenset({"T7"}),
            waived=frozenset(),
            has_competition=True,
            competition_cap=G.TECHNICIAN,
        ),
        set(),
        id="001:36-DR-G-competition-promotes-one-grade",
    ),
    pytest.param(
        rec(
            path="DR-G",
            triggers=frozenset({"T7"}),
            waived=frozenset(),
            has_competition=True,
            competition_cap=G.INTERMEDIATE,
        ),
        {"REC-DR-G"},
        id="001:36-DR-G-capped-by-the-table",
    ),
    pytest.param(
        rec(path="DR-G", triggers=frozenset({"T7"}), waived=frozenset(), has_competition=True, competition_cap=None),
        {"REC-DR-G"},
        id="001:36-DR-G-rank-outside-the-table",
    ),
    pytest.param(
        rec(**{**DR_G, "draft_in_force": False}),
        {"REC-DRAFT-BASIS"},
        id="001:36-DR-G-is-draft-and-off-with-the-draft",
    ),
    pytest.param(
        rec(**{**DR_G, "employed": False}),
        {"REC-DR-G-FILING"},
        id="registry-DR-G-recorded-by-the-winners-employer",
    ),
    pytest.param(
        rec(**{**DR_G, "in_scope": False}),
        {"REC-DR-G-FILING"},
        id="registry-DR-G-needs-the-employers-approved-filing",
    ),
    pytest.param(
        rec(target=G.SENIOR, held=((G.JUNIOR, dt.date(2020, 1, 1)),), **DR_E_SKIP),
        set(),
        id="002:22-DR-E-skips-a-grade-with-the-grade-waiver-justified",
    ),
    pytest.param(
        rec(target=G.TECHNICIAN, held=(), **DR_E_SKIP),
        set(),
        id="002:22-DR-E-skips-several-grades-with-the-grade-waiver-justified",
    ),
    pytest.param(
        rec(target=G.SENIOR, held=((G.JUNIOR, dt.date(2020, 1, 1)),), **{**DR_E_SKIP, "draft_in_force": False}),
        set(),
        id="002:22-DR-E-skips-with-the-draft-off",
    ),
    pytest.param(
        rec(target=G.SENIOR, held=((G.JUNIOR, dt.date(2020, 1, 1)),), **{**DR_E_SKIP, "justified": frozenset()}),
        {"REC-SEQUENTIAL"},
        id="002:22-DR-E-grade-waiver-needs-a-justification",
    ),
    pytest.param(
        rec(
            target=G.SENIOR,
            held=((G.JUNIOR, dt.date(2020, 1, 1)),),
            **{**DR_E_SKIP, "waived": frozenset({"work_years"}), "justified": frozenset({"work_years"})},
        ),
        {"REC-SEQUENTIAL"},
        id="002:22-DR-E-without-the-grade-waiver-stays-grade-by-grade",
    ),
    pytest.param(
        rec(
            target=G.SENIOR_TECHNICIAN,
            held=((G.SENIOR, dt.date(2020, 1, 1)),),
            ceiling=G.TECHNICIAN,
            **DR_E_SKIP,
        ),
        {"REC-CEILING"},
        id="registry-DR-E-skip-never-above-the-filing-ceiling",
    ),
    pytest.param(
        rec(
            target=G.TECHNICIAN,
            waived=frozenset({"education", "grade"}),
            justified=frozenset({"education", "grade"}),
        ),
        {"REC-TRIGGERS", "REC-SEQUENTIAL"},
        id="000:47-DR-A-cannot-waive-the-grade-condition",
    ),
    pytest.param(
        rec(target=G.TECHNICIAN, held=(), **{**DR_D, "is_large": False, "is_listed": True}),
        set(),
        id="001:46-DR-D-listed-manufacturer",
    ),
    pytest.param(
        rec(target=G.TECHNICIAN, held=(), **{**DR_D, "is_large": False, "is_listed": True, "is_manufacturing": False}),
        {"REC-DR-D"},
        id="001:46-DR-D-listed-company-outside-manufacturing-may-not-(our-reading)",
    ),
]


class TestRecognitionRules:
    @pytest.mark.parametrize(("facts", "failing"), RECOGNITION_CASES)
    def test_outcomes(self, facts: RecognitionFacts, failing: set[str]) -> None:
        decision = RECOGNITION_RULES.evaluate(facts, jurisdiction="44", draft_in_force=facts.draft_in_force)
        assert {r.rule_id for r in decision.failures} == failing

    def test_every_rule_but_a_registry_rule_cites_a_clause(self) -> None:
        for rule in RECOGNITION_RULES.rules:
            assert (rule.source is None) == (rule.provenance == Provenance.REGISTRY), rule.id

    def test_a_dr_e_skip_says_it_rests_on_002_22(self) -> None:
        facts = rec(target=G.SENIOR, held=((G.JUNIOR, dt.date(2020, 1, 1)),), **DR_E_SKIP)
        decision = RECOGNITION_RULES.evaluate(facts, jurisdiction="44", draft_in_force=True)
        result = next(r for r in decision.results if r.rule_id == "REC-SEQUENTIAL")
        assert "002:22" in result.message_zh and result.detail == {"skipped": 1}
