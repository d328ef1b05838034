"""Bulk results import: enrol who is missing, record every assessor's scores; one transaction, all or nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, col, select

from assessment.assessors.models import Assessor
from assessment.batches.models import SessionStaff, StaffRole
from assessment.batches.rows import ResultRow
from assessment.batches.service import (
    candidates_by_identity,
    enrol_candidates,
    get_batch,
    record_scores,
    require_admin,
)
from registry.actor import Actor, Role
from registry.filings.rules import EvaluationMethod
from registry.settings import Settings
from registry.tabular import Row, RowError, parse_rows, raise_row_errors

RESULT_COLUMNS, RESULT_OPTIONAL = ResultRow.columns()


@dataclass(frozen=True)
class ResultsSummary:
    """What an import did."""

    rows: int
    enrolled: int
    scores: int


def import_results(
    session: Session,
    *,
    actor: Actor,
    batch_id: uuid.UUID,
    rows: Sequence[Row],
    settings: Settings,
    progress: Callable[[int], None] | None = None,
) -> ResultsSummary:
    """Import a batch's results table; any bad row refuses the whole file, naming every bad row."""
    exam = get_batch(session, actor=actor, batch_id=batch_id)
    require_admin(actor, exam)  # the body (or the regulator) records its assessors' score sheets, nobody else
    staff = {
        a.card_number: a
        for a in session.exec(
            select(Assessor)
            .join(SessionStaff, col(SessionStaff.assessor_id) == col(Assessor.id))
            .where(SessionStaff.session_id == exam.id, SessionStaff.role == StaffRole.ASSESSOR)
        ).all()
    }
    parsed_rows = parse_rows(rows, ResultRow)
    errors = list(parsed_rows.errors)
    parsed: list[tuple[ResultRow, Assessor]] = []
    seen: dict[tuple[str, str, str], int] = {}
    for row in parsed_rows.rows:
        assessor = staff.get(row.assessor_card)
        if assessor is None:
            errors.append(
                RowError(
                    row.line,
                    "assessor_card",
                    "该证卡号不是本批次的考评员",
                    "this card is not one of the batch's assessors",
                )
            )
            continue
        key = (row.id_number.upper(), row.component.value, assessor.card_number)
        if key in seen:
            errors.append(RowError(row.line, "component", f"与第{seen[key]}行重复", f"repeats line {seen[key]}"))
            continue
        seen[key] = row.line
        parsed.append((row, assessor))
    if errors:
        raise_row_errors(sorted(errors, key=lambda e: e.line), total_rows=len(rows))

    enrolled_before = candidates_by_identity(session, exam, settings)
    first_rows: dict[tuple[str, str], ResultRow] = {}
    for row, _ in parsed:
        if row.identity not in enrolled_before:
            first_rows.setdefault(row.identity, row)
    if first_rows:
        enrol_candidates(
            session,
            actor=actor,
            batch_id=batch_id,
            candidates=list(first_rows.values()),
            settings=settings,
        )
    by_identity = candidates_by_identity(session, exam, settings)

    grouped: dict[tuple[uuid.UUID, uuid.UUID], dict[EvaluationMethod, Decimal]] = {}
    for row, assessor in parsed:
        grouped.setdefault((assessor.id, by_identity[row.identity]), {})[row.component] = row.score
    for (assessor_id, candidate_id), scores in grouped.items():
        card = next(a for a in staff.values() if a.id == assessor_id)
        as_assessor = Actor(
            label=f"{actor.label} (import as {card.card_number})",
            role=Role.ASSESSOR,
            assessor_id=assessor_id,
            person_id=card.person_id,
        )
        record_scores(session, actor=as_assessor, batch_id=batch_id, candidate_id=candidate_id, scores=scores)
        if progress is not None:
            progress(1)
    return ResultsSummary(rows=len(rows), enrolled=len(first_rows), scores=len(parsed))


def result_groups(rows: Sequence[Row]) -> int:
    """How many (assessor, candidate) groups a results table holds, for sizing a progress bar."""
    return len({(r.get("assessor_card"), r.get("id_number").upper()) for r in rows})
