"""The certificate token's claim set, pure: encode to and decode from the JWS payload.

The payload is a compact JSON array, not a JWT object, so the whole verification link stays within a version-14
QR code: [version, number, level, occupation, body USCC, issue date (YYYYMMDD), masked name, <v-specific>,
print serial], then from version 3 the certificate record's signed parts (certificates.record, e.g. the 工种).

- Version 2 (issued now): the v-specific field is `status_ref`, a random per-certificate value the revocation
  list hashes with the number. Nothing in it is derived from the ID number: the holder is confirmed online
  only, where attempts are counted (certificates.holder).
- Version 1 (issued before): the v-specific field is the holder binding, scrypt(name + ID number). It still
  verifies, and `registry verify` still checks a holder against it offline — which is exactly why a shared v1
  link lets a patient attacker confirm a guessed ID number offline; reissuing replaces it with a v2 token.
- Version 3 (issued now): version 2 followed by the record parts signed from 3 on (the 工种). A certificate
  whose link would not fit the QR code with them is issued with a version 2 token instead.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from certificates.record import signed_parts

FORMAT_VERSION = 3
KNOWN_VERSIONS = frozenset({1, 2, 3})
FROZEN_LENGTH = 9  # versions 1 and 2, and the head of every later version
FROZEN_VERSION = 2  # the newest version without record parts


class BadClaims(ValueError):
    """The payload is not a claim set of a known version."""


@dataclass(frozen=True)
class Claims:
    """What a certificate token asserts."""

    number: str
    level: str  # "5"…"1", "T"/"C" for 特级/首席 (configurable letters), "A" for 学徒工 records
    occupation_code: str
    body_uscc: str
    issued_on: dt.date
    name_masked: str
    status_ref: str  # v2: random per certificate; v1: the holder binding (see the module docstring)
    print_serial: int
    version: int = FORMAT_VERSION
    record: Mapping[str, str] = field(default_factory=dict)  # certificates.record parts (signed from v3)

    @property
    def holder_binding(self) -> str | None:
        """The v1 holder binding (an offline oracle for guessed ID numbers), None on v2 tokens."""
        return self.status_ref if self.version == 1 else None

    def encode(self) -> bytes:
        """The JWS payload bytes."""
        values = [
            self.version,
            self.number,
            self.level,
            self.occupation_code,
            self.body_uscc,
            int(f"{self.issued_on:%Y%m%d}"),
            self.name_masked,
            self.status_ref,
            self.print_serial,
            *(self.record.get(part.name, "") for part in signed_parts(self.version)),
        ]
        return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, payload: bytes) -> Claims:
        """Read a payload made by encode(), of any known version."""
        try:
            values = json.loads(payload)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise BadClaims("payload is not JSON") from None
        # JSON true == 1 in Python: the version must be a real integer
        if not isinstance(values, list) or not values or type(values[0]) is not int or values[0] not in KNOWN_VERSIONS:
            raise BadClaims("unknown claim set")
        parts = signed_parts(values[0])
        if len(values) != FROZEN_LENGTH + len(parts):
            raise BadClaims("unknown claim set")
        version, number, level, occupation, uscc, day, name, ref, serial = values[:FROZEN_LENGTH]
        extra = values[FROZEN_LENGTH:]
        try:
            issued = dt.datetime.strptime(str(day), "%Y%m%d").date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            raise BadClaims("bad issue date") from None
        if not all(isinstance(v, str) for v in (number, level, occupation, uscc, name, ref, *extra)):
            raise BadClaims("bad field types")
        if type(serial) is not int or serial < 1:
            raise BadClaims("bad print serial")
        record = {part.name: value for part, value in zip(parts, extra, strict=True)}
        return cls(number, level, occupation, uscc, issued, name, ref, serial, version, record)
