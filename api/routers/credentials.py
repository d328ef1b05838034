"""Open credentials: vc+jwt export, issuer metadata, status lists, scope statements, share links, PDF check."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlmodel import Field, Session, SQLModel

from api.console.session import CsrfForm, render
from api.deps import SessionDep, SettingsDep
from api.errors import error_body, status_for
from api.openapi import errors
from api.routers.verify import VerificationOut, _page, with_extras
from api.security import CurrentActor
from certificates import credentials, files, scope, sharing
from certificates.models import Certificate
from certificates.service import get_certificate
from certificates.verification import VerificationResult, verify_online
from registry.errors import DomainError, PayloadTooLarge
from registry.settings import Settings

router = APIRouter(tags=["credentials"])
JWT_CONTENT = {MEDIA: {"schema": {"type": "string"}} for MEDIA in (credentials.MEDIA_TYPE,)}
PUBLIC_CACHE = {"Cache-Control": "public, max-age=300"}


class CredentialOut(SQLModel):
    """The credential as a signed vc+jwt and, decoded, the credential it carries."""

    jwt: str
    media_type: str
    credential: dict[str, Any]


@router.get(
    "/api/v1/certificates/{number}/credential",
    response_class=Response,
    responses={200: {"content": {**JWT_CONTENT, "application/json": {"schema": CredentialOut.model_json_schema()}}}},
)
def credential(
    session: SessionDep, settings: SettingsDep, actor: CurrentActor, number: str, decoded: bool = False
) -> Response:
    """The certificate as a W3C VC 2.0 / Open Badges 3.0 credential, `application/vc+jwt` (holder, body,
    regulator); `decoded=true` wraps it in JSON with the credential beside it."""
    certificate = get_certificate(session, actor=actor, number=number)
    token = credentials.credential_jwt(session, certificate, settings)
    headers = {"Cache-Control": "no-store", "Content-Disposition": f'inline; filename="{certificate.number}.jwt"'}
    if decoded:
        body = CredentialOut(jwt=token, media_type=credentials.MEDIA_TYPE, credential=credentials.payload_of(token))
        return JSONResponse(body.model_dump(), headers=headers)
    return Response(token, media_type=credentials.MEDIA_TYPE, headers=headers)


@router.get("/issuer")
def issuer(settings: SettingsDep) -> JSONResponse:
    """The issuer's controlled identifier document: its signing keys as verification methods (the JWKS's keys)."""
    return JSONResponse(credentials.issuer_document(settings), headers=PUBLIC_CACHE)


@router.get("/.well-known/jwt-vc-issuer/issuer")
def jwt_vc_issuer(settings: SettingsDep) -> JSONResponse:
    """JWT VC issuer metadata: the issuer id and its keys under the kids credentials name."""
    return JSONResponse(credentials.jwt_vc_issuer_metadata(settings), headers=PUBLIC_CACHE)


@router.get(
    "/api/v1/status-lists/{list_number}/{purpose}",
    response_class=Response,
    responses={200: {"content": JWT_CONTENT}},
)
def status_list(
    session: SessionDep, settings: SettingsDep, list_number: int, purpose: Literal["revocation", "suspension"]
) -> Response:
    """A W3C Bitstring Status List credential (vc+jwt; 131,072 entries; ttl 5 minutes) for revocation or
    suspension; each credential names its list and random index."""
    token = credentials.status_list_jwt(session, number=list_number, purpose=purpose, settings=settings)
    return Response(token, media_type=credentials.MEDIA_TYPE, headers=PUBLIC_CACHE)


@router.get("/.well-known/scope-statements.json")
def scope_statements(session: SessionDep, settings: SettingsDep) -> JSONResponse:
    """The signed scope statements of every filing the regulator approved (body, occupations × highest grade,
    window, ceiling, days not in force), for offline scope checks beside the JWKS."""
    return JSONResponse(scope.scope_statements(session, settings=settings), headers=PUBLIC_CACHE)


# ------------------------------------------------------------------------------------------ share links


@router.post(
    "/api/v1/certificates/{number}/share-links",
    response_model=sharing.ShareLinkPublic,
    status_code=201,
    responses=errors(409),
)
def create_share_link(
    session: SessionDep, settings: SettingsDep, actor: CurrentActor, number: str, data: sharing.ShareLinkIn
) -> sharing.ShareLinkPublic:
    """Share a certificate for a stated purpose, expiring within 90 days (the holder, or the issuing body on the
    holder's behalf); the link is shown once."""
    link, code, certificate = sharing.create_link(session, actor=actor, number=number, data=data, settings=settings)
    return sharing.link_view(link, certificate.number, sharing.share_url(settings, code))


@router.get("/api/v1/certificates/{number}/share-links", response_model=list[sharing.ShareLinkPublic])
def list_share_links(session: SessionDep, actor: CurrentActor, number: str) -> list[sharing.ShareLinkPublic]:
    """The certificate's share links with their purpose, expiry and state (holder or issuing body)."""
    certificate, links = sharing.list_links(session, actor=actor, number=number)
    return [sharing.link_view(link, certificate.number) for link in links]


@router.post("/api/v1/share-links/{link_id}/withdraw", response_model=sharing.ShareLinkPublic)
def withdraw_share_link(session: SessionDep, actor: CurrentActor, link_id: uuid.UUID) -> sharing.ShareLinkPublic:
    """Withdraw a share link: it refuses from now on (the paper QR code is unaffected)."""
    link, certificate = sharing.withdraw_link(session, actor=actor, link_id=link_id)
    return sharing.link_view(link, certificate.number)


def _shared_answer(session: Session, settings: Settings, code: str) -> tuple[VerificationResult, dict[str, Any]]:
    link, certificate = sharing.resolve(session, code)
    result = verify_online(session, token=certificate.token, settings=settings)
    answer = with_extras(session, result, as_of=None, basis=True)
    answer["share"] = {
        "purpose": link.purpose,
        "expires_at": link.expires_at.isoformat(),
        "created_at": link.created_at.isoformat(),
        "zh": f"持证人为“{link.purpose}”分享，有效至 {link.expires_at:%Y-%m-%d %H:%M} UTC",
        "en": f"shared by the holder for “{link.purpose}”, valid until {link.expires_at:%Y-%m-%d %H:%M} UTC",
    }
    return result, answer


@router.get("/api/v1/shared/{code}", response_model=VerificationOut, responses=errors(410))
def shared(session: SessionDep, settings: SettingsDep, code: str) -> JSONResponse:
    """Verify through a share link: the usual answer plus the purpose and expiry; expired or withdrawn links
    answer 410."""
    _, answer = _shared_answer(session, settings, code)
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


@router.get("/s/{code}", response_class=HTMLResponse, include_in_schema=False)
def shared_page(request: Request, session: SessionDep, settings: SettingsDep, code: str) -> HTMLResponse:
    """The page a share link opens: the verification with the holder's purpose and the link's expiry."""
    try:
        result, answer = _shared_answer(session, settings, code)
    except (sharing.ShareLinkGone, sharing.ShareLinkNotFound) as refused:
        return render(
            request,
            "console/public/refused.html",
            {"zh": refused.zh, "en": refused.en},
            status_code=status_for(refused),
        )
    # The page never shows the certificate's own token: it would be a link that outlives the share's expiry.
    return _page(request, result, "", extras=answer)


# ------------------------------------------------------------------------------------------ PDF check


class PdfCheckOut(SQLModel):
    """Whether a PDF (or its SHA-256) is a file this registry produced, which certificate, and its status now."""

    recognised: bool
    sha256: str
    zh: str
    en: str
    number: str | None = None
    print_serial: int | None = None
    current_print: bool | None = None
    stamped: str | None = None
    verification: dict[str, Any] | None = Field(default=None, description="the certificate's verification now")


def _read_pdf(upload: UploadFile) -> bytes:
    data = upload.file.read(files.MAX_PDF_BYTES + 1)
    if len(data) > files.MAX_PDF_BYTES:
        raise PayloadTooLarge(
            f"文件超过上限 {files.MAX_PDF_BYTES // 1024} KB",
            f"the file is over the {files.MAX_PDF_BYTES // 1024} KB limit",
            extra={"limit_bytes": files.MAX_PDF_BYTES},
        )
    return data


def check_pdf(session: Session, settings: Settings, *, data: bytes | None, digest: str | None) -> PdfCheckOut:
    """Recognise a file by its bytes or its SHA-256."""
    if data is not None:
        value = files.digest_of(data)
    elif digest:
        value = files.normalise_digest(digest)
    else:
        raise files.BadDigest("请上传 PDF 文件或填写其 SHA-256", "upload the PDF or give its SHA-256")
    match = files.find_file(session, value)
    if match is None:
        return PdfCheckOut(
            recognised=False,
            sha256=value,
            zh="不是本登记系统签发的文件，或文件已被改动",
            en="not a file this registry issued, or the file was altered",
        )
    certificate: Certificate = match.certificate
    result = verify_online(session, token=certificate.token, settings=settings)
    current = match.print_serial == certificate.print_serial
    return PdfCheckOut(
        recognised=True,
        sha256=value,
        zh=f"本登记系统签发的原始文件：证书 {certificate.number}，第 {match.print_serial} 次印制"
        + ("" if current else "（此印件已换发作废）"),
        en=f"an unaltered file this registry issued: certificate {certificate.number}, print {match.print_serial}"
        + ("" if current else " (this print was superseded by a reissue)"),
        number=certificate.number,
        print_serial=match.print_serial,
        current_print=current,
        stamped=match.stamped or None,
        verification=result.as_dict(),
    )


@router.post("/api/v1/verify/pdf", response_model=PdfCheckOut, responses=errors(413))
def verify_pdf(
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile | None, File(description="the certificate PDF (at most 2 MB)")] = None,
    sha256: Annotated[str | None, Form(max_length=80, description="or the file's SHA-256 in hex")] = None,
) -> PdfCheckOut:
    """Is this PDF a file this registry issued, unaltered? Which certificate, and its status now."""
    data = _read_pdf(file) if file is not None else None
    return check_pdf(session, settings, data=data, digest=sha256)


@router.get("/verify/pdf", response_class=HTMLResponse, include_in_schema=False)
def pdf_page(request: Request) -> HTMLResponse:
    """A form to check a certificate PDF (upload or SHA-256)."""
    return render(request, "console/public/pdfcheck.html", {"answer": None})


@router.post("/verify/pdf", response_class=HTMLResponse, include_in_schema=False)
def pdf_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _csrf: CsrfForm,
    file: Annotated[UploadFile | None, File()] = None,
    sha256: Annotated[str | None, Form(max_length=80)] = None,
) -> HTMLResponse:
    """The PDF check's answer as a page."""
    try:
        upload = file if file is not None and file.filename else None
        data = _read_pdf(upload) if upload is not None else None
        answer: dict[str, Any] = check_pdf(session, settings, data=data, digest=sha256).model_dump()
        status = 200
    except DomainError as refused:
        answer = {"error": error_body(refused.code, refused.zh, refused.en)}
        status = status_for(refused)
    return render(
        request,
        "console/public/pdfcheck.html",
        {"answer": answer, "answer_json": json.dumps(answer, ensure_ascii=False)},
        status_code=status,
    )
