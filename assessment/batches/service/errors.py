"""Errors of exam batches: each a domain error with its own code."""

from __future__ import annotations

from typing import Any

from registry.citations import EXAM_ADMINISTRATION
from registry.errors import Conflict, InvalidInput, NotFound, RuleViolation
from registry.rules import Citation, Provenance


def carrying_out(citation: Citation = EXAM_ADMINISTRATION) -> dict[str, Any]:
    """A refusal's `policy` extra: the registry's own rule, carrying out the cited clause (shown beside it)."""
    return {"policy": {"provenance": Provenance.REGISTRY.value, "citation": citation.ref, "phrase": citation.phrase}}


class BatchNotFound(NotFound):
    """No such batch, or not one the actor may see."""

    code = "session_not_found"


class CandidateNotFound(NotFound):
    """No such candidate in this batch."""

    code = "candidate_not_found"


class ObjectionNotFound(NotFound):
    """No such objection in this batch."""

    code = "objection_not_found"


class NotEligible(RuleViolation):
    """The eligibility rules refuse the candidate; extra['rules'] holds every outcome."""

    code = "not_eligible"


class DuplicateCandidate(Conflict):
    """The person is already enrolled in this batch."""

    code = "duplicate_candidate"


class BatchStateConflict(Conflict):
    """The batch is not in a state that allows this (enrolment closed, scoring closed, …)."""

    code = "batch_state_conflict"


class BatchIncomplete(Conflict):
    """Scores are missing; extra['missing'] lists them."""

    code = "batch_incomplete"


class NotAttested(Conflict):
    """The supervisor has not attested the batch."""

    code = "not_attested"


class PublicityNotOver(Conflict):
    """The 公示 period has not ended."""

    code = "publicity_not_over"


class ObjectionsOpen(Conflict):
    """Objections are still undecided."""

    code = "objections_open"


class ComponentsOutsidePolicy(InvalidInput):
    """The batch's components break the policy (pass marks, weights, required components, filing methods)."""

    code = "components_outside_policy"
