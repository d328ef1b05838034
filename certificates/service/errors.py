"""Errors of certificates: each a domain error with its own code."""

from __future__ import annotations

from registry.errors import Conflict, InvalidInput, NotFound


class CertificateNotFound(NotFound):
    """No such certificate, or not one the actor may see."""

    code = "certificate_not_found"


class NotIssuable(InvalidInput):
    """Some awards cannot get a certificate (revoked, legacy, unknown)."""

    code = "not_issuable"


class AwardNotFound(NotFound):
    """No such award, or not one the actor may see."""

    code = "award_not_found"


class SerialsExhausted(Conflict):
    """The year's serials for a site and level are used up."""

    code = "serials_exhausted"
