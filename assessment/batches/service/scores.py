"""Scoring: assessors record scores (one by one or from a table); corrections after finalizing."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal

from sqlmodel import Session, select

from assessment.batches import scoring
from assessment.batches.models import (
    SESSION_STATUS_ZH,
    BatchAction,
    Candidate,
    CorrectionIn,
    ExamSession,
    Score,
    ScoreCorrection,
    SessionStatus,
)
from assessment.batches.service.errors import BatchStateConflict
from assessment.batches.service.reads import (
    CORRECTABLE,
    candidate_in,
    candidates_by_identity,
    components_of,
    effective_scores,
    get_batch,
)
from assessment.batches.service.staffing import staff_assessor
from registry import access
from registry.access import Power
from registry.actor import Actor
from registry.audit.service import record
from registry.clock import utcnow
from registry.errors import InvalidInput
from registry.filings.rules import EvaluationMethod
from registry.settings import Settings
from registry.tabular import Row, RowError, raise_row_errors

SCORE_COLUMNS = ("id_number", "component", "score")
SCORE_OPTIONAL = ("name", "id_type")


def checked_tenths(value: Decimal, field: str) -> int:
    try:
        return scoring.to_tenths(value)
    except (ValueError, ArithmeticError):
        raise InvalidInput(
            f"{field} 分数应为0到100之间、最多一位小数，实际为 {value}",
            f"{field}: a score is 0–100 with at most one decimal, got {value}",
            extra={"field": field},
        ) from None


def record_scores(
    session: Session,
    *,
    actor: Actor,
    batch_id: uuid.UUID,
    candidate_id: uuid.UUID,
    scores: Mapping[EvaluationMethod, Decimal],
) -> list[Score]:
    """Record the calling assessor's own scores for one candidate (only while the batch is open)."""
    exam = get_batch(session, actor=actor, batch_id=batch_id, lock=True)
    assessor_id = staff_assessor(session, actor, exam)
    if exam.status != SessionStatus.OPEN:
        raise BatchStateConflict(
            f"批次状态为{SESSION_STATUS_ZH[exam.status]}，不能录入分数（定稿后分数锁定，只能更正）",
            f"the batch is {exam.status.value}: scores are recorded only while it is open",
        )
    candidate = candidate_in(session, exam, candidate_id)
    kinds = {c.kind for c in components_of(session, exam.id)}
    unknown = sorted(k.value for k in scores if k not in kinds)
    if unknown:
        accepted = ", ".join(sorted(k.value for k in kinds))
        raise InvalidInput(
            f"本批次没有考核项目 {', '.join(unknown)}；可用：{accepted}",
            f"this batch has no component {', '.join(unknown)}; accepted: {accepted}",
            extra={"field": "scores"},
        )
    values = {kind: checked_tenths(value, f"scores.{kind.value}") for kind, value in scores.items()}
    saved = []
    now = utcnow()
    for kind, tenths in values.items():
        existing = session.exec(
            select(Score).where(
                Score.candidate_id == candidate.id, Score.component == kind, Score.assessor_id == assessor_id
            )
        ).first()
        before = existing.value_tenths if existing else None
        if existing is None:
            existing = Score(
                candidate_id=candidate.id, component=kind, assessor_id=assessor_id, value_tenths=tenths, recorded_at=now
            )
            session.add(existing)
        else:
            existing.value_tenths = tenths
            existing.recorded_at = now
        saved.append(existing)
        record(
            session,
            actor=actor,
            action=BatchAction.SCORE_RECORDED,
            entity_type="session",
            entity_id=exam.id,
            body_id=exam.body_id,
            before=None if before is None else {"value": scoring.from_tenths(before)},
            after={
                "candidate_id": candidate.id,
                "component": kind,
                "assessor_id": assessor_id,
                "value": scoring.from_tenths(tenths),
            },
        )
    session.flush()
    return saved


def record_score_rows(
    session: Session, *, actor: Actor, batch_id: uuid.UUID, rows: Sequence[Row], settings: Settings
) -> int:
    """Record the calling assessor's scores from a table (id_number, component, score); all or nothing."""
    exam = get_batch(session, actor=actor, batch_id=batch_id)
    by_identity = candidates_by_identity(session, exam, settings)
    errors: list[RowError] = []
    grouped: dict[uuid.UUID, dict[EvaluationMethod, Decimal]] = {}
    for row in rows:
        key = (row.get("id_type") or "resident_id", row.get("id_number").upper())
        candidate_id = by_identity.get(key)
        if candidate_id is None:
            errors.append(
                RowError(row.line, "id_number", "该证件号码未在本批次报名", "no candidate with this ID number")
            )
            continue
        try:
            kind = EvaluationMethod(row.get("component"))
            value = Decimal(row.get("score"))
            scoring.to_tenths(value)
        except (ValueError, ArithmeticError):
            errors.append(
                RowError(
                    row.line,
                    "component/score",
                    "考核项目或分数无效（0-100，最多一位小数）",
                    "unknown component or a score outside 0–100 with one decimal",
                )
            )
            continue
        if kind in grouped.setdefault(candidate_id, {}):
            errors.append(RowError(row.line, "component", "同一考生同一项目重复", "repeats a candidate and component"))
            continue
        grouped[candidate_id][kind] = value
    if errors:
        raise_row_errors(errors, total_rows=len(rows))
    with session.begin_nested():
        for candidate_id, scores in grouped.items():
            record_scores(session, actor=actor, batch_id=batch_id, candidate_id=candidate_id, scores=scores)
    return sum(len(s) for s in grouped.values())


def compute_result(session: Session, exam: ExamSession, candidate: Candidate) -> scoring.CandidateResult:
    rules = [scoring.ComponentRule(c.kind.value, c.weight, c.pass_mark) for c in components_of(session, exam.id)]
    scores = {kind: list(by_assessor.values()) for kind, by_assessor in effective_scores(session, candidate.id).items()}
    result = scoring.evaluate(rules, scores)
    candidate.total_tenths = result.total_tenths
    candidate.passed = result.passed
    candidate.results = result.as_dict()
    return result


def correct_score(
    session: Session, *, actor: Actor, batch_id: uuid.UUID, candidate_id: uuid.UUID, data: CorrectionIn
) -> ScoreCorrection:
    """Correct a locked score with a reason (the scoring assessor or the body); a separate, visible record."""
    exam = get_batch(session, actor=actor, batch_id=batch_id, lock=True)
    access.require(actor, Power.CORRECT_SCORE, body_id=exam.body_id, own=actor.assessor_id == data.assessor_id)
    if exam.status not in CORRECTABLE:
        raise BatchStateConflict(
            f"批次状态为{SESSION_STATUS_ZH[exam.status]}，不能更正（定稿后、结束前可更正）",
            f"the batch is {exam.status.value}: corrections are made between finalizing and closing",
        )
    candidate = candidate_in(session, exam, candidate_id)
    current = effective_scores(session, candidate.id).get(data.component.value, {})
    if data.assessor_id not in current:
        raise InvalidInput(
            "该考评员没有此项分数", "that assessor has no score for this component", extra={"field": "assessor_id"}
        )
    new = checked_tenths(data.value, "value")
    correction = ScoreCorrection(
        candidate_id=candidate.id,
        component=data.component,
        assessor_id=data.assessor_id,
        old_tenths=current[data.assessor_id],
        new_tenths=new,
        reason=data.reason,
        recorded_by=actor.label,
        recorded_at=utcnow(),
    )
    session.add(correction)
    session.flush()
    was = candidate.passed
    result = compute_result(session, exam, candidate)
    session.flush()
    record(
        session,
        actor=actor,
        action=BatchAction.SCORE_CORRECTED,
        entity_type="session",
        entity_id=exam.id,
        body_id=exam.body_id,
        reason=data.reason,
        before={
            "candidate_id": candidate.id,
            "component": data.component,
            "value": scoring.from_tenths(correction.old_tenths),
            "passed": was,
        },
        after={"value": scoring.from_tenths(new), "passed": result.passed},
    )
    return correction
