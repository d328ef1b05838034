"""Share links with a purpose and an expiry (加注): the holder says why and for how long a verifier may look.

A link carries a random code (144 bits); only its SHA-256 is stored, so the table cannot be turned back into
working links. Verification through a link shows the purpose and expiry beside the usual answer; an expired or
withdrawn link refuses. The QR code on the paper is untouched and keeps working.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Sequence
from typing import Annotated

from sqlmodel import Field, Session, SQLModel, col, select

from certificates.models import Certificate
from certificates.open_models import ShareLink, ShareLinkAction
from certificates.service import get_certificate
from registry.actor import Actor, Role
from registry.audit.service import record
from registry.clock import as_utc, utcnow
from registry.errors import Gone, NotFound, PermissionDenied
from registry.fields import line
from registry.settings import Settings

MAX_DAYS = 90


class ShareLinkNotFound(NotFound):
    """No such share link, or not one the actor may see."""

    code = "share_link_not_found"


class ShareLinkGone(Gone):
    """The link expired or its holder withdrew it (HTTP 410)."""

    code = "share_link_gone"


class ShareLinkIn(SQLModel):
    """Why the holder shares the certificate and for how many days (1–90)."""

    purpose: Annotated[str, line(200, min_length=2)] = Field(min_length=2, max_length=200)
    days: int = Field(ge=1, le=MAX_DAYS, description="the link expires this many days from now (at most 90)")


class ShareLinkPublic(SQLModel):
    """A share link as its holder sees it; url only in the answer that created it (the code is not stored)."""

    id: uuid.UUID
    number: str
    purpose: str
    expires_at: dt.datetime
    withdrawn_at: dt.datetime | None
    created_at: dt.datetime
    state: str  # active | expired | withdrawn
    url: str | None = None


def code_hash(code: str) -> str:
    """The stored form of a link's code."""
    return hashlib.sha256(code.encode()).hexdigest()


def share_url(settings: Settings, code: str) -> str:
    """The link a holder hands out."""
    return f"{settings.public_base}/s/{code}"


def state_of(link: ShareLink, now: dt.datetime | None = None) -> str:
    """active, expired or withdrawn."""
    if link.withdrawn_at is not None:
        return "withdrawn"
    return "expired" if as_utc(link.expires_at) <= (now or utcnow()) else "active"


def link_view(link: ShareLink, number: str, url: str | None = None) -> ShareLinkPublic:
    """Present a link."""
    return ShareLinkPublic(
        id=link.id,
        number=number,
        purpose=link.purpose,
        expires_at=link.expires_at,
        withdrawn_at=link.withdrawn_at,
        created_at=link.created_at,
        state=state_of(link),
        url=url,
    )


def _require_holder_or_body(actor: Actor, certificate: Certificate) -> None:
    """The holder, or an admin of the issuing body acting on the holder's behalf (workers without an account)."""
    if actor.person_id is not None and actor.person_id == certificate.person_id:
        return
    if actor.is_system or (actor.role == Role.BODY_ADMIN and actor.body_id == certificate.body_id):
        return
    raise PermissionDenied("只有持证人或发证机构可以分享证书", "only the holder or the issuing body may share it")


def create_link(
    session: Session, *, actor: Actor, number: str, data: ShareLinkIn, settings: Settings
) -> tuple[ShareLink, str, Certificate]:
    """Make a link for the certificate; returns the link, its code (shown once) and the certificate."""
    certificate = get_certificate(session, actor=actor, number=number)
    _require_holder_or_body(actor, certificate)
    code = secrets.token_urlsafe(18)
    now = utcnow()
    link = ShareLink(
        certificate_id=certificate.id,
        code_hash=code_hash(code),
        purpose=data.purpose,
        expires_at=now + dt.timedelta(days=data.days),
        created_by=actor.user_id,
        created_at=now,
    )
    session.add(link)
    session.flush()
    record(
        session,
        actor=actor,
        action=ShareLinkAction.CREATED.value,
        entity_type="share_link",
        entity_id=link.id,
        body_id=certificate.body_id,
        after={"certificate_id": certificate.id, "purpose": link.purpose, "expires_at": link.expires_at},
    )
    return link, code, certificate


def list_links(session: Session, *, actor: Actor, number: str) -> tuple[Certificate, Sequence[ShareLink]]:
    """The certificate's links, newest first (holder or issuing body)."""
    certificate = get_certificate(session, actor=actor, number=number)
    _require_holder_or_body(actor, certificate)
    links = session.exec(
        select(ShareLink)
        .where(ShareLink.certificate_id == certificate.id)
        .order_by(col(ShareLink.created_at).desc(), col(ShareLink.id))
    ).all()
    return certificate, links


def withdraw_link(session: Session, *, actor: Actor, link_id: uuid.UUID) -> tuple[ShareLink, Certificate]:
    """Withdraw a link at once (idempotent); it refuses from then on."""
    link = session.get(ShareLink, link_id)
    certificate = session.get(Certificate, link.certificate_id) if link else None
    allowed = False
    if link is not None and certificate is not None:
        try:
            _require_holder_or_body(actor, certificate)
            allowed = True
        except PermissionDenied:
            allowed = False
    if not allowed:
        raise ShareLinkNotFound("分享链接不存在", "no such share link", extra={"link_id": str(link_id)})
    assert link is not None and certificate is not None
    if link.withdrawn_at is None:
        link.withdrawn_at = utcnow()
        session.flush()
        record(
            session,
            actor=actor,
            action=ShareLinkAction.REVOKED.value,
            entity_type="share_link",
            entity_id=link.id,
            body_id=certificate.body_id,
            before={"withdrawn_at": None},
            after={"withdrawn_at": link.withdrawn_at},
        )
    return link, certificate


def resolve(session: Session, code: str) -> tuple[ShareLink, Certificate]:
    """The link behind a code and its certificate; refuses unknown (404), expired or withdrawn (410) links."""
    link = session.exec(select(ShareLink).where(ShareLink.code_hash == code_hash(code.strip()))).first()
    if link is None:
        raise ShareLinkNotFound("分享链接不存在", "no such share link")
    state = state_of(link)
    if state == "withdrawn":
        raise ShareLinkGone("持证人已撤回此分享链接", "the holder withdrew this share link")
    if state == "expired":
        raise ShareLinkGone(
            f"此分享链接已于 {as_utc(link.expires_at):%Y-%m-%d %H:%M} UTC 过期",
            f"this share link expired at {as_utc(link.expires_at):%Y-%m-%d %H:%M} UTC",
        )
    certificate = session.get(Certificate, link.certificate_id)
    assert certificate is not None
    return link, certificate
