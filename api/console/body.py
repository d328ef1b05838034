"""The body admin's console (/console/body/...): filings, staff and cards, exam batches, recognitions, certificates.

Every page acts for the logged-in admin's own body and calls the same services as the JSON API; a record of
another body is "not found" (404), exactly as the API answers. Actions run in the console's `form_action`: a
refused action re-renders its form with the domain error's Chinese and English next to the field it concerns,
and the rules it failed with their citations; its writes are rolled back first, so nothing of it is stored.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from jinja2 import pass_context
from jinja2.runtime import Context
from sqlmodel import Session
from starlette.datastructures import FormData, UploadFile

from api.console.jobs import view as job_view
from api.console.session import (
    CsrfForm,
    Errors,
    FormRefused,
    Message,
    PageRefused,
    form_action,
    register_nav,
    render,
    require_page_role,
    rules_of,
)
from api.deps import SessionDep, SettingsDep
from api.jobs import job_file
from api.routers.jobs import queue_job
from api.templating import TEMPLATES
from api.uploads import read_upload
from assessment.assessors import service as assessors
from assessment.assessors.models import ASSESSOR_STATUS_ZH, AssessorCreate, AssessorKind, AssessorStatus
from assessment.batches import service as batches
from assessment.batches.imports import RESULT_COLUMNS, RESULT_OPTIONAL, import_results
from assessment.batches.models import SESSION_STATUS_EN, SESSION_STATUS_ZH, SessionCreate, SessionStatus
from assessment.recognition import service as recognitions
from assessment.recognition.models import (
    TRIGGER_ZH,
    Evidence,
    Path,
    RecognitionIn,
    Trigger,
    Waiver,
)
from certificates import service as certificates
from certificates.files import record_file
from certificates.models import REASON_ZH, CertificateStatus, RevocationReason
from registry import grades
from registry.accounts import service as accounts
from registry.accounts.models import AccountIn, UserCreate
from registry.actor import Actor, Role
from registry.audit.service import list_events
from registry.bodies.models import BODY_STATUS_WORDS
from registry.bodies.service import get_body
from registry.clock import today, utcnow
from registry.errors import DomainError, NotFound
from registry.filings import service as filings
from registry.filings.models import FILING_STATUS_WORDS, FilingCreate, FilingIn, FilingStatus, ScopeLineIn
from registry.filings.rules import METHOD_ZH, EvaluationMethod
from registry.grades import GradeCode
from registry.jobs import service as jobs
from registry.jobs.models import JobKind
from registry.people.models import PersonCreate
from registry.people.service import register_person
from registry.settings import Settings
from registry.tabular import Row, read_table

router = APIRouter(prefix="/console/body", include_in_schema=False)
BodyAdmin = Annotated[Actor, Depends(require_page_role(Role.BODY_ADMIN))]
GRADES = [(g.code.value, g.name_zh, g.name_en) for g in grades.LADDER]
METHODS = [(m.value, METHOD_ZH[m]) for m in EvaluationMethod]
BATCH_STEPS = {"open", "finalize", "publish", "close"}
CERTIFICATE_ACTIONS = ("suspend", "reinstate", "revoke", "reissue")


@pass_context
def grade_name(context: Context, code: Any) -> str:
    """A grade's name in the page's language (高级工 / Senior worker)."""
    info = grades.info(code)
    return info.name_en if context.get("lang") == "en" else info.name_zh


# Statuses as words (Chinese; English with ?lang=en), by kind: a filing's effective status (expired included),
# a batch's, the body's standing.
STATUS_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "filing": FILING_STATUS_WORDS,
    "batch": {s.value: (SESSION_STATUS_ZH[s], SESSION_STATUS_EN[s]) for s in SessionStatus},
    "body": {s.value: words for s, words in BODY_STATUS_WORDS.items()},
    "card": {s.value: (ASSESSOR_STATUS_ZH[s], s.value) for s in AssessorStatus},
    "recognition": {
        "submitted": ("待决定", "awaiting decision"),
        "approved": ("已批准", "approved"),
        "rejected": ("未批准", "rejected"),
    },
}


@pass_context
def status_name(context: Context, kind: str, value: Any) -> str:
    """A status in the page's language: status_name("filing", f.effective_status) → 已过期 / expired."""
    code = str(getattr(value, "value", value))
    zh, en = STATUS_WORDS[kind].get(code, (code, code))
    return en if context.get("lang") == "en" else zh


TEMPLATES.env.filters["grade_name"] = grade_name
TEMPLATES.env.globals["status_name"] = status_name

for _href, _zh, _en in (
    ("/console/body/home", "机构概览", "Overview"),
    ("/console/body/filings", "备案", "Filings"),
    ("/console/body/batches", "考务批次", "Exam batches"),
    ("/console/body/recognitions", "直接认定", "Recognitions"),
    ("/console/body/certificates", "证书", "Certificates"),
    ("/console/body/staff", "人员与证卡", "Staff & cards"),
):
    register_nav(Role.BODY_ADMIN, _href, _zh, _en)


# ---------------------------------------------------------------------------------------------- helpers


async def _posted(request: Request, _: CsrfForm) -> FormData:
    """The submitted form, once its CSRF token has been checked."""
    return await request.form()


Posted = Annotated[FormData, Depends(_posted)]


def _body(actor: Actor) -> uuid.UUID:
    assert actor.body_id is not None  # reach: a body admin always names a body (check constraint)
    return actor.body_id


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


MISSING: Message = ("没有这条记录，或它不属于本机构", "no such record, or it is not one of this body's")


def _missing(request: Request) -> Response:
    """Another body's record, or none: the error page, as the API's 404 (the same for both)."""
    del request
    raise PageRefused(404, *MISSING)


def _action(
    session: Session, field: str, status_code: int | None = 400, **options: Any
) -> AbstractContextManager[None]:
    """A form's action for the body's own records (form_action; another body's record is "not found")."""
    return form_action(session, field=field, status_code=status_code, missing=MISSING, **options)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _many(form: FormData, name: str) -> list[str]:
    return [v for v in form.getlist(name) if isinstance(v, str) and v]


def _history(session: Session, actor: Actor, entity_type: str, entity_id: uuid.UUID) -> list[Any]:
    return list(
        reversed(list_events(session, actor=actor, entity_type=entity_type, entity_id=str(entity_id), limit=100))
    )


def _page(
    request: Request,
    name: str,
    actor: Actor,
    context: Mapping[str, Any],
    status_code: int = 200,
    refused: FormRefused | None = None,
) -> Response:
    return render(
        request,
        f"console/body/{name}",
        {
            "grades": GRADES,
            "methods": METHODS,
            "body_id": actor.body_id,
            "section": name.split("_", maxsplit=1)[0].split(".", maxsplit=1)[0].rstrip("s"),
            **context,
        },
        status_code=status_code,
        refused=refused,
    )


# ---------------------------------------------------------------------------------------------- home


@router.get("")
def start(actor: BodyAdmin) -> Response:
    """The body admin's start: the overview."""
    del actor
    return _see_other("/console/body/home")


@router.get("/home")
def home(request: Request, session: SessionDep, settings: SettingsDep, actor: BodyAdmin) -> Response:
    """The body's overview: its standing, filings and batches by status, what waits for the admin."""
    body = get_body(session, actor=actor, body_id=_body(actor))
    body_filings = [
        filings.filing_view(session, filing=f, settings=settings) for f in filings.list_filings(session, actor=actor)
    ]
    body_batches = batches.list_batches(session, actor=actor)
    waiting = [b for b in body_batches if b.status not in {SessionStatus.CLOSED, SessionStatus.CANCELLED}]
    return _page(
        request,
        "home.html",
        actor,
        {"body": body, "filings": body_filings, "batches": waiting[:10], "today": today()},
    )


# ---------------------------------------------------------------------------------------------- filings


def _line_from(form: FormData, prefix: str = "") -> dict[str, Any]:
    return {
        "occupation_code": _text(form, f"{prefix}occupation_code"),
        "work_type": _text(form, f"{prefix}work_type"),
        "max_grade": _text(form, f"{prefix}max_grade"),
        "methods": _many(form, f"{prefix}methods"),
        "post_norm_ref": _text(form, f"{prefix}post_norm_ref"),
        "direct_recognition": _text(form, f"{prefix}direct_recognition") == "on",
    }


def _programme_from(form: FormData) -> dict[str, Any]:
    return {"ceiling": _text(form, "ceiling"), "starts_on": _text(form, "starts_on"), "ends_on": _text(form, "ends_on")}


def _lines_of(session: Session, filing_id: uuid.UUID) -> list[dict[str, Any]]:
    return [
        {
            "occupation_code": line.occupation_code,
            "work_type": line.work_type,
            "max_grade": line.max_grade,
            "methods": list(line.methods),
            "post_norm_ref": line.post_norm_ref,
            "post_grades": list(line.post_grades),
            "direct_recognition": line.direct_recognition,
        }
        for line in filings.filing_lines(session, filing_id)
    ]


@router.get("/filings")
def filing_list(request: Request, session: SessionDep, settings: SettingsDep, actor: BodyAdmin) -> Response:
    """The body's filings with their status."""
    rows = [
        filings.filing_view(session, filing=f, settings=settings) for f in filings.list_filings(session, actor=actor)
    ]
    return _page(request, "filings.html", actor, {"filings": rows})


@router.get("/filings/new")
def filing_new(request: Request, actor: BodyAdmin) -> Response:
    """The form of a new draft: the programme and its first scope line."""
    start = today()
    values = {
        "ceiling": "senior",
        "starts_on": start.isoformat(),
        "ends_on": start.replace(year=start.year + 3).isoformat(),
        "methods": ["theory_exam", "skill_operation"],
    }
    return _page(request, "filing_new.html", actor, {"values": values, "errors": {}})


@router.post("/filings")
def filing_create(request: Request, session: SessionDep, actor: BodyAdmin, form: Posted) -> Response:
    """Create a draft for the body; a bad value is shown next to its field and nothing is stored."""
    values = {**_programme_from(form), **_line_from(form)}
    try:
        with _action(session, "occupation_code"):
            data = FilingCreate.model_validate(
                {**_programme_from(form), "body_id": _body(actor), "lines": [_line_from(form)]}
            )
            filing = filings.create_filing(session, actor=actor, data=data)
    except FormRefused as refused:
        return _page(request, "filing_new.html", actor, {"values": values}, refused=refused)
    return _see_other(f"/console/body/filings/{filing.id}")


def _filing_page(
    request: Request,
    session: Session,
    settings: Settings,
    actor: Actor,
    filing_id: uuid.UUID,
    *,
    refused: FormRefused | None = None,
    values: Mapping[str, Any] | None = None,
    editing: int | None = None,
) -> Response:
    try:
        filing = filings.get_filing(session, actor=actor, filing_id=filing_id)
    except NotFound:
        return _missing(request)
    view = filings.filing_view(session, filing=filing, settings=settings)
    return _page(
        request,
        "filing.html",
        actor,
        {
            "filing": view,
            "editable": filing.status == FilingStatus.DRAFT,
            "history": _history(session, actor, "filing", filing.id),
            "values": values or {"methods": ["theory_exam", "skill_operation"]},
            "editing": editing,
        },
        refused=refused,
    )


@router.get("/filings/{filing_id}")
def filing_detail(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: BodyAdmin,
    filing_id: uuid.UUID,
    edit: int | None = None,
) -> Response:
    """A filing: programme, scope lines (editable while a draft), the rule report with citations, history."""
    return _filing_page(request, session, settings, actor, filing_id, editing=edit)


def _replace_lines(
    request: Request,
    session: Session,
    settings: Settings,
    actor: Actor,
    filing_id: uuid.UUID,
    change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    *,
    programme: dict[str, Any] | None = None,
    line: Mapping[str, Any] | None = None,
    values: Mapping[str, Any] | None = None,
    prefix: str = "",
    editing: int | None = None,
) -> Response:
    """Apply change to the draft's lines (or its programme) through update_filing, the API's one edit.

    A typed line is checked on its own first, so its problems show next to its fields (prefixed)."""
    try:
        filing = filings.get_filing(session, actor=actor, filing_id=filing_id)
    except NotFound:
        return _missing(request)
    current = {"ceiling": filing.ceiling, "starts_on": filing.starts_on, "ends_on": filing.ends_on}
    try:
        with _action(session, "occupation_code", prefix=prefix):
            if line is not None:
                ScopeLineIn.model_validate(line)  # the typed line's own problems, by its fields' names
            data = FilingIn.model_validate(
                {**current, **(programme or {}), "lines": change(_lines_of(session, filing.id))}
            )
            filings.update_filing(session, actor=actor, filing_id=filing.id, data=data)
    except FormRefused as refused:
        return _filing_page(
            request, session, settings, actor, filing_id, refused=refused, values=values, editing=editing
        )
    return _see_other(f"/console/body/filings/{filing_id}#lines")


@router.post("/filings/{filing_id}/programme")
def filing_programme(
    request: Request, session: SessionDep, settings: SettingsDep, actor: BodyAdmin, form: Posted, filing_id: uuid.UUID
) -> Response:
    """Change a draft's ceiling and validity window."""
    programme = _programme_from(form)
    return _replace_lines(
        request, session, settings, actor, filing_id, lambda lines: lines, programme=programme, values=programme
    )


@router.post("/filings/{filing_id}/lines")
def filing_add_line(
    request: Request, session: SessionDep, settings: SettingsDep, actor: BodyAdmin, form: Posted, filing_id: uuid.UUID
) -> Response:
    """Add a scope line to a draft."""
    line = _line_from(form)
    return _replace_lines(
        request, session, settings, actor, filing_id, lambda lines: [*lines, line], line=line, values=line
    )


@router.post("/filings/{filing_id}/lines/{position}")
def filing_edit_line(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: BodyAdmin,
    form: Posted,
    filing_id: uuid.UUID,
    position: int,
) -> Response:
    """Change one scope line of a draft."""
    prefix = "edit_"
    line = _line_from(form, prefix)

    def change(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not 0 <= position < len(lines):
            return lines
        return [{**old, **line} if i == position else old for i, old in enumerate(lines)]

    return _replace_lines(
        request,
        session,
        settings,
        actor,
        filing_id,
        change,
        line=line,
        values={prefix + k: v for k, v in line.items()},
        prefix=prefix,
        editing=position,
    )


@router.post("/filings/{filing_id}/lines/{position}/delete")
def filing_delete_line(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: BodyAdmin,
    form: Posted,
    filing_id: uuid.UUID,
    position: int,
) -> Response:
    """Remove one scope line of a draft (a filing keeps at least one)."""
    del form
    return _replace_lines(
        request, session, settings, actor, filing_id, lambda lines: [x for i, x in enumerate(lines) if i != position]
    )


@router.post("/filings/{filing_id}/submit")
def filing_submit(
    request: Request, session: SessionDep, settings: SettingsDep, actor: BodyAdmin, form: Posted, filing_id: uuid.UUID
) -> Response:
    """Submit a draft: the filing rules run; a refusal shows every failed rule with its citation."""
    del form
    try:
        with _action(session, "submit", 409):
            filings.submit_filing(session, actor=actor, filing_id=filing_id, settings=settings)
    except FormRefused as refused:
        return _filing_page(request, session, settings, actor, filing_id, refused=refused)
    return _see_other(f"/console/body/filings/{filing_id}#report")


# ---------------------------------------------------------------------------------------------- staff & cards


def _staff_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    refused: FormRefused | None = None,
    values: Mapping[str, Any] | None = None,
) -> Response:
    body_id = _body(actor)
    cards = assessors.cards_of_body(session, actor=actor, body_id=body_id)
    return _page(
        request,
        "staff.html",
        actor,
        {
            "admins": accounts.body_admins(session, actor=actor, body_id=body_id),
            "cards": [assessors.assessor_view(session, card) for card in cards],
            "logins": assessors.card_accounts(session, actor=actor, body_id=body_id),
            "values": values or {},
        },
        refused=refused,
    )


@router.get("/staff")
def staff(request: Request, session: SessionDep, actor: BodyAdmin) -> Response:
    """The body's admin accounts and its own assessors' cards (and their logins)."""
    return _staff_page(request, session, actor)


@router.post("/staff/accounts")
def staff_add_admin(
    request: Request, session: SessionDep, settings: SettingsDep, actor: BodyAdmin, form: Posted
) -> Response:
    """Open another admin account of the body."""
    values = {"username": _text(form, "username"), "display_name": _text(form, "display_name")}
    try:
        with _action(session, "username"):
            data = UserCreate.model_validate(
                {**values, "password": _text(form, "password"), "role": Role.BODY_ADMIN, "body_id": _body(actor)}
            )
            accounts.create_user(session, actor=actor, data=data, settings=settings)
    except FormRefused as refused:
        return _staff_page(request, session, actor, refused=refused, values=values)
    return _see_other("/console/body/staff#admins")


@router.post("/staff/cards")
def staff_add_card(
    request: Request, session: SessionDep, settings: SettingsDep, actor: BodyAdmin, form: Posted
) -> Response:
    """Issue an assessor card of the body to a person (found or registered by name and ID number)."""
    values = {
        name: _text(form, name)
        for name in ("name", "id_number", "card_number", "max_grade", "held_grade", "valid_from", "valid_to")
    }
    values["occupations"] = _text(form, "occupations")
    try:
        with _action(session, "card_number", rename={"window": "valid_to"}):
            person_data = PersonCreate.model_validate({"name": values["name"], "id_number": values["id_number"]})
            person, _ = register_person(session, actor=actor, data=person_data, settings=settings)
            data = AssessorCreate.model_validate(
                {
                    **{k: values[k] for k in ("card_number", "max_grade", "held_grade", "valid_from", "valid_to")},
                    "person_id": person.id,
                    "kind": AssessorKind.ASSESSOR,
                    "body_id": _body(actor),
                    "occupations": [c for c in values["occupations"].replace("，", ",").split(",") if c.strip()],
                }
            )
            assessors.register_assessor(session, actor=actor, data=data)
    except FormRefused as refused:
        return _staff_page(request, session, actor, refused=refused, values=values)
    return _see_other("/console/body/staff#cards")


@router.post("/staff/cards/{assessor_id}/account")
def staff_card_account(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: BodyAdmin,
    form: Posted,
    assessor_id: uuid.UUID,
) -> Response:
    """Open the login of one of the body's own assessors."""
    values = {"username": _text(form, "username"), "display_name": _text(form, "display_name")}
    try:
        with _action(session, "username", prefix=f"{assessor_id}."):
            account = AccountIn.model_validate({**values, "password": _text(form, "password")})
            assessors.open_card_account(
                session, actor=actor, assessor_id=assessor_id, account=account, settings=settings
            )
    except FormRefused as refused:
        return _staff_page(request, session, actor, refused=refused)
    return _see_other("/console/body/staff#cards")


# ---------------------------------------------------------------------------------------------- batches


def _in_scope_lines(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The occupations the body's approved, unexpired filings cover (what a batch may be planned for)."""
    day = today()
    lines = []
    for filing in filings.list_filings(session, actor=actor, status=FilingStatus.APPROVED):
        if filing.in_force_on(day) or filing.starts_on > day:
            for line in filings.filing_lines(session, filing.id):
                lines.append(
                    {"occupation_code": line.occupation_code, "work_type": line.work_type, "max": line.max_grade}
                )
    return lines


def _batch_form(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    values: Mapping[str, Any],
    refused: FormRefused | None = None,
) -> Response:
    return _page(
        request,
        "batch_new.html",
        actor,
        {
            "values": values,
            "scope": _in_scope_lines(session, actor),
            "assessors": [
                assessors.assessor_view(session, a)
                for a in assessors.list_assessors(session, kind=AssessorKind.ASSESSOR)
            ],
            "supervisors": [
                assessors.assessor_view(session, a)
                for a in assessors.list_assessors(session, kind=AssessorKind.SUPERVISOR)
            ],
        },
        refused=refused,
    )


@router.get("/batches")
def batch_list(request: Request, session: SessionDep, actor: BodyAdmin) -> Response:
    """The body's exam batches with their status."""
    rows = [batches.batch_view(session, b) for b in batches.list_batches(session, actor=actor)]
    return _page(request, "batches.html", actor, {"batches": rows})


@router.get("/batches/new")
def batch_new(request: Request, session: SessionDep, actor: BodyAdmin) -> Response:
    """Plan a batch: occupation in scope, grade, day, venue, assessors and the supervisor."""
    exam_on = today() + dt.timedelta(days=14)
    return _batch_form(request, session, actor, values={"exam_on": exam_on.isoformat(), "grade": "junior"})


@router.post("/batches")
def batch_create(
    request: Request, session: SessionDep, settings: SettingsDep, actor: BodyAdmin, form: Posted
) -> Response:
    """Create the batch; a refusal (scope, staff, components) is shown next to its field."""
    occupation, _, work_type = _text(form, "scope").partition("|")
    values: dict[str, Any] = {
        "scope": _text(form, "scope"),
        "grade": _text(form, "grade"),
        "exam_on": _text(form, "exam_on"),
        "venue": _text(form, "venue"),
        "assessor_ids": _many(form, "assessor_ids"),
        "supervisor_id": _text(form, "supervisor_id"),
        "recusal_same_employer": _text(form, "recusal_same_employer") == "on",
    }
    try:
        with _action(session, "scope", rename={"occupation_code": "scope", "work_type": "scope"}):
            data = SessionCreate.model_validate(
                {
                    **{k: v for k, v in values.items() if k != "scope"},
                    "occupation_code": occupation,
                    "work_type": work_type,
                    "body_id": _body(actor),
                    "supervisor_id": values["supervisor_id"] or None,
                }
            )
            exam = batches.create_batch(session, actor=actor, data=data, settings=settings)
    except FormRefused as refused:
        if refused.error is not None and any(k.startswith("assessor") for k in refused.error.extra):
            refused.errors = {"assessor_ids": next(iter(refused.errors.values()))}  # a staffing refusal
        return _batch_form(request, session, actor, values=values, refused=refused)
    return _see_other(f"/console/body/batches/{exam.id}")


def _next_step(session: Session, exam: Any, view: Any) -> dict[str, Any]:
    """What the batch waits for, and who does it (zh, en)."""
    status = exam.status
    if status == SessionStatus.PLANNED:
        if view.candidates == 0:
            return {"zh": "上传考生名单，然后开考", "en": "upload the candidates, then open the batch", "step": "open"}
        return {"zh": "开考后考评员即可录入分数", "en": "open the batch so the assessors can score", "step": "open"}
    if status == SessionStatus.OPEN:
        missing = batches.missing_scores(session, exam)
        if view.candidates == 0:
            return {"zh": "批次还没有考生", "en": "the batch has no candidates yet", "step": None}
        if missing:
            return {
                "zh": f"尚有 {len(missing)} 项分数未录入（考评员录入，或上传成绩表）",
                "en": f"{len(missing)} scores are missing (assessors enter them, or upload the results table)",
                "step": None,
                "missing": missing[:50],
            }
        return {
            "zh": "分数已齐全，等待质量督导员签署",
            "en": "scoring is complete: waiting for the quality supervisor's attestation",
            "step": None,
        }
    if status == SessionStatus.SCORED:
        return {
            "zh": "督导员已签署，可以定稿（计算成绩并锁定分数）",
            "en": "attested: finalize (results, scores locked)",
            "step": "finalize",
        }
    if status == SessionStatus.FINALIZED:
        return {"zh": "已定稿，可以发布公示", "en": "finalized: publish the results (公示)", "step": "publish"}
    if status == SessionStatus.PUBLISHED:
        ends = exam.publicity_ends_at
        if ends is not None and utcnow() < ends:
            return {
                "zh": "公示中：公示期结束且异议处理完毕后才能结束批次",
                "en": "in publicity: the batch can be closed once the period is over and objections are decided",
                "step": None,
                "until": ends,
            }
        return {
            "zh": "公示期结束且异议处理完毕后可以结束批次（合格者获得等级）",
            "en": "close once the publicity period is over and objections are decided (passing candidates are awarded)",
            "step": "close",
            "until": ends,
        }
    if status == SessionStatus.CLOSED:
        return {"zh": "批次已结束，可为获证者发证", "en": "closed: issue the certificates", "step": "issue"}
    return {"zh": "批次已取消", "en": "the batch was cancelled", "step": None}


def _batch_page(
    request: Request,
    session: Session,
    settings: Settings,
    actor: Actor,
    batch_id: uuid.UUID,
    *,
    refused: FormRefused | None = None,
    upload: Mapping[str, Any] | None = None,
    notice: Message | None = None,
) -> Response:
    try:
        exam = batches.get_batch(session, actor=actor, batch_id=batch_id)
    except NotFound:
        return _missing(request)
    view = batches.batch_view(session, exam)
    cards = {a.id: a.card_number for a in (assessors.get_assessor(session, i) for i in view.assessor_ids)}
    return _page(
        request,
        "batch.html",
        actor,
        {
            "batch": view,
            "next": _next_step(session, exam, view),
            "candidates": batches.candidate_views(session, actor=actor, exam=exam),
            "cards": cards,
            "history": [e for e in _history(session, actor, "session", exam.id) if e.action.startswith("session.")],
            "upload": upload,
            "notice": notice,
            "enrol_columns": (batches.ENROL_COLUMNS, batches.ENROL_OPTIONAL),
            "result_columns": (RESULT_COLUMNS, RESULT_OPTIONAL),
            "threshold": settings.jobs_threshold,
        },
        refused=refused,
    )


@router.get("/batches/{batch_id}")
def batch_detail(
    request: Request, session: SessionDep, settings: SettingsDep, actor: BodyAdmin, batch_id: uuid.UUID
) -> Response:
    """A batch: its lifecycle and what blocks the next step, candidates with results, uploads, history."""
    return _batch_page(request, session, settings, actor, batch_id)


def _upload_rows(rows: Sequence[Row], error: DomainError) -> list[dict[str, Any]]:
    """Each uploaded row with the messages that refused it (shown next to the row)."""
    by_line: dict[int, list[dict[str, Any]]] = {}
    for problem in error.extra.get("errors", []):
        by_line.setdefault(int(problem["line"]), []).append(problem)
    return [{"line": row.line, "values": row.values, "errors": by_line.get(row.line, [])} for row in rows]


@router.post("/batches/{batch_id}/upload/{kind}")
def batch_upload(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    settings: SettingsDep,
    actor: BodyAdmin,
    form: Posted,
    batch_id: uuid.UUID,
    kind: Literal["candidates", "results"],
) -> Response:
    """Upload candidates (enrolment) or results (candidates and every assessor's scores), CSV or Excel.

    All or nothing: a bad row refuses the file and every row is shown with its message. A file of more than
    REGISTRY_JOBS_THRESHOLD rows runs as a job whose progress the job page shows.
    """
    try:
        batches.get_batch(session, actor=actor, batch_id=batch_id)
    except NotFound:
        return _missing(request)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        chosen = FormRefused(
            {f"{kind}_file": ("请选择要上传的 .csv 或 .xlsx 文件", "choose a .csv or .xlsx file to upload")}
        )
        return _batch_page(request, session, settings, actor, batch_id, refused=chosen)
    required, optional = (
        (batches.ENROL_COLUMNS, batches.ENROL_OPTIONAL) if kind == "candidates" else (RESULT_COLUMNS, RESULT_OPTIONAL)
    )
    rows: list[Row] = []
    try:
        with session.begin_nested():  # a refusal undoes only this action's writes
            data, name = read_upload(upload, settings)
            rows = read_table(data, filename=name, required=required, optional=optional)
            if len(rows) > settings.jobs_threshold:

                def keep_upload(job_id: uuid.UUID) -> None:
                    target = job_file(settings, job_id, ".upload")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)

                answer = queue_job(
                    request,
                    session,
                    background,
                    actor=actor,
                    kind=JobKind.ENROL_CANDIDATES if kind == "candidates" else JobKind.IMPORT_RESULTS,
                    params={"batch_id": str(batch_id), "filename": name, "rows": len(rows)},
                    total=len(rows),
                    idempotency_key=None,
                    settings=settings,
                    before_submit=keep_upload,
                )
                return _see_other(answer.headers["Location"].replace("/api/v1/jobs/", "/console/body/jobs/"))
            if kind == "candidates":
                created = batches.enrol_rows(session, actor=actor, batch_id=batch_id, rows=rows, settings=settings)
                notice = (
                    f"已报名 {len(created)} 名考生（共 {len(rows)} 行）",
                    f"{len(created)} candidates enrolled from {len(rows)} rows",
                )
            else:
                summary = import_results(session, actor=actor, batch_id=batch_id, rows=rows, settings=settings)
                notice = (
                    f"已导入 {summary.scores} 项分数，新报名 {summary.enrolled} 名考生（共 {summary.rows} 行）",
                    f"{summary.scores} scores recorded, {summary.enrolled} candidates enrolled "
                    f"from {summary.rows} rows",
                )
    except DomainError as error:
        shown: dict[str, Any] = {"kind": kind, "filename": upload.filename, "message": (error.zh, error.en)}
        if rows:
            shown |= {"columns": list(rows[0].values), "rows": _upload_rows(rows, error)}
        elif error.extra.get("errors"):
            shown |= {"problems": error.extra["errors"]}
        named = {} if "rows" in shown or "problems" in shown else {f"{kind}_file": (error.zh, error.en)}
        refused = FormRefused(named, rules=rules_of(error), error=error)
        return _batch_page(request, session, settings, actor, batch_id, refused=refused, upload=shown)
    return _batch_page(request, session, settings, actor, batch_id, notice=notice)


@router.post("/batches/{batch_id}/step/{step}")
def batch_step(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: BodyAdmin,
    form: Posted,
    batch_id: uuid.UUID,
    step: Literal["open", "finalize", "publish", "close", "issue"],
) -> Response:
    """Move the batch on: open, finalize, publish (公示), close; or issue the certificates of a closed batch."""
    del form
    try:
        with _action(session, "step", 409):
            if step == "open":
                batches.open_batch(session, actor=actor, batch_id=batch_id)
            elif step == "finalize":
                batches.finalize_batch(session, actor=actor, batch_id=batch_id)
            elif step == "publish":
                batches.publish_batch(session, actor=actor, batch_id=batch_id, settings=settings)
            elif step == "close":
                batches.close_batch(session, actor=actor, batch_id=batch_id)
            else:
                award_ids = batches.award_ids_of_batch(session, actor=actor, batch_id=batch_id)
                certificates.issue_certificates(session, actor=actor, award_ids=award_ids, settings=settings)
    except FormRefused as refused:
        return _batch_page(request, session, settings, actor, batch_id, refused=refused)
    return _see_other(f"/console/body/batches/{batch_id}")


@router.post("/batches/{batch_id}/cancel")
def batch_cancel(
    request: Request, session: SessionDep, settings: SettingsDep, actor: BodyAdmin, form: Posted, batch_id: uuid.UUID
) -> Response:
    """Cancel a batch before attestation; the reason is required."""
    reason = _text(form, "reason")
    try:
        with _action(session, "reason", 409):
            if len(reason) < 2:
                raise FormRefused({"reason": ("请填写取消原因", "give the reason")})
            batches.cancel_batch(session, actor=actor, batch_id=batch_id, reason=reason)
    except FormRefused as refused:
        return _batch_page(request, session, settings, actor, batch_id, refused=refused)
    return _see_other(f"/console/body/batches/{batch_id}")


# ---------------------------------------------------------------------------------------------- recognitions


@router.get("/recognitions")
def recognition_list(request: Request, session: SessionDep, actor: BodyAdmin) -> Response:
    """The body's direct-recognition applications and their decisions."""
    rows = [recognitions.recognition_view(r) for r in recognitions.list_recognitions(session, actor=actor)]
    return _page(request, "recognitions.html", actor, {"recognitions": rows, "paths": [p.value for p in Path]})


def _recognition_form(
    request: Request,
    actor: Actor,
    *,
    values: Mapping[str, Any],
    refused: FormRefused | None = None,
) -> Response:
    return _page(
        request,
        "recognition_new.html",
        actor,
        {
            "values": values,
            "paths": [p.value for p in Path],
            "triggers": [(t.value, TRIGGER_ZH[t]) for t in Trigger],
            "waivers": [w.value for w in Waiver],
        },
        refused=refused,
    )


@router.get("/recognitions/new")
def recognition_new(request: Request, actor: BodyAdmin) -> Response:
    """The application form: the worker, occupation and grade, path, triggers, waivers, evidence."""
    return _recognition_form(request, actor, values={"path": "DR-E", "target_grade": "senior", "triggers": ["T6"]})


@router.post("/recognitions")
def recognition_apply(
    request: Request, session: SessionDep, settings: SettingsDep, actor: BodyAdmin, form: Posted
) -> Response:
    """Apply: the rules decide at once and cite the clause; a refusal stores nothing and shows every rule."""
    values: dict[str, Any] = {
        name: _text(form, name)
        for name in (
            "name",
            "id_number",
            "occupation_code",
            "work_type",
            "target_grade",
            "path",
            "evidence_kind",
            "evidence_ref",
            "evidence_description",
            "justification",
        )
    }
    values["triggers"] = _many(form, "triggers")
    values["waived"] = _many(form, "waived")
    try:
        # A rule refusal is a 409 with every rule; other refusals answer with their own status (api.errors).
        with _action(session, "path", None):
            person_data = PersonCreate.model_validate({"name": values["name"], "id_number": values["id_number"]})
            person, _ = register_person(session, actor=actor, data=person_data, settings=settings)
            evidence = []
            if values["evidence_ref"] or values["evidence_kind"]:
                evidence.append(
                    Evidence.model_validate(
                        {
                            "kind": values["evidence_kind"],
                            "ref": values["evidence_ref"],
                            "description": values["evidence_description"],
                        }
                    )
                )
            justification = values["justification"]
            data = RecognitionIn.model_validate(
                {
                    "body_id": _body(actor),
                    "person_id": person.id,
                    "occupation_code": values["occupation_code"],
                    "work_type": values["work_type"],
                    "target_grade": values["target_grade"],
                    "path": values["path"],
                    "triggers": values["triggers"],
                    "waived": values["waived"],
                    "justifications": dict.fromkeys(values["waived"], justification) if justification else {},
                    "evidence": evidence,
                }
            )
            recognition = recognitions.apply_for_recognition(session, actor=actor, data=data, settings=settings)
    except FormRefused as refused:
        return _recognition_form(request, actor, values=values, refused=refused)
    return _see_other(f"/console/body/recognitions/{recognition.id}")


def _recognition_page(
    request: Request,
    session: Session,
    actor: Actor,
    recognition_id: uuid.UUID,
    *,
    refused: FormRefused | None = None,
) -> Response:
    try:
        recognition = recognitions.get_recognition(session, actor=actor, recognition_id=recognition_id)
    except NotFound:
        return _missing(request)
    return _page(
        request,
        "recognition.html",
        actor,
        {
            "recognition": recognitions.recognition_view(recognition),
            "history": _history(session, actor, "recognition", recognition.id),
            "trigger_zh": {t.value: TRIGGER_ZH[t] for t in Trigger},
        },
        refused=refused,
    )


@router.get("/recognitions/{recognition_id}")
def recognition_detail(request: Request, session: SessionDep, actor: BodyAdmin, recognition_id: uuid.UUID) -> Response:
    """An application with its rule report (each rule's provenance and citation) and the decision."""
    return _recognition_page(request, session, actor, recognition_id)


@router.post("/recognitions/{recognition_id}/decision")
def recognition_decide(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: BodyAdmin,
    form: Posted,
    recognition_id: uuid.UUID,
) -> Response:
    """Approve (the grade award is created) or reject an application, with the note required."""
    note = _text(form, "note")
    try:
        with _action(session, "note", 409):
            if len(note) < 2:
                raise FormRefused({"note": ("请填写决定说明", "give the note of the decision")})
            recognitions.decide_recognition(
                session,
                actor=actor,
                recognition_id=recognition_id,
                approve=_text(form, "approve") == "yes",
                note=note,
                settings=settings,
            )
    except FormRefused as refused:
        return _recognition_page(request, session, actor, recognition_id, refused=refused)
    return _see_other(f"/console/body/recognitions/{recognition_id}")


# ---------------------------------------------------------------------------------------------- certificates


@router.get("/certificates")
def certificate_search(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: BodyAdmin,
    number: str = "",
    status_code: Annotated[str, Query(alias="status", max_length=16)] = "",
    occupation_code: Annotated[str, Query(max_length=16)] = "",
    grade_code: Annotated[str, Query(alias="grade", max_length=32)] = "",
    after: Annotated[str | None, Query(max_length=32)] = None,
) -> Response:
    """Find the body's certificates by number, or list them by status, occupation and grade (200 a page).

    The search form sends empty fields for "all"; an unknown value is ignored like an empty one.
    """
    number = number.strip().upper()[:32]
    status = _member(CertificateStatus, status_code)
    grade = _member(GradeCode, grade_code)
    if number:
        try:
            certificates.get_certificate(session, actor=actor, number=number)
        except NotFound:
            pass
        else:
            return _see_other(f"/console/body/certificates/{number}")
    rows = certificates.list_certificates(
        session,
        actor=actor,
        status=status,
        occupation_code=occupation_code.strip() or None,
        grade=grade,
        after=after,
    )
    views = certificates.certificate_views(session, actor=actor, certificates=rows, settings=settings)
    query = {
        "number": number,
        "status": status.value if status else "",
        "occupation_code": occupation_code.strip(),
        "grade": grade.value if grade else "",
    }
    total = certificates.count_certificates(
        session, actor=actor, status=status, occupation_code=query["occupation_code"] or None, grade=grade
    )
    return _page(
        request,
        "certificates.html",
        actor,
        {
            "certificates": views,
            "query": query,
            "total": total,
            "not_found": bool(number),
            "next_after": views[-1].number if len(views) == 200 else None,
            "statuses": [(s.value, z) for s, z in ((s, certificates_status_zh(s)) for s in CertificateStatus)],
        },
    )


def _member(kind: Any, value: str) -> Any:
    """The enum member value names, or None (empty or unknown)."""
    try:
        return kind(value) if value else None
    except ValueError:
        return None


def certificates_status_zh(status: CertificateStatus) -> str:
    """The status as the pages name it."""
    from certificates.models import STATUS_ZH

    return STATUS_ZH[status]


@router.post("/certificates/export")
def certificate_export(
    request: Request,
    background: BackgroundTasks,
    session: SessionDep,
    settings: SettingsDep,
    actor: BodyAdmin,
    form: Posted,
) -> Response:
    """Export the body's certificates (as filtered) as one ZIP of PDFs + manifest, in a background job."""
    status = _text(form, "status") or None
    occupation_code = _text(form, "occupation_code") or None
    grade = _text(form, "grade") or None
    try:
        status_value = CertificateStatus(status) if status else None
        grade_value = GradeCode(grade) if grade else None
    except ValueError:
        return _see_other("/console/body/certificates")
    total = certificates.count_certificates(
        session, actor=actor, status=status_value, occupation_code=occupation_code, grade=grade_value
    )
    answer = queue_job(
        request,
        session,
        background,
        actor=actor,
        kind=JobKind.EXPORT_CERTIFICATES,
        params={"body_id": str(_body(actor)), "status": status, "occupation_code": occupation_code, "grade": grade},
        total=total,
        idempotency_key=None,
        settings=settings,
    )
    return _see_other(answer.headers["Location"].replace("/api/v1/jobs/", "/console/body/jobs/"))


@router.get("/jobs/{job_id}")
def job_page(request: Request, session: SessionDep, actor: BodyAdmin, job_id: uuid.UUID) -> Response:
    """A job the admin started: progress (polled), its outcome, its file or the rows that refused it."""
    try:
        job = jobs.get_job(session, actor=actor, job_id=job_id)
    except NotFound:
        return _missing(request)
    view = job_view(job)  # with the console's download link (/console/jobs/{id}/file) once it has a file
    back = "/console/body/certificates"
    if job.kind in {JobKind.ENROL_CANDIDATES, JobKind.IMPORT_RESULTS}:
        back = f"/console/body/batches/{job.params.get('batch_id')}"
    return _page(
        request,
        "job.html",
        actor,
        {
            "job": view,
            "job_id": job.id,
            "back": back,
        },
    )


def _certificate_page(
    request: Request,
    session: Session,
    settings: Settings,
    actor: Actor,
    number: str,
    *,
    refused: FormRefused | None = None,
    values: Mapping[str, Any] | None = None,
) -> Response:
    try:
        certificate = certificates.get_certificate(session, actor=actor, number=number)
    except NotFound:
        return _missing(request)
    return _page(
        request,
        "certificate.html",
        actor,
        {
            "certificate": certificates.certificate_view(
                session, actor=actor, certificate=certificate, settings=settings
            ),
            "history": _history(session, actor, "certificate", certificate.id),
            "values": values or {},
            "reasons": [(r.value, REASON_ZH[r]) for r in RevocationReason],
            "reason_zh": {r.value: REASON_ZH[r] for r in RevocationReason},
        },
        refused=refused,
    )


@router.get("/certificates/{number}")
def certificate_detail(
    request: Request, session: SessionDep, settings: SettingsDep, actor: BodyAdmin, number: str
) -> Response:
    """A certificate: holder, grade, status and its history; PDF; suspend, reinstate, revoke, reissue."""
    return _certificate_page(request, session, settings, actor, number)


@router.get("/certificates/{number}/pdf")
def certificate_pdf(
    request: Request, session: SessionDep, settings: SettingsDep, actor: BodyAdmin, number: str
) -> Response:
    """The current print as PDF (a revoked or suspended one carries the watermark)."""
    try:
        certificate = certificates.get_certificate(session, actor=actor, number=number)
    except NotFound:
        return _missing(request)
    pdf = certificates.render_pdf(session, certificate, settings)
    record_file(session, certificate, pdf)  # so the file can be recognised later (POST /api/v1/verify/pdf)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{certificate.number}.pdf"'},
    )


@router.post("/certificates/{number}/{action}")
def certificate_action(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: BodyAdmin,
    form: Posted,
    number: str,
    action: Literal["suspend", "reinstate", "revoke", "reissue"],
) -> Response:
    """Suspend, reinstate, revoke (final, with a reason code) or reissue; the written reason is required."""
    note = _text(form, f"{action}_note")
    reason = _text(form, "reason")
    values = {f"{action}_note": note, "reason": reason}
    errors: Errors = {}
    if len(note) < 2:
        errors[f"{action}_note"] = ("请填写原因（至少 2 个字）", "give the reason (at least 2 characters)")
    if action == "revoke" and reason not in {r.value for r in RevocationReason}:
        errors["reason"] = ("请选择撤销原因", "choose the reason for revoking")
    try:
        with _action(session, f"{action}_note", 409):
            if errors:
                raise FormRefused(errors)
            if action == "reissue":
                certificates.reissue(session, actor=actor, number=number, note=note, settings=settings)
            else:
                target = {
                    "suspend": CertificateStatus.SUSPENDED,
                    "reinstate": CertificateStatus.VALID,
                    "revoke": CertificateStatus.REVOKED,
                }[action]
                certificates.set_status(
                    session,
                    actor=actor,
                    number=number,
                    target=target,
                    note=note,
                    reason=RevocationReason(reason) if action == "revoke" else None,
                )
    except FormRefused as refused:
        return _certificate_page(request, session, settings, actor, number, refused=refused, values=values)
    return _see_other(f"/console/body/certificates/{number.strip().upper()}")
