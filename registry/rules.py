"""The rules engine: pure rules over facts, each with an id, zh/en messages and a basis; stdlib only.

A rule's basis is its provenance (in_force, draft, registry, outside), its citation (`000:47`; none for a
registry rule) and the short phrase of the cited line it rests on. A rule returns a Verdict; a RuleSet
evaluates all its rules and returns a Decision (allowed + every outcome with its basis + the rule set's
version). Draft rules (document 001) are switched off where the draft is not in force
(settings.draft_rules_jurisdictions); a switched-off rule neither allows nor refuses, so every permission a
draft rule grants is refused by a non-draft rule where the draft is off.
"""

from __future__ import annotations

import re
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
    """Where a rule's basis comes from; one notion for filing, eligibility, recognition and award rules."""

    IN_FORCE = "in_force"  # a clause of an in-force document (000, 002, 003, 004) says it
    DRAFT = "draft"  # document 001, 征求意见稿: switched off where the draft is not in force
    REGISTRY = "registry"  # the registry's own design rule: no clause says it
    OUTSIDE = "outside"  # national practice outside the documents (policy-requirements.md §9), unverified


PROVENANCE_ZH = {
    Provenance.IN_FORCE: "现行文件",
    Provenance.DRAFT: "征求意见稿（001）",
    Provenance.REGISTRY: "登记系统规则（无文件条款）",
    Provenance.OUTSIDE: "政策文件外的通行做法（未经核实）",
}
PROVENANCE_EN = {
    Provenance.IN_FORCE: "in-force document",
    Provenance.DRAFT: "draft for comment (001)",
    Provenance.REGISTRY: "registry rule (no clause)",
    Provenance.OUTSIDE: "national practice outside the documents (unverified)",
}
DRAFT_DOCUMENT = "001"
IN_FORCE_DOCUMENTS = frozenset({"000", "002", "003", "004"})
OUTSIDE_SECTION = "§9"  # ../shared/domain/policy-requirements.md §9 (outside knowledge)
_REF = re.compile(r"^(?P<doc>00[0-4]):(?P<first>[1-9][0-9]*)(?:-(?P<last>[1-9][0-9]*))?$")


@dataclass(frozen=True)
class Citation:
    """A cited place (`000:47`, `003:745-749`, or `§9` for outside knowledge) and the phrase of it relied on.

    The phrase is quoted from the cited line(s); tests/test_citations.py opens every cited line in
    ../shared/policy/ and fails when the phrase is not there (whitespace is ignored: file 002 has PDF spaces).
    """

    ref: str
    phrase: str

    def __post_init__(self) -> None:
        if self.ref != OUTSIDE_SECTION and _REF.match(self.ref) is None:
            raise ValueError(f"citation {self.ref!r} is not file:line, file:first-last or §9")
        if not self.phrase.strip():
            raise ValueError(f"citation {self.ref} quotes no phrase")
        first, last = self.lines
        if last < first:
            raise ValueError(f"citation {self.ref}: the range runs backwards")

    @property
    def document(self) -> str:
        """The policy file prefix (000…004), or §9."""
        return self.ref.split(":", 1)[0]

    @property
    def lines(self) -> tuple[int, int]:
        """First and last cited line (0, 0 for §9)."""
        match = _REF.match(self.ref)
        if match is None:
            return 0, 0
        first = int(match["first"])
        return first, int(match["last"] or first)

    def as_dict(self) -> dict[str, str]:
        """Return the citation as JSON-ready data."""
        return {"ref": self.ref, "phrase": self.phrase}


@dataclass(frozen=True)
class Basis:
    """A rule's provenance, its citation and the other clauses its messages name.

    The combination is checked on construction, so a wrong label cannot load: in_force cites an in-force
    document, draft cites 001, outside cites §9, and a registry rule cites nothing (related clauses only).
    """

    provenance: Provenance
    citation: Citation | None = None
    related: tuple[Citation, ...] = ()

    def __post_init__(self) -> None:
        cited = self.citation.document if self.citation else None
        expected = {
            Provenance.IN_FORCE: cited in IN_FORCE_DOCUMENTS,
            Provenance.DRAFT: cited == DRAFT_DOCUMENT,
            Provenance.OUTSIDE: cited == OUTSIDE_SECTION,
            Provenance.REGISTRY: cited is None,
        }[self.provenance]
        if not expected:
            raise ValueError(f"a {self.provenance.value} rule cannot cite {cited!r}")

    @property
    def source(self) -> str | None:
        """The citation reference, None for a registry rule."""
        return self.citation.ref if self.citation else None

    def label(self) -> tuple[str, str]:
        """How messages name the basis: the citation and the provenance, in both languages."""
        zh, en = PROVENANCE_ZH[self.provenance], PROVENANCE_EN[self.provenance]
        if self.citation is None:
            return zh, en
        return f"{self.citation.ref}，{zh}", f"{self.citation.ref}, {en}"


def in_force(ref: str, phrase: str, *related: Citation) -> Basis:
    """A rule a clause of an in-force document says."""
    return Basis(Provenance.IN_FORCE, Citation(ref, phrase), related)


def draft(ref: str, phrase: str, *related: Citation) -> Basis:
    """A rule of the draft document 001 (off where the draft is not in force)."""
    return Basis(Provenance.DRAFT, Citation(ref, phrase), related)


def registry_rule(*related: Citation) -> Basis:
    """The registry's own rule: no clause says it (related clauses are those its messages name)."""
    return Basis(Provenance.REGISTRY, None, related)


def outside(phrase: str, *related: Citation) -> Basis:
    """National practice outside the documents (policy-requirements.md §9), unverified."""
    return Basis(Provenance.OUTSIDE, Citation(OUTSIDE_SECTION, phrase), related)


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
    """A policy rule: id, title, the rule in one sentence (zh/en), its basis (provenance, citation) and the check."""

    id: str
    title_zh: str
    title_en: str
    statement_zh: str
    statement_en: str
    basis: Basis
    check: Callable[[F], Verdict]

    @property
    def provenance(self) -> Provenance:
        """Where the rule's basis comes from."""
        return self.basis.provenance

    @property
    def source(self) -> str | None:
        """The citation reference (None for a registry rule)."""
        return self.basis.source

    def describe(self, ruleset: RuleSet[Any]) -> dict[str, Any]:
        """Return the rule as public JSON-ready data (GET /api/v1/rules)."""
        citation = self.basis.citation
        return {
            "id": self.id,
            "ruleset": ruleset.name,
            "ruleset_version": ruleset.version,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "message_zh": self.statement_zh,
            "message_en": self.statement_en,
            "provenance": self.provenance.value,
            "provenance_zh": PROVENANCE_ZH[self.provenance],
            "citation": citation.ref if citation else None,
            "phrase": citation.phrase if citation else None,
            "related": [c.as_dict() for c in self.basis.related],
            "switched_off_without_draft": self.provenance == Provenance.DRAFT,
        }


@dataclass(frozen=True)
class RuleResult:
    """One rule's outcome within a decision, with the rule's basis."""

    rule_id: str
    title_zh: str
    title_en: str
    basis: Basis
    outcome: Outcome
    message_zh: str
    message_en: str
    detail: dict[str, Any]

    @property
    def source(self) -> str | None:
        """The citation reference (None for a registry rule)."""
        return self.basis.source

    @property
    def provenance(self) -> Provenance:
        """Where the rule's basis comes from."""
        return self.basis.provenance

    def as_dict(self) -> dict[str, Any]:
        """Return the result as JSON-ready data."""
        citation = self.basis.citation
        return {
            "rule_id": self.rule_id,
            "title_zh": self.title_zh,
            "title_en": self.title_en,
            "source": self.source,
            "provenance": self.provenance.value,
            "provenance_zh": PROVENANCE_ZH[self.provenance],
            "citation": citation.ref if citation else None,
            "phrase": citation.phrase if citation else None,
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
        """Name the failed rules with their basis (citation and provenance), in both languages."""
        labels = [(r, r.basis.label()) for r in self.failures]
        zh = "；".join(f"{r.rule_id}（{label_zh}）：{r.message_zh}" for r, (label_zh, _) in labels)
        en = "; ".join(f"{r.rule_id} ({label_en}): {r.message_en}" for r, (_, label_en) in labels)
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
                    rule.basis,
                    verdict.outcome,
                    verdict.zh,
                    verdict.en,
                    verdict.detail,
                )
            )
        return Decision(self.name, self.version, jurisdiction, draft_in_force, tuple(results))

    def describe(self) -> list[dict[str, Any]]:
        """Return every rule as public data."""
        return [rule.describe(self) for rule in self.rules]
