"""Write and verify the audit chain; every service that changes state calls record() before it flushes.

Each event's hash is SHA-256 over a canonical JSON of its fields and the previous event's hash. Appends lock
the single audit_head row (FOR UPDATE), so concurrent transactions queue and the chain never forks; the lock
is held to commit, which serialises writers of audited changes — a deliberate trade for a linear chain.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, select

from registry import access
from registry.actor import Actor
from registry.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from registry.clock import utcnow
from registry.db import insert_if_absent


def jsonable(value: Any) -> Any:
    """Convert a value to JSON that survives a database round trip unchanged (floats become strings)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, float | decimal.Decimal):
        return format(decimal.Decimal(str(value)).normalize(), "f")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, bytes):
        return "<bytes>"
    raise TypeError(f"cannot audit a {type(value).__name__}")


# Fields never copied into audit snapshots: secrets and raw personal data.
SECRET_FIELDS = frozenset({"password_hash", "id_number_enc", "id_number_hmac", "photo", "holder_binding", "token"})


def snapshot(record: SQLModel, *, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """Return a JSON-safe copy of a record's columns (or the named fields), without secrets."""
    names = list(fields) if fields is not None else list(type(record).model_fields)
    return {name: jsonable(getattr(record, name)) for name in names if name not in SECRET_FIELDS}


HASHED_FIELDS = (
    "seq",
    "occurred_at",
    "actor_id",
    "actor_label",
    "actor_role",
    "action",
    "entity_type",
    "entity_id",
    "body_id",
    "before",
    "after",
    "reason",
    "prev_hash",
)


def fields_hash(fields: Mapping[str, Any]) -> str:
    """Return the SHA-256 of an event's hashed fields in canonical JSON."""
    payload = {name: jsonable(fields[name]) for name in HASHED_FIELDS}
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def event_hash(event: AuditEvent) -> str:
    """Return the hash an event must carry."""
    return fields_hash({name: getattr(event, name) for name in HASHED_FIELDS})


def _locked_head(session: Session) -> AuditHead:
    head = session.exec(
        select(AuditHead).where(AuditHead.id == 1).with_for_update().execution_options(populate_existing=True)
    ).first()
    if head is None:  # the migration seeds the row; this only runs on a database emptied by hand
        insert_if_absent(session, AuditHead, {"id": 1, "last_seq": 0, "last_hash": GENESIS_HASH})
        return _locked_head(session)
    return head


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: uuid.UUID | str,
    body_id: uuid.UUID | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Append one event to the chain in the caller's transaction and flush it."""
    head = _locked_head(session)
    event = AuditEvent(
        seq=head.last_seq + 1,
        occurred_at=utcnow(),
        actor_id=actor.user_id,
        actor_label=actor.label,
        actor_role=actor.role.value if actor.role else None,
        action=str(action),  # an area's action enum member is stored as its plain name
        entity_type=entity_type,
        entity_id=str(entity_id),
        body_id=body_id,
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        reason=reason,
        prev_hash=head.last_hash,
        hash="",
    )
    event.hash = event_hash(event)
    head.last_seq = event.seq
    head.last_hash = event.hash
    session.add(event)
    session.flush()
    return event


BOOKKEEPING_FIELDS = frozenset({"updated_at"})


@dataclass(frozen=True)
class PendingEvent:
    """One event of a bulk append."""

    action: str
    entity_type: str
    entity_id: uuid.UUID | str
    body_id: uuid.UUID | None = None
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    reason: str | None = None


def record_many(session: Session, *, actor: Actor, events: Sequence[PendingEvent]) -> int:
    """Append many events under one head lock with one multi-row insert (bulk issuance); return the count."""
    if not events:
        return 0
    head = _locked_head(session)
    now = utcnow()
    rows = []
    seq, prev = head.last_seq, head.last_hash
    for pending in events:
        seq += 1
        fields: dict[str, Any] = {
            "seq": seq,
            "occurred_at": now,
            "actor_id": actor.user_id,
            "actor_label": actor.label,
            "actor_role": actor.role.value if actor.role else None,
            "action": str(pending.action),
            "entity_type": pending.entity_type,
            "entity_id": str(pending.entity_id),
            "body_id": pending.body_id,
            "before": jsonable(pending.before) if pending.before is not None else None,
            "after": jsonable(pending.after) if pending.after is not None else None,
            "reason": pending.reason,
            "prev_hash": prev,
        }
        fields["hash"] = prev = fields_hash(fields)
        rows.append(fields)
    session.execute(sa.insert(AuditEvent.__table__), rows)  # type: ignore[attr-defined]
    head.last_seq, head.last_hash = seq, prev
    session.flush()
    return len(rows)


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return only the fields that differ (bookkeeping timestamps aside), as (before, after)."""
    keys = [k for k in after if k not in BOOKKEEPING_FIELDS and before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


@dataclass(frozen=True)
class ChainReport:
    """The result of checking the whole chain."""

    ok: bool
    checked: int
    last_seq: int
    first_broken_seq: int | None = None
    problem_zh: str | None = None
    problem_en: str | None = None


def verify_chain(session: Session, *, batch: int = 2000) -> ChainReport:
    """Recompute every hash in order; name the first event that was edited, removed or reordered."""
    head = session.exec(select(AuditHead.last_seq, AuditHead.last_hash).where(AuditHead.id == 1)).first()
    table = AuditEvent.__table__  # type: ignore[attr-defined]
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        # Core rows, not ORM objects: nothing enters (or leaves) the caller's identity map.
        page = (
            session.connection()
            .execute(sa.select(table).where(table.c.seq >= expected_seq).order_by(table.c.seq).limit(batch))
            .all()
        )
        for row in page:
            event = row._mapping
            if event["seq"] != expected_seq:
                return ChainReport(
                    False,
                    checked,
                    last_seq,
                    expected_seq,
                    f"第{expected_seq}条事件缺失",
                    f"event {expected_seq} is missing",
                )
            seq = event["seq"]
            if event["prev_hash"] != expected_prev:
                return ChainReport(
                    False,
                    checked,
                    last_seq,
                    seq,
                    f"第{seq}条事件的前序哈希不符",
                    f"event {seq} does not link to the previous event",
                )
            if fields_hash(dict(event)) != event["hash"]:
                return ChainReport(
                    False,
                    checked,
                    last_seq,
                    seq,
                    f"第{seq}条事件内容被改动",
                    f"event {seq} was altered after it was written",
                )
            expected_prev = event["hash"]
            expected_seq += 1
            checked += 1
            last_seq = seq
        if len(page) < batch:
            break
    if head is not None and (head[0] != last_seq or head[1] != expected_prev):
        return ChainReport(
            False,
            checked,
            last_seq,
            last_seq + 1,
            f"第{last_seq + 1}条及之后的事件被删除",
            f"events from {last_seq + 1} on were deleted",
        )
    return ChainReport(True, checked, last_seq)


def list_events(
    session: Session,
    *,
    actor: Actor,
    entity_type: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    body_id: uuid.UUID | None = None,
    before_seq: int | None = None,
    limit: int = 100,
) -> Sequence[AuditEvent]:
    """Return events newest first; a body admin sees only their own body's events."""
    query = select(AuditEvent).where(
        access.rows(actor, AuditEvent), access.narrowed(actor, AuditEvent.body_id, body_id)
    )
    if entity_type:
        query = query.where(col(AuditEvent.entity_type) == entity_type)
    if entity_id:
        query = query.where(col(AuditEvent.entity_id) == entity_id)
    if action:
        query = query.where(col(AuditEvent.action) == action)
    if before_seq is not None:
        query = query.where(col(AuditEvent.seq) < before_seq)
    return session.exec(query.order_by(col(AuditEvent.seq).desc()).limit(limit)).all()
