"""Every rule tells the truth about its source: each cited line is opened and its phrase looked for.

The table below is the audited label of every rule (issue 9); the phrase test reads every cited line from
../shared/policy/ (beside the checkout); the scan fails on any citation in the repository that neither a rule
nor registry.citations declares, so a new citation cannot land without someone quoting the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from api.routers.rules import RULE_SETS
from registry.citations import CLAUSES
from registry.rules import Basis, Citation, Provenance, Rule
from tests.policy import REPO, phrase_is_cited

IN_FORCE, DRAFT, REGISTRY, OUTSIDE = Provenance.IN_FORCE, Provenance.DRAFT, Provenance.REGISTRY, Provenance.OUTSIDE

# id → (provenance, citation): the audited label of every rule.
EXPECTED: dict[str, tuple[Provenance, str | None]] = {
    "FIL-BODY-ACTIVE": (IN_FORCE, "002:27"),
    "FIL-CEILING-NATIONAL": (REGISTRY, None),
    "FIL-CEILING-SPECIAL": (DRAFT, "001:44"),
    "FIL-CEILING-CHIEF": (DRAFT, "001:44"),
    "FIL-CEILING-SOCIAL": (OUTSIDE, "§9"),
    "FIL-SCOPE-PRESENT": (REGISTRY, None),
    "FIL-SCOPE-OCCUPATION": (REGISTRY, None),
    "FIL-SCOPE-LEVEL": (REGISTRY, None),
    "FIL-SCOPE-CEILING": (REGISTRY, None),
    "FIL-SCOPE-METHODS": (REGISTRY, None),
    "FIL-DR-ANY-LEVEL": (DRAFT, "001:46"),
    "FIL-DR-BASELINE": (REGISTRY, None),
    "ELIG-SCOPE": (REGISTRY, None),
    "ELIG-EMPLOYMENT": (IN_FORCE, "002:22"),
    "ELIG-CHAIN": (DRAFT, "001:46"),
    "ELIG-PREREQUISITE": (OUTSIDE, "§9"),
    "ELIG-YEARS": (OUTSIDE, "§9"),
    "ELIG-YEARS-TOP": (REGISTRY, None),
    "ELIG-NOT-HELD": (REGISTRY, None),
    "ELIG-RECUSAL": (OUTSIDE, "§9"),
    "REC-BODY-ACTIVE": (IN_FORCE, "002:27"),
    "REC-SCOPE": (REGISTRY, None),
    "REC-CEILING": (REGISTRY, None),
    "REC-EMPLOYED": (IN_FORCE, "002:22"),
    "REC-EVIDENCE": (REGISTRY, None),
    "REC-NOT-HELD": (REGISTRY, None),
    "REC-SEQUENTIAL": (REGISTRY, None),
    "REC-TRIGGERS": (REGISTRY, None),
    "REC-DRAFT-BASIS": (REGISTRY, None),
    "REC-DR-A": (IN_FORCE, "000:47"),
    "REC-DR-C": (DRAFT, "001:44"),
    "REC-DR-D": (DRAFT, "001:46"),
    "REC-DR-E": (IN_FORCE, "002:22"),
    "REC-DR-G": (DRAFT, "001:36"),
    "REC-DR-G-FILING": (REGISTRY, None),
    "AWD-APPOINTMENT-GRADE": (REGISTRY, None),
}

CITATION = re.compile(r"(?<![0-9A-Za-z])(00[0-4]:[1-9][0-9]*(?:-[1-9][0-9]*)?)(?![0-9])")
SCANNED = ("*.py", "*.html", "*.csv", "*.md", "*.toml")
SKIPPED_DIRS = {".venv", ".git", "var", ".mypy_cache", ".ruff_cache", ".pytest_cache", "__pycache__"}
SKIPPED_FILES = {"tests/test_citations.py"}  # this file holds deliberately wrong citations


def _rules() -> list[Rule[Any]]:
    return [rule for rule_set in RULE_SETS for rule in rule_set.rules]


def _rule_citations() -> Iterator[tuple[str, Citation]]:
    for rule in _rules():
        if rule.basis.citation is not None:
            yield rule.id, rule.basis.citation
        for related in rule.basis.related:
            yield f"{rule.id}~related", related


def _repository_files() -> Iterator[Any]:
    for pattern in SCANNED:
        for path in REPO.rglob(pattern):
            relative = path.relative_to(REPO)
            if not SKIPPED_DIRS & set(relative.parts) and relative.as_posix() not in SKIPPED_FILES:
                yield path


class TestRuleLabels:
    @pytest.mark.parametrize(("rule_id", "label"), sorted(EXPECTED.items()), ids=str)
    def test_rule_has_its_audited_provenance_and_citation(
        self, rule_id: str, label: tuple[Provenance, str | None]
    ) -> None:
        rule = next(r for r in _rules() if r.id == rule_id)
        assert (rule.provenance, rule.source) == label

    def test_every_rule_is_in_the_audited_table(self) -> None:
        assert sorted(r.id for r in _rules()) == sorted(EXPECTED)

    def test_every_rule_has_both_languages(self) -> None:
        for rule in _rules():
            assert rule.title_zh and rule.title_en and rule.statement_zh and rule.statement_en, rule.id

    def test_draft_rules_are_exactly_those_citing_document_001(self) -> None:
        for rule in _rules():
            assert (rule.provenance == DRAFT) == (rule.source or "").startswith("001:"), rule.id


class TestPhrases:
    @pytest.mark.parametrize(
        ("owner", "citation"), list(_rule_citations()), ids=lambda v: v if isinstance(v, str) else v.ref
    )
    def test_rule_phrase_is_on_the_cited_line(self, owner: str, citation: Citation) -> None:
        assert phrase_is_cited(citation), f"{owner}: {citation.phrase!r} is not on {citation.ref}"

    @pytest.mark.parametrize("citation", CLAUSES, ids=lambda c: c.ref)
    def test_catalogued_clause_phrase_is_on_the_cited_line(self, citation: Citation) -> None:
        assert phrase_is_cited(citation), f"{citation.phrase!r} is not on {citation.ref}"

    @pytest.mark.parametrize(
        "citation",
        [
            Citation("000:53", "双随机"),  # the demo once cited 000:53 for random spot checks
            Citation("000:53", "撤销证书"),  # … and for revoking certificates
            Citation("002:23", "回避"),  # ELIG-RECUSAL once cited 002:23
            Citation("001:44", "已持有"),  # ELIG-NOT-HELD once cited 001:44
            Citation("000:47", "证明材料"),  # REC-EVIDENCE once cited 000:47
            Citation("003:745-749", "晋升职业技能等级"),  # DR-G once cited 003:745
        ],
        ids=lambda c: f"{c.ref}-{c.phrase}",
    )
    def test_a_phrase_not_on_the_line_is_caught(self, citation: Citation) -> None:
        assert not phrase_is_cited(citation)

    def test_a_line_past_the_end_of_the_file_is_caught(self) -> None:
        with pytest.raises(AssertionError, match="has only"):
            phrase_is_cited(Citation("000:999", "新八级工"))


class TestRepositoryCitations:
    def test_every_citation_in_the_repository_is_declared(self) -> None:
        declared = {c.ref for _, c in _rule_citations()} | {c.ref for c in CLAUSES}
        unknown = []
        for path in _repository_files():
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                for ref in CITATION.findall(line):
                    if ref not in declared:
                        unknown.append(f"{path.relative_to(REPO)}:{number} cites {ref}")
        assert not unknown, "quote these in registry/citations.py (or a rule):\n" + "\n".join(unknown)

    def test_the_scan_sees_the_files_that_cite(self) -> None:
        names = {p.relative_to(REPO).as_posix() for p in _repository_files()}
        assert {"README.md", "registry/catalogue/data/equivalences.csv", "registry/filings/rules.py"} <= names


class TestBasis:
    @pytest.mark.parametrize(
        ("provenance", "citation"),
        [
            (IN_FORCE, Citation("001:44", "自主设置岗位等级")),  # the draft is not in force
            (IN_FORCE, None),
            (DRAFT, Citation("002:22", "新八级工")),
            (OUTSIDE, Citation("002:23", "考评人员")),
            (REGISTRY, Citation("000:47", "按规定")),
        ],
        ids=[
            "in-force-citing-the-draft",
            "in-force-citing-nothing",
            "draft-citing-002",
            "outside-citing-002",
            "registry-citing-a-clause",
        ],
    )
    def test_a_wrong_label_cannot_be_built(self, provenance: Provenance, citation: Citation | None) -> None:
        with pytest.raises(ValueError, match="rule cannot cite"):
            Basis(provenance, citation)

    @pytest.mark.parametrize("ref", ["000-47", "005:1", "001:0", "003:749-745", "47"])
    def test_a_malformed_reference_is_refused(self, ref: str) -> None:
        with pytest.raises(ValueError, match="citation"):
            Citation(ref, "新八级工")


class TestReadme:
    @pytest.mark.parametrize("rule_id", sorted(EXPECTED))
    def test_the_readme_rule_tables_show_each_rules_provenance_and_citation(self, rule_id: str) -> None:
        rule = next(r for r in _rules() if r.id == rule_id)
        rows = [
            [cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines()
            if line.startswith(f"| {rule_id} |")
        ]
        assert len(rows) == 1, f"README.md needs one table row for {rule_id}"
        (row,) = rows
        citation = rule.basis.citation
        assert row[1] == rule.provenance.value
        assert row[2] == (citation.ref if citation else "—")
        assert row[3] == (f"“{citation.phrase}”" if citation else "—")
