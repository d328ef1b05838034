"""The certificate record: the fields a certificate states beyond the frozen v1/v2 claim array, defined once.

One RecordPart drives everywhere the field goes: the certificate row it is read from (a Certificate column of the
same name, written from the award's attribute of the same name at issue), the signed claim array (appended, in
order, from the claim version named), the verification record (selected by name), the verification answer
(JSON `fields`, the page and the `registry verify` output, labelled zh/en) and the PDF face. Adding a field is an
entry here plus, when the column is new, a migration.

Claim versions 1 and 2 are frozen formats (tokens out there keep verifying): their nine positions are written
out in certificates.tokens. Version 3 appends the record parts signed from 3 on; a verifier reads each version
by its own layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RecordPart:
    """One field of the certificate record (a text value)."""

    name: str  # the Certificate column, the award attribute and the key in the verification answer
    zh: str  # label on the verification page, the CLI and the PDF
    en: str
    signed_from: int  # the first claim-array version that carries it


RECORD_PARTS: tuple[RecordPart, ...] = (RecordPart("work_type", "工种", "Work type", signed_from=3),)


def signed_parts(version: int) -> tuple[RecordPart, ...]:
    """The record parts a claim array of this version carries, in array order."""
    return tuple(p for p in RECORD_PARTS if p.signed_from <= version)


def values_of(source: Any) -> dict[str, str]:
    """The record parts' values read off an award or a certificate (attributes of the same names)."""
    return {p.name: str(getattr(source, p.name) or "") for p in RECORD_PARTS}


def shown(values: Mapping[str, Any]) -> list[tuple[RecordPart, str]]:
    """The parts with a value, in definition order, for a page or a CLI to list."""
    return [(p, str(values[p.name])) for p in RECORD_PARTS if values.get(p.name)]
