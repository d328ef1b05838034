"""Audit tables: the events (append-only) and the chain head that serialises appends."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from registry import access
from registry.db import JSONType, UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEvent(SQLModel, table=True):
    """One state change: who, what, when, before/after, why; hash covers all of it and the previous hash."""

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_entity", "entity_type", "entity_id"),)

    seq: int = Field(
        sa_column=sa.Column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=False)
    )
    occurred_at: dt.datetime = Field(sa_type=UTCDateTime())
    actor_id: uuid.UUID | None = None
    actor_label: str = Field(max_length=128)
    actor_role: str | None = Field(default=None, max_length=32)
    action: str = Field(max_length=64, index=True)
    entity_type: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    body_id: uuid.UUID | None = Field(default=None, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_type=JSONType())
    after: dict[str, Any] | None = Field(default=None, sa_type=JSONType())
    reason: str | None = Field(default=None, max_length=2000)
    prev_hash: str = Field(min_length=64, max_length=64)
    hash: str = Field(min_length=64, max_length=64, sa_column_kwargs={"unique": True})


class AuditHead(SQLModel, table=True):
    """The single row naming the last event; appends lock it, so the chain never forks."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    last_seq: int = Field(default=0, sa_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"))
    last_hash: str = Field(default=GENESIS_HASH, max_length=64)


class AuditEventPublic(SQLModel):
    """An audit event as the API shows it."""

    seq: int
    occurred_at: dt.datetime
    actor_id: uuid.UUID | None
    actor_label: str
    actor_role: str | None
    action: str
    entity_type: str
    entity_id: str
    body_id: uuid.UUID | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None
    prev_hash: str
    hash: str


# Who sees which rows (registry.access).
access.register(AuditEvent, access.Ownership(body=AuditEvent.body_id))
