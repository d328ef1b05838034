"""Who is acting: the Actor every service receives, roles, and the permission checks services share."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum

from registry.errors import NotFound, PermissionDenied


class Role(StrEnum):
    """Account roles (DESIGN.md §8)."""

    REGULATOR = "regulator"
    BODY_ADMIN = "body_admin"
    ASSESSOR = "assessor"
    SUPERVISOR = "supervisor"
    WORKER = "worker"


ROLE_ZH = {
    Role.REGULATOR: "人社监管部门",
    Role.BODY_ADMIN: "评价机构管理员",
    Role.ASSESSOR: "考评员",
    Role.SUPERVISOR: "质量督导员",
    Role.WORKER: "持证人",
}


@dataclass(frozen=True)
class Actor:
    """The user (or system process) on whose behalf a service acts."""

    label: str
    role: Role | None
    user_id: uuid.UUID | None = None
    body_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    assessor_id: uuid.UUID | None = None

    @classmethod
    def system(cls, label: str) -> Actor:
        """An operator at the command line or a system job: full powers, audited under label."""
        return cls(label=f"system:{label}", role=None)

    @classmethod
    def anonymous(cls) -> Actor:
        """A member of the public."""
        return cls(label="anonymous", role=None)

    @property
    def is_system(self) -> bool:
        """Whether this is the command line or a system job."""
        return self.label.startswith("system:") and self.role is None

    @property
    def is_regulator(self) -> bool:
        """Whether the actor may act as the regulator (the system may, too)."""
        return self.role == Role.REGULATOR or self.is_system

    def sees_body(self, body_id: uuid.UUID | None) -> bool:
        """Whether the actor may read data belonging to body_id: the regulator, or an admin of that body."""
        if self.is_regulator:
            return True
        return self.role == Role.BODY_ADMIN and body_id is not None and self.body_id == body_id


def require_regulator(actor: Actor) -> None:
    """Refuse unless the actor is the regulator (or the system)."""
    if not actor.is_regulator:
        raise PermissionDenied("仅人社监管部门可执行此操作", "only the regulator may do this")


def require_role(actor: Actor, *roles: Role) -> None:
    """Refuse unless the actor has one of roles (the system always passes)."""
    if actor.is_system or actor.role in roles:
        return
    names = ", ".join(r.value for r in roles)
    raise PermissionDenied(f"需要以下角色之一：{names}", f"needs one of the roles: {names}")


def require_body_access(actor: Actor, body_id: uuid.UUID) -> None:
    """Refuse unless the actor is the regulator or an admin of this very body."""
    if actor.is_regulator:
        return
    if actor.role == Role.BODY_ADMIN and actor.body_id == body_id:
        return
    raise PermissionDenied("无权操作其他评价机构的数据", "you may not act on another evaluation body's data")


def hide_unless_visible(actor: Actor, body_id: uuid.UUID | None, error: NotFound) -> None:
    """Raise error (a NotFound) when the actor may not know the record exists."""
    if not actor.sees_body(body_id):
        raise error
