"""Read the policy documents in ../shared/policy/ (beside the checkout) to check citations; test helper."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from registry.rules import OUTSIDE_SECTION, Citation

REPO = Path(__file__).resolve().parent.parent


def shared_dir() -> Path:
    """The shared material: REGISTRY_SHARED_DIR, else ../shared beside the repository (as in CI)."""
    path = Path(os.environ.get("REGISTRY_SHARED_DIR", REPO.parent / "shared"))
    if not (path / "policy").is_dir():
        raise AssertionError(f"the policy documents are not at {path}/policy: clone beside ../shared")
    return path


def squeeze(text: str) -> str:
    """Drop all whitespace: file 002 has spaces from PDF extraction and file 003 is hard-wrapped."""
    return re.sub(r"\s+", "", text)


@lru_cache(maxsize=8)
def document_lines(prefix: str) -> tuple[str, ...]:
    """The lines of policy file `prefix` (000…004), 1-based as cited (index 0 is line 1)."""
    (path,) = (shared_dir() / "policy").glob(f"{prefix}_*.txt")
    return tuple(path.read_text(encoding="utf-8").splitlines())


@lru_cache(maxsize=1)
def outside_section() -> str:
    """§9 (outside knowledge) of domain/policy-requirements.md."""
    text = (shared_dir() / "domain" / "policy-requirements.md").read_text(encoding="utf-8")
    start = text.index("\n## 9.")
    return text[start : text.index("\n## 10.", start)]


def cited_text(citation: Citation) -> str:
    """The text of the cited line(s), or of §9."""
    if citation.ref == OUTSIDE_SECTION:
        return outside_section()
    lines = document_lines(citation.document)
    first, last = citation.lines
    if last > len(lines):
        raise AssertionError(f"{citation.ref}: file {citation.document} has only {len(lines)} lines")
    return "\n".join(lines[first - 1 : last])


def phrase_is_cited(citation: Citation) -> bool:
    """Whether the citation's phrase is on the cited line(s) (whitespace ignored)."""
    return squeeze(citation.phrase) in squeeze(cited_text(citation))
