"""Switching the draft 001 off (REGISTRY_DRAFT_RULES_JURISDICTIONS) leaves a coherent rule set.

Every permission a draft rule grants is refused by a non-draft rule where the draft is off; what in-force
documents allow stays allowed; switching the draft off never widens what is allowed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from api.routers.rules import RULE_SETS
from assessment.batches.eligibility import ELIGIBILITY_RULES, EmploymentFacts
from assessment.recognition.rules import RECOGNITION_RULES
from registry.filings.rules import FILING_RULES, BodyFacts
from registry.grades import GradeCode as G
from registry.rules import Outcome, Provenance, RuleSet
from tests.test_assessment_rules import DR_D, DR_E_SKIP, DR_G, MEMBER, elig, rec
from tests.test_filing_rules import CHAIN_LEAD, HEALTH_MANAGER, QUALIFIED, body, facts, line

Case = Callable[[bool], Any]

# (ruleset, facts for draft on/off, refused with the draft off by) — None: allowed either way.
SCENARIOS: list[Any] = [
    pytest.param(
        FILING_RULES,
        lambda d: facts(G.SPECIAL_TECHNICIAN, body=QUALIFIED, draft=d),
        {"FIL-CEILING-NATIONAL"},
        id="001:44-special-technician-ceiling",
    ),
    pytest.param(
        FILING_RULES,
        lambda d: facts(G.CHIEF_TECHNICIAN, body=CHAIN_LEAD, draft=d),
        {"FIL-CEILING-NATIONAL"},
        id="001:44-chief-technician-ceiling",
    ),
    pytest.param(
        FILING_RULES,
        lambda d: facts(lines=(line(HEALTH_MANAGER, G.JUNIOR, post_grade_targets=(G.JUNIOR,)),), draft=d),
        {"FIL-SCOPE-LEVEL"},
        id="001:44-own-post-grades",
    ),
    pytest.param(
        FILING_RULES,
        lambda d: facts(body=body(is_large=True), lines=(line(direct_recognition=True),), draft=d),
        {"FIL-DR-BASELINE"},
        id="001:46-direct-recognition-of-every-grade",
    ),
    pytest.param(FILING_RULES, lambda d: facts(draft=d), None, id="002:22-employer-up-to-senior-technician"),
    pytest.param(
        FILING_RULES,
        lambda d: facts(G.SPECIAL_TECHNICIAN, body=BodyFacts(kind="social_org", status="active"), draft=d),
        "refused-both",
        id="§9-social-org-never-special-technician",
    ),
    pytest.param(
        ELIGIBILITY_RULES,
        lambda d: elig(body_kind="chain_body", employments=(EmploymentFacts(MEMBER, False),), draft_in_force=d),
        {"ELIG-EMPLOYMENT"},
        id="001:46-chain-member-staff",
    ),
    pytest.param(ELIGIBILITY_RULES, lambda d: elig(draft_in_force=d), None, id="§9-regular-enrolment"),
    pytest.param(ELIGIBILITY_RULES, lambda d: elig(held=(), draft_in_force=d), "refused-both", id="§9-prerequisite"),
    pytest.param(
        RECOGNITION_RULES,
        lambda d: rec(
            path="DR-C",
            target=G.TECHNICIAN,
            held=((G.SENIOR, dt.date(2020, 1, 1)),),
            triggers=frozenset({"T5"}),
            draft_in_force=d,
        ),
        {"REC-DRAFT-BASIS"},
        id="001:44-DR-C",
    ),
    pytest.param(
        RECOGNITION_RULES,
        lambda d: rec(target=G.TECHNICIAN, held=(), **{**DR_D, "draft_in_force": d}),
        {"REC-DRAFT-BASIS", "REC-SEQUENTIAL"},
        id="001:46-DR-D-skip",
    ),
    pytest.param(
        RECOGNITION_RULES, lambda d: rec(**{**DR_G, "draft_in_force": d}), {"REC-DRAFT-BASIS"}, id="001:36-DR-G"
    ),
    pytest.param(RECOGNITION_RULES, lambda d: rec(draft_in_force=d), None, id="000:47-DR-A"),
    pytest.param(
        RECOGNITION_RULES,
        lambda d: rec(target=G.SENIOR, held=((G.JUNIOR, dt.date(2020, 1, 1)),), **{**DR_E_SKIP, "draft_in_force": d}),
        None,
        id="002:22-DR-E-skip-with-the-grade-waiver",
    ),
    pytest.param(
        RECOGNITION_RULES,
        lambda d: rec(target=G.TECHNICIAN, draft_in_force=d),
        "refused-both",
        id="000:47-DR-A-skip",
    ),
]


def _decide(rules: RuleSet[Any], case: Case, draft: bool) -> Any:
    return rules.evaluate(case(draft), jurisdiction="44" if draft else "11", draft_in_force=draft)


class TestDraftSwitch:
    @pytest.mark.parametrize(("rules", "case", "refused_off"), SCENARIOS)
    def test_scenario_with_the_draft_on_and_off(self, rules: RuleSet[Any], case: Case, refused_off: Any) -> None:
        on, off = _decide(rules, case, True), _decide(rules, case, False)
        if refused_off == "refused-both":
            assert not on.allowed and not off.allowed
        elif refused_off is None:
            assert on.allowed and off.allowed, (on.summary(), off.summary())
        else:
            assert on.allowed, on.summary()
            assert {r.rule_id for r in off.failures} == refused_off
            assert all(r.provenance != Provenance.DRAFT for r in off.failures)

    @pytest.mark.parametrize(("rules", "case", "refused_off"), SCENARIOS)
    def test_switching_the_draft_off_never_widens(self, rules: RuleSet[Any], case: Case, refused_off: Any) -> None:
        del refused_off
        assert _decide(rules, case, True).allowed or not _decide(rules, case, False).allowed

    @pytest.mark.parametrize(("rules", "case", "refused_off"), SCENARIOS)
    def test_only_draft_rules_are_switched_off(self, rules: RuleSet[Any], case: Case, refused_off: Any) -> None:
        del refused_off
        off = _decide(rules, case, False)
        disabled = {r.rule_id for r in off.results if r.outcome == Outcome.DISABLED}
        assert disabled == {r.id for r in rules.rules if r.provenance == Provenance.DRAFT}
        on = _decide(rules, case, True)
        assert not [r for r in on.results if r.outcome == Outcome.DISABLED]

    def test_every_rule_set_keeps_non_draft_rules_with_the_draft_off(self) -> None:
        for rule_set in RULE_SETS:
            assert [r for r in rule_set.rules if r.provenance != Provenance.DRAFT], rule_set.name


def test_scenarios_cover_every_draft_rule() -> None:
    covered = set()
    for param in SCENARIOS:
        rules, case, _ = param.values
        for draft in (True, False):
            decision = _decide(rules, case, draft)
            covered |= {r.rule_id for r in decision.results if r.outcome in {Outcome.PASSED, Outcome.FAILED}}
    drafts = {r.id for rs in RULE_SETS for r in rs.rules if r.provenance == Provenance.DRAFT}
    assert drafts <= covered
