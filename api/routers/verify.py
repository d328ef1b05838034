"""Public verification: the QR landing page, JSON, look-up by number + name, revocation list, JWKS."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import ConfigDict
from sqlmodel import Field, Session, SQLModel
from starlette.types import Scope

from api.basis import WITH_BASIS_STATEMENT, basis_of_row, grade_basis
from api.console.session import CsrfForm, render
from api.deps import ReadsDep, ReadSessionDep, SessionDep, SettingsDep, get_reads, get_settings
from api.errors import error_body
from api.hot import hoist
from api.openapi import errors
from api.ratelimit import LOOKUP, limit
from certificates import signing
from certificates.history import standing_on
from certificates.holder import HolderChecksExhausted, check_holder_online
from certificates.verification import (
    RECORD_STATEMENT,
    Verdict,
    VerificationResult,
    record_sql,
    revocation_list,
    start_online,
    verify_online,
    verify_online_row,
)
from certificates.verification import lookup as lookup_certificate
from registry.db import Reads
from registry.fields import line
from registry.settings import Settings

router = APIRouter(tags=["verification"])


class CheckOut(SQLModel):
    """One check of a verification and its outcome (ok null: not performed)."""

    code: str
    ok: bool | None
    zh: str
    en: str


class VerificationOut(SQLModel):
    """A verification answer: the verdict first, every check, the certificate's public fields, status freshness."""

    verdict: Verdict
    verdict_zh: str
    verdict_en: str
    checks: list[CheckOut]
    fields: dict[str, Any] = Field(description="number, masked holder name and ID (4401**************), grade, …")
    status_as_of: dt.datetime | None
    status_source: str | None
    as_of: dict[str, Any] | None = Field(
        default=None, description="with ?as_of=YYYY-MM-DD: the standing on that date, from the audit record"
    )
    basis: dict[str, Any] | None = Field(
        default=None, description="with ?basis=true: how the grade was obtained (exam batch or recognition path)"
    )
    share: dict[str, Any] | None = Field(default=None, description="through a share link: its purpose and expiry")


class PublicKeyOut(SQLModel):
    """A certificate signing key as the JWKS lists it (ES256 on P-256), with its validity window."""

    model_config = ConfigDict(extra="allow")  # type: ignore[assignment]

    kty: str
    crv: str
    x: str
    y: str
    kid: str
    use: str
    alg: str
    status: str
    valid_from: dt.date
    valid_to: dt.date | None
    low_s: bool = Field(default=False, description="tokens with a high ECDSA s are refused (keys made since)")


class JwksOut(SQLModel):
    """The public keys, active and retired."""

    keys: list[PublicKeyOut]


class RevocationEntryOut(SQLModel):
    """A listed certificate: keyed hash of number + status reference, its status and current print serial."""

    h: str
    s: str
    ps: int


class RevocationListOut(SQLModel):
    """The signed revocation list (`jws` carries the same document, signed with the certificate key)."""

    jws: str
    format: str
    issued_at: dt.datetime
    salt: str
    entries: list[RevocationEntryOut]


class HolderCheckIn(SQLModel):
    """The holder's full name and ID number, compared online (never stored, never in a URL)."""

    name: Annotated[str, line(64)] = Field(max_length=64)
    id_number: Annotated[str, line(32)] = Field(max_length=32)


class HolderCheckOut(SQLModel):
    """Whether the name and ID number are the certificate holder's (null: no genuine certificate to compare)."""

    matched: bool | None
    holder_zh: str
    holder_en: str
    verdict: str
    verdict_zh: str
    verdict_en: str


HOLDER_TEXT = {
    True: ("姓名和证件号码与本证书持证人一致", "the name and ID number are the holder's"),
    False: ("姓名和证件号码与本证书持证人不一致", "the name and ID number do NOT match the holder"),
    None: ("证书无法验证，未核对持证人", "the certificate cannot be verified: the holder was not checked"),
}


class LookupIn(SQLModel):
    """A certificate number and the holder's full name; both must match."""

    number: Annotated[str, line(64)] = Field(max_length=64)
    name: Annotated[str, line(64)] = Field(max_length=64)


def _limit(request: Request, settings: SettingsDep) -> None:
    limit(request, LOOKUP, settings.lookup_rate_per_minute)


def _log(request: Request, result: VerificationResult | None) -> None:
    """Note the verification for the regulator's anomaly flags: buffered in memory, no database write here."""
    _note(request.app, result, request.client.host if request.client else None)


def _note(app: FastAPI, result: VerificationResult | None, client_host: str | None) -> None:
    number = result.fields.get("number") if result is not None else None
    app.state.verification_log.record(number, client_host)


def with_extras(session: Session, result: VerificationResult, *, as_of: dt.date | None, basis: bool) -> dict[str, Any]:
    """The answer as JSON, with the standing on a past date and how the grade was obtained when asked for."""
    answer = result.as_dict()
    claims = result.claims
    if claims is None or result.verdict == Verdict.INVALID:
        return answer
    if as_of is not None:
        standing = standing_on(session, number=claims.number, print_serial=claims.print_serial, day=as_of)
        answer["as_of"] = standing.as_dict() if standing else None
    if basis:
        answer["basis"] = grade_basis(session, claims.number)
    return answer


def _verified_with_extras(
    reads: Reads, settings: Settings, token: str, *, as_of: dt.date | None, basis: bool
) -> tuple[VerificationResult, dict[str, Any]]:
    """Verify and add the extras in one read connection (the extras need a few ORM reads of their own)."""

    def work(conn: sa.Connection) -> tuple[VerificationResult, dict[str, Any]]:
        with Session(bind=conn) as session:
            result = verify_online(session, token=token, settings=settings)
            return result, with_extras(session, result, as_of=as_of, basis=basis)

    return reads.run(work, again_on_primary=lambda answer: answer[0].unknown_number)


def _page(
    request: Request,
    result: VerificationResult,
    token: str,
    *,
    holder: bool | str | None = None,
    limited: HolderChecksExhausted | None = None,
    status_code: int = 200,
    extras: dict[str, Any] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "console/public/verify.html",
        {
            "r": result,
            "token": token,
            "holder": holder,
            "limited_zh": limited.zh if limited else "",
            "limited_en": limited.en if limited else "",
            "extras": extras or {},
        },
        status_code=status_code,
        headers={"Retry-After": str(limited.extra["retry_after"])} if limited else None,
    )


@router.get("/.well-known/jwks.json", responses={200: {"model": JwksOut}})
def jwks(settings: SettingsDep) -> JSONResponse:
    """The public keys certificates are signed with, active and retired, with their validity windows."""
    return JSONResponse(signing.jwks_document(settings.key_dir), headers={"Cache-Control": "public, max-age=300"})


def _row_blocking(
    reads: Reads, settings: Settings, token: str, statement: sa.Select[Any]
) -> tuple[VerificationResult, Any]:
    """verify_online_row, blocking: straight through psycopg when the app has the driver reads (the served app on
    PostgreSQL), otherwise on a SQLAlchemy read connection (SQLite, tests)."""
    if reads.driver is None:
        return reads.run(
            lambda conn: verify_online_row(conn, token=token, settings=settings, statement=statement),
            again_on_primary=lambda answer: answer[0].unknown_number,
        )
    started = start_online(token, settings)
    if isinstance(started, VerificationResult):
        return started, None
    sql = record_sql(reads.primary.dialect, statement)
    row = reads.driver.fetchone(sql, {"number": started.number}, again_on_primary=lambda found: found is None)
    return started.judge(row), row


async def _row(
    reads: Reads, settings: Settings, token: str, statement: sa.Select[Any], *, on_loop: bool = False
) -> tuple[VerificationResult, Any]:
    """Verify online in one read statement (RECORD_STATEMENT, or one adding columns after its own): the result and
    the row read (the replica's "no such certificate" is asked of the primary again).

    With the async pool (REGISTRY_ASYNC_READS) everything runs on the event loop: the signature check, one awaited
    round trip, the verdict. Otherwise the same in a worker thread — or, with on_loop and the driver reads (the
    served app on PostgreSQL), right here on the event loop, blocking it for the one indexed read: that wait is
    shorter than what the hop to a worker thread costs in CPU and in GIL hand-offs (README, "Verification under
    load"), and a database that stops answering would hold every worker thread just the same.
    """
    if reads.pooled is None:
        if on_loop and reads.driver is not None:
            return _row_blocking(reads, settings, token, statement)
        return await run_in_threadpool(_row_blocking, reads, settings, token, statement)
    started = start_online(token, settings)
    if isinstance(started, VerificationResult):
        return started, None
    sql = record_sql(reads.primary.dialect, statement)
    row = await reads.pooled.fetchone(sql, {"number": started.number}, again_on_primary=lambda found: found is None)
    return started.judge(row), row


async def _verified(reads: Reads, settings: Settings, token: str) -> VerificationResult:
    """The JSON answer's verification (see _row), its read on the event loop when the driver reads allow it."""
    return (await _row(reads, settings, token, RECORD_STATEMENT, on_loop=True))[0]


async def _page_extras(
    reads: Reads, settings: Settings, token: str, as_of: dt.date | None
) -> tuple[VerificationResult, dict[str, Any]]:
    """The page's verification and how the grade was obtained, in one statement (see _row);
    with as_of, the standing on that date as well (a few ORM reads of the audit record, in a worker thread)."""
    if as_of is not None:
        return await run_in_threadpool(_verified_with_extras, reads, settings, token, as_of=as_of, basis=True)
    # In a worker thread: the page renders ~0.6 ms of template after its read, and served more pages per second
    # with the read overlapping other pages' rendering than with it on the event loop (README, "Verification under
    # load"); the JSON answer's own work is small, and there the thread hop cost more than the wait.
    result, row = await _row(reads, settings, token, WITH_BASIS_STATEMENT)
    if result.claims is None or result.verdict == Verdict.INVALID or row is None:
        return result, result.as_dict()
    return result, {**result.as_dict(), "basis": basis_of_row(row)}


async def verification_page(
    request: Request, reads: ReadsDep, settings: SettingsDep, token: str, as_of: dt.date | None = None
) -> HTMLResponse:
    """The page a scanned QR code opens: one verdict, the checks, the masked fields, how the grade was obtained,
    the standing on a chosen date, a holder check form."""
    result, extras = await _page_extras(reads, settings, token, as_of)
    _log(request, result)
    return _page(request, result, token, extras=extras)


async def _page_answer(app: FastAPI, scope: Scope) -> Response:
    """verification_page for a plain GET (api.hot): the same page, without FastAPI's request handler."""
    token = scope["path_params"]["token"]
    result, extras = await _page_extras(app.state.reads, app.state.settings, token, None)
    request = Request(scope)
    _log(request, result)
    return _page(request, result, token, extras=extras)


@router.post("/v/{token}/holder", response_class=HTMLResponse, include_in_schema=False)
def verification_holder(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: str,
    _csrf: CsrfForm,
    name: Annotated[str, Form(max_length=64)],
    id_number: Annotated[str, Form(max_length=32)],
) -> HTMLResponse:
    """Confirm the holder online: is the typed name + ID number theirs? (limited per client and per holder)"""
    _limit(request, settings)
    try:
        outcome = check_holder_online(session, token=token, name=name, id_number=id_number, settings=settings)
    except HolderChecksExhausted as exhausted:
        result = verify_online(session, token=token, settings=settings)
        return _page(request, result, token, holder="limited", limited=exhausted, status_code=429)
    return _page(request, outcome.result, token, holder=bool(outcome.matched))


@router.get("/api/v1/verify/revocations", responses={200: {"model": RevocationListOut}, **errors(409)})
def revocations(session: SessionDep, settings: SettingsDep) -> JSONResponse:
    """The signed list of revoked, suspended and reissued certificates (keyed hashes, not numbers)."""
    return JSONResponse(revocation_list(session, settings=settings), headers={"Cache-Control": "public, max-age=300"})


@router.post("/api/v1/verify/{token}/holder", response_model=HolderCheckOut, responses=errors(429))
def verify_holder(
    request: Request, session: SessionDep, settings: SettingsDep, token: str, data: HolderCheckIn
) -> HolderCheckOut:
    """Check that a name and ID number are the certificate holder's — online only, counted per client and per
    holder (REGISTRY_HOLDER_CHECKS_PER_DAY); the token carries nothing that could confirm a guess offline."""
    _limit(request, settings)
    outcome = check_holder_online(session, token=token, name=data.name, id_number=data.id_number, settings=settings)
    zh, en = HOLDER_TEXT[outcome.matched]
    r = outcome.result
    return HolderCheckOut(
        matched=outcome.matched,
        holder_zh=zh,
        holder_en=en,
        verdict=r.verdict.value,
        verdict_zh=r.verdict_zh,
        verdict_en=r.verdict_en,
    )


async def verify_json(
    request: Request,
    reads: ReadsDep,
    settings: SettingsDep,
    token: str,
    as_of: Annotated[dt.date | None, Query(description="also the standing on this date (audit record)")] = None,
    basis: Annotated[bool, Query(description="also how the grade was obtained")] = False,
) -> JSONResponse:
    """The same verification as the page, as JSON; `as_of` adds the standing on a past date (from the audit
    record), `basis` how the grade was obtained."""
    if as_of is None and not basis:
        result = await _verified(reads, settings, token)
        _log(request, result)  # buffered in memory for the regulator's flags: no database write here
        # as_dict() is JSON-ready already: handing it over directly skips FastAPI's encoder on the hottest path.
        return JSONResponse(result.as_dict())
    result, answer = await run_in_threadpool(_verified_with_extras, reads, settings, token, as_of=as_of, basis=basis)
    _log(request, result)
    return JSONResponse(answer)


async def _json_answer(app: FastAPI, scope: Scope) -> Response:
    """verify_json for a plain GET (api.hot): the same answer, without FastAPI's request handler."""
    result = await _verified(app.state.reads, app.state.settings, scope["path_params"]["token"])
    client = scope.get("client")
    _note(app, result, client[0] if client else None)
    return JSONResponse(result.as_dict())


NO_MATCH = error_body("no_match", "证书编号与姓名不匹配或证书不存在", "no certificate matches this number and name")


@router.post("/api/v1/verify/lookup", responses={200: {"model": VerificationOut}, **errors(404, 429)})
def lookup(request: Request, session: ReadSessionDep, settings: SettingsDep, data: LookupIn) -> Any:
    """Check a certificate by number + holder name; both must match (rate-limited per client)."""
    _limit(request, settings)
    result = lookup_certificate(session, number=data.number, name=data.name, settings=settings)
    _log(request, result)
    if result is None:
        return JSONResponse(NO_MATCH, status_code=404)
    return result.as_dict()


@router.get("/verify", response_class=HTMLResponse, include_in_schema=False)
def lookup_page(request: Request) -> HTMLResponse:
    """A form to check a certificate by number and name, for those who cannot scan."""
    return render(request, "console/public/lookup.html", {"result": None, "searched": False})


@router.post("/verify", response_class=HTMLResponse, include_in_schema=False)
def lookup_form(
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
    _csrf: CsrfForm,
    number: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=64)],
) -> HTMLResponse:
    """The look-up form's answer (rate-limited; the same answer for unknown numbers and wrong names)."""
    _limit(request, settings)
    result = lookup_certificate(session, number=number, name=name, settings=settings)
    return render(request, "console/public/lookup.html", {"result": result, "searched": True})


def include(app: FastAPI) -> None:
    """The verification routes: the JSON answer and the page hoisted ahead of every router (api.hot), the rest
    in the router. Call before including any other router, so that the hoisted routes are matched first."""
    json_prefix = "/api/v1/verify/"
    literal_gets = {
        route.path.removeprefix(json_prefix)
        for route in router.routes
        if isinstance(route, APIRoute) and "GET" in (route.methods or ()) and route.path.startswith(json_prefix)
    }
    reserved = {name for name in literal_gets if "/" not in name and "{" not in name}  # e.g. revocations
    state = (get_reads, get_settings)
    hoist(
        app,
        "/api/v1/verify/{token}",
        verify_json,
        _json_answer,
        replaces=state,
        reserved=reserved,
        response_class=JSONResponse,
        responses={200: {"model": VerificationOut}},
        tags=["verification"],
    )
    hoist(
        app,
        "/v/{token}",
        verification_page,
        _page_answer,
        replaces=state,
        response_class=HTMLResponse,
        include_in_schema=False,
        tags=["verification"],
    )
    app.include_router(router)
