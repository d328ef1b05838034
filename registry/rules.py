"""The rules engine: pure rules over facts, each with an id, zh/en message and policy citation; stdlib only.

A rule returns a Verdict; a RuleSet evaluates all its rules and returns a Decision (allowed + every outcome +
the rule set's version). Rules from the draft document 001 carry provenance DRAFT and are switched off where
the draft is not in force (settings.draft_rules_jurisdictions); a switched-off rule neither allows nor refuses.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, TypeVar

F = TypeVar("F")


class Outcome(StrEnum):
    """What a rule concluded."""

    PASSED = "passed"
    FAILED = "failed"
    NOT_APPLICABLE = "not_applicable"
    DISABLED = "disabled"  # a draft rule where the draft is not in force


class Provenance(StrEnum):
    """How firm a rule's basis is."""

    IN_FORCE = "in_force"
    DRAFT = "draft"  # document 001, 征求意见稿
    OUTSIDE_KNOWLEDGE = "outside_knowledge"  # domain/policy-requirements.md §9, not in the documents


@dataclass(frozen=True)
class Verdict:
    """A rule's conclusion on one set of facts, explained in both languages."""

    outcome: Outcome
    zh: str
    en: str
    detail: dict[str, Any] = field(default_factory=dict)


def passed(zh: str, en: str, **detail: Any) -> Verdict:
    """The facts satisfy the rule."""
    return Verdict(Outcome.PASSED, zh, en, detail)


def failed(zh: str, en: str, **detail: Any) -> Verdict:
    """The facts break the rule."""
    return Verdict(Outcome.FAILED, zh, en, detail)


def not_applicable(zh: str, en: str, **detail: Any) -> Verdict:
    """The rule does not speak to these facts."""
    return Verdict(Outcome.NOT_APPLICABLE, zh, en, detail)


@dataclass(frozen=True)
class Rule(Generic[F]):
    """A policy rule: id, title, citation (file:line), provenance and the pure check."""

    id: str
    title_zh: str
    title_en: str
    source: str
    provenance: Provenance
    check: Callable[[F], Verdict]


@dataclass(frozen=True)
class RuleResult:
    """One rule's outcome within a decision."""

    rule_id: str
    title_zh: str
    title_en: str
    source: str
    provenance: Provenance
    outcome: Outcome
    message_zh: str
    message_en: str
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data."""
        return {
            "rule_id": self.rule_id,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "source": self.source,
            "provenance": self.provenance.value,
            "outcome": self.outcome.value,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Decision:
    """The verdict of a whole rule set: allowed unless some enabled rule failed."""

    ruleset: str
    version: str
    jurisdiction: str
    draft_in_force: bool
    results: tuple[RuleResult, ...]

    @property
    def allowed(self) -> bool:
        """Whether no enabled rule failed."""
        return not self.failures

    @property
    def failures(self) -> list[RuleResult]:
        """The rules that failed."""
        return [r for r in self.results if r.outcome == Outcome.FAILED]

    def as_dict(self) -> dict[str, Any]:
        """Return the decision as JSON-ready data (stored with filings, enrolments, recognitions)."""
        return {
            "ruleset": self.ruleset,
            "version": self.version,
            "jurisdiction": self.jurisdiction,
            "draft_in_force": self.draft_in_force,
            "allowed": self.allowed,
            "results": [r.as_dict() for r in self.results],
        }

    def summary(self) -> tuple[str, str]:
        """Name the failed rules with their citations, in both languages."""
        zh = "；".join(f"{r.rule_id}（{r.source}）：{r.message_zh}" for r in self.failures)
        en = "; ".join(f"{r.rule_id} ({r.source}): {r.message_en}" for r in self.failures)
        return zh, en


class RuleSet(Generic[F]):
    """A named, versioned list of rules evaluated together."""

    def __init__(self, name: str, version: str, rules: Sequence[Rule[F]]) -> None:
        ids = [r.id for r in rules]
        if len(ids) != len(set(ids)):
            raise ValueError(f"duplicate rule ids in {name}")
        self.name = name
        self.version = version
        self.rules = tuple(rules)

    def evaluate(self, facts: F, *, jurisdiction: str, draft_in_force: bool) -> Decision:
        """Run every rule; draft rules are DISABLED where the draft is not in force."""
        results = []
        for rule in self.rules:
            if rule.provenance == Provenance.DRAFT and not draft_in_force:
                verdict = Verdict(
                    Outcome.DISABLED,
                    f"征求意见稿条款在辖区 {jurisdiction} 未启用",
                    f"draft provision not in force in jurisdiction {jurisdiction}",
                )
            else:
                verdict = rule.check(facts)
            results.append(
                RuleResult(
                    rule.id,
                    rule.title_zh,
                    rule.title_en,
                    rule.source,
                    rule.provenance,
                    verdict.outcome,
                    verdict.zh,
                    verdict.en,
                    verdict.detail,
                )
            )
        return Decision(self.name, self.version, jurisdiction, draft_in_force, tuple(results))
