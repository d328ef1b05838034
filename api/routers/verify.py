"""Public verification: the QR landing page, JSON, look-up by number + name, revocation list, JWKS."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse
from sqlmodel import Field, SQLModel

from api.deps import ReadSessionDep, SessionDep, SettingsDep
from api.errors import error_body
from api.ratelimit import SlidingWindow, client_key
from api.templating import TEMPLATES
from certificates import signing
from certificates.verification import VerificationResult, check_holder, revocation_list, verify_online
from certificates.verification import lookup as lookup_certificate

router = APIRouter(tags=["verification"])


class LookupIn(SQLModel):
    """A certificate number and the holder's full name; both must match."""

    number: str = Field(max_length=64)
    name: str = Field(max_length=64)


def _limit(request: Request, settings: SettingsDep) -> None:
    limiter: SlidingWindow = request.app.state.lookups
    limiter.hit(client_key(request), settings.lookup_rate_per_minute)


def _lang(request: Request) -> str:
    return "en" if request.query_params.get("lang") == "en" else "zh"


def _page(
    request: Request, result: VerificationResult, token: str, *, holder: bool | None = None, status_code: int = 200
) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(
        request,
        "verify.html",
        {"r": result, "token": token, "lang": _lang(request), "holder": holder},
        status_code=status_code,
        headers={"Cache-Control": "no-store"},
    )


@router.get("/.well-known/jwks.json")
def jwks(settings: SettingsDep) -> JSONResponse:
    """The public keys certificates are signed with, active and retired, with their validity windows."""
    return JSONResponse(signing.jwks_document(settings.key_dir), headers={"Cache-Control": "public, max-age=300"})


@router.get("/v/{token}", response_class=HTMLResponse, include_in_schema=False)
def verification_page(request: Request, session: SessionDep, settings: SettingsDep, token: str) -> HTMLResponse:
    """The page a scanned QR code opens: one verdict, the checks, the masked fields, a holder check form."""
    return _page(request, verify_online(session, token=token, settings=settings), token)


@router.post("/v/{token}/holder", response_class=HTMLResponse, include_in_schema=False)
def verification_holder(
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
    token: str,
    name: Annotated[str, Form(max_length=64)],
    id_number: Annotated[str, Form(max_length=32)],
) -> HTMLResponse:
    """Confirm the holder: does the typed name + ID number match the certificate's binding? (rate-limited)"""
    _limit(request, settings)
    result = verify_online(session, token=token, settings=settings)
    matched = check_holder(result.claims, name, id_number) if result.claims else False
    return _page(request, result, token, holder=matched)


@router.get("/api/v1/verify/revocations")
def revocations(session: SessionDep, settings: SettingsDep) -> JSONResponse:
    """The signed list of revoked, suspended and reissued certificates (keyed hashes, not numbers)."""
    return JSONResponse(revocation_list(session, settings=settings), headers={"Cache-Control": "public, max-age=300"})


@router.get("/api/v1/verify/{token}", response_class=JSONResponse)
def verify_json(session: SessionDep, settings: SettingsDep, token: str) -> JSONResponse:
    """The same verification as the page, as JSON."""
    # as_dict() is JSON-ready already: handing it over directly skips FastAPI's encoder on the hottest path.
    return JSONResponse(verify_online(session, token=token, settings=settings).as_dict())


NO_MATCH = error_body("no_match", "证书编号与姓名不匹配或证书不存在", "no certificate matches this number and name")


@router.post("/api/v1/verify/lookup", responses={404: {}, 429: {}})
def lookup(request: Request, session: ReadSessionDep, settings: SettingsDep, data: LookupIn) -> Any:
    """Check a certificate by number + holder name; both must match (rate-limited per client)."""
    _limit(request, settings)
    result = lookup_certificate(session, number=data.number, name=data.name, settings=settings)
    if result is None:
        return JSONResponse(NO_MATCH, status_code=404)
    return result.as_dict()


@router.get("/verify", response_class=HTMLResponse, include_in_schema=False)
def lookup_page(request: Request) -> HTMLResponse:
    """A form to check a certificate by number and name, for those who cannot scan."""
    return TEMPLATES.TemplateResponse(
        request, "lookup.html", {"lang": _lang(request), "result": None, "searched": False}
    )


@router.post("/verify", response_class=HTMLResponse, include_in_schema=False)
def lookup_form(
    request: Request,
    session: ReadSessionDep,
    settings: SettingsDep,
    number: Annotated[str, Form(max_length=64)],
    name: Annotated[str, Form(max_length=64)],
) -> HTMLResponse:
    """The look-up form's answer (rate-limited; the same answer for unknown numbers and wrong names)."""
    _limit(request, settings)
    result = lookup_certificate(session, number=number, name=name, settings=settings)
    return TEMPLATES.TemplateResponse(
        request,
        "lookup.html",
        {"lang": _lang(request), "result": result, "searched": True},
        headers={"Cache-Control": "no-store"},
    )
