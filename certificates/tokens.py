"""The certificate token's claim set, pure: encode to and decode from the JWS payload.

The payload is a compact JSON array, not a JWT object, so the whole verification link stays within a version-14
QR code: [version, number, level, occupation, body USCC, issue date (YYYYMMDD), masked name, holder binding,
print serial]. No raw personal data: the name is masked and the ID number only enters the salted binding.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

FORMAT_VERSION = 1


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
    holder_binding: str
    print_serial: int

    def encode(self) -> bytes:
        """The JWS payload bytes."""
        values = [
            FORMAT_VERSION,
            self.number,
            self.level,
            self.occupation_code,
            self.body_uscc,
            int(f"{self.issued_on:%Y%m%d}"),
            self.name_masked,
            self.holder_binding,
            self.print_serial,
        ]
        return json.dumps(values, ensure_ascii=False, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, payload: bytes) -> Claims:
        """Read a payload made by encode()."""
        try:
            values = json.loads(payload)
        except (ValueError, UnicodeDecodeError):
            raise BadClaims("payload is not JSON") from None
        if not isinstance(values, list) or len(values) != 9 or values[0] != FORMAT_VERSION:
            raise BadClaims("unknown claim set")
        _, number, level, occupation, uscc, day, name, binding, serial = values
        try:
            issued = dt.datetime.strptime(str(day), "%Y%m%d").date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            raise BadClaims("bad issue date") from None
        if not all(isinstance(v, str) for v in (number, level, occupation, uscc, name, binding)):
            raise BadClaims("bad field types")
        if not isinstance(serial, int) or serial < 1:
            raise BadClaims("bad print serial")
        return cls(number, level, occupation, uscc, issued, name, binding, serial)
