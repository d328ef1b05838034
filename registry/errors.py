"""The domain error family: stable snake_case codes, Chinese and English text; api/errors.py maps families to HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every refusal the registry makes on purpose."""

    code: ClassVar[str] = "domain_error"

    def __init__(self, zh: str, en: str, *, extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en
        self.extra: dict[str, Any] = dict(extra or {})

    @property
    def detail(self) -> str:
        """Both languages, Chinese first, as one line."""
        return f"{self.zh} / {self.en}"


class NotFound(DomainError):
    """The thing asked for does not exist, or the actor may not know that it does."""

    code = "not_found"


class Conflict(DomainError):
    """The request clashes with the current state (duplicates, illegal transitions)."""

    code = "conflict"


class InvalidInput(DomainError):
    """A value is well-formed JSON but not acceptable (bad check digit, unknown code, bad CSV row)."""

    code = "invalid_input"


class RuleViolation(DomainError):
    """A policy rule refuses the request; extra['rules'] lists every outcome."""

    code = "rule_violation"


class PermissionDenied(DomainError):
    """The actor is known but may not do this."""

    code = "permission_denied"


class AuthenticationFailed(DomainError):
    """No valid credentials: missing, wrong, expired or forged."""

    code = "authentication_failed"


class RateLimited(DomainError):
    """Too many attempts in a short time."""

    code = "rate_limited"


class Gone(DomainError):
    """The thing existed but is no longer available (an expired or withdrawn link)."""

    code = "gone"


class PayloadTooLarge(DomainError):
    """An upload is over the configured size limit."""

    code = "payload_too_large"


class TransitionNotAllowed(Conflict):
    """A status change the entity's transition table does not allow."""

    code = "transition_not_allowed"
