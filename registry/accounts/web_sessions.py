"""Console (browser) sessions: server-side rows keyed by a hash of the cookie's random token.

The cookie carries 256 random bits; the table holds only their SHA-256, so reading the database does not let
anyone act as a logged-in user. A session ends when it expires, when its user logs out, or at once when the
account is disabled (checked on every request, like bearer tokens).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid

import sqlalchemy as sa
from sqlmodel import Session, col, select

from registry.accounts.models import UserAccount, WebSession
from registry.clock import utcnow

TOKEN_BYTES = 32


def token_hash(token: str) -> str:
    """The stored form of a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, *, user: UserAccount, hours: int, now: dt.datetime | None = None) -> str:
    """Start a session for user lasting hours; return the token for the cookie (shown once, never stored)."""
    now = now or utcnow()
    session.execute(sa.delete(WebSession).where(col(WebSession.user_id) == user.id, col(WebSession.expires_at) <= now))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        WebSession(
            token_hash=token_hash(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + dt.timedelta(hours=hours),
        )
    )
    session.flush()
    return token


def session_user(session: Session, token: str, *, now: dt.datetime | None = None) -> UserAccount | None:
    """The active user of a live session, or None (unknown, expired, or the account is disabled)."""
    if not token or len(token) > 128:
        return None
    row = session.exec(
        select(UserAccount)
        .join(WebSession, col(WebSession.user_id) == col(UserAccount.id))
        .where(col(WebSession.token_hash) == token_hash(token), col(WebSession.expires_at) > (now or utcnow()))
    ).first()
    if row is None or not row.is_active:
        return None
    return row


def close_session(session: Session, token: str) -> None:
    """End one session (logout); unknown tokens are ignored."""
    session.execute(sa.delete(WebSession).where(col(WebSession.token_hash) == token_hash(token)))
    session.flush()


def close_user_sessions(session: Session, user_id: uuid.UUID) -> int:
    """End every session of a user (e.g. when the account is disabled); return how many ended."""
    result = session.execute(sa.delete(WebSession).where(col(WebSession.user_id) == user_id))
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)
