"""Recognise certificate PDFs this registry produced: the SHA-256 of every file handed out is kept.

PDFs are byte-stable for a print and its status watermark, so an unaltered file hashes to a recorded value and
any change to it (a field edited, a page re-saved) does not. A match names the certificate and print; the
status is then that of the certificate now, as its QR token would verify.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from sqlmodel import Session

from certificates.models import Certificate, CertificateStatus
from certificates.open_models import IssuedFile
from registry.clock import utcnow
from registry.db import insert_if_absent
from registry.errors import InvalidInput

MAX_PDF_BYTES = 2 * 1024 * 1024  # a certificate PDF is ~60 KB; anything far larger is not one of ours
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BadDigest(InvalidInput):
    """Not a SHA-256 in hex."""

    code = "bad_sha256"


def digest_of(data: bytes) -> str:
    """The file's SHA-256 in lower-case hex."""
    return hashlib.sha256(data).hexdigest()


def normalise_digest(text: str) -> str:
    """A pasted SHA-256 (hex, any case, surrounding spaces), or BadDigest."""
    value = text.strip().lower()
    if not SHA256.match(value):
        raise BadDigest("SHA-256 应为 64 位十六进制字符", "a SHA-256 is 64 hexadecimal characters")
    return value


def record_file(session: Session, certificate: Certificate, pdf: bytes) -> str:
    """Remember that this registry produced this exact file for the certificate's current print."""
    digest = digest_of(pdf)
    stamped = "" if certificate.status == CertificateStatus.VALID else certificate.status.value
    insert_if_absent(
        session,
        IssuedFile,
        {
            "sha256": digest,
            "certificate_id": certificate.id,
            "print_serial": certificate.print_serial,
            "stamped": stamped,
            "created_at": utcnow(),
        },
    )
    return digest


@dataclass(frozen=True)
class FileMatch:
    """A recognised file: its certificate and print."""

    certificate: Certificate
    print_serial: int
    stamped: str


def find_file(session: Session, digest: str) -> FileMatch | None:
    """The certificate and print a file with this SHA-256 was produced for, or None."""
    issued = session.get(IssuedFile, digest)
    if issued is None:
        return None
    certificate = session.get(Certificate, issued.certificate_id)
    assert certificate is not None
    return FileMatch(certificate, issued.print_serial, issued.stamped)
