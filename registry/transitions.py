"""Status changes: the transition tables as data, and the one way every status in the registry changes.

`apply_transition` is the whole sequence — lock the row, check the table, change, stamp, audit, flush — so no
area writes it out again. A table names the audit action of each change (the area's action enum), so the
same meaning gets the same verb everywhere (`*.reinstated`, `*.revoked`, …; registry.audit.actions.Verb).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any, Generic, TypeVar

from sqlmodel import Session, SQLModel

from registry.actor import Actor
from registry.audit.service import record
from registry.clock import utcnow
from registry.db import get_for_update
from registry.errors import TransitionNotAllowed

S = TypeVar("S", bound=StrEnum)
R = TypeVar("R", bound=SQLModel)


class TransitionTable(Generic[S]):
    """The status graph of one entity kind: which statuses may follow which, and the audit action of each step.

    actions maps a target status, or a (from, to) pair where one target has two meanings (approved after
    submission, reinstated after suspension), to the action name the change is audited under. With names (the
    entity in Chinese and English) and words (each status in Chinese and English), a refusal reads as words
    rather than codes.
    """

    def __init__(
        self,
        entity: str,
        edges: Mapping[S, Iterable[S]],
        *,
        actions: Mapping[S | tuple[S, S], StrEnum] | None = None,
        names: tuple[str, str] | None = None,
        words: Mapping[S, tuple[str, str]] | None = None,
    ) -> None:
        self.entity = entity
        self._edges: dict[S, frozenset[S]] = {src: frozenset(dsts) for src, dsts in edges.items()}
        self._actions: dict[S | tuple[S, S], StrEnum] = dict(actions or {})
        self._names = names or (entity, entity)
        self._words: dict[S, tuple[str, str]] = dict(words or {})

    def allowed_from(self, current: S) -> frozenset[S]:
        """Return the statuses reachable in one step from current."""
        return self._edges.get(current, frozenset())

    def is_final(self, status: S) -> bool:
        """Return whether nothing may follow status."""
        return not self.allowed_from(status)

    def edges(self) -> list[tuple[S, S]]:
        """Every allowed (from, to) step."""
        return [(src, dst) for src, dsts in self._edges.items() for dst in sorted(dsts)]

    def action(self, current: S, target: S) -> StrEnum:
        """The audit action of the step current → target (KeyError when the table names none)."""
        pair = (current, target)
        return self._actions[pair] if pair in self._actions else self._actions[target]

    def check(self, current: S, target: S) -> None:
        """Raise TransitionNotAllowed unless current → target is an edge of the table."""
        if target in self.allowed_from(current):
            return
        allowed = sorted(s.value for s in self.allowed_from(current))
        zh, en = self._names
        if self._words:

            def word(status: S, lang: int) -> str:
                return self._words.get(status, (status.value, status.value))[lang]

            later = sorted(self.allowed_from(current), key=lambda s: s.value)
            next_zh = "、".join(f"“{word(s, 0)}”" for s in later) or "无（已是最终状态）"
            next_en = ", ".join(word(s, 1) for s in later) or "nothing (it is final)"
            message = (
                f"{zh}当前为“{word(current, 0)}”，不能变为“{word(target, 0)}”（此时只能变为：{next_zh}）",
                f"the {en} is {word(current, 1)} and cannot become {word(target, 1)} (from here: {next_en})",
            )
        else:
            shown = ", ".join(allowed) if allowed else "—"
            message = (
                f"{zh} 当前状态为 {current.value}，不能变更为 {target.value}（可变更为：{shown}）",
                f"{en} is {current.value} and cannot become {target.value} (allowed: {shown})",
            )
        raise TransitionNotAllowed(
            *message,
            extra={
                "entity": self.entity,
                "current": current.value,
                "target": target.value,
                "allowed": allowed,
            },
        )


def apply_transition(
    session: Session,
    row: R,
    *,
    table: TransitionTable[Any],
    target: StrEnum,
    actor: Actor,
    entity_type: str,
    body_id: uuid.UUID | None,
    reason: str | None = None,
    check: Callable[[R], None] | None = None,
    prepare: Callable[[R], Mapping[str, Any] | None] | None = None,
    stamp: Sequence[str] = ("updated_at",),
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    audit_entity: tuple[str, uuid.UUID] | None = None,
    lock: bool = True,
) -> R:
    """Move row to target: lock → check → table → prepare → change → stamp → audit → flush; return the row.

    check runs on the locked row before the table (refusals that must win over "not allowed from here");
    prepare runs after the table, may refuse or change other fields, and returns extra audit `after` data.
    stamp names the time fields set to now. The audit event is `table.action(from, to)` on (entity_type,
    row.id) — or audit_entity, where a change is recorded against its parent — with {"status": from} before
    and {"status": to, **after, **prepared} after. Pass lock=False only for a row this transaction locked.
    """
    if lock:
        row = get_for_update(session, type(row), row.id)  # type: ignore[attr-defined]
    if check is not None:
        check(row)
    current = row.status  # type: ignore[attr-defined]
    table.check(current, target)
    prepared = prepare(row) if prepare is not None else None
    row.status = target
    now = utcnow()
    for field in stamp:
        setattr(row, field, now)
    session.flush()
    entity, entity_id = audit_entity or (entity_type, row.id)  # type: ignore[attr-defined]
    record(
        session,
        actor=actor,
        action=table.action(current, target).value,
        entity_type=entity,
        entity_id=entity_id,
        body_id=body_id,
        before={**(before or {}), "status": current},
        after={"status": target, **(after or {}), **(prepared or {})},
        reason=reason,
    )
    return row
