"""Public pages and login: home, 公示 with objections, the catalogue of bodies, 比照 look-ups, /login and /logout."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.console.session import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CsrfForm,
    NavItem,
    OptionalPageActor,
    PageActor,
    clear_session_cookie,
    home_of,
    render,
    safe_next,
    set_session_cookie,
    text,
)
from api.deps import ReadSessionDep, SessionDep, SettingsDep
from api.ratelimit import LOGIN, OBJECTION, limit
from api.routers.catalogue import equivalence_list
from api.security import actor_for
from api.templating import TEMPLATES
from assessment.batches import service as batches
from assessment.batches.models import ExamSession, Objection, ObjectionIn, SessionStatus
from registry.accounts import service as accounts
from registry.accounts import web_sessions
from registry.actor import ROLE_ZH, Actor
from registry.catalogue import service as catalogue
from registry.clock import utcnow
from registry.errors import DomainError, InvalidInput, NotFound, RateLimited
from registry.fields import error_text
from regulator import sanctions
from regulator.models import BodyStanding, CatalogueEntryStanding, PublicSanction

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(include_in_schema=False)

# The links everyone sees in the layout, before the role's own.
PUBLIC_NAV = (
    NavItem("/", "首页", "Home"),
    NavItem("/verify", "证书查询", "Check a certificate"),
    NavItem("/publicity", "结果公示", "Publicity"),
    NavItem("/bodies", "评价机构", "Bodies"),
    NavItem("/equivalences", "比照查询", "Equivalences"),
)
ROLE_EN = {
    "regulator": "Regulator",
    "body_admin": "Evaluation body administrator",
    "assessor": "Assessor",
    "supervisor": "Quality supervisor",
    "worker": "Certificate holder",
}


def role_name(role: object, lang: str) -> str:
    """A role's name in the page language."""
    value = getattr(role, "value", role)
    if lang == "en":
        return ROLE_EN.get(str(value), str(value))
    return next((zh for r, zh in ROLE_ZH.items() if r.value == value), str(value))


TEMPLATES.env.globals["public_nav"] = PUBLIC_NAV
TEMPLATES.env.globals["role_name"] = role_name


def login_url(next_path: str) -> str:
    """The login page that continues to next_path."""
    return "/login?next=" + quote(next_path, safe="/")


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, actor: OptionalPageActor, next: str = "") -> HTMLResponse:
    """The login form (already logged in: who, and a way to log out)."""
    return render(request, "console/login.html", {"next": safe_next(next, ""), "username": ""})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _csrf: CsrfForm,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=128)],
    next: Annotated[str, Form(max_length=512)] = "",
) -> Response:
    """Check the password (the API's per-client limit and per-username lock-out), start a session, go on."""
    context = {"next": safe_next(next, ""), "username": username}
    try:
        limit(request, LOGIN, settings.login_rate_per_minute)
    except RateLimited as limited:
        headers = {"Retry-After": str(limited.extra.get("retry_after", 60))}
        return render(
            request, "console/login.html", {**context, "errors": {"form": limited}}, status_code=429, headers=headers
        )
    outcome = accounts.authenticate(session, username=username, password=password, settings=settings)
    if outcome.user is None:
        # Answered, not raised: the request's transaction must commit the failure count.
        if outcome.locked:
            minutes = max(1, outcome.retry_after_seconds // 60)
            message = (
                f"登录失败次数过多，请约 {minutes} 分钟后再试",
                f"too many failed logins; try again in about {minutes} minutes",
            )
            return render(
                request,
                "console/login.html",
                {**context, "errors": {"form": message}},
                status_code=429,
                headers={"Retry-After": str(outcome.retry_after_seconds)},
            )
        message = ("用户名或密码错误", "wrong username or password")
        return render(request, "console/login.html", {**context, "errors": {"form": message}}, status_code=401)
    if old := request.cookies.get(SESSION_COOKIE):
        web_sessions.close_session(session, old)  # a new token at every login: no session fixation
    token = web_sessions.open_session(session, user=outcome.user, hours=settings.session_hours)
    response = RedirectResponse(safe_next(next, home_of(actor_for(session, outcome.user))), status_code=303)
    set_session_cookie(response, settings, token)
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.get("/logout", response_class=HTMLResponse)
def logout_page(request: Request, actor: OptionalPageActor) -> Response:
    """Confirm logging out (a link cannot log anyone out: only the form's POST does)."""
    if actor is None:
        return RedirectResponse("/", status_code=303)
    return render(request, "console/logout.html")


@router.post("/logout")
def logout(request: Request, session: SessionDep, settings: SettingsDep, _csrf: CsrfForm) -> Response:
    """End this browser's session (the row is deleted: the cookie is worthless from now on)."""
    if token := request.cookies.get(SESSION_COOKIE):
        web_sessions.close_session(session, token)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response, settings)
    return response


@router.get("/console", response_class=HTMLResponse)
def console_home(request: Request, actor: PageActor) -> Response:
    """The logged-in user's start: their role's first page, or an overview when the role has none."""
    home = home_of(actor)
    if home != "/console":
        return RedirectResponse(home, status_code=303)
    return render(request, "console/index.html")


# --- home ------------------------------------------------------------------------------------------------------


@dataclass
class BodyCard:
    """One body of the public catalogue: its approved filings' scope lines together, its standing, sanctions."""

    body_id: uuid.UUID
    name: str
    uscc: str
    kind_zh: str
    province_zh: str
    city_zh: str | None
    standing: str
    standing_zh: str
    sanctions: list[PublicSanction]
    entries: list[CatalogueEntryStanding] = field(default_factory=list)

    @property
    def lines(self) -> list[Any]:
        """Every approved scope line of the body."""
        return [line for entry in self.entries for line in entry.scope]

    def matches(self, query: str) -> bool:
        """Whether the name, USCC or an occupation (code or name) contains query."""
        needle = query.strip().lower()
        haystack = [self.name, self.uscc, *(f"{x.occupation_code} {x.occupation_name_zh}" for x in self.lines)]
        return any(needle in text.lower() for text in haystack)


def body_cards(entries: list[CatalogueEntryStanding]) -> list[BodyCard]:
    """The catalogue's entries (one per approved filing) grouped by body, in the catalogue's order."""
    cards: dict[uuid.UUID, BodyCard] = {}
    for entry in entries:
        card = cards.get(entry.body_id)
        if card is None:
            card = cards[entry.body_id] = BodyCard(
                body_id=entry.body_id,
                name=entry.name,
                uscc=entry.uscc,
                kind_zh=entry.kind_zh,
                province_zh=entry.province_zh,
                city_zh=entry.city_zh,
                standing=entry.standing,
                standing_zh=entry.standing_zh,
                sanctions=entry.sanctions,
            )
        card.entries.append(entry)
    return list(cards.values())


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, actor: OptionalPageActor) -> HTMLResponse:
    """What the registry is; check a certificate; what is under 公示; 比照; the catalogue; log in."""
    return render(
        request,
        "console/public/home.html",
        {
            "publicity": batches.publicity_batches(session),
            "grades": catalogue.list_grades(session),
            "bodies": len(body_cards(sanctions.catalogue(session))),
        },
    )


# --- 公示 and objections ---------------------------------------------------------------------------------------


@router.get("/publicity", response_class=HTMLResponse)
def publicity_list(request: Request, session: SessionDep, actor: OptionalPageActor) -> HTMLResponse:
    """Every batch whose results are under publicity now."""
    return render(request, "console/public/publicity.html", {"batches": batches.publicity_batches(session)})


def _publicity_page(
    request: Request,
    session: Any,
    batch_id: uuid.UUID,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, Any] | None = None,
    filed: uuid.UUID | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    listing = batches.publicity(session, batch_id=batch_id)
    running = listing.publicity_ends_at is not None and listing.publicity_ends_at > utcnow()
    return render(
        request,
        "console/public/publicity_batch.html",
        {
            "p": listing,
            "open": running and listing.published_at is not None and _is_published(session, batch_id),
            "form": form or {"candidate_id": "", "text": "", "contact": ""},
            "errors": errors or {},
            "filed": filed,
        },
        status_code=status_code,
        headers=headers,
    )


def _is_published(session: Any, batch_id: uuid.UUID) -> bool:
    exam = session.get(ExamSession, batch_id)
    return exam is not None and exam.status == SessionStatus.PUBLISHED


@router.get("/publicity/{batch_id}", response_class=HTMLResponse)
def publicity_batch(
    request: Request, session: SessionDep, actor: OptionalPageActor, batch_id: uuid.UUID, filed: uuid.UUID | None = None
) -> HTMLResponse:
    """A batch's 公示: masked names and results, and the objection form while the period runs."""
    if filed is not None:
        objection = session.get(Objection, filed)
        filed = objection.id if objection is not None and objection.session_id == batch_id else None
    return _publicity_page(request, session, batch_id, filed=filed)


@router.post("/publicity/{batch_id}/objections", response_class=HTMLResponse)
def object_to_a_result(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: OptionalPageActor,
    _csrf: CsrfForm,
    batch_id: uuid.UUID,
    candidate_id: Annotated[str, Form(max_length=64)] = "",
    text: Annotated[str, Form(max_length=4000)] = "",
    contact: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    """File an objection (anyone; counted per client like the look-ups), then show the batch with a receipt."""
    form = {"candidate_id": candidate_id, "text": text, "contact": contact}
    try:
        data = ObjectionIn.model_validate({"candidate_id": candidate_id or None, "text": text, "contact": contact})
    except ValidationError as invalid:
        errors: dict[str, Any] = {}
        for problem in invalid.errors():
            where, zh, en = error_text(problem)
            name = where.split(".", 1)[0]
            if name == "candidate_id":
                zh, en = "请选择对哪位考生的结果提出异议", "choose the result you object to"
            errors.setdefault(name, (zh, en))
        return _publicity_page(request, session, batch_id, form=form, errors=errors, status_code=422)
    try:
        limit(request, OBJECTION, settings.lookup_rate_per_minute)
        objection = batches.file_objection(session, actor=actor or Actor.anonymous(), batch_id=batch_id, data=data)
    except RateLimited as limited:
        headers = {"Retry-After": str(limited.extra.get("retry_after", 60))}
        return _publicity_page(
            request, session, batch_id, form=form, errors={"form": limited}, status_code=429, headers=headers
        )
    except batches.CandidateNotFound as missing:
        return _publicity_page(request, session, batch_id, form=form, errors={"candidate_id": missing}, status_code=404)
    except batches.BatchStateConflict as closed:
        return _publicity_page(request, session, batch_id, form=form, errors={"form": closed}, status_code=409)
    return RedirectResponse(f"/publicity/{batch_id}?filed={objection.id}#objection", status_code=303)


# --- the catalogue of bodies -----------------------------------------------------------------------------------


@router.get("/bodies", response_class=HTMLResponse)
def bodies(request: Request, session: ReadSessionDep, actor: OptionalPageActor, q: str = "") -> HTMLResponse:
    """The public catalogue (000:43) with scope and standing, and the sanctioned bodies no longer in it."""
    entries = sanctions.catalogue(session)
    cards = body_cards(entries)
    query = q.strip()[:64]
    listed = {card.body_id for card in cards}
    register = sanctions.standings(session, in_catalogue=listed, only_sanctioned=True)
    register = [s for s in register if not s.in_catalogue]
    if query:
        cards = [card for card in cards if card.matches(query)]
        register = [s for s in register if query.lower() in f"{s.name} {s.uscc}".lower()]
    return render(request, "console/public/bodies.html", {"bodies": cards, "register": register, "q": query})


@router.get("/bodies/{body_id}", response_class=HTMLResponse)
def body_page(request: Request, session: ReadSessionDep, actor: OptionalPageActor, body_id: uuid.UUID) -> HTMLResponse:
    """One body's public record: scope of each approved filing, standing, sanction history (no reasons)."""
    entries = [e for e in sanctions.catalogue(session) if e.body_id == body_id]
    listed = {e.body_id for e in entries}
    register = {s.body_id: s for s in sanctions.standings(session, in_catalogue=listed, only_sanctioned=True)}
    standing = register.get(body_id)
    if standing is None and entries:
        first = entries[0]
        standing = BodyStanding(
            body_id=first.body_id,
            name=first.name,
            uscc=first.uscc,
            kind_zh=first.kind_zh,
            province_code=first.province_code,
            city_code=first.city_code,
            status="active",
            standing=first.standing,
            standing_zh=first.standing_zh,
            in_catalogue=True,
            sanctions=first.sanctions,
        )
    if standing is None:
        raise NotFound("目录和公开处理名单中没有该机构", "no such body in the catalogue or the public sanctions list")
    return render(
        request, "console/public/body.html", {"name": standing.name, "standing": standing, "entries": entries}
    )


# --- 比照 --------------------------------------------------------------------------------------------------------


def _day(text: str) -> dt.date | None:
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or not dt.date(1900, 1, 1) <= day <= dt.date(2100, 12, 31):
        raise InvalidInput("日期应为 1900–2100 年间的 YYYY-MM-DD", "the date must be YYYY-MM-DD between 1900 and 2100")
    return day


@router.get("/equivalences", response_class=HTMLResponse)
def equivalences(
    request: Request,
    session: ReadSessionDep,
    actor: OptionalPageActor,
    grade: str = "",
    target: str = "",
    as_of: str = "",
) -> HTMLResponse:
    """比照 both ways: what a grade is treated as equal to, and which grades an education level or title matches."""
    context: dict[str, Any] = {
        "grades": catalogue.list_grades(session),
        "educations": catalogue.list_education_levels(session),
        "titles": catalogue.list_titles(session),
        "grade": grade or "technician",
        "target": target,
        "as_of_text": as_of[:10],
        "answer": None,
    }
    try:
        day = _day(as_of.strip())
        if grade:
            answer = equivalence_list(session, grade=grade, as_of=day)
            name = next((g for g in context["grades"] if g.code == grade), None)
            context["heading"] = text(request, f"{name.name_zh if name else grade} 的比照", f"{grade} is treated as")
            context["answer"] = answer.model_dump()
        elif target:
            kind, _, code = target.partition(":")
            if kind not in {"education", "title"} or not code:
                raise InvalidInput("请选择学历或职称", "choose an education level or a title")
            code = code[:32]
            answer = (
                equivalence_list(session, education=code, as_of=day)
                if kind == "education"
                else equivalence_list(session, title=code, as_of=day)
            )
            vocabulary = context["educations"] if kind == "education" else context["titles"]
            named = next((v for v in vocabulary if v.code == code), None)
            label = named.name_zh if named else code
            context["heading"] = text(request, f"与{label}对应的技能等级", f"grades matching {code}")
            context["answer"] = answer.model_dump()
    except DomainError as refused:
        return render(
            request, "console/public/equivalences.html", {**context, "errors": {"form": refused}}, status_code=400
        )
    return render(request, "console/public/equivalences.html", context)
