"""Assessor and supervisor console (考评员 / 质量督导员): assigned batches, the score grid, the attestation.

Only the batches the account staffs (registry.access: STAFFED_BATCHES); another batch answers "not found".
The grid works without a script — each candidate's row is a form with a save button, answered by a redirect back
to the row — and with /static/assess.js each cell saves as soon as it changes (the same POST, answered in JSON)
and the missing counts follow. A bad value is refused next to its cell in both languages; the other cells of
the row are saved.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlmodel import Session

from api.console.session import CsrfForm, register_nav, render, require_page_role
from api.deps import SessionDep
from api.errors import status_for
from assessment.batches import scoring
from assessment.batches import service as batches
from assessment.batches.models import ExamSession, SessionStatus, StaffRole
from assessment.batches.service.staffing import staff_of
from registry.actor import Actor, Role
from registry.errors import Conflict, DomainError
from registry.fields import free_text
from registry.filings.rules import EvaluationMethod

router = APIRouter(include_in_schema=False)
register_nav((Role.ASSESSOR, Role.SUPERVISOR), "/console/assess", "我的考务批次", "My exam batches")
StaffActor = Annotated[Actor, Depends(require_page_role(Role.ASSESSOR, Role.SUPERVISOR))]

SCORE_REFUSED = (
    "分数应为 0 到 100 之间的数字，最多一位小数",
    "a score is a number from 0 to 100 with at most one decimal",
)
NOTE_MAX = 2000


@dataclass(frozen=True)
class BatchLine:
    """A batch in the list: the batch, the actor's role on it, and the gaps (open batches only)."""

    batch: Any
    role: StaffRole | None
    my_missing: int | None
    missing_total: int | None


def _role_on(session: Session, actor: Actor, exam: ExamSession) -> StaffRole | None:
    return next((s.role for s in staff_of(session, exam.id) if s.assessor_id == actor.assessor_id), None)


@router.get("/console/assess", response_class=HTMLResponse)
def assigned_batches(request: Request, session: SessionDep, actor: StaffActor) -> HTMLResponse:
    """The batches the account staffs, newest exam first, with what is still missing in open ones."""
    lines = []
    staffed = batches.list_batches(session, actor=actor) if actor.assessor_id is not None else []
    for exam in staffed:
        grid = batches.score_grid(session, actor=actor, exam=exam) if exam.status == SessionStatus.OPEN else None
        lines.append(
            BatchLine(
                batch=batches.batch_view(session, exam),
                role=_role_on(session, actor, exam),
                my_missing=grid.my_missing if grid and grid.assessing else None,
                missing_total=grid.missing_total if grid else None,
            )
        )
    return render(request, "console/assess/batches.html", {"lines": lines, "has_card": actor.assessor_id is not None})


def _batch_page(
    request: Request,
    session: Session,
    actor: Actor,
    exam: ExamSession,
    *,
    errors: dict[str, Any] | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    grid = batches.score_grid(session, actor=actor, exam=exam)
    role = _role_on(session, actor, exam)
    return render(
        request,
        "console/assess/batch.html",
        {
            "batch": batches.batch_view(session, exam),
            "grid": grid,
            "role": role,
            "scoring_open": exam.status == SessionStatus.OPEN and grid.assessing,
            "attestable": exam.status == SessionStatus.OPEN and role == StaffRole.SUPERVISOR,
            "errors": errors or {},
            "typed": typed or {},
            "saved": request.query_params.get("saved"),
            "attested": request.query_params.get("attested") == "1",
            "note": (typed or {}).get("note", ""),
        },
        status_code=status_code,
    )


@router.get("/console/assess/batches/{batch_id}", response_class=HTMLResponse)
def batch_page(request: Request, session: SessionDep, actor: StaffActor, batch_id: uuid.UUID) -> HTMLResponse:
    """One assigned batch: the score grid (an assessor's own cells), the gaps per assessor, the attestation."""
    exam = batches.get_batch(session, actor=actor, batch_id=batch_id)
    return _batch_page(request, session, actor, exam)


def _parse_cells(
    form: dict[str, str], kinds: list[str]
) -> tuple[dict[EvaluationMethod, Decimal], dict[str, tuple[str, str]]]:
    """The row's typed scores (empty cells skipped) and the refused ones."""
    values: dict[EvaluationMethod, Decimal] = {}
    refused: dict[str, tuple[str, str]] = {}
    for kind in kinds:
        raw = form.get(kind, "")
        if not raw.strip():
            continue
        try:
            value = Decimal(raw.strip().replace("，", ".").replace(",", "."))
            scoring.to_tenths(value)
        except (InvalidOperation, ValueError, ArithmeticError):
            refused[kind] = SCORE_REFUSED
            continue
        values[EvaluationMethod(kind)] = value
    return values, refused


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


async def _form_fields(request: Request) -> dict[str, str]:
    """The posted form's text fields (read once in the event loop; the handlers run in the thread pool)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


FormFields = Annotated[dict[str, str], Depends(_form_fields)]


@router.post("/console/assess/batches/{batch_id}/candidates/{candidate_id}/scores", response_model=None)
def save_scores(
    request: Request,
    session: SessionDep,
    actor: StaffActor,
    _csrf: CsrfForm,
    form: FormFields,
    batch_id: uuid.UUID,
    candidate_id: uuid.UUID,
) -> Response:
    """Save the assessor's own scores of one candidate (a whole row, or one cell from the script).

    Valid cells are saved even when another cell of the row is refused; the refusal shows next to its cell.
    A refusal of the whole row (batch not open, not this batch's assessor) is the error page — or, for the
    script, JSON with the message in both languages.
    """
    exam = batches.get_batch(session, actor=actor, batch_id=batch_id)
    kinds = [c.kind.value for c in batches.batch_view(session, exam).components]
    values, refused = _parse_cells(form, kinds)
    if values:
        try:
            batches.record_scores(session, actor=actor, batch_id=exam.id, candidate_id=candidate_id, scores=values)
        except DomainError as error:
            if not _wants_json(request):
                raise
            return JSONResponse(_error_json(error), status_code=status_for(error))
    if _wants_json(request):
        grid = batches.score_grid(session, actor=actor, exam=exam)
        row = next((r for r in grid.rows if r.candidate_id == candidate_id), None)
        return JSONResponse(
            {
                "saved": {kind.value: str(scoring.from_tenths(scoring.to_tenths(v))) for kind, v in values.items()},
                "errors": {kind: {"zh": zh, "en": en} for kind, (zh, en) in refused.items()},
                "row_missing": row.missing if row else [],
                "my_missing": grid.my_missing,
                "missing_total": grid.missing_total,
                "missing_by_assessor": grid.missing_by_assessor,
            },
            status_code=400 if refused else 200,
        )
    if refused:
        errors = {f"{candidate_id}:{kind}": message for kind, message in refused.items()}
        typed = {f"{candidate_id}:{kind}": form.get(kind, "") for kind in kinds}
        return _batch_page(request, session, actor, exam, errors=errors, typed=typed, status_code=400)
    return RedirectResponse(
        f"/console/assess/batches/{exam.id}?saved={candidate_id}#row-{candidate_id}", status_code=303
    )


def _error_json(error: DomainError) -> dict[str, Any]:
    return {"error": error.code, "zh": error.zh, "en": error.en}


@router.post("/console/assess/batches/{batch_id}/attest", response_model=None)
def attest(
    request: Request, session: SessionDep, actor: StaffActor, _csrf: CsrfForm, form: FormFields, batch_id: uuid.UUID
) -> Response:
    """The supervisor attests that the exam ran properly and every score is in (open → scored), with a note.

    A refusal of the batch's state (scores missing, batch not open) is shown on the batch page beside the form,
    with the gaps still listed; anyone but the batch's supervisor gets the error page. Nothing changes.
    """
    exam = batches.get_batch(session, actor=actor, batch_id=batch_id)
    note = form.get("note", "")
    text, problem = _clean_note(note)
    if problem is not None:
        return _batch_page(
            request, session, actor, exam, errors={"note": problem}, typed={"note": note}, status_code=400
        )
    try:
        batches.attest_batch(session, actor=actor, batch_id=exam.id, note=text)
    except Conflict as error:  # scores missing, batch not open: refused before anything was written
        return _batch_page(
            request, session, actor, exam, errors={"attest": error}, typed={"note": note}, status_code=status_for(error)
        )
    return RedirectResponse(f"/console/assess/batches/{exam.id}?attested=1", status_code=303)


def _clean_note(note: str) -> tuple[str, tuple[str, str] | None]:
    """The attestation note as the API takes it (free text, ≤ 2000 characters), or why not."""
    from pydantic import TypeAdapter, ValidationError

    adapter = TypeAdapter(Annotated[str, free_text(NOTE_MAX, min_length=0)])
    try:
        return adapter.validate_python(note), None
    except ValidationError as invalid:
        message = invalid.errors()[0].get("msg", "")
        return note, (f"说明不符合要求：{message}", f"the note is not acceptable: {message}")
