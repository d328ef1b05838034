"""Public pages and login: home, 公示, the catalogue of bodies, 比照 look-ups, /login and /logout."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

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
)
from api.deps import SessionDep, SettingsDep
from api.ratelimit import LOGIN, limit
from api.security import actor_for
from api.templating import TEMPLATES
from registry.accounts import service as accounts
from registry.accounts import web_sessions
from registry.actor import ROLE_ZH
from registry.errors import RateLimited

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(include_in_schema=False)

# The links everyone sees in the layout, before the role's own.
PUBLIC_NAV = (
    NavItem("/", "首页", "Home"),
    NavItem("/verify", "证书查询", "Check a certificate"),
    NavItem("/docs", "API 文档", "API docs"),
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
