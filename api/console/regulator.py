"""The regulator's console (人社部门): filing review, bodies and site codes, assessor cards, statistics with
charts, anomaly flags with drill-down, spot checks and findings, sanctions with a dry run, and the audit log.

Every page calls the same services as the JSON API (registry.*, regulator.*), so a page can refuse nothing the
API would allow and allow nothing it would refuse. Forms post back here and act through the console's
`form_action`: a refusal re-renders the form with the message (Chinese and English) next to the field it
concerns, and a rule refusal lists each failed rule with its citation. After a change the browser is redirected
(303) to the page that shows it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlmodel import Session, col, select

from api.console.session import (
    CsrfForm,
    FormRefused,
    Message,
    PageRefused,
    form_action,
    register_nav,
    render,
    require_page_role,
    text,
    validated,
)
from api.deps import SessionDep, SessionFactoryDep, SettingsDep
from api.errors import status_for
from api.routers import regulator as regulator_api
from assessment.assessors.models import ASSESSOR_STATUS_ZH, AssessorCreate, AssessorKind, AssessorStatus
from assessment.assessors.models import KIND_ZH as CARD_KIND_ZH
from assessment.assessors.service import assessor_view, list_cards, register_assessor, set_assessor_status
from assessment.batches.models import SESSION_STATUS_ZH, Candidate, SessionStatus
from assessment.batches.service.reads import get_batch, list_batches
from assessment.batches.service.views import batch_view
from certificates.models import Certificate
from registry import grades
from registry.actor import Actor, Role
from registry.audit.models import AuditEvent
from registry.audit.service import list_events, verify_chain
from registry.bodies.models import BODY_STATUS_WORDS, KIND_ZH, BodyKind, BodyStatus, BodyUpdate, StatusChange
from registry.bodies.service import get_body, list_bodies, set_body_status, update_body
from registry.catalogue.models import Province
from registry.errors import DomainError, InvalidInput, NotFound
from registry.filings.models import FILING_STATUS_ZH, FilingDecision, FilingStatus
from registry.filings.rules import METHOD_ZH
from registry.filings.service import (
    decide_filing,
    filing_view,
    get_filing,
    list_filings,
    public_catalogue,
    set_filing_status,
)
from registry.grades import GradeCode
from registry.people.models import PersonCreate
from registry.people.service import register_person
from regulator import anomalies, exports, samples, sanctions, stats
from regulator.filters import StatsFilter
from regulator.models import (
    FINDING_ZH,
    LIFTABLE,
    SANCTION_BASIS,
    SANCTION_EN,
    SANCTION_ZH,
    FindingIn,
    LiftIn,
    Population,
    SampleIn,
    SanctionIn,
    SanctionKind,
    SanctionPlan,
    SanctionStatus,
)

PREFIX = "/console/regulator"
router = APIRouter(prefix=PREFIX, include_in_schema=False)
RegulatorPage = Annotated[Actor, Depends(require_page_role(Role.REGULATOR))]
register_nav(Role.REGULATOR, PREFIX, "监管工作台", "Regulator")
Text = Annotated[str, Form()]

# What a redirect's ?done= says on the page it lands on.
DONE = {
    "approved": ("备案已批准", "Filing approved"),
    "rejected": ("备案未予批准", "Filing rejected"),
    "suspended": ("已暂停", "Suspended"),
    "reinstated": ("已恢复", "Reinstated"),
    "revoked": ("已撤销", "Revoked"),
    "site_code": ("站点代码已修改，原因已记入审计日志", "Site code changed; the reason is on the audit record"),
    "sample": ("样本已抽取，种子已记录", "Sample drawn; its seed is recorded"),
    "finding": ("发现已记录", "Finding recorded"),
    "imposed": ("处罚已执行并记入审计日志", "Sanction imposed and audited"),
    "lifted": ("处罚已解除", "Sanction lifted"),
    "issued": ("证卡已颁发并记入审计日志", "Card issued and audited"),
}


# ------------------------------------------------------------------------------------------------ helpers


def _both(zh: str, en: str) -> Message:
    return (zh, en)


def _errors_of(exc: DomainError, default_field: str = "_form") -> dict[str, Message]:
    """A filter's refusal (a page's query, not a form) next to the field it names."""
    field = str(exc.extra.get("field") or default_field)
    return {field: (exc.zh, exc.en)}


def _see(path: str, done: str, anchor: str = "") -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}{path}?done={done}{anchor}", status_code=303)


class FlagNotFound(NotFound):
    """No such anomaly flag in the window (the data may have changed since the list was shown)."""

    code = "flag_not_found"


def _refuse_page(errors: Mapping[str, Message]) -> NoReturn:
    """A form that has no page of its own to show its errors on: the console's error page, both languages."""
    zh = "；".join(m[0] for m in errors.values())
    en = "; ".join(m[1] for m in errors.values())
    raise PageRefused(400, zh, en)


def _done(done: str | None) -> tuple[str, str] | None:
    return DONE.get(done or "")


def _chosen(action: str, actions: Mapping[str, Any]) -> dict[str, Message]:
    """The error of a status form whose action is not one of its buttons."""
    return {} if action in actions else {"action": _both("请选择操作", "choose an action")}


def _uuid(value: str | None, field: str, errors: dict[str, Message]) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        errors[field] = _both("编号格式不正确", "not a valid id")
        return None


def _back(value: str, default: str) -> str:
    """A return address inside the regulator console only (never an open redirect)."""
    if re.fullmatch(r"/console/regulator(/[A-Za-z0-9/_-]*)?", value or ""):
        return value
    return default


GRADE_ZH = {g.code.value: g.name_zh for g in grades.LADDER}
BODY_STATUS_ZH = {s.value: words for s, words in BODY_STATUS_WORDS.items()}
BATCH_STATUS_ZH = {s.value: z for s, z in SESSION_STATUS_ZH.items()}


def _page(
    request: Request,
    name: str,
    context: Mapping[str, Any],
    status_code: int = 200,
    refused: FormRefused | None = None,
) -> Response:
    """Render one of this area's templates with what every one of them reads (a refused form's page again)."""
    return render(
        request,
        f"console/regulator/{name}",
        {
            "grade_zh": GRADE_ZH,
            "body_status_zh": BODY_STATUS_ZH,
            "batch_status_zh": BATCH_STATUS_ZH,
            "done": None,
            "errors": {},
            "form": {},
            **context,
        },
        status_code=status_code,
        refused=refused,
    )


def _body_names(session: Session, actor: Actor) -> dict[uuid.UUID, str]:
    return {b.id: b.name for b in list_bodies(session, actor=actor)}


# ------------------------------------------------------------------------------------------------ home


@router.get("")
def home(request: Request, session: SessionDep, actor: RegulatorPage) -> Response:
    """What waits for the regulator: filings to review, sanctions in effect, recent spot checks."""
    waiting = list_filings(session, actor=actor, status=FilingStatus.SUBMITTED)
    live = [s for s in sanctions.list_sanctions(session, actor=actor) if s.status == SanctionStatus.IN_EFFECT]
    recent = samples.list_samples(session, actor=actor, limit=5)
    return _page(
        request,
        "home.html",
        {"waiting": len(waiting), "live": live, "recent": recent, "bodies": len(list_bodies(session, actor=actor))},
    )


# ------------------------------------------------------------------------------------------------ filings

QUEUE_STATUSES = ("submitted", "approved", "suspended", "rejected", "revoked", "draft", "all")


@router.get("/filings")
def filing_queue(request: Request, session: SessionDep, actor: RegulatorPage, status: str = "submitted") -> Response:
    """The review queue: submitted filings first (or any status)."""
    chosen = status if status in QUEUE_STATUSES else "submitted"
    rows = list_filings(session, actor=actor, status=None if chosen == "all" else FilingStatus(chosen))
    return _page(
        request,
        "filings.html",
        {
            "rows": rows,
            "names": _body_names(session, actor),
            "status": chosen,
            "statuses": QUEUE_STATUSES,
            "status_zh": {s.value: z for s, z in FILING_STATUS_ZH.items()},
        },
    )


def _filing_page(
    request: Request,
    session: Session,
    settings: Any,
    actor: Actor,
    filing_id: uuid.UUID,
    *,
    refused: FormRefused | None = None,
    form: Mapping[str, str] | None = None,
    done: str | None = None,
) -> Response:
    filing = get_filing(session, actor=actor, filing_id=filing_id)
    view = filing_view(session, filing=filing, settings=settings)
    body = get_body(session, actor=actor, body_id=filing.body_id)
    report = view.rule_report or {}
    results = report.get("results", [])
    return _page(
        request,
        "filing.html",
        {
            "filing": view,
            "body": body,
            "report": report,
            "results": results,
            "failed": [r for r in results if r.get("outcome") == "failed"],
            "method_zh": {str(getattr(k, "value", k)): v for k, v in METHOD_ZH.items()},
            "form": dict(form or {}),
            "done": _done(done),
        },
        refused=refused,
    )


@router.get("/filings/{filing_id}")
def filing_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: RegulatorPage,
    filing_id: uuid.UUID,
    done: str | None = None,
) -> Response:
    """One filing: the body, the scope lines, the rule report (provenance and citation per rule), the decision."""
    return _filing_page(request, session, settings, actor, filing_id, done=done)


@router.post("/filings/{filing_id}/decision")
def filing_decision(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: RegulatorPage,
    _csrf: CsrfForm,
    filing_id: uuid.UUID,
    decision: Text = "",
    note: Text = "",
) -> Response:
    """Approve (the rules run again on today's facts) or reject, with a note."""
    form = {"decision": decision, "note": note}
    unchosen = (
        {}
        if decision in ("approve", "reject")
        else {"decision": _both("请选择批准或不予批准", "choose approve or reject")}
    )
    try:
        with form_action(session, field="decision"):
            data = validated(FilingDecision, {"approve": decision == "approve", "note": note}, errors=unchosen)
            decide_filing(
                session, actor=actor, filing_id=filing_id, approve=data.approve, note=data.note, settings=settings
            )
    except FormRefused as refused:
        return _filing_page(request, session, settings, actor, filing_id, refused=refused, form=form)
    return _see(f"/filings/{filing_id}", "approved" if data.approve else "rejected")


FILING_ACTIONS = {
    "suspend": (FilingStatus.SUSPENDED, "suspended"),
    "reinstate": (FilingStatus.APPROVED, "reinstated"),
    "revoke": (FilingStatus.REVOKED, "revoked"),
}


@router.post("/filings/{filing_id}/status")
def filing_status(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: RegulatorPage,
    _csrf: CsrfForm,
    filing_id: uuid.UUID,
    action: Text = "",
    reason: Text = "",
) -> Response:
    """Suspend, reinstate or revoke an approved filing, with the reason."""
    form = {"action": action, "status_reason": reason}
    try:
        with form_action(session, field="action"):
            data = validated(StatusChange, {"reason": reason}, errors=_chosen(action, FILING_ACTIONS), prefix="status_")
            target, done = FILING_ACTIONS[action]
            set_filing_status(session, actor=actor, filing_id=filing_id, status=target, reason=data.reason)
    except FormRefused as refused:
        return _filing_page(request, session, settings, actor, filing_id, refused=refused, form=form)
    return _see(f"/filings/{filing_id}", done)


# ------------------------------------------------------------------------------------------------ bodies


@router.get("/bodies")
def bodies_page(
    request: Request, session: SessionDep, actor: RegulatorPage, status: str = "", kind: str = ""
) -> Response:
    """Every registered body whatever its status, with its site code and public standing."""
    body_status = BodyStatus(status) if status in {s.value for s in BodyStatus} else None
    body_kind = BodyKind(kind) if kind in {k.value for k in BodyKind} else None
    rows = list_bodies(session, actor=actor, status=body_status, kind=body_kind)
    listed = {entry.body_id for entry in public_catalogue(session)}
    standing = {s.body_id: s for s in sanctions.standings(session, in_catalogue=listed)}
    return _page(
        request,
        "bodies.html",
        {
            "rows": rows,
            "standing": standing,
            "status": status,
            "kind": kind,
            "kinds": KIND_ZH,
            "statuses": [s.value for s in BodyStatus],
        },
    )


def _body_page(
    request: Request,
    session: Session,
    actor: Actor,
    body_id: uuid.UUID,
    *,
    refused: FormRefused | None = None,
    form: Mapping[str, str] | None = None,
    done: str | None = None,
) -> Response:
    body = get_body(session, actor=actor, body_id=body_id)
    listed = {entry.body_id for entry in public_catalogue(session)}
    standing = next(s for s in sanctions.standings(session, in_catalogue=listed) if s.body_id == body.id)
    cards = [assessor_view(session, c) for c in list_cards(session, actor=actor, body_id=body.id)]
    batches = list_batches(session, actor=actor, body_id=body.id)
    return _page(
        request,
        "body.html",
        {
            "body": body,
            "kind_zh": KIND_ZH[body.kind],
            "standing": standing,
            "filings": list_filings(session, actor=actor, body_id=body.id),
            "filing_status_zh": {s.value: z for s, z in FILING_STATUS_ZH.items()},
            "cards": cards,
            "card_kind_zh": {k.value: z for k, z in CARD_KIND_ZH.items()},
            "card_status_zh": {k.value: z for k, z in ASSESSOR_STATUS_ZH.items()},
            "batches": batches[:20],
            "batch_count": len(batches),
            "sanctions": sanctions.list_sanctions(session, actor=actor, body_id=body.id),
            "form": dict(form or {}),
            "done": _done(done),
        },
        refused=refused,
    )


@router.get("/bodies/{body_id}")
def body_page(
    request: Request, session: SessionDep, actor: RegulatorPage, body_id: uuid.UUID, done: str | None = None
) -> Response:
    """A body: standing, site code (change with a reason), filings, its assessor cards, batches, sanctions."""
    return _body_page(request, session, actor, body_id, done=done)


@router.post("/bodies/{body_id}/site-code")
def body_site_code(
    request: Request,
    session: SessionDep,
    actor: RegulatorPage,
    _csrf: CsrfForm,
    body_id: uuid.UUID,
    site_code: Text = "",
    reason: Text = "",
) -> Response:
    """Assign or change the 6-digit site code; the console always asks why (the API insists once the body has
    issued certificates, because the code is part of every certificate number)."""
    form = {"site_code": site_code, "reason": reason}
    errors: dict[str, Message] = {}
    if not reason.strip():
        errors["reason"] = _both(
            "请填写修改原因（站点代码决定今后的证书编号，原因记入审计日志）",
            "give a reason (the site code shapes future certificate numbers; the reason is audited)",
        )
    raw = {"site_code": site_code.strip(), **({"reason": reason.strip()} if reason.strip() else {})}
    try:
        with form_action(session, field="site_code"):
            update_body(session, actor=actor, body_id=body_id, data=validated(BodyUpdate, raw, errors=errors))
    except FormRefused as refused:
        return _body_page(request, session, actor, body_id, refused=refused, form=form)
    return _see(f"/bodies/{body_id}", "site_code")


BODY_ACTIONS = {"suspend": (BodyStatus.SUSPENDED, "suspended"), "reinstate": (BodyStatus.ACTIVE, "reinstated")}


@router.post("/bodies/{body_id}/status")
def body_status(
    request: Request,
    session: SessionDep,
    actor: RegulatorPage,
    _csrf: CsrfForm,
    body_id: uuid.UUID,
    action: Text = "",
    reason: Text = "",
) -> Response:
    """Suspend or reinstate a body (revoking its qualification is a sanction: it has effects to review first)."""
    form = {"action": action, "status_reason": reason}
    try:
        with form_action(session, field="action"):
            data = validated(StatusChange, {"reason": reason}, errors=_chosen(action, BODY_ACTIONS), prefix="status_")
            target, done = BODY_ACTIONS[action]
            set_body_status(session, actor=actor, body_id=body_id, status=target, reason=data.reason)
    except FormRefused as refused:
        return _body_page(request, session, actor, body_id, refused=refused, form=form)
    return _see(f"/bodies/{body_id}", done)


# ------------------------------------------------------------------------------------------------ cards


def _cards_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    refused: FormRefused | None = None,
    form: Mapping[str, str] | None = None,
    done: str | None = None,
) -> Response:
    cards = [assessor_view(session, c) for c in list_cards(session, actor=actor, external=True)]
    return _page(
        request,
        "assessors.html",
        {
            "cards": cards,
            "card_kind_zh": {k.value: z for k, z in CARD_KIND_ZH.items()},
            "card_kind_en": CARD_KIND_EN,
            "card_status_zh": {k.value: z for k, z in ASSESSOR_STATUS_ZH.items()},
            "ladder": grades.LADDER,
            "form": dict(form or {}),
            "done": _done(done),
        },
        refused=refused,
    )


@router.get("/assessors")
def external_cards(request: Request, session: SessionDep, actor: RegulatorPage, done: str | None = None) -> Response:
    """Cards that belong to no body — the external quality supervisors and independent assessors — and the form
    that issues one."""
    return _cards_page(request, session, actor, done=done)


CARD_KIND_EN = {
    AssessorKind.ASSESSOR.value: "independent assessor",
    AssessorKind.SUPERVISOR.value: "quality supervisor",
}
CARD_FIELDS = (
    "kind",
    "name",
    "id_number",
    "card_number",
    "occupations",
    "max_grade",
    "held_grade",
    "valid_from",
    "valid_to",
)


@router.post("/assessors")
def issue_card(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: RegulatorPage,
    _csrf: CsrfForm,
    kind: Text = "supervisor",
    name: Text = "",
    id_number: Text = "",
    card_number: Text = "",
    occupations: Text = "",
    max_grade: Text = "",
    held_grade: Text = "",
    valid_from: Text = "",
    valid_to: Text = "",
) -> Response:
    """Issue a quality supervisor's card (or an independent assessor's), belonging to no body, to a person found or
    registered by name and ID number — what POST /api/v1/assessors does, audited the same way."""
    form = dict(
        zip(
            CARD_FIELDS,
            (kind, name, id_number, card_number, occupations, max_grade, held_grade, valid_from, valid_to),
            strict=True,
        )
    )
    codes = [c.strip() for c in occupations.replace("，", ",").split(",") if c.strip()]
    try:
        with form_action(session, field="card_number", rename={"window": "valid_to"}):
            holder = validated(PersonCreate, {"name": name, "id_number": id_number})
            person, _ = register_person(session, actor=actor, data=holder, settings=settings)
            card = AssessorCreate.model_validate(
                {
                    "person_id": person.id,
                    "kind": kind,
                    "body_id": None,
                    "card_number": card_number,
                    "occupations": codes,
                    "max_grade": max_grade,
                    "held_grade": held_grade,
                    "valid_from": valid_from,
                    "valid_to": valid_to,
                }
            )
            issued = register_assessor(session, actor=actor, data=card)
    except FormRefused as refused:
        return _cards_page(request, session, actor, refused=refused, form=form)
    return RedirectResponse(f"{PREFIX}/assessors?done=issued#card-{issued.id}", status_code=303)


CARD_ACTIONS = {
    "suspend": (AssessorStatus.SUSPENDED, "suspended"),
    "reinstate": (AssessorStatus.ACTIVE, "reinstated"),
    "revoke": (AssessorStatus.REVOKED, "revoked"),
}


@router.post("/assessors/{assessor_id}/status")
def card_status(
    request: Request,
    session: SessionDep,
    actor: RegulatorPage,
    _csrf: CsrfForm,
    assessor_id: uuid.UUID,
    action: Text = "",
    reason: Text = "",
    back: Text = "",
) -> Response:
    """Suspend, reinstate or revoke an assessor's or supervisor's card, with the reason; back to where it was."""
    target = _back(back, f"{PREFIX}/assessors")
    try:
        data = validated(StatusChange, {"reason": reason}, errors=_chosen(action, CARD_ACTIONS))
    except FormRefused as refused:
        _refuse_page(refused.errors)
    status, done = CARD_ACTIONS[action]
    # A refusal (not allowed from this status, no such card) is answered by the console's error page.
    set_assessor_status(session, actor=actor, assessor_id=assessor_id, status=status, reason=data.reason)
    return RedirectResponse(f"{target}?done={done}#card-{assessor_id}", status_code=303)


# ------------------------------------------------------------------------------------------------ statistics

STAT_FIELDS = ("from", "to", "body_id", "body_kind", "province_code", "city_code", "occupation_code", "grade")
PATTERNS = {
    "province_code": (r"[0-9]{2}", "两位省份代码，如 44", "two digits, e.g. 44"),
    "city_code": (r"[0-9]{6}", "六位城市代码，如 440300", "six digits, e.g. 440300"),
    "occupation_code": (
        r"[1-8]-[0-9]{2}-[0-9]{2}-[0-9]{2}",
        "职业编码如 6-18-02-04",
        "an occupation code like 6-18-02-04",
    ),
}


def _stats_filter(query: Mapping[str, str]) -> tuple[StatsFilter | None, dict[str, Message]]:
    """The statistics filter from the page's query, with errors per field instead of a bare 422."""
    errors: dict[str, Message] = {}
    values = {k: (query.get(k) or "").strip() or None for k in STAT_FIELDS}
    for field, (pattern, zh, en) in PATTERNS.items():
        if values[field] is not None and not re.fullmatch(pattern, values[field] or ""):
            errors[field] = _both(f"格式不正确：{zh}", f"invalid: {en}")
    body_id = _uuid(values["body_id"], "body_id", errors)
    kind = grade = None
    if values["body_kind"]:
        kind = BodyKind(values["body_kind"]) if values["body_kind"] in {k.value for k in BodyKind} else None
        if kind is None:
            errors["body_kind"] = _both("未知的机构类型", "unknown body kind")
    if values["grade"]:
        grade = GradeCode(values["grade"]) if values["grade"] in {g.value for g in GradeCode} else None
        if grade is None:
            errors["grade"] = _both("未知的等级", "unknown grade")
    if errors:
        return None, errors
    try:
        only = StatsFilter.build(
            month_from=values["from"],
            month_to=values["to"],
            body_id=body_id,
            body_kind=kind,
            province_code=values["province_code"],
            city_code=values["city_code"],
            occupation_code=values["occupation_code"],
            grade=grade,
        )
    except InvalidInput as exc:
        return None, _errors_of(exc, "from")
    return only, {}


def chart(
    rows: Iterable[Mapping[str, Any]], *, value: str = "issued", label: str = "label", top: int = 0
) -> dict[str, Any]:
    """A horizontal bar chart's geometry (server-rendered SVG, 360 units wide): labels right-aligned up to x=140,
    bars from x=146 up to 160 units long relative to the largest value, the number after each bar."""
    items: list[dict[str, Any]] = [
        {"label": str(r.get(label) or "—"), "value": r.get(value) or 0, "row": r} for r in rows
    ]
    if top:
        items = items[:top]
    largest: float = max((float(i["value"]) for i in items), default=0.0)
    for n, item in enumerate(items):
        name = str(item["label"])
        item["y"] = n * 26
        item["width"] = round(160 * float(item["value"]) / largest, 1) if largest else 0
        item["short"] = name if len(name) <= 10 else name[:9] + "…"
    return {"items": items, "height": max(26 * len(items), 26), "largest": largest}


def _grade_order(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    ordinal = {g.code.value: g.ordinal for g in grades.LADDER}
    return sorted(rows, key=lambda r: ordinal.get(str(r.get("key")), 99))


@router.get("/stats")
def stats_page(request: Request, session: SessionDep, settings: SettingsDep, actor: RegulatorPage) -> Response:
    """Statistics with charts (grades, occupations, regions, months, 高技能人才 share, targets) and the exports."""
    query = dict(request.query_params)
    only, errors = _stats_filter(query)
    context: dict[str, Any] = {
        "form": {k: query.get(k, "") for k in STAT_FIELDS},
        "errors": errors,
        "bodies": list_bodies(session, actor=actor),
        "kinds": KIND_ZH,
        "ladder": grades.LADDER,
        "provinces": session.exec(select(Province).order_by(col(Province.code))).all(),
        "export_kinds": EXPORT_KINDS,
        "query": "&".join(f"{k}={v}" for k, v in query.items() if k in STAT_FIELDS and v),
    }
    if only is None:
        return _page(request, "stats.html", {**context, "report": None}, status_code=400)
    try:
        report = stats.statistics(session, actor=actor, settings=settings, only=only)
    except DomainError as exc:
        return _page(
            request,
            "stats.html",
            {**context, "report": None, "errors": _errors_of(exc, "from")},
            status_code=status_for(exc),
        )
    by = report["certificates"]["by"]
    charts = {
        "grade": chart(_grade_order(by["grade"])),
        "occupation": chart(by["occupation"], top=10),
        "province": chart(by["province"], top=10),
        "city": chart(by["city"], top=10),
        "body_kind": chart(by["body_kind"]),
        "body": chart(by["body"], top=10),
        "month": chart(by["month"]),
    }
    return _page(request, "stats.html", {**context, "report": report, "charts": charts})


EXPORT_KINDS = {
    "stats": ("统计表", "statistics"),
    "bodies": ("机构名录与信用状况", "bodies and standing"),
    "anomalies": ("异常提示（须说明理由）", "anomaly flags (reason required)"),
    "certificates": ("证书明细（含个人信息，须说明理由）", "certificates (personal data, reason required)"),
}


@router.get("/export.{fmt}")
def export(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: RegulatorPage,
    open_session: SessionFactoryDep,
    fmt: str,
    kind: str = "stats",
    reason: str = "",
) -> Response:
    """The regulator's exports: the same rows as /api/v1/regulator/export.*, audited the same way (a reason is
    required for certificate and personal data — regulator.exports.record_export says which)."""
    query = dict(request.query_params)
    only, errors = _stats_filter(query)
    if fmt not in ("csv", "xlsx") or kind not in EXPORT_KINDS:
        errors["kind"] = _both("未知的导出类型", "unknown export")
    if only is None or errors:
        _refuse_page(errors)
    try:
        exports.record_export(session, actor=actor, kind=kind, file_format=fmt, only=only, reason=reason or None)
    except InvalidInput as exc:
        _refuse_page(_errors_of(exc, "reason"))
    rows = regulator_api._rows(kind, session, settings, actor, only, open_session)
    if fmt == "csv":
        return StreamingResponse(
            exports.csv_stream(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="regulator-{kind}.csv"'},
        )
    return StreamingResponse(
        exports.xlsx_stream(rows, title=kind),
        media_type=regulator_api.XLSX,
        headers={"Content-Disposition": f'attachment; filename="regulator-{kind}.xlsx"'},
    )


# ------------------------------------------------------------------------------------------------ anomalies


def _window_of(query: Mapping[str, str], settings: Any) -> tuple[anomalies.Window | None, dict[str, Message]]:
    errors: dict[str, Message] = {}
    days: dict[str, dt.date | None] = {}
    for field in ("from", "to"):
        raw = (query.get(field) or "").strip()
        try:
            days[field] = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            errors[field] = _both("日期格式应为 YYYY-MM-DD", "a date is YYYY-MM-DD")
    body_id = _uuid(query.get("body_id"), "body_id", errors)
    if errors:
        return None, errors
    try:
        return anomalies.Window.build(settings, start=days["from"], end=days["to"], body_id=body_id), {}
    except InvalidInput as exc:
        return None, _errors_of(exc, "from")


# How a flag's evidence fields read on the drill-down (unknown fields are shown by name).
DETAIL_LABELS = {
    "awards": ("等级总数", "awards"),
    "band_points": ("及格线以上分数带（分）", "band above the pass mark (points)"),
    "candidates": ("考生数", "candidates"),
    "closed_at": ("结束时间", "closed at"),
    "corrections": ("定稿后更正次数", "corrections after finalization"),
    "day": ("日期", "day"),
    "exam_on": ("考试日期", "exam date"),
    "grade": ("等级", "grade"),
    "heaped": ("扎堆人数", "totals in the band"),
    "identical": ("评分完全一致", "identical scores"),
    "occupation_code": ("职业编码", "occupation"),
    "passed": ("通过人数", "passed"),
    "peer_candidates": ("同类考生数", "peer candidates"),
    "peer_scope": ("同类范围", "peers"),
    "recognised": ("直接认定数", "recognised"),
    "recognitions": ("认定数", "recognitions"),
    "scored_items": ("共同评分的考生", "candidates both scored"),
    "skips": ("越级认定数", "grade skips"),
    "status": ("批次状态", "batch status"),
    "window_hours": ("时间窗（小时）", "window (hours)"),
}
UNIT_ZH = {"share": ("比例", "share"), "count": ("次数/人数", "count"), "days": ("天", "days")}


def shown(value: float | None, unit: str) -> str:
    """A flag's number as people read it: shares in per cent, counts and days as numbers."""
    if value is None:
        return "—"
    if unit == "share":
        return f"{value * 100:.1f}%"
    return f"{value:g}"


@router.get("/anomalies")
def anomalies_page(request: Request, session: SessionDep, settings: SettingsDep, actor: RegulatorPage) -> Response:
    """Every flag in the window: figure, peer baseline and threshold, with a link to the drill-down."""
    query = dict(request.query_params)
    window, errors = _window_of(query, settings)
    rule = query.get("rule") or ""
    flags: list[anomalies.Flag] = []
    if window is not None:
        try:
            flags = anomalies.anomalies(
                session, actor=actor, settings=settings, window=window, rules=[rule] if rule else None
            )
        except InvalidInput as exc:
            errors = _errors_of(exc, "rule")
    return _page(
        request,
        "anomalies.html",
        {
            "flags": flags,
            "window": window,
            "form": {k: query.get(k, "") for k in ("from", "to", "body_id", "rule")},
            "errors": errors,
            "rules": list(anomalies.FLAG_NAMES),
            "rule_zh": {f.rule: f.rule_zh for f in flags},
            "bodies": list_bodies(session, actor=actor),
            "shown": shown,
        },
        status_code=400 if errors else 200,
    )


@router.get("/anomalies/flag")
def anomaly_detail(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: RegulatorPage,
    rule: Annotated[str, Query(max_length=64)],
    subject: Annotated[str, Query(max_length=64)],
    label: Annotated[str, Query(max_length=255)] = "",
) -> Response:
    """One flag in full: the figure against the peer baseline and the threshold, why it matters, the evidence,
    and where to go next (the body, the batch, a spot check, a sanction)."""
    query = dict(request.query_params)
    window, errors = _window_of(query, settings)
    if window is None:
        _refuse_page(errors)
    flag = None
    if rule in anomalies.FLAG_NAMES:
        found = anomalies.anomalies(session, actor=actor, settings=settings, window=window, rules=[rule])
        matching = [f for f in found if f.subject_id == subject]
        flag = next((f for f in matching if f.subject_label == label), matching[0] if matching else None)
    if flag is None:
        message = _both(
            "该异常提示在所选时间段内不存在（数据可能已变化）",
            "no such flag in this window (the data may have changed)",
        )
        raise FlagNotFound(*message)
    batch = None
    if flag.level == "batch":
        try:
            batch = batch_view(session, get_batch(session, actor=actor, batch_id=uuid.UUID(flag.subject_id)))
        except (NotFound, ValueError):
            batch = None
    bars = chart(
        [
            {"label": text(request, "本对象", "This subject"), "value": flag.figure},
            {"label": text(request, "同类基准", "Peer baseline"), "value": flag.baseline or 0},
            {"label": text(request, "阈值", "Threshold"), "value": flag.threshold},
        ]
    )
    for item, number in zip(bars["items"], (flag.figure, flag.baseline or 0, flag.threshold), strict=True):
        scale = max(flag.figure, flag.baseline or 0, flag.threshold) or 1
        item["width"] = round(160 * number / scale, 1)
        item["text"] = shown(number, flag.unit)
    return _page(
        request,
        "anomaly.html",
        {
            "flag": flag,
            "batch": batch,
            "bars": bars,
            "window": window,
            "shown": shown,
            "unit": UNIT_ZH.get(flag.unit, (flag.unit, flag.unit)),
            "detail_labels": DETAIL_LABELS,
        },
    )


# ------------------------------------------------------------------------------------------------ samples


def _samples_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    refused: FormRefused | None = None,
    form: Mapping[str, str] | None = None,
) -> Response:
    return _page(
        request,
        "samples.html",
        {
            "recent": samples.list_samples(session, actor=actor, limit=50),
            "form": dict(form or {}),
            "populations": {p.value: z for p, z in POPULATION_ZH.items()},
        },
        refused=refused,
    )


POPULATION_ZH = {
    Population.BODIES: ("评价机构", "bodies"),
    Population.BATCHES: ("考核批次", "batches"),
    Population.CERTIFICATES: ("证书", "certificates"),
}


@router.get("/samples")
def samples_page(request: Request, session: SessionDep, actor: RegulatorPage, population: str = "") -> Response:
    """Draw a spot check (seed shown; the same seed draws the same sample) and the recent ones."""
    return _samples_page(
        request, session, actor, form={"population": population, "weighted": "on" if population else ""}
    )


@router.post("/samples")
def draw_sample(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: RegulatorPage,
    _csrf: CsrfForm,
    population: Text = "",
    size: Text = "",
    seed: Text = "",
    weighted: Text = "",
    date_from: Annotated[str, Form(alias="from")] = "",
    date_to: Annotated[str, Form(alias="to")] = "",
    province_code: Text = "",
    reason: Text = "",
) -> Response:
    """Draw and record a sample; a fresh seed is chosen (and shown) when none is given."""
    form = {
        "population": population,
        "size": size,
        "seed": seed,
        "weighted": weighted,
        "from": date_from,
        "to": date_to,
        "province_code": province_code,
        "reason": reason,
    }
    raw = {
        "population": population,
        "size": size or None,
        "seed": seed.strip() or None,
        "weighted": weighted == "on",
        "from": date_from or None,
        "to": date_to or None,
        "province_code": province_code or None,
        "reason": reason,
    }
    try:
        with form_action(session):
            sample = samples.create_sample(session, actor=actor, settings=settings, data=validated(SampleIn, raw))
    except FormRefused as refused:
        return _samples_page(request, session, actor, refused=refused, form=form)
    return _see(f"/samples/{sample.id}", "sample")


def _sample_page(
    request: Request,
    session: Session,
    actor: Actor,
    sample_id: uuid.UUID,
    *,
    refused: FormRefused | None = None,
    item_id: uuid.UUID | None = None,
    form: Mapping[str, str] | None = None,
    done: str | None = None,
) -> Response:
    sample = samples.sample_view(session, samples.get_sample(session, actor=actor, sample_id=sample_id))
    return _page(
        request,
        "sample.html",
        {
            "sample": sample,
            "populations": {p.value: z for p, z in POPULATION_ZH.items()},
            "outcomes": {o.value: z for o, z in FINDING_ZH.items()},
            "error_item": item_id,
            "form": dict(form or {}),
            "done": _done(done),
            "names": _body_names(session, actor),
        },
        refused=refused,
    )


@router.get("/samples/{sample_id}")
def sample_page(
    request: Request, session: SessionDep, actor: RegulatorPage, sample_id: uuid.UUID, done: str | None = None
) -> Response:
    """A sample: seed, population and size, the drawn items in order, findings and the form to record one."""
    return _sample_page(request, session, actor, sample_id, done=done)


@router.post("/samples/{sample_id}/items/{item_id}/findings")
def record_finding(
    request: Request,
    session: SessionDep,
    actor: RegulatorPage,
    _csrf: CsrfForm,
    sample_id: uuid.UUID,
    item_id: uuid.UUID,
    outcome: Text = "",
    note: Text = "",
) -> Response:
    """Record what checking one sampled item found (audited); a finding can then ground a sanction."""
    form = {"outcome": outcome, "note": note}
    try:
        with form_action(session):
            data = validated(FindingIn, form)
            samples.record_finding(session, actor=actor, sample_id=sample_id, item_id=item_id, data=data)
    except FormRefused as refused:
        return _sample_page(request, session, actor, sample_id, refused=refused, item_id=item_id, form=form)
    return _see(f"/samples/{sample_id}", "finding", f"#item-{item_id}")


# ------------------------------------------------------------------------------------------------ sanctions

SANCTION_FIELDS = ("kind", "body_id", "filing_id", "batch_id", "finding_id", "deadline", "reason")


def _sanction_input(form: Mapping[str, str]) -> SanctionIn:
    """The sanction the form describes (a dry run); FormRefused with every problem of the form."""
    errors: dict[str, Message] = {}
    raw: dict[str, Any] = {"kind": form.get("kind") or None, "reason": form.get("reason", ""), "dry_run": True}
    for field in ("body_id", "filing_id", "batch_id", "finding_id"):
        raw[field] = _uuid(form.get(field), field, errors)
    if not form.get("body_id"):
        errors["body_id"] = _both("请选择评价机构", "choose a body")
    raw["deadline"] = form.get("deadline") or None
    return validated(SanctionIn, raw, errors=errors)


def _sanctions_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    form: Mapping[str, str],
    refused: FormRefused | None = None,
    done: str | None = None,
) -> Response:
    body_id = None
    try:
        body_id = uuid.UUID(form.get("body_id", "")) if form.get("body_id") else None
    except ValueError:
        body_id = None
    batches = []
    filings = []
    if body_id is not None:
        batches = [b for b in list_batches(session, actor=actor, body_id=body_id) if b.status == SessionStatus.CLOSED]
        filings = [f for f in list_filings(session, actor=actor, body_id=body_id) if f.status == FilingStatus.APPROVED]
    return _page(
        request,
        "sanctions.html",
        {
            "rows": sanctions.list_sanctions(session, actor=actor),
            "bodies": list_bodies(session, actor=actor),
            "batches": batches,
            "filings": filings,
            "kinds": {k.value: (SANCTION_ZH[k], SANCTION_EN[k], SANCTION_BASIS[k]) for k in SanctionKind},
            "liftable": {k.value for k in LIFTABLE},
            "form": dict(form),
            "done": _done(done),
            "highlight": request.query_params.get("sanction"),
        },
        refused=refused,
    )


@router.get("/sanctions")
def sanctions_page(request: Request, session: SessionDep, actor: RegulatorPage, done: str | None = None) -> Response:
    """Sanctions in effect and lifted, and the form for a new one (prefilled from a flag or a finding)."""
    form = {k: request.query_params.get(k, "") for k in SANCTION_FIELDS}
    return _sanctions_page(request, session, actor, form=form, done=done)


def fingerprint(plan: SanctionPlan) -> str:
    """A digest of exactly what a plan changes, so a confirmation applies the plan that was shown."""
    shown_plan = plan.model_dump(
        mode="json",
        include={"kind", "body_id", "counts", "body_status", "filings", "batches_cancelled", "certificates", "awards"},
    )
    return hashlib.sha256(json.dumps(shown_plan, sort_keys=True).encode()).hexdigest()[:32]


def _preview(
    request: Request,
    session: Session,
    actor: Actor,
    form: Mapping[str, str],
    *,
    notice: tuple[str, str] | None = None,
) -> Response:
    try:
        with form_action(session):
            plan = sanctions.impose(session, actor=actor, data=_sanction_input(form))
    except FormRefused as refused:
        return _sanctions_page(request, session, actor, form=form, refused=refused)
    return _page(
        request,
        "sanction_plan.html",
        {"plan": plan, "form": dict(form), "fingerprint": fingerprint(plan), "notice": notice},
    )


@router.post("/sanctions/preview")
def sanction_preview(
    request: Request,
    session: SessionDep,
    actor: RegulatorPage,
    _csrf: CsrfForm,
    kind: Text = "",
    body_id: Text = "",
    filing_id: Text = "",
    batch_id: Text = "",
    finding_id: Text = "",
    deadline: Text = "",
    reason: Text = "",
) -> Response:
    """The dry run: exactly what the sanction would change (counts and lists); nothing changes yet."""
    form = dict(zip(SANCTION_FIELDS, (kind, body_id, filing_id, batch_id, finding_id, deadline, reason), strict=True))
    return _preview(request, session, actor, form)


@router.post("/sanctions")
def sanction_apply(
    request: Request,
    session: SessionDep,
    actor: RegulatorPage,
    _csrf: CsrfForm,
    kind: Text = "",
    body_id: Text = "",
    filing_id: Text = "",
    batch_id: Text = "",
    finding_id: Text = "",
    deadline: Text = "",
    reason: Text = "",
    plan_digest: Text = "",
) -> Response:
    """Carry out the sanction that was previewed; if what it would change moved since, show the new plan again."""
    form = dict(zip(SANCTION_FIELDS, (kind, body_id, filing_id, batch_id, finding_id, deadline, reason), strict=True))
    try:
        with form_action(session):
            data = _sanction_input(form)
            if fingerprint(sanctions.impose(session, actor=actor, data=data)) != plan_digest:
                moved = (
                    "预演后数据已变化，请核对新的影响范围后再确认",
                    "what it changes moved since the dry run: review it",
                )
                return _preview(request, session, actor, form, notice=moved)
            done = sanctions.impose(session, actor=actor, data=data.model_copy(update={"dry_run": False}))
    except FormRefused as refused:
        return _sanctions_page(request, session, actor, form=form, refused=refused)
    assert done.sanction is not None
    return RedirectResponse(f"{PREFIX}/sanctions/{done.sanction.id}?done=imposed", status_code=303)


@router.get("/sanctions/{sanction_id}")
def sanction_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: RegulatorPage,
    sanction_id: uuid.UUID,
    done: str | None = None,
) -> Response:
    """One sanction: its kind, basis, reason and effects; for a revoked batch, each certificate and its
    verification page (which says revoked at once)."""
    found = [s for s in sanctions.list_sanctions(session, actor=actor, limit=10_000) if s.id == sanction_id]
    if not found:
        raise sanctions.SanctionNotFound("处罚记录不存在", "no such sanction")
    sanction = found[0]
    certificates: list[Certificate] = []
    if sanction.kind == SanctionKind.REVOKE_BATCH and sanction.batch_id is not None:
        awards = select(Candidate.award_id).where(
            Candidate.session_id == sanction.batch_id, col(Candidate.award_id).is_not(None)
        )
        certificates = list(
            session.exec(
                select(Certificate)
                .where(col(Certificate.award_id).in_(awards))
                .order_by(col(Certificate.number))
                .limit(500)
            ).all()
        )
    return _page(
        request,
        "sanction.html",
        {
            "s": sanction,
            "certificates": certificates,
            "liftable": sanction.kind in LIFTABLE and sanction.status == SanctionStatus.IN_EFFECT,
            "errors": {},
            "done": _done(done),
        },
    )


@router.post("/sanctions/{sanction_id}/lift")
def sanction_lift(
    request: Request,
    session: SessionDep,
    actor: RegulatorPage,
    _csrf: CsrfForm,
    sanction_id: uuid.UUID,
    reason: Text = "",
) -> Response:
    """Lift a warning (rectified) or a suspension (its filings approved again), with the reason."""
    try:
        data = validated(LiftIn, {"reason": reason})
    except FormRefused as refused:
        _refuse_page(refused.errors)
    sanctions.lift(session, actor=actor, sanction_id=sanction_id, data=data)
    return _see(f"/sanctions/{sanction_id}", "lifted")


# ------------------------------------------------------------------------------------------------ audit

AUDIT_FIELDS = ("entity_type", "entity_id", "action", "body_id", "before_seq")


@router.get("/audit")
def audit_page(request: Request, session: SessionDep, actor: RegulatorPage) -> Response:
    """Search the audit log (entity, action, body; newest first, 50 a page)."""
    query = {k: (request.query_params.get(k) or "").strip() for k in AUDIT_FIELDS}
    errors: dict[str, Message] = {}
    body_id = _uuid(query["body_id"], "body_id", errors)
    before = None
    if query["before_seq"]:
        if query["before_seq"].isdigit():
            before = int(query["before_seq"])
        else:
            errors["before_seq"] = _both("应为正整数", "a positive whole number")
    for field in ("entity_type", "entity_id", "action"):
        if len(query[field]) > 64:
            errors[field] = _both("过长（最多 64 个字符）", "too long (at most 64 characters)")
    events: Sequence[AuditEvent] = []
    if not errors:
        events = list_events(
            session,
            actor=actor,
            entity_type=query["entity_type"] or None,
            entity_id=query["entity_id"] or None,
            action=query["action"] or None,
            body_id=body_id,
            before_seq=before,
            limit=50,
        )
    older = {k: v for k, v in query.items() if v and k != "before_seq"}
    if len(events) == 50:
        older["before_seq"] = str(events[-1].seq)
    return _page(
        request,
        "audit.html",
        {
            "events": events,
            "form": query,
            "errors": errors,
            "older": "&".join(f"{k}={v}" for k, v in older.items()) if len(events) == 50 else None,
            "names": _body_names(session, actor),
            "dumps": lambda v: json.dumps(v, ensure_ascii=False, indent=1, sort_keys=True, default=str),
        },
        status_code=400 if errors else 200,
    )


@router.get("/audit/chain")
def audit_chain(request: Request, session: SessionDep, actor: RegulatorPage) -> Response:
    """Recompute the hash chain and say whether every event is intact, or which one was edited or removed."""
    del actor  # the page is the regulator's; the check reads every event
    report = verify_chain(session)
    return _page(request, "chain.html", {"report": report})


__all__ = ["chart", "fingerprint", "router", "shown"]
