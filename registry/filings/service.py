"""Draft, submit, decide and sanction filings; the scope check every assessment and issue goes through."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from registry import access, grades
from registry.access import Power
from registry.actor import Actor
from registry.audit.service import record, snapshot
from registry.bodies.models import KIND_ZH, BodyStatus, EvaluationBody
from registry.bodies.service import get_body
from registry.catalogue.models import City, Occupation, Province
from registry.catalogue.service import get_occupation
from registry.clock import today, utcnow
from registry.db import get_for_update
from registry.errors import Conflict, InvalidInput, NotFound, RuleViolation
from registry.filings.models import (
    FILING_STATUS_WORDS,
    CatalogueEntry,
    CatalogueLine,
    Filing,
    FilingAction,
    FilingCreate,
    FilingIn,
    FilingPublic,
    FilingScopeLine,
    FilingStatus,
    ScopeLinePublic,
)
from registry.filings.rules import (
    FILING_RULES,
    BodyFacts,
    FilingFacts,
    LineFacts,
    OccupationFacts,
)
from registry.grades import GradeCode
from registry.rules import Decision
from registry.settings import Settings
from registry.transitions import TransitionTable, apply_transition

FILING_TRANSITIONS = TransitionTable(
    "备案 filing",
    {
        FilingStatus.DRAFT: {FilingStatus.SUBMITTED},
        FilingStatus.SUBMITTED: {FilingStatus.APPROVED, FilingStatus.REJECTED},
        FilingStatus.APPROVED: {FilingStatus.SUSPENDED, FilingStatus.REVOKED},
        FilingStatus.SUSPENDED: {FilingStatus.APPROVED, FilingStatus.REVOKED},
    },
    actions={
        FilingStatus.SUBMITTED: FilingAction.SUBMITTED,
        FilingStatus.APPROVED: FilingAction.APPROVED,
        (FilingStatus.SUSPENDED, FilingStatus.APPROVED): FilingAction.REINSTATED,
        FilingStatus.REJECTED: FilingAction.REJECTED,
        FilingStatus.SUSPENDED: FilingAction.SUSPENDED,
        FilingStatus.REVOKED: FilingAction.REVOKED,
    },
)


class FilingNotFound(NotFound):
    """No such filing, or not one the actor may see."""

    code = "filing_not_found"


class FilingRulesFailed(RuleViolation):
    """The filing rules refuse the programme; extra['rules'] holds every outcome."""

    code = "filing_rules_failed"


class FilingNotEditable(Conflict):
    """Only drafts can be changed (a conflict with the filing's state, 409 like every other)."""

    code = "filing_not_editable"


class SiteCodeRequired(Conflict):
    """The body has no site code: its certificates could not be numbered, so its filing cannot be approved."""

    code = "site_code_required"


class OutsideFilingScope(RuleViolation):
    """No approved, unexpired filing of the body covers this occupation and grade."""

    code = "outside_filing_scope"


def draft_in_force(settings: Settings, jurisdiction: str) -> bool:
    """Whether document 001 (a draft for comment) applies in this province."""
    return jurisdiction in settings.draft_rules_jurisdictions


def _validate_lines(session: Session, data: FilingIn) -> None:
    seen: dict[tuple[str, str], int] = {}
    for index, line in enumerate(data.lines):
        get_occupation(session, line.occupation_code)
        key = (line.occupation_code, line.work_type)
        if key in seen:
            raise InvalidInput(
                f"lines[{index}] 与 lines[{seen[key]}] 的职业（工种）重复",
                f"lines[{index}] repeats the occupation and work type of lines[{seen[key]}]",
                extra={"field": f"lines[{index}].occupation_code"},
            )
        seen[key] = index


def _write_lines(session: Session, filing: Filing, data: FilingIn) -> None:
    for old in session.exec(select(FilingScopeLine).where(FilingScopeLine.filing_id == filing.id)).all():
        session.delete(old)
    session.flush()
    for position, line in enumerate(data.lines):
        session.add(
            FilingScopeLine(
                filing_id=filing.id,
                position=position,
                occupation_code=line.occupation_code,
                work_type=line.work_type.strip(),
                max_grade=line.max_grade,
                methods=[m.value for m in line.methods],
                post_norm_ref=line.post_norm_ref,
                post_grades=[{"name": p.name, "grade": p.grade.value} for p in line.post_grades],
                direct_recognition=line.direct_recognition,
            )
        )
    session.flush()


def create_filing(session: Session, *, actor: Actor, data: FilingCreate) -> Filing:
    """Draft a programme for a body (its admin or the regulator)."""
    body = get_body(session, actor=actor, body_id=data.body_id)
    access.require(actor, Power.MANAGE_BODY, body_id=body.id)
    _validate_lines(session, data)
    now = utcnow()
    filing = Filing(
        body_id=body.id,
        ceiling=data.ceiling,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        jurisdiction=body.province_code,
        created_by=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(filing)
    session.flush()
    _write_lines(session, filing, data)
    record(
        session,
        actor=actor,
        action=FilingAction.CREATED,
        entity_type="filing",
        entity_id=filing.id,
        body_id=body.id,
        after={**snapshot(filing), "lines": [line.model_dump() for line in data.lines]},
    )
    return filing


def get_filing(session: Session, *, actor: Actor, filing_id: uuid.UUID) -> Filing:
    """Return a filing the actor may see."""
    filing = session.get(Filing, filing_id)
    if filing is None or not access.sees(session, actor, filing):
        raise FilingNotFound("备案不存在", "no such filing", extra={"filing_id": str(filing_id)})
    return filing


def filing_lines(session: Session, filing_id: uuid.UUID) -> Sequence[FilingScopeLine]:
    """Return a filing's scope lines in order."""
    return session.exec(
        select(FilingScopeLine).where(FilingScopeLine.filing_id == filing_id).order_by(col(FilingScopeLine.position))
    ).all()


def list_filings(
    session: Session, *, actor: Actor, body_id: uuid.UUID | None = None, status: FilingStatus | None = None
) -> Sequence[Filing]:
    """Return filings: the regulator's all (or one body's), a body admin's own."""
    query = select(Filing).where(access.rows(actor, Filing))
    if body_id is not None:
        access.require(actor, Power.MANAGE_BODY, body_id=body_id)
        query = query.where(col(Filing.body_id) == body_id)
    if status is not None:
        query = query.where(col(Filing.status) == status)
    return session.exec(query.order_by(col(Filing.created_at).desc())).all()


def update_filing(session: Session, *, actor: Actor, filing_id: uuid.UUID, data: FilingIn) -> Filing:
    """Replace a draft's programme (drafts only)."""
    get_filing(session, actor=actor, filing_id=filing_id)
    filing: Filing = get_for_update(session, Filing, filing_id)
    access.require(actor, Power.MANAGE_BODY, body_id=filing.body_id)
    if filing.status != FilingStatus.DRAFT:
        raise FilingNotEditable(
            f"备案状态为 {filing.status.value}，只有草稿可以修改",
            f"the filing is {filing.status.value}; only drafts can be changed",
        )
    _validate_lines(session, data)
    before = {**snapshot(filing), "lines": [snapshot(line) for line in filing_lines(session, filing.id)]}
    filing.ceiling = data.ceiling
    filing.starts_on = data.starts_on
    filing.ends_on = data.ends_on
    filing.updated_at = utcnow()
    _write_lines(session, filing, data)
    record(
        session,
        actor=actor,
        action=FilingAction.UPDATED,
        entity_type="filing",
        entity_id=filing.id,
        body_id=filing.body_id,
        before=before,
        after={**snapshot(filing), "lines": [line.model_dump() for line in data.lines]},
    )
    return filing


def filing_facts(session: Session, filing: Filing, *, settings: Settings) -> FilingFacts:
    """Gather the facts the filing rules read."""
    body = session.get(EvaluationBody, filing.body_id)
    assert body is not None
    lines = []
    for line in filing_lines(session, filing.id):
        occupation = session.get(Occupation, line.occupation_code)
        lines.append(
            LineFacts(
                position=line.position,
                occupation_code=line.occupation_code,
                occupation=OccupationFacts(occupation.code, occupation.name_zh, occupation.national_levels)
                if occupation
                else None,
                max_grade=GradeCode(line.max_grade),
                methods=tuple(line.methods),
                post_grade_targets=tuple(GradeCode(p["grade"]) for p in line.post_grades),
                direct_recognition=line.direct_recognition,
            )
        )
    return FilingFacts(
        body=BodyFacts(
            kind=body.kind.value,
            status=body.status.value,
            is_manufacturing=body.is_manufacturing,
            is_large=body.is_large,
            is_listed=body.is_listed,
            is_chain_lead=body.is_chain_lead,
            is_industry_leader=body.is_industry_leader,
            qualified_special=body.qualified_special,
        ),
        ceiling=GradeCode(filing.ceiling),
        lines=tuple(lines),
        draft_in_force=draft_in_force(settings, body.province_code),
    )


def evaluate_filing(session: Session, filing: Filing, *, settings: Settings) -> Decision:
    """Run the filing rules on a filing as it stands."""
    facts = filing_facts(session, filing, settings=settings)
    body = session.get(EvaluationBody, filing.body_id)
    assert body is not None
    return FILING_RULES.evaluate(facts, jurisdiction=body.province_code, draft_in_force=facts.draft_in_force)


def _refuse(decision: Decision, *, verb_zh: str, verb_en: str) -> FilingRulesFailed:
    zh, en = decision.summary()
    return FilingRulesFailed(
        f"{verb_zh}：{zh}",
        f"{verb_en}: {en}",
        extra={"rules": decision.as_dict()["results"], "ruleset": decision.version},
    )


def submit_filing(session: Session, *, actor: Actor, filing_id: uuid.UUID, settings: Settings) -> Filing:
    """Submit a draft: run the filing rules; any failure refuses it (and changes nothing), naming every rule."""
    filing = get_filing(session, actor=actor, filing_id=filing_id)

    def prepare(filing: Filing) -> dict[str, Any]:
        decision = evaluate_filing(session, filing, settings=settings)
        if not decision.allowed:
            raise _refuse(decision, verb_zh="备案未能提交", verb_en="the filing was not submitted")
        filing.rule_report = decision.as_dict()
        filing.ruleset_version = decision.version
        filing.jurisdiction = decision.jurisdiction
        return {"ruleset_version": decision.version}

    return apply_transition(
        session,
        filing,
        table=FILING_TRANSITIONS,
        target=FilingStatus.SUBMITTED,
        actor=actor,
        entity_type="filing",
        body_id=filing.body_id,
        check=lambda filing: access.require(actor, Power.MANAGE_BODY, body_id=filing.body_id),
        prepare=prepare,
        stamp=("submitted_at", "updated_at"),
    )


def decide_filing(
    session: Session, *, actor: Actor, filing_id: uuid.UUID, approve: bool, note: str, settings: Settings
) -> Filing:
    """Approve or reject a submitted filing (regulator); approval re-runs the rules on today's facts."""
    access.require(actor, Power.REGULATE)
    filing = get_filing(session, actor=actor, filing_id=filing_id)
    target = FilingStatus.APPROVED if approve else FilingStatus.REJECTED

    def prepare(filing: Filing) -> None:
        if approve:
            _check_approvable(session, filing, settings)
        filing.decision_note = note
        filing.decided_by = actor.user_id

    return apply_transition(
        session,
        filing,
        table=FILING_TRANSITIONS,
        target=target,
        actor=actor,
        entity_type="filing",
        body_id=filing.body_id,
        reason=note,
        prepare=prepare,
        stamp=("decided_at", "updated_at"),
    )


def _check_approvable(session: Session, filing: Filing, settings: Settings) -> None:
    """Refuse approval without a site code or when the rules fail on today's facts; keep the fresh report."""
    body = session.get(EvaluationBody, filing.body_id)
    if body is not None and body.site_code is None:
        # Every certificate number (national, and the apprentice records' XT numbers) carries the body's site
        # code; approving without one would let batches and awards run and fail only at issuing.
        raise SiteCodeRequired(
            f"{body.name} 尚未由省级人社部门分配 6 位站点代码，不能批准备案",
            f"{body.name} has no 6-digit site code assigned by the province: the filing cannot be approved",
            extra={"body_id": str(body.id), "field": "site_code"},
        )
    decision = evaluate_filing(session, filing, settings=settings)
    if not decision.allowed:
        raise _refuse(decision, verb_zh="不能批准", verb_en="cannot approve")
    filing.rule_report = decision.as_dict()
    filing.ruleset_version = decision.version


def set_filing_status(
    session: Session, *, actor: Actor, filing_id: uuid.UUID, status: FilingStatus, reason: str
) -> Filing:
    """Suspend, reinstate (approved again) or revoke (final) a filing, with the reason (regulator)."""
    access.require(actor, Power.REGULATE)
    filing = get_filing(session, actor=actor, filing_id=filing_id)

    def prepare(filing: Filing) -> None:
        filing.status_reason = reason

    return apply_transition(
        session,
        filing,
        table=FILING_TRANSITIONS,
        target=status,
        actor=actor,
        entity_type="filing",
        body_id=filing.body_id,
        reason=reason,
        prepare=prepare,
    )
    return filing


@dataclass(frozen=True)
class ScopeGrant:
    """The filing and line that authorise an occupation and grade for a body on a day."""

    filing: Filing
    line: FilingScopeLine


def require_scope(
    session: Session,
    *,
    body_id: uuid.UUID,
    occupation_code: str,
    grade: GradeCode,
    on: dt.date | None = None,
    work_type: str = "",
    direct_recognition_any_level: bool = False,
) -> ScopeGrant:
    """Return the approved, unexpired filing line covering occupation and grade, locking the filing.

    The filing row is locked (FOR UPDATE) so a concurrent suspension or revocation cannot slip between this
    check and the caller's write; call it in the transaction that records the assessment or certificate.
    """
    day = on or today()
    body = session.get(EvaluationBody, body_id)
    if body is None or body.status != BodyStatus.ACTIVE:
        status = body.status.value if body else "missing"
        raise OutsideFilingScope(
            f"机构状态为 {status}，不能开展评价或发证",
            f"the body is {status}: no assessment or issuing",
            extra={"rule": "002:27"},
        )
    filings = session.exec(
        select(Filing)
        .where(Filing.body_id == body_id, Filing.status == FilingStatus.APPROVED)
        .where(col(Filing.starts_on) <= day, col(Filing.ends_on) >= day)
        .order_by(col(Filing.ends_on).desc())
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for filing in filings:
        if grades.ordinal(grade) > grades.ordinal(filing.ceiling):
            continue
        for line in filing_lines(session, filing.id):
            if line.occupation_code != occupation_code or (line.work_type and line.work_type != work_type):
                continue
            if grades.ordinal(grade) > grades.ordinal(line.max_grade):
                continue
            if direct_recognition_any_level and not line.direct_recognition:
                continue
            return ScopeGrant(filing, line)
    grade_zh = grades.info(grade).name_zh
    raise OutsideFilingScope(
        f"本机构没有覆盖 {occupation_code} {grade_zh} 的有效备案（须已批准且在有效期内）",
        f"no approved, unexpired filing of this body covers {occupation_code} at {grade.value}",
        extra={"occupation_code": occupation_code, "grade": grade.value, "on": day.isoformat()},
    )


def public_catalogue(session: Session, *, on: dt.date | None = None) -> list[CatalogueEntry]:
    """Return the public catalogue (评价机构目录, 000:43): active bodies with an approved, unexpired filing."""
    day = on or today()
    rows = session.exec(
        select(Filing, EvaluationBody)
        .join(EvaluationBody, col(EvaluationBody.id) == col(Filing.body_id))
        .where(EvaluationBody.status == BodyStatus.ACTIVE, Filing.status == FilingStatus.APPROVED)
        .where(col(Filing.starts_on) <= day, col(Filing.ends_on) >= day)
        .order_by(col(EvaluationBody.name), col(Filing.ends_on).desc())
    ).all()
    provinces = {p.code: p.name_zh for p in session.exec(select(Province)).all()}
    cities = {c.code: c.name_zh for c in session.exec(select(City)).all()}
    occupations: dict[str, str] = {}
    entries = []
    for filing, body in rows:
        lines = []
        for line in filing_lines(session, filing.id):
            if line.occupation_code not in occupations:
                occupation = session.get(Occupation, line.occupation_code)
                occupations[line.occupation_code] = occupation.name_zh if occupation else ""
            lines.append(
                CatalogueLine(
                    occupation_code=line.occupation_code,
                    occupation_name_zh=occupations[line.occupation_code],
                    work_type=line.work_type,
                    max_grade=line.max_grade,
                    max_grade_zh=grades.info(line.max_grade).name_zh,
                    direct_recognition=line.direct_recognition,
                )
            )
        entries.append(
            CatalogueEntry(
                body_id=body.id,
                name=body.name,
                uscc=body.uscc,
                kind=body.kind.value,
                kind_zh=KIND_ZH[body.kind],
                province_code=body.province_code,
                province_zh=provinces.get(body.province_code, ""),
                city_code=body.city_code,
                city_zh=cities.get(body.city_code) if body.city_code else None,
                filing_id=filing.id,
                ceiling=filing.ceiling,
                ceiling_zh=grades.info(filing.ceiling).name_zh,
                valid_from=filing.starts_on,
                valid_to=filing.ends_on,
                scope=lines,
            )
        )
    return entries


def filing_view(session: Session, *, filing: Filing, settings: Settings) -> FilingPublic:
    """Present a filing with its lines; drafts show a live preview of the rule report."""
    lines = filing_lines(session, filing.id)
    names = {
        o.code: o.name_zh
        for o in session.exec(
            select(Occupation).where(col(Occupation.code).in_([line.occupation_code for line in lines]))
        ).all()
    }
    preview = filing.status == FilingStatus.DRAFT
    report = evaluate_filing(session, filing, settings=settings).as_dict() if preview else filing.rule_report
    return FilingPublic(
        id=filing.id,
        body_id=filing.body_id,
        ceiling=filing.ceiling,
        starts_on=filing.starts_on,
        ends_on=filing.ends_on,
        status=filing.status,
        effective_status=filing.effective_status(today()),
        status_zh=FILING_STATUS_WORDS[filing.effective_status(today())][0],
        jurisdiction=filing.jurisdiction,
        lines=[
            ScopeLinePublic(
                occupation_code=line.occupation_code,
                occupation_name_zh=names.get(line.occupation_code, ""),
                work_type=line.work_type,
                max_grade=line.max_grade,
                methods=list(line.methods),
                post_norm_ref=line.post_norm_ref,
                post_grades=list(line.post_grades),
                direct_recognition=line.direct_recognition,
            )
            for line in lines
        ],
        rule_report=report,
        rule_report_is_preview=preview,
        ruleset_version=filing.ruleset_version,
        submitted_at=filing.submitted_at,
        decided_at=filing.decided_at,
        decision_note=filing.decision_note,
        status_reason=filing.status_reason,
        created_at=filing.created_at,
        updated_at=filing.updated_at,
    )
