"""Console pages: cookie sessions, CSRF on every form, the language, and `render` with the layout's helpers.

Sessions are server-side rows (registry.accounts.web_sessions): the cookie `registry_session` carries a random
token (HttpOnly, SameSite=Lax, Secure when the public URL is https or in production); logout and a disabled
account end it at once. The bearer API never reads this cookie.

Forms: a POST handler runs its action inside `form_action` (a savepoint; a refusal undoes the action's writes)
and answers a `FormRefused` by re-rendering its page with `render(..., refused=...)`: each message (Chinese and
English) next to the field it concerns, the rule report with its citations, and the refusal's status.

CSRF: every `<form method="post">` carries `{{ csrf_field() }}`, a keyed hash (HMAC) of the browser's session
token — or, before login, of a random `registry_csrf` cookie — and every POST handler declares `CsrfForm`. A page
elsewhere can make a browser send the cookies but can neither read them nor the token derived from them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from api.deps import SessionDep
from api.errors import status_for
from api.security import actor_for
from api.templating import TEMPLATES
from registry.accounts import web_sessions
from registry.actor import Actor, Role
from registry.clock import CHINA_TZ, as_utc
from registry.errors import DomainError, NotFound
from registry.fields import error_text
from registry.keys import derive_key
from registry.settings import Settings

SESSION_COOKIE = "registry_session"
CSRF_COOKIE = "registry_csrf"  # before login: the random value the form token is derived from
LANG_COOKIE = "registry_lang"
CSRF_FIELD = "csrf_token"
Lang = Literal["zh", "en"]
Message = tuple[str, str]  # (Chinese, English): field_error shows the page's language first, then the other
Errors = dict[str, Message]
M = TypeVar("M", bound=BaseModel)

# Pages may use inline style attributes; scripts only from /static (no inline script); no framing (clickjacking).
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class LoginRequired(Exception):
    """The page needs a logged-in user: answered with a redirect to /login?next=<this page>."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageRefused(Exception):
    """A page refuses the request: answered with the error page (both languages) and this status."""

    def __init__(self, status_code: int, zh: str, en: str, *, error: DomainError | None = None) -> None:
        super().__init__(en)
        self.status_code = status_code
        self.zh = zh
        self.en = en
        self.error = error


# --- forms ----------------------------------------------------------------------------------------------------


class FormRefused(Exception):
    """A form's action was refused: the messages by field, the rule report (with citations), the status.

    Raised by `form_action` for a refusal of the service or the model, or by a handler for its own checks;
    answered by re-rendering the form's page with `render(..., refused=...)`.
    """

    def __init__(
        self,
        errors: Mapping[str, Message],
        *,
        rules: Sequence[Mapping[str, Any]] = (),
        status_code: int = 400,
        error: DomainError | None = None,
    ) -> None:
        super().__init__("; ".join(en for _, en in errors.values()))
        self.errors: Errors = dict(errors)
        self.rules = list(rules)
        self.status_code = status_code
        self.error = error


def _named(field: str, prefix: str, rename: Mapping[str, str] | None) -> str:
    """The page's name of a field the model or the service names (its last part, renamed, prefixed)."""
    name = field.rsplit(".", 1)[-1] if field else "_form"
    name = (rename or {}).get(name, name)
    return name if name == "_form" else prefix + name


def invalid_fields(error: ValidationError, *, prefix: str = "", rename: Mapping[str, str] | None = None) -> Errors:
    """Each invalid field's first message (Chinese, English) the way the API words it, by the page's name.

    rename maps a model's field names (or the kind of one of its model-level checks) to the page's."""
    shown: Errors = {}
    for problem in error.errors():
        field, zh, en = error_text(problem)
        if not field and rename and problem["type"] in rename:
            field = problem["type"]  # a model check names its own kind (AssessorCreate's "window")
        shown.setdefault(_named(field, prefix, rename), (zh, en))
    return shown


def rules_of(error: DomainError) -> list[Mapping[str, Any]]:
    """Every rule outcome of a rule refusal (id, title, outcome, provenance, citation and the quoted phrase); a page
    shows the whole report or only the failed ones."""
    rules = error.extra.get("rules")
    if not isinstance(rules, list):
        return []
    return [r for r in rules if isinstance(r, Mapping)]


def validated(
    model: type[M], data: Mapping[str, Any], *, errors: Mapping[str, Message] | None = None, prefix: str = ""
) -> M:
    """The model made from a form's values; FormRefused (400) with its problems and the handler's own errors."""
    found: Errors = dict(errors or {})
    try:
        value = model.model_validate(dict(data))
    except ValidationError as invalid:
        for field, message in invalid_fields(invalid, prefix=prefix).items():
            found.setdefault(field, message)
        raise FormRefused(found) from invalid
    if found:
        raise FormRefused(found)
    return value


@contextmanager
def form_action(
    session: Session,
    *,
    field: str = "_form",
    status_code: int | None = None,
    prefix: str = "",
    rename: Mapping[str, str] | None = None,
    missing: Message | None = None,
) -> Iterator[None]:
    """Run a form's action in a savepoint; a refusal undoes its writes and is raised as FormRefused.

    A domain error's message goes next to the field it names (extra["field"]) or else next to `field`, with its
    rule report; the status is `status_code`, or the error's own (api.errors). A model's ValidationError is a
    400 with a message per field. With `missing`, a NotFound is the 404 error page saying so instead (a record
    of another body is "not found", whatever the form says).
    """
    try:
        with session.begin_nested():
            yield
    except FormRefused:
        raise
    except ValidationError as invalid:
        raise FormRefused(invalid_fields(invalid, prefix=prefix, rename=rename)) from invalid
    except DomainError as error:
        if missing is not None and isinstance(error, NotFound):
            raise PageRefused(404, *missing) from error
        named = _named(str(error.extra.get("field") or field), prefix, rename)
        raise FormRefused(
            {named: (error.zh, error.en)},
            rules=rules_of(error),
            status_code=status_code or status_for(error),
            error=error,
        ) from error


# --- language -------------------------------------------------------------------------------------------------


def lang_of(request: Request) -> Lang:
    """The page language: ?lang= when given (remembered in a cookie by render), else the cookie, else Chinese."""
    chosen = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return "en" if chosen == "en" else "zh"


def text(request: Request, zh: str, en: str) -> str:
    """Pick zh or en for this request's language (the Python side of the templates' t())."""
    return en if lang_of(request) == "en" else zh


# --- navigation -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NavItem:
    """A link in the layout's navigation for one role."""

    href: str
    zh: str
    en: str


NAV: dict[Role, list[NavItem]] = {role: [] for role in Role}


def register_nav(roles: Role | tuple[Role, ...], href: str, zh: str, en: str) -> None:
    """Add a link to the navigation of these roles (each page module registers its own, at import)."""
    for role in (roles,) if isinstance(roles, Role) else roles:
        if all(item.href != href for item in NAV[role]):
            NAV[role].append(NavItem(href, zh, en))


def home_of(actor: Actor) -> str:
    """Where a user lands after logging in: their role's first page, else the console overview."""
    items = NAV.get(actor.role) if actor.role else None
    return items[0].href if items else "/console"


def safe_next(value: str | None, default: str) -> str:
    """A local path to go on to after login (never another site: no scheme, no //host, no backslash)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or "\n" in value:
        return default
    return value


# --- sessions -------------------------------------------------------------------------------------------------


def cookie_secure(settings: Settings) -> bool:
    """Whether cookies are sent over https only: public URL on https, or production."""
    return settings.env == "production" or settings.public_base.startswith("https://")


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    """Hand the browser its session token (HttpOnly, SameSite=Lax; Secure on https)."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=cookie_secure(settings),
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    """Remove the session cookie from the browser."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=cookie_secure(settings))


def _optional_page_actor(request: Request, session: SessionDep) -> Actor | None:
    token = request.cookies.get(SESSION_COOKIE)
    actor = None
    if token:
        user = web_sessions.session_user(session, token)
        actor = actor_for(session, user) if user is not None else None
    request.state.page_actor = actor
    return actor


def _page_actor(request: Request, actor: Annotated[Actor | None, Depends(_optional_page_actor)]) -> Actor:
    if actor is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path)
    return actor


OptionalPageActor = Annotated[Actor | None, Depends(_optional_page_actor)]
PageActor = Annotated[Actor, Depends(_page_actor)]


def require_page_role(*roles: Role) -> Callable[..., Actor]:
    """A dependency giving the logged-in actor when their role is one of roles, else the 403 page."""
    allowed = frozenset(roles)

    def dependency(actor: PageActor) -> Actor:
        if actor.role not in allowed:
            raise PageRefused(403, "您的账号无权访问此页面", "your account may not open this page")
        return actor

    return dependency


# --- CSRF -----------------------------------------------------------------------------------------------------


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _csrf_key(request: Request) -> bytes:
    """The app's CSRF key (derived once per app from REGISTRY_SECRET_KEY)."""
    key: bytes | None = getattr(request.app.state, "console_csrf_key", None)
    if key is None:
        key = request.app.state.console_csrf_key = derive_key(_settings(request), "console-csrf")
    return key


def _token_for(key: bytes, kind: str, seed: str) -> str:
    digest = hmac.new(key, f"{kind}:{seed}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def csrf_token(request: Request) -> str:
    """This browser's form token: bound to its session, or before login to its random csrf cookie."""
    key = _csrf_key(request)
    session_token = request.cookies.get(SESSION_COOKIE)
    if session_token:
        return _token_for(key, "s", session_token)
    seed = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_seed", None)
    if not seed:
        seed = secrets.token_urlsafe(32)
        request.state.new_csrf_seed = seed  # render() sets the cookie
    return _token_for(key, "a", seed)


def _csrf_ok(request: Request, sent: str) -> bool:
    key = _csrf_key(request)
    candidates = []
    if token := request.cookies.get(SESSION_COOKIE):
        candidates.append(_token_for(key, "s", token))
    if seed := request.cookies.get(CSRF_COOKIE):
        candidates.append(_token_for(key, "a", seed))
    return any(hmac.compare_digest(sent.encode(), c.encode()) for c in candidates)


async def check_csrf(request: Request) -> None:
    """Refuse a form POST whose csrf_token is missing or is not this browser's (403 page)."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not sent or not _csrf_ok(request, sent):
        raise PageRefused(
            403,
            "表单已失效或并非来自本站，请返回并刷新页面后重试",
            "the form has expired or did not come from this site: go back, reload the page and try again",
        )


CsrfForm = Annotated[None, Depends(check_csrf)]


# --- templates ------------------------------------------------------------------------------------------------


@pass_context
def beijing(context: Context, value: dt.datetime | dt.date | str | None) -> str:
    """A time as Beijing time, "YYYY-MM-DD HH:MM 北京时间" (dates as YYYY-MM-DD; ISO text parsed; none as —)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        text_value = value
        try:
            value = dt.datetime.fromisoformat(text_value)
        except ValueError:
            return text_value
    if not isinstance(value, dt.datetime):
        return value.isoformat()
    local = as_utc(value).astimezone(CHINA_TZ)
    suffix = "Beijing time" if context.get("lang") == "en" else "北京时间"
    return f"{local:%Y-%m-%d %H:%M} {suffix}"


def message_parts(value: Any) -> tuple[str, str]:
    """(zh, en) of an error given as a domain error, a (zh, en) pair, a {"zh", "en"} mapping or plain text."""
    if isinstance(value, DomainError | PageRefused):
        return value.zh, value.en
    if isinstance(value, tuple | list) and len(value) == 2:
        return str(value[0]), str(value[1])
    if isinstance(value, Mapping):
        return str(value.get("zh", "")), str(value.get("en", ""))
    return str(value), ""


@pass_context
def field_error(context: Context, errors: Mapping[str, Any] | None, name: str) -> Markup:
    """The error of one field, next to it (id "<name>-error" for aria-describedby); empty when none."""
    if not errors or name not in errors or errors[name] is None:
        return Markup("")
    zh, en = message_parts(errors[name])
    first, second = (en, zh) if context.get("lang") == "en" else (zh, en)
    other = Markup(' <span class="alt">{}</span>').format(second) if second and second != first else ""
    return Markup('<p class="field-error" id="{}-error" role="alert">{}{}</p>').format(name, first, other)


TEMPLATES.env.filters["beijing"] = beijing
TEMPLATES.env.globals["field_error"] = field_error
TEMPLATES.env.globals["message_parts"] = message_parts


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    refused: FormRefused | None = None,
) -> HTMLResponse:
    """Render a console template in the layout: actor, lang, t, csrf_field, errors, nav are always there.

    With `refused`, the form's page again: its errors by field, `refused_rules`, and the refusal's status.
    """
    lang = lang_of(request)
    actor = (context or {}).get("actor", getattr(request.state, "page_actor", None))
    token = csrf_token(request)

    def t(zh: str, en: str) -> str:
        return en if lang == "en" else zh

    def csrf_field() -> Markup:
        return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, token)

    values: dict[str, Any] = {
        "errors": {},
        "refused_rules": [],
        **(context or {}),
        **(
            {"errors": refused.errors, "refused_rules": refused.rules, "refusal": refused.error}
            if refused is not None
            else {}
        ),
        "actor": actor,
        "lang": lang,
        "t": t,
        "csrf_field": csrf_field,
        "csrf_token": token,
        "nav": NAV.get(actor.role, []) if actor is not None and actor.role else [],
        "path": request.url.path,
        "lang_href": _lang_href(request, "zh" if lang == "en" else "en"),
    }
    if refused is not None:
        status_code = refused.status_code
    response = TEMPLATES.TemplateResponse(
        request, template, values, status_code=status_code, headers={**PAGE_HEADERS, **(headers or {})}
    )
    settings = _settings(request)
    if chosen := request.query_params.get("lang"):
        response.set_cookie(
            LANG_COOKIE,
            "en" if chosen == "en" else "zh",
            max_age=365 * 86400,
            samesite="lax",
            secure=cookie_secure(settings),
        )
    if seed := getattr(request.state, "new_csrf_seed", None):
        response.set_cookie(CSRF_COOKIE, seed, path="/", httponly=True, samesite="lax", secure=cookie_secure(settings))
    return response


def _lang_href(request: Request, lang: Lang) -> str:
    """This page in the other language (the query kept, lang replaced)."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    pairs.append(("lang", lang))
    return request.url.path + "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs)


__all__ = [
    "CsrfForm",
    "Errors",
    "FormRefused",
    "LoginRequired",
    "Message",
    "OptionalPageActor",
    "PageActor",
    "PageRefused",
    "beijing",
    "csrf_token",
    "field_error",
    "form_action",
    "home_of",
    "invalid_fields",
    "lang_of",
    "register_nav",
    "render",
    "require_page_role",
    "rules_of",
    "text",
    "validated",
]
