"""Run exam batches: create and staff, enrol with eligibility, score, attest, finalize, publish, object, close.

One module per role: errors, reads (visibility and lookups), staffing, lifecycle (status changes), enrolment
(one candidate or an uploaded table), scores (scores and corrections), publicity (公示, objections, closing) and
views (read models). Awards are created at closing through registry.awards.service.create_award, which
re-checks the filing scope. Callers import from this package; the modules import each other in that order.
"""

from assessment.batches.service.enrolment import (
    ENROL_COLUMNS,
    ENROL_OPTIONAL,
    eligibility_facts,
    enrol,
    enrol_candidates,
    enrol_rows,
    evaluate_eligibility,
)
from assessment.batches.service.errors import (
    BatchIncomplete,
    BatchNotFound,
    BatchStateConflict,
    CandidateNotFound,
    ComponentsOutsidePolicy,
    DuplicateCandidate,
    NotAttested,
    NotEligible,
    ObjectionNotFound,
    ObjectionsOpen,
    PublicityNotOver,
)
from assessment.batches.service.lifecycle import (
    attest_batch,
    cancel_batch,
    create_batch,
    finalize_batch,
    open_batch,
)
from assessment.batches.service.publicity import (
    award_ids_of_batch,
    close_batch,
    decide_objection,
    file_objection,
    publish_batch,
)
from assessment.batches.service.reads import (
    BATCH_TRANSITIONS,
    CORRECTABLE,
    ENROLMENT_OPEN,
    candidates_by_identity,
    effective_scores,
    get_batch,
    list_batches,
    missing_scores,
    require_admin,
)
from assessment.batches.service.scores import (
    SCORE_COLUMNS,
    SCORE_OPTIONAL,
    correct_score,
    record_score_rows,
    record_scores,
)
from assessment.batches.service.views import (
    GridRow,
    ScoreGrid,
    batch_view,
    candidate_view,
    candidate_views,
    corrections,
    objections,
    publicity,
    publicity_batches,
    score_grid,
)

__all__ = [
    "BATCH_TRANSITIONS",
    "CORRECTABLE",
    "ENROLMENT_OPEN",
    "ENROL_COLUMNS",
    "ENROL_OPTIONAL",
    "SCORE_COLUMNS",
    "SCORE_OPTIONAL",
    "BatchIncomplete",
    "BatchNotFound",
    "BatchStateConflict",
    "CandidateNotFound",
    "ComponentsOutsidePolicy",
    "DuplicateCandidate",
    "GridRow",
    "NotAttested",
    "NotEligible",
    "ObjectionNotFound",
    "ObjectionsOpen",
    "PublicityNotOver",
    "ScoreGrid",
    "attest_batch",
    "award_ids_of_batch",
    "batch_view",
    "cancel_batch",
    "candidate_view",
    "candidate_views",
    "candidates_by_identity",
    "close_batch",
    "correct_score",
    "corrections",
    "create_batch",
    "decide_objection",
    "effective_scores",
    "eligibility_facts",
    "enrol",
    "enrol_candidates",
    "enrol_rows",
    "evaluate_eligibility",
    "file_objection",
    "finalize_batch",
    "get_batch",
    "list_batches",
    "missing_scores",
    "objections",
    "open_batch",
    "publicity",
    "publicity_batches",
    "publish_batch",
    "record_score_rows",
    "record_scores",
    "require_admin",
    "score_grid",
]
