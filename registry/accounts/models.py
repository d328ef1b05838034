"""Account tables: users and per-username login throttles."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from registry.actor import Role
from registry.db import UTCDateTime, enum_type
from registry.fields import Username, line


class UserBase(SQLModel):
    """Fields a user shares across create and read."""

    username: str = Field(max_length=64)
    display_name: str = Field(default="", max_length=64)
    role: Role = Field(sa_type=enum_type(Role, "role"))
    body_id: uuid.UUID | None = Field(default=None, foreign_key="evaluation_body.id", index=True)
    person_id: uuid.UUID | None = Field(default=None, foreign_key="person.id")


class UserAccount(UserBase, table=True):
    """A login: role, and the body a body admin belongs to."""

    __tablename__ = "user_account"
    __table_args__ = (sa.CheckConstraint("role != 'body_admin' OR body_id IS NOT NULL", name="body_admin_has_body"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    username: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    password_hash: str = Field(max_length=255)
    is_active: bool = True
    last_login_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    created_at: dt.datetime = Field(sa_type=UTCDateTime())
    updated_at: dt.datetime = Field(sa_type=UTCDateTime())


class UserCreate(UserBase):
    """What the regulator sends to create an account: an ASCII login name (lower-cased), a plain display name."""

    username: Username = Field(
        description="3–64 characters: a–z, 0–9, '.', '_' or '-', starting with a letter or digit"
    )
    display_name: Annotated[str, line(64, min_length=0)] = Field(default="", max_length=64)
    password: str = Field(min_length=10, max_length=128)


class AccountIn(SQLModel):
    """A login opened for a known person or role elsewhere (an assessor's, from their card)."""

    username: Username = Field(
        description="3–64 characters: a–z, 0–9, '.', '_' or '-', starting with a letter or digit"
    )
    display_name: Annotated[str, line(64, min_length=0)] = Field(default="", max_length=64)
    password: str = Field(min_length=10, max_length=128)


class UserPublic(SQLModel):
    """An account as the API shows it (never the hash)."""

    id: uuid.UUID
    username: str
    display_name: str
    role: Role
    body_id: uuid.UUID | None
    person_id: uuid.UUID | None
    is_active: bool
    created_at: dt.datetime


class LoginThrottle(SQLModel, table=True):
    """Failed logins per username (known or not, so the two are indistinguishable) and any lock."""

    __tablename__ = "login_throttle"

    username: str = Field(primary_key=True, max_length=64)
    failures: int = 0
    locked_until: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    last_failure_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())


class WebSession(SQLModel, table=True):
    """A console login (browser cookie): only the SHA-256 of the cookie's random token is stored.

    Rows are server-side so logging out, or the account being disabled, ends the session at once.
    """

    __tablename__ = "web_session"
    __table_args__ = (sa.CheckConstraint("expires_at > created_at", name="expires_after_created"),)

    token_hash: str = Field(primary_key=True, min_length=64, max_length=64)
    user_id: uuid.UUID = Field(foreign_key="user_account.id", index=True)
    created_at: dt.datetime = Field(sa_type=UTCDateTime())
    expires_at: dt.datetime = Field(sa_type=UTCDateTime(), index=True)


class UserAction(StrEnum):
    """Audit actions of user accounts."""

    CREATED = "user.created"
    CLAIMED = "user.claimed"  # a worker created their own account by proving to be a certificate holder
