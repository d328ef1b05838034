"""Allowed status transitions as data, with one check that explains refusals; imports only registry.errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Generic, TypeVar

from registry.errors import TransitionNotAllowed

S = TypeVar("S", bound=StrEnum)


class TransitionTable(Generic[S]):
    """The status graph of one entity kind: which statuses may follow which."""

    def __init__(self, entity: str, edges: Mapping[S, Iterable[S]]) -> None:
        self.entity = entity
        self._edges: dict[S, frozenset[S]] = {src: frozenset(dsts) for src, dsts in edges.items()}

    def allowed_from(self, current: S) -> frozenset[S]:
        """Return the statuses reachable in one step from current."""
        return self._edges.get(current, frozenset())

    def is_final(self, status: S) -> bool:
        """Return whether nothing may follow status."""
        return not self.allowed_from(status)

    def check(self, current: S, target: S) -> None:
        """Raise TransitionNotAllowed unless current → target is an edge of the table."""
        if target in self.allowed_from(current):
            return
        allowed = sorted(s.value for s in self.allowed_from(current))
        shown = ", ".join(allowed) if allowed else "—"
        raise TransitionNotAllowed(
            f"{self.entity} 当前状态为 {current.value}，不能变更为 {target.value}（可变更为：{shown}）",
            f"{self.entity} is {current.value} and cannot become {target.value} (allowed: {shown})",
            extra={
                "entity": self.entity,
                "current": current.value,
                "target": target.value,
                "allowed": allowed,
            },
        )
