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
    enrol_rows,
    evaluate_eligibility,
)
from assessment.batches.service.errors import (
    BatchIncomplete,
    BatchStateConflict,
    CandidateNotFound,
    ComponentsOutsidePolicy,
    DuplicateCandidate,
    NotAttested,
    NotEligible,
    ObjectionNotFound,
    ObjectionsOpen,
    PublicityNotOver,
    SessionNotFound,
)
from assessment.batches.service.lifecycle import (
    attest_session,
    cancel_session,
    create_session,
    finalize_session,
    open_session,
)
from assessment.batches.service.publicity import (
    award_ids_of_session,
    close_session,
    decide_objection,
    file_objection,
    publish_session,
)
from assessment.batches.service.reads import (
    CORRECTABLE,
    ENROLMENT_OPEN,
    SESSION_TRANSITIONS,
    candidates_by_identity,
    effective_scores,
    get_session,
    list_sessions,
    missing_scores,
)
from assessment.batches.service.scores import (
    SCORE_COLUMNS,
    SCORE_OPTIONAL,
    correct_score,
    record_score_rows,
    record_scores,
)
from assessment.batches.service.views import candidate_views, corrections, objections, publicity, session_view

__all__ = [
    "CORRECTABLE",
    "ENROLMENT_OPEN",
    "ENROL_COLUMNS",
    "ENROL_OPTIONAL",
    "SCORE_COLUMNS",
    "SCORE_OPTIONAL",
    "SESSION_TRANSITIONS",
    "BatchIncomplete",
    "BatchStateConflict",
    "CandidateNotFound",
    "ComponentsOutsidePolicy",
    "DuplicateCandidate",
    "NotAttested",
    "NotEligible",
    "ObjectionNotFound",
    "ObjectionsOpen",
    "PublicityNotOver",
    "SessionNotFound",
    "attest_session",
    "award_ids_of_session",
    "cancel_session",
    "candidate_views",
    "candidates_by_identity",
    "close_session",
    "correct_score",
    "corrections",
    "create_session",
    "decide_objection",
    "effective_scores",
    "eligibility_facts",
    "enrol",
    "enrol_rows",
    "evaluate_eligibility",
    "file_objection",
    "finalize_session",
    "get_session",
    "list_sessions",
    "missing_scores",
    "objections",
    "open_session",
    "publicity",
    "publish_session",
    "record_score_rows",
    "record_scores",
    "session_view",
]
