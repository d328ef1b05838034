"""Builders of records through the services, shared by `registry demo` (api.demo) and the tests (tests.factories).

Everything here goes through the services, so audit, rules and checks apply; a service change is fixed here once.
The builders take their values and the acting actor from the caller (the demo's and the tests' defaults differ)
and hold no defaults of their own beyond what the services need. They live in `api` because they compose every
area (registry, assessment, certificates), which only the top layer may import (README decisions log).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from decimal import Decimal

from sqlmodel import Session, select

from assessment.assessors.models import Assessor, AssessorCreate, AssessorKind
from assessment.assessors.service import register_assessor
from assessment.batches.models import Candidate, ExamSession, SessionComponent, SessionStatus
from assessment.batches.service import (
    attest_batch,
    cancel_batch,
    close_batch,
    finalize_batch,
    open_batch,
    publish_batch,
    record_scores,
)
from registry.actor import Actor, Role
from registry.awards.legacy import record_legacy_award
from registry.awards.models import GradeAward, LegacyAwardIn
from registry.filings.models import Filing, FilingCreate, FilingStatus
from registry.filings.rules import EvaluationMethod
from registry.filings.service import create_filing, decide_filing, set_filing_status, submit_filing
from registry.grades import GradeCode
from registry.people.models import EmploymentIn, Person, PersonCreate
from registry.people.service import register_person
from registry.settings import Settings
from registry.validators import id_check_digit, org_code_check_char, uscc_check_char

# ------------------------------------------------------------------------------------------ identifiers


def uscc(org_base: str, region: str) -> str:
    """A valid 统一社会信用代码 for an 8-character organisation code base (GB 11714 and GB 32100 check characters)."""
    org = org_base + org_code_check_char(org_base)
    first17 = f"91{region}{org}"
    return first17 + uscc_check_char(first17)


def resident_id(region: str, born: dt.date, sequence: int) -> str:
    """A valid 居民身份证号码 (GB 11643 check digit) for a region, a birth date and a 3-digit sequence."""
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + id_check_digit(first17)


# ------------------------------------------------------------------------------------------ people and cards


def person(
    session: Session,
    settings: Settings,
    *,
    actor: Actor,
    name: str,
    id_number: str,
    employer: tuple[str, str] | None = None,
    since: dt.date = dt.date(2015, 1, 1),
    agency_name: str = "",
) -> Person:
    """Register a person (or find the one with this identity); employer is (USCC, name); an agency = dispatched."""
    employment = None
    if employer is not None:
        employment = EmploymentIn(
            employer_uscc=employer[0],
            employer_name=employer[1],
            dispatched=bool(agency_name),
            agency_name=agency_name,
            starts_on=since,
        )
    data = PersonCreate(name=name, id_number=id_number, employment=employment)
    registered, _ = register_person(session, actor=actor, data=data, settings=settings)
    return registered


def assessor_card(
    session: Session,
    *,
    actor: Actor,
    holder: Person,
    card_number: str,
    kind: AssessorKind,
    occupations: Sequence[str],
    valid: tuple[dt.date, dt.date],
    body_id: uuid.UUID | None = None,
    max_grade: GradeCode = GradeCode.SENIOR_TECHNICIAN,
    held_grade: GradeCode = GradeCode.SENIOR_TECHNICIAN,
) -> Assessor:
    """Issue an assessor's (or supervisor's) card to a registered person."""
    return register_assessor(
        session,
        actor=actor,
        data=AssessorCreate(
            person_id=holder.id,
            card_number=card_number,
            kind=kind,
            body_id=body_id,
            max_grade=max_grade,
            held_grade=held_grade,
            valid_from=valid[0],
            valid_to=valid[1],
            occupations=list(occupations),
        ),
    )


def as_assessor(assessor: Assessor, label: str) -> Actor:
    """The actor of an assessor's (or supervisor's) account."""
    role = Role.ASSESSOR if assessor.kind == AssessorKind.ASSESSOR else Role.SUPERVISOR
    return Actor(label=label, role=role, assessor_id=assessor.id, person_id=assessor.person_id)


def legacy_award(session: Session, *, actor: Actor, data: LegacyAwardIn) -> GradeAward:
    """Record a certificate the worker got before the registry (the regulator's counts at once)."""
    award, _ = record_legacy_award(session, actor=actor, data=data)
    return award


# ------------------------------------------------------------------------------------------ filings


def filing(
    session: Session,
    settings: Settings,
    *,
    actor: Actor,
    data: FilingCreate,
    to: FilingStatus | None,
    note: str = "符合条件",
    reason: str = "",
) -> Filing:
    """Create a filing and drive it to a status: None (a draft), submitted, approved, rejected, suspended, revoked."""
    created = create_filing(session, actor=actor, data=data)
    if to is None:
        return created
    submit_filing(session, actor=actor, filing_id=created.id, settings=settings)
    if to == FilingStatus.SUBMITTED:
        return created
    decide_filing(
        session, actor=actor, filing_id=created.id, approve=to != FilingStatus.REJECTED, note=note, settings=settings
    )
    if to in {FilingStatus.SUSPENDED, FilingStatus.REVOKED}:
        set_filing_status(session, actor=actor, filing_id=created.id, status=to, reason=reason)
    return created


# ------------------------------------------------------------------------------------------ batches

ScoreFor = Callable[[int, int, EvaluationMethod], Decimal]  # (candidate index, assessor index, component) → score
BATCH_ORDER = (
    SessionStatus.PLANNED,
    SessionStatus.OPEN,
    SessionStatus.SCORED,
    SessionStatus.FINALIZED,
    SessionStatus.PUBLISHED,
    SessionStatus.CLOSED,
)


def drive_batch(
    session: Session,
    settings: Settings,
    *,
    actor: Actor,
    exam: ExamSession,
    to: SessionStatus,
    candidates: Sequence[Candidate] = (),
    staff: Sequence[Assessor] = (),
    supervisor: Assessor | None = None,
    score: ScoreFor | None = None,
    scored: Callable[[int], bool] = lambda _index: True,
    label: Callable[[Assessor], str] = lambda a: a.card_number,
    cancel_reason: str = "考场设备检修，延期另行安排",
    attest_note: str = "考务组织规范，评分记录完整",
) -> ExamSession:
    """Drive a planned batch with its candidates enrolled to a status, through every step on the way.

    Once open, each assessor in staff scores each of candidates that `scored(index)` admits with
    `score(index, assessor index, component)`; then the supervisor attests, and the actor finalizes, publishes
    (with a zero-day 公示 when the batch is driven on to closed, so it closes at once) and closes.
    """
    if to == SessionStatus.CANCELLED:
        cancel_batch(session, actor=actor, batch_id=exam.id, reason=cancel_reason)
        return exam
    target = BATCH_ORDER.index(to)
    if target >= BATCH_ORDER.index(SessionStatus.OPEN):
        open_batch(session, actor=actor, batch_id=exam.id)
    if score is not None and target >= BATCH_ORDER.index(SessionStatus.OPEN):
        components = session.exec(select(SessionComponent).where(SessionComponent.session_id == exam.id))
        kinds = [c.kind for c in components]
        for index, candidate in enumerate(candidates):
            for n, assessor in enumerate(staff):
                if not scored(index):
                    continue
                scores = {k: score(index, n, k) for k in kinds}
                record_scores(
                    session,
                    actor=as_assessor(assessor, label(assessor)),
                    batch_id=exam.id,
                    candidate_id=candidate.id,
                    scores=scores,
                )
    if target >= BATCH_ORDER.index(SessionStatus.SCORED):
        assert supervisor is not None, "a batch is attested by its supervisor"
        attest_batch(session, actor=as_assessor(supervisor, label(supervisor)), batch_id=exam.id, note=attest_note)
    if target >= BATCH_ORDER.index(SessionStatus.FINALIZED):
        finalize_batch(session, actor=actor, batch_id=exam.id)
    if target >= BATCH_ORDER.index(SessionStatus.PUBLISHED):
        closing = to == SessionStatus.CLOSED
        publish_settings = settings.model_copy(update={"publicity_days": 0}) if closing else settings
        publish_batch(session, actor=actor, batch_id=exam.id, settings=publish_settings)
        if closing:
            close_batch(session, actor=actor, batch_id=exam.id)
    return exam
