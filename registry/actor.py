"""Who is acting: the Actor every service receives and the roles; what each role may see and do is registry.access."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum


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
        """Whether the actor may read data belonging to body_id (registry.access.reaches_body)."""
        from registry.access import reaches_body

        return reaches_body(self, body_id)
