"""Apply for and decide direct recognitions; seed and edit the competition-promotion table."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, delete, select

from assessment.recognition.models import (
    CompetitionRule,
    CompetitionRuleIn,
    CompetitionTier,
    Path,
    Recognition,
    RecognitionAction,
    RecognitionIn,
    RecognitionPublic,
    RecognitionStatus,
)
from assessment.recognition.rules import RECOGNITION_RULES, RecognitionFacts
from registry import access, grades
from registry.access import Power
from registry.actor import Actor
from registry.audit.service import record, snapshot
from registry.awards.models import AwardBasis
from registry.awards.service import create_award, held_grades
from registry.bodies.models import BodyKind, ChainMember, EvaluationBody
from registry.bodies.service import get_body
from registry.catalogue.service import get_occupation
from registry.clock import today, utcnow
from registry.errors import InvalidInput, NotFound, RuleViolation
from registry.filings.service import OutsideFilingScope, draft_in_force, require_scope
from registry.grades import GradeCode
from registry.people.models import Employment
from registry.people.service import get_person, link_person
from registry.rules import Decision
from registry.settings import Settings
from registry.transitions import TransitionTable, apply_transition

RECOGNITION_TRANSITIONS = TransitionTable(
    "直接认定 recognition",
    {RecognitionStatus.SUBMITTED: {RecognitionStatus.APPROVED, RecognitionStatus.REJECTED}},
    actions={
        RecognitionStatus.APPROVED: RecognitionAction.APPROVED,
        RecognitionStatus.REJECTED: RecognitionAction.REJECTED,
    },
)
# Configurable defaults (the registry's, unverified): winners up to max_rank are promoted one grade, at most to
# max_grade. Seeded only into an empty table; the regulator replaces it with PUT /api/v1/competition-rules.
DEFAULT_COMPETITION_RULES = (
    (CompetitionTier.WORLD, 8, GradeCode.SENIOR_TECHNICIAN),
    (CompetitionTier.NATIONAL, 5, GradeCode.SENIOR_TECHNICIAN),
    (CompetitionTier.PROVINCIAL, 5, GradeCode.TECHNICIAN),
    (CompetitionTier.PROVINCIAL_SECOND, 3, GradeCode.SENIOR),
    (CompetitionTier.MUNICIPAL, 3, GradeCode.SENIOR),
    (CompetitionTier.INDUSTRY, 3, GradeCode.SENIOR),
    (CompetitionTier.ENTERPRISE, 3, GradeCode.INTERMEDIATE),
)
COMPETITION_SOURCE = "001:36 晋升职业技能等级 (draft); tiers 003:726-732, 004:140; caps: registry defaults"


class RecognitionNotFound(NotFound):
    """No such application, or not one the actor may see."""

    code = "recognition_not_found"


class RecognitionRefused(RuleViolation):
    """The recognition rules refuse the application; extra['rules'] holds every outcome."""

    code = "recognition_refused"


def load_competition_defaults(session: Session) -> int:
    """Seed the competition-promotion table when it is empty; return the rows added."""
    if session.exec(select(CompetitionRule.id)).first() is not None:
        return 0
    for tier, rank, grade in DEFAULT_COMPETITION_RULES:
        session.add(
            CompetitionRule(tier=tier, max_rank=rank, max_grade=grade, source=COMPETITION_SOURCE, status="unverified")
        )
    session.flush()
    return len(DEFAULT_COMPETITION_RULES)


def competition_rules(session: Session) -> Sequence[CompetitionRule]:
    """Return the competition-promotion table."""
    return session.exec(
        select(CompetitionRule).order_by(col(CompetitionRule.tier), col(CompetitionRule.max_rank))
    ).all()


def replace_competition_rules(
    session: Session, *, actor: Actor, rows: Sequence[CompetitionRuleIn]
) -> list[CompetitionRule]:
    """Replace the competition-promotion table (regulator), audited."""
    access.require(actor, Power.REGULATE)
    seen: dict[tuple[str, int], int] = {}
    for index, row in enumerate(rows):
        key = (row.tier.value, row.max_rank)
        if key in seen:  # the table has one row per tier and rank (a unique key): say which rows clash
            first, tier, rank = seen[key] + 1, row.tier.value, row.max_rank
            raise InvalidInput(
                f"第 {index + 1} 行与第 {first} 行的竞赛级别和名次相同（{tier}，前 {rank} 名）",
                f"row {index + 1} repeats the tier and rank of row {first} ({tier}, top {rank})",
                extra={"field": f"[{index}]"},
            )
        seen[key] = index
    before = [snapshot(r, fields=("tier", "max_rank", "max_grade", "status")) for r in competition_rules(session)]
    session.exec(delete(CompetitionRule))
    new = [CompetitionRule(**row.model_dump()) for row in rows]
    session.add_all(new)
    session.flush()
    record(
        session,
        actor=actor,
        action=RecognitionAction.COMPETITION_RULES_REPLACED,
        entity_type="competition_rules",
        entity_id="table",
        before={"rows": before},
        after={"rows": [snapshot(r, fields=("tier", "max_rank", "max_grade", "status")) for r in new]},
    )
    return new


def _competition_cap(session: Session, data: RecognitionIn) -> GradeCode | None:
    if data.competition is None:
        return None
    matches = [
        r for r in competition_rules(session) if r.tier == data.competition.tier and data.competition.rank <= r.max_rank
    ]
    return max((GradeCode(r.max_grade) for r in matches), key=grades.ordinal, default=None)


def recognition_facts(session: Session, data: RecognitionIn, settings: Settings) -> RecognitionFacts:
    """Gather the facts the recognition rules read."""
    body = session.get(EvaluationBody, data.body_id)
    assert body is not None
    occupation = get_occupation(session, data.occupation_code)
    draft = draft_in_force(settings, body.province_code)
    ceiling: GradeCode | None = None
    in_scope = line_any = False
    try:
        grant = require_scope(
            session,
            body_id=body.id,
            occupation_code=data.occupation_code,
            grade=data.target_grade,
            work_type=data.work_type,
        )
        in_scope, ceiling, line_any = True, GradeCode(grant.filing.ceiling), grant.line.direct_recognition
    except OutsideFilingScope:
        try:
            grant = require_scope(
                session,
                body_id=body.id,
                occupation_code=data.occupation_code,
                grade=GradeCode.APPRENTICE,
                work_type=data.work_type,
            )
            ceiling = GradeCode(grant.filing.ceiling)
        except OutsideFilingScope:
            ceiling = None
    day = today()
    employers = {
        e.employer_uscc
        for e in session.exec(select(Employment).where(Employment.person_id == data.person_id)).all()
        if e.active_on(day)
    }
    employed = body.uscc in employers
    if not employed and body.kind == BodyKind.CHAIN_BODY and draft:
        members = set(session.exec(select(ChainMember.member_uscc).where(ChainMember.chain_body_id == body.id)).all())
        employed = bool(employers & members)
    return RecognitionFacts(
        path=data.path.value,
        body_kind=body.kind.value,
        body_status=body.status.value,
        is_manufacturing=body.is_manufacturing,
        is_large=body.is_large,
        is_listed=body.is_listed,
        target=data.target_grade,
        ceiling=ceiling,
        in_scope=in_scope,
        line_allows_any_level=line_any,
        occupation_complete=occupation.complete_ladder,
        held=tuple(held_grades(session, person_id=data.person_id, occupation_code=data.occupation_code)),
        triggers=frozenset(t.value for t in data.triggers),
        waived=frozenset(w.value for w in data.waived),
        justified=frozenset(w.value for w, text in data.justifications.items() if text.strip()),
        evidence_count=len(data.evidence),
        methods=frozenset(data.methods),
        employed=employed,
        competition_cap=_competition_cap(session, data),
        has_competition=data.competition is not None,
        draft_in_force=draft,
    )


def evaluate_recognition(session: Session, data: RecognitionIn, settings: Settings) -> Decision:
    """Run the recognition rules on an application."""
    facts = recognition_facts(session, data, settings)
    body = session.get(EvaluationBody, data.body_id)
    assert body is not None
    return RECOGNITION_RULES.evaluate(facts, jurisdiction=body.province_code, draft_in_force=facts.draft_in_force)


def _refuse(decision: Decision, verb_zh: str, verb_en: str) -> RecognitionRefused:
    zh, en = decision.summary()
    return RecognitionRefused(f"{verb_zh}：{zh}", f"{verb_en}: {en}", extra={"rules": decision.as_dict()["results"]})


def _as_input(recognition: Recognition) -> RecognitionIn:
    return RecognitionIn.model_validate(
        {
            "body_id": recognition.body_id,
            "person_id": recognition.person_id,
            "occupation_code": recognition.occupation_code,
            "work_type": recognition.work_type,
            "target_grade": recognition.target_grade,
            "path": recognition.path,
            "triggers": recognition.triggers,
            "evidence": recognition.evidence,
            "waived": recognition.waived,
            "justifications": recognition.justifications,
            "methods": recognition.methods,
            "competition": recognition.competition,
        }
    )


def apply_for_recognition(session: Session, *, actor: Actor, data: RecognitionIn, settings: Settings) -> Recognition:
    """File an application; the rules run at once and a refused one is not stored, naming every failed rule."""
    body = get_body(session, actor=actor, body_id=data.body_id)
    access.require(actor, Power.MANAGE_BODY, body_id=body.id)
    get_person(session, actor=actor, person_id=data.person_id)
    decision = evaluate_recognition(session, data, settings)
    if not decision.allowed:
        raise _refuse(decision, "直接认定不符合条件", "the recognition is refused")
    payload = data.model_dump(mode="json")
    recognition = Recognition(
        body_id=body.id,
        person_id=data.person_id,
        occupation_code=data.occupation_code,
        work_type=data.work_type,
        target_grade=data.target_grade,
        path=data.path,
        triggers=payload["triggers"],
        evidence=payload["evidence"],
        waived=payload["waived"],
        justifications=payload["justifications"],
        methods=payload["methods"],
        competition=payload["competition"],
        report=decision.as_dict(),
        ruleset_version=decision.version,
        created_at=utcnow(),
    )
    session.add(recognition)
    session.flush()
    link_person(session, person_id=data.person_id, body_id=body.id, reason="recognition")
    record(
        session,
        actor=actor,
        action=RecognitionAction.SUBMITTED,
        entity_type="recognition",
        entity_id=recognition.id,
        body_id=body.id,
        after={
            **snapshot(
                recognition,
                fields=("person_id", "occupation_code", "target_grade", "path", "triggers", "waived", "justifications"),
            ),
            "ruleset": decision.version,
        },
    )
    return recognition


def get_recognition(session: Session, *, actor: Actor, recognition_id: uuid.UUID) -> Recognition:
    """Return an application the actor may see."""
    recognition = session.get(Recognition, recognition_id)
    if recognition is None or not access.sees(session, actor, recognition):
        raise RecognitionNotFound("直接认定申请不存在", "no such recognition", extra={"id": str(recognition_id)})
    return recognition


def list_recognitions(
    session: Session, *, actor: Actor, body_id: uuid.UUID | None = None, status: RecognitionStatus | None = None
) -> Sequence[Recognition]:
    """Return applications: a body's own, or the regulator's all."""
    query = select(Recognition).where(
        access.rows(actor, Recognition), access.narrowed(actor, Recognition.body_id, body_id)
    )
    if status is not None:
        query = query.where(Recognition.status == status)
    return session.exec(query.order_by(col(Recognition.created_at).desc())).all()


def decide_recognition(
    session: Session, *, actor: Actor, recognition_id: uuid.UUID, approve: bool, note: str, settings: Settings
) -> Recognition:
    """Approve (creating the award, rules re-run on today's facts) or reject an application (the body)."""
    recognition = get_recognition(session, actor=actor, recognition_id=recognition_id)
    target = RecognitionStatus.APPROVED if approve else RecognitionStatus.REJECTED

    def prepare(recognition: Recognition) -> dict[str, Any]:
        if approve:
            decision = evaluate_recognition(session, _as_input(recognition), settings)
            if not decision.allowed:
                raise _refuse(decision, "不能批准", "cannot approve")
            recognition.report = decision.as_dict()
            award = create_award(
                session,
                actor=actor,
                person_id=recognition.person_id,
                body_id=recognition.body_id,
                occupation_code=recognition.occupation_code,
                work_type=recognition.work_type,
                grade=recognition.target_grade,
                basis=AwardBasis.COMPETITION if recognition.path == Path.DR_G else AwardBasis.RECOGNITION,
                basis_ref=recognition.id,
                direct_recognition_any_level=recognition.path == Path.DR_D,
            )
            recognition.award_id = award.id
        recognition.decision_note = note
        recognition.decided_by = actor.user_id
        return {"award_id": recognition.award_id}

    return apply_transition(
        session,
        recognition,
        table=RECOGNITION_TRANSITIONS,
        target=target,
        actor=actor,
        entity_type="recognition",
        body_id=recognition.body_id,
        reason=note,
        check=lambda recognition: access.require(actor, Power.MANAGE_BODY, body_id=recognition.body_id),
        prepare=prepare,
        stamp=("decided_at",),
    )


def recognition_view(recognition: Recognition) -> RecognitionPublic:
    """Present an application."""
    return RecognitionPublic.model_validate(recognition, from_attributes=True)
