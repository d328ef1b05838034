"""Worker pages (持证人): claim one's record without an administrator, then the lifelong record, PDFs, share links.

The claim (`/claim`) is two steps: the certificate number, full name and ID number prove holdership
(certificates.claim: the holder check's keyed hash and per-holder budget, limited per client too; every failure
answers alike), then a username and password make a `worker` account tied to the person, logged in at once.
A signed ticket valid for 15 minutes carries the proof from the first step to the second.

`/console/me` shows the record of the person the account is tied to — every grade (exam, recognition,
competition, pre-registry), with its certificate's standing — the PDFs, and share links (加注) to hand out.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Field, Session, SQLModel

from api.console.session import (
    SESSION_COOKIE,
    CsrfForm,
    FormRefused,
    OptionalPageActor,
    PageActor,
    PageRefused,
    register_nav,
    render,
    set_session_cookie,
    validated,
)
from api.deps import SessionDep, SettingsDep
from api.ratelimit import LOOKUP, limit
from certificates import sharing
from certificates.claim import (
    NO_MATCH_EN,
    NO_MATCH_ZH,
    TICKET_LIFETIME,
    ClaimIn,
    claim_with_ticket,
    has_account,
    prove_holder,
    ticket_for,
)
from certificates.files import record_file
from certificates.models import REASON_ZH, CertificatePublic, CertificateStatus
from certificates.service import certificate_views, get_certificate, list_certificates, render_pdf
from certificates.sharing import ShareLinkIn, ShareLinkPublic
from registry.accounts import web_sessions
from registry.accounts.service import AccountAlreadyClaimed, UsernameTaken, refuse_weak_password
from registry.actor import Actor, Role
from registry.awards.models import AwardPublic
from registry.awards.service import award_views, list_appointments, list_awards
from registry.errors import InvalidInput
from registry.fields import Username
from registry.people.service import get_person
from registry.settings import Settings

router = APIRouter(include_in_schema=False)
register_nav(Role.WORKER, "/console/me", "我的技能等级记录", "My skill record")
register_nav((Role.ASSESSOR, Role.SUPERVISOR), "/console/me", "我的技能等级记录", "My skill record")

ALREADY_CLAIMED = (
    "此持证人已有账号，请直接登录；忘记密码请联系发证机构或人社部门重置",
    "this holder already has an account: log in with it; if the password is lost, ask the issuing body or the "
    "regulator to reset it",
)
EXPIRED = (
    "认领已超过 15 分钟或链接无效，请重新核对证书信息",
    "the claim is older than 15 minutes or not valid: please check the certificate details again",
)


USERNAME_RULE = (
    "用户名为 3–64 个字符：小写字母 a–z、数字、点、下划线或连字符，以字母或数字开头",
    "a username is 3–64 characters: a–z, 0–9, '.', '_' or '-', starting with a letter or digit",
)


class NewLogin(SQLModel):
    """The login a claimant chooses, under the rules of every account."""

    username: Username
    password: str = Field(min_length=10, max_length=128)


# --- the claim ------------------------------------------------------------------------------------------------


def _claim_form(request: Request, **context: Any) -> HTMLResponse:
    status_code = context.pop("status_code", 200)
    values = {"number": "", "name": "", "errors": {}, **context}
    return render(request, "console/worker/claim.html", values, status_code=status_code)


@router.get("/claim", response_class=HTMLResponse)
def claim_page(request: Request, actor: OptionalPageActor) -> HTMLResponse:
    """Step 1: the certificate number, full name and ID number (the ID number is never stored or shown)."""
    return _claim_form(request, logged_in=actor)


@router.post("/claim", response_class=HTMLResponse)
def claim_check(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _csrf: CsrfForm,
    certificate_number: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=64)] = "",
    id_number: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse:
    """Check the three details (limited per client and per holder); on a match, step 2 with a 15-minute ticket.

    Every failure re-shows the form with one message that names no field; the attempt is committed (answered,
    not raised), so the holder's budget counts it.
    """
    limit(request, LOOKUP, settings.lookup_rate_per_minute)
    kept = {"number": certificate_number, "name": name}
    try:
        data = ClaimIn(certificate_number=certificate_number, name=name, id_number=id_number)
    except ValidationError:
        return _claim_form(request, **kept, errors={"form": (NO_MATCH_ZH, NO_MATCH_EN)}, status_code=400)
    person = prove_holder(session, data=data, settings=settings)
    if person is None:
        return _claim_form(request, **kept, errors={"form": (NO_MATCH_ZH, NO_MATCH_EN)}, status_code=400)
    if has_account(session, person.id):
        return _claim_form(request, **kept, errors={"form": ALREADY_CLAIMED}, already=True, status_code=409)
    return _account_form(request, ticket=ticket_for(settings, person.id))


def _account_form(request: Request, **context: Any) -> HTMLResponse:
    status_code = context.pop("status_code", 200)
    values = {"username": "", "errors": {}, "minutes": int(TICKET_LIFETIME.total_seconds() // 60), **context}
    return render(request, "console/worker/claim_account.html", values, status_code=status_code)


def _login_problems(username: str, password: str, repeated: str) -> dict[str, tuple[str, str]]:
    """What is wrong with the chosen login, per field (the policy every account has)."""
    problems: dict[str, tuple[str, str]] = {}
    try:
        NewLogin(username=username, password=password)
    except ValidationError as invalid:
        for error in invalid.errors():
            field = str(error["loc"][0]) if error["loc"] else "username"
            if field == "username":
                problems.setdefault(field, USERNAME_RULE)
            else:
                problems.setdefault(field, ("密码应为 10 到 128 个字符", "a password is 10 to 128 characters"))
    if "password" not in problems and "username" not in problems:
        try:
            refuse_weak_password(username.strip().lower(), password)
        except InvalidInput as weak:
            problems["password"] = (weak.zh, weak.en)
    if password != repeated:
        problems.setdefault("password2", ("两次输入的密码不一致", "the two passwords differ"))
    return problems


@router.post("/claim/account", response_class=HTMLResponse, response_model=None)
def claim_account_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _csrf: CsrfForm,
    ticket: Annotated[str, Form(max_length=256)] = "",
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=128)] = "",
    password2: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Step 2: create the worker account for the proven holder, log in, and open the record."""
    problems = _login_problems(username, password, password2)
    if problems:
        return _account_form(request, ticket=ticket, username=username, errors=problems, status_code=400)
    try:
        user = claim_with_ticket(
            session, ticket=ticket, username=username.strip().lower(), password=password, settings=settings
        )
    except UsernameTaken as taken:
        return _account_form(request, ticket=ticket, username=username, errors={"username": taken}, status_code=409)
    except AccountAlreadyClaimed:
        return _claim_form(request, errors={"form": ALREADY_CLAIMED}, already=True, status_code=409)
    if user is None:
        return _claim_form(request, errors={"form": EXPIRED}, status_code=400)
    if old := request.cookies.get(SESSION_COOKIE):
        web_sessions.close_session(session, old)
    token = web_sessions.open_session(session, user=user, hours=settings.session_hours)
    response = RedirectResponse("/console/me?welcome=1", status_code=303)
    set_session_cookie(response, settings, token)
    return response


# --- the lifelong record --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordLine:
    """One grade of the record, with the certificate documenting it (none for pre-registry grades)."""

    award: AwardPublic
    certificate: CertificatePublic | None
    links: list[ShareLinkPublic]


def _own_person(actor: Actor) -> uuid.UUID:
    if actor.person_id is None:
        raise PageRefused(
            403,
            "您的账号未关联持证人记录，没有个人技能等级记录",
            "your account is not tied to a person, so it has no skill record of its own",
        )
    return actor.person_id


def _record(session: Session, actor: Actor, settings: Settings) -> tuple[Any, list[RecordLine], list[Any]]:
    person_id = _own_person(actor)
    person = get_person(session, actor=actor, person_id=person_id)
    awards = award_views(session, actor=actor, awards=list_awards(session, actor=actor, person_id=person_id))
    certificates = list_certificates(session, actor=actor, person_id=person_id)
    views = {
        v.award_id: v for v in certificate_views(session, actor=actor, certificates=certificates, settings=settings)
    }
    lines = []
    for award in awards:
        certificate = views.get(award.id)
        links: list[ShareLinkPublic] = []
        if certificate is not None:
            _, rows = sharing.list_links(session, actor=actor, number=certificate.number)
            links = [sharing.link_view(link, certificate.number) for link in rows]
        lines.append(RecordLine(award, certificate, links))
    appointments = list_appointments(session, actor=actor, person_id=person_id)
    return person, lines, appointments


def _record_page(
    request: Request,
    session: Session,
    actor: Actor,
    settings: Settings,
    *,
    new_link: ShareLinkPublic | None = None,
    refused: FormRefused | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    person, lines, appointments = _record(session, actor, settings)
    return render(
        request,
        "console/worker/me.html",
        {
            "person": person,
            "lines": lines,
            "appointments": appointments,
            "new_link": new_link,
            "welcome": request.query_params.get("welcome") == "1",
            "withdrawn": request.query_params.get("withdrawn") == "1",
            "reason_zh": {r.value: zh for r, zh in REASON_ZH.items()},
            "valid": CertificateStatus.VALID,
        },
        status_code=status_code,
        refused=refused,
    )


@router.get("/console/me", response_class=HTMLResponse)
def my_record(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor) -> HTMLResponse:
    """The account's own lifelong record: grades and certificates with their standing, PDFs, share links."""
    return _record_page(request, session, actor, settings)


def _my_certificate(session: Session, actor: Actor, number: str) -> Any:
    """A certificate of the account's own person; any other answers "not found", like a missing one."""
    person_id = _own_person(actor)
    certificate = get_certificate(session, actor=actor, number=number)
    if certificate.person_id != person_id:
        raise PageRefused(404, "证书不存在", "no such certificate")
    return certificate


@router.get("/console/me/certificates/{number}/pdf", response_model=None)
def my_pdf(session: SessionDep, settings: SettingsDep, actor: PageActor, number: str) -> Response:
    """Download one's own certificate's current print (revoked or suspended ones carry the watermark)."""
    certificate = _my_certificate(session, actor, number)
    pdf = render_pdf(session, certificate, settings)
    record_file(session, certificate, pdf)  # so the file can be recognised later (/verify/pdf)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{certificate.number}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.post("/console/me/certificates/{number}/share-links", response_class=HTMLResponse)
def my_share_link(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: PageActor,
    _csrf: CsrfForm,
    number: str,
    purpose: Annotated[str, Form(max_length=400)] = "",
    days: Annotated[str, Form(max_length=8)] = "30",
) -> HTMLResponse:
    """Make a verification link with a purpose and an expiry (加注); its address is shown this once, to copy."""
    certificate = _my_certificate(session, actor, number)
    try:
        data = validated(ShareLinkIn, {"purpose": purpose, "days": days}, prefix=f"{certificate.number}:")
    except FormRefused as refused:
        return _record_page(request, session, actor, settings, refused=refused)
    link, code, _ = sharing.create_link(session, actor=actor, number=certificate.number, data=data, settings=settings)
    view = sharing.link_view(link, certificate.number, sharing.share_url(settings, code))
    return _record_page(request, session, actor, settings, new_link=view, status_code=201)


@router.post("/console/me/share-links/{link_id}/withdraw", response_model=None)
def my_withdraw(session: SessionDep, actor: PageActor, _csrf: CsrfForm, link_id: uuid.UUID) -> Response:
    """Withdraw one of one's links at once; anyone opening it from now on is told it was withdrawn."""
    _own_person(actor)
    link, certificate = sharing.withdraw_link(session, actor=actor, link_id=link_id)
    del link
    return RedirectResponse(f"/console/me?withdrawn=1#cert-{certificate.number}", status_code=303)
