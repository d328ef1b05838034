"""Certificates: issue them for awards, change their status, reissue prints, and present them.

One module per role: errors, views (reads: lookups, links, the public view, the PDF face, the export), status
(suspend, reinstate, revoke) and issue (issuing and reissuing). Callers import from this package.
"""

from certificates.service.errors import AwardNotFound, CertificateNotFound, NotIssuable, SerialsExhausted
from certificates.service.issue import CHUNK, IssueOutcome, issue_certificates, new_status_ref, reissue
from certificates.service.status import AWARD_FALLS_WITH_CERTIFICATE, CERTIFICATE_TRANSITIONS, revoke_award, set_status
from certificates.service.views import (
    EXPORT_PAGE,
    ExportFilter,
    certificate_face,
    certificate_view,
    count_certificates,
    export_entries,
    get_certificate,
    list_certificates,
    lookup_url,
    render_pdf,
    verify_url,
)

__all__ = [
    "AWARD_FALLS_WITH_CERTIFICATE",
    "CERTIFICATE_TRANSITIONS",
    "CHUNK",
    "EXPORT_PAGE",
    "AwardNotFound",
    "CertificateNotFound",
    "ExportFilter",
    "IssueOutcome",
    "NotIssuable",
    "SerialsExhausted",
    "certificate_face",
    "certificate_view",
    "count_certificates",
    "export_entries",
    "get_certificate",
    "issue_certificates",
    "list_certificates",
    "lookup_url",
    "new_status_ref",
    "reissue",
    "render_pdf",
    "revoke_award",
    "set_status",
    "verify_url",
]
