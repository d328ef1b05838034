"""The verbs of audit action names: one verb per meaning, the same in every area.

An action name is `<area>.<verb>` (`body.reinstated`, `certificate.reinstated`); each area lists its actions in
one StrEnum (`BodyAction`, `FilingAction`, …) whose values must end in one of these verbs — a test walks them.
Stored audit rows keep the names they were written with (the chain hashes them); old rows may still read
`body.active` for what is now `body.reinstated`.
"""

from __future__ import annotations

from enum import StrEnum


class Verb(StrEnum):
    """What happened to a record, as the last part of an audit action name."""

    CREATED = "created"  # a new record (a body, a filing, a batch, a person, an award, an account, …)
    UPDATED = "updated"  # fields of a record changed, its status did not
    REPLACED = "replaced"  # a whole list belonging to a record was replaced (chain members, competition rules)
    ADDED = "added"  # one entry was added to a list belonging to a record (an employment)
    SUBMITTED = "submitted"  # handed in for a decision
    APPROVED = "approved"  # a pending record accepted by whoever decides it
    REJECTED = "rejected"  # a pending record refused by whoever decides it
    SUSPENDED = "suspended"  # stops counting for now
    REINSTATED = "reinstated"  # counts again after a suspension
    REVOKED = "revoked"  # stops counting for good
    ENDED = "ended"  # ran out or was brought to an end (an appointment)
    OPENED = "opened"  # a batch opens for scoring
    CANCELLED = "cancelled"  # a batch called off before it ran
    ATTESTED = "attested"  # a supervisor signs that an exam ran properly
    FINALIZED = "finalized"  # results computed and scores locked
    PUBLISHED = "published"  # results put up for 公示
    CLOSED = "closed"  # a batch closed after 公示
    ENROLLED = "enrolled"  # a candidate enrolled in a batch
    RECORDED = "recorded"  # a score recorded; a legacy award typed in from paper
    CORRECTED = "corrected"  # a locked score corrected
    FILED = "filed"  # an objection filed
    UPHELD = "upheld"  # an objection decided for the objector
    DISMISSED = "dismissed"  # an objection decided against the objector
    ISSUED = "issued"  # a certificate issued
    REISSUED = "reissued"  # a certificate printed again
    IMPOSED = "imposed"  # a sanction imposed on a body by the regulator
    LIFTED = "lifted"  # a sanction lifted (rectified, reinstated)
    DRAWN = "drawn"  # a spot-check sample drawn
    EXPORTED = "exported"  # data taken out of the registry in a file (a regulator's export)
    CLAIMED = "claimed"  # an account taken up by the person it is for (a worker proving to be a certificate holder)


def verb_of(action: str) -> Verb:
    """Return the verb an action name ends in (ValueError when it is not one of ours)."""
    return Verb(action.rsplit(".", 1)[-1])
