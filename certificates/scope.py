"""Signed scope statements: what the regulator approved each body to certify, checkable offline.

A statement is produced for every filing the regulator approved (approved now, or approved and later suspended
or revoked): the body (USCC, name), the ceiling, the validity window, occupations × highest grade, and the days
on which the filing was not in force (from the audit record of its suspensions and revocation). Each is a
compact JWS (typ `xbj-scope+jwt`) signed with the certificate key and published beside the JWKS; the offline
verifier checks a certificate's body, occupation, grade and issue date against them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from certificates import signing
from registry import grades
from registry.audit.models import AuditEvent
from registry.bodies.models import EvaluationBody
from registry.clock import CHINA_TZ, as_utc, utcnow
from registry.filings.models import Filing, FilingAction, FilingScopeLine, FilingStatus
from registry.grades import GradeCode
from registry.settings import Settings

SCOPE_TYPE = "xbj-scope+jwt"
STATEMENT_FORMAT = "xbj-scope/1"
DOCUMENT_FORMAT = "xbj-scope-statements/1"
EVER_APPROVED = (FilingStatus.APPROVED, FilingStatus.SUSPENDED, FilingStatus.REVOKED)
NOT_IN_FORCE_ACTIONS = (FilingAction.SUSPENDED, FilingAction.REVOKED, FilingAction.REINSTATED)


def _beijing(moment: dt.datetime) -> dt.date:
    return as_utc(moment).astimezone(CHINA_TZ).date()


def _not_in_force(events: Sequence[AuditEvent]) -> list[dict[str, str | None]]:
    """Periods (Beijing dates) from a suspension or revocation to the reinstatement (None: still not in force)."""
    periods: list[dict[str, str | None]] = []
    for event in events:
        action = event.action
        if action in {FilingAction.SUSPENDED, FilingAction.REVOKED} and not (periods and periods[-1]["to"] is None):
            status = action.removeprefix("filing.")
            periods.append({"from": _beijing(event.occurred_at).isoformat(), "to": None, "status": status})
        elif action == FilingAction.REINSTATED and periods and periods[-1]["to"] is None:
            periods[-1]["to"] = _beijing(event.occurred_at).isoformat()
    return periods


def statement_payloads(session: Session, *, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The scope statement of every filing the regulator approved, oldest first."""
    issued_at = (now or utcnow()).isoformat(timespec="seconds")
    filings = session.exec(
        select(Filing)
        .where(col(Filing.status).in_([s.value for s in EVER_APPROVED]), col(Filing.decided_at).is_not(None))
        .order_by(col(Filing.decided_at), col(Filing.id))
    ).all()
    if not filings:
        return []
    ids = [f.id for f in filings]
    bodies = {
        b.id: b
        for b in session.exec(select(EvaluationBody).where(col(EvaluationBody.id).in_({f.body_id for f in filings})))
    }
    lines: dict[Any, list[FilingScopeLine]] = {}
    for line in session.exec(
        select(FilingScopeLine).where(col(FilingScopeLine.filing_id).in_(ids)).order_by(col(FilingScopeLine.position))
    ):
        lines.setdefault(line.filing_id, []).append(line)
    events: dict[str, list[AuditEvent]] = {}
    for event in session.exec(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "filing", col(AuditEvent.entity_id).in_([str(i) for i in ids]))
        .where(col(AuditEvent.action).in_([a.value for a in NOT_IN_FORCE_ACTIONS]))
        .order_by(col(AuditEvent.seq))
    ):
        events.setdefault(event.entity_id, []).append(event)
    payloads = []
    for filing in filings:
        body = bodies[filing.body_id]
        assert filing.decided_at is not None
        payloads.append(
            {
                "format": STATEMENT_FORMAT,
                "issued_at": issued_at,
                "filing_id": str(filing.id),
                "body_uscc": body.uscc,
                "body_name": body.name,
                "ceiling": filing.ceiling.value,
                "valid_from": filing.starts_on.isoformat(),
                "valid_to": filing.ends_on.isoformat(),
                "approved_at": as_utc(filing.decided_at).isoformat(timespec="seconds"),
                "status": filing.status.value,
                "not_in_force": _not_in_force(events.get(str(filing.id), [])),
                "scope": [
                    {"occupation_code": x.occupation_code, "work_type": x.work_type, "max_grade": x.max_grade.value}
                    for x in lines.get(filing.id, [])
                ],
            }
        )
    return payloads


def scope_statements(session: Session, *, settings: Settings) -> dict[str, Any]:
    """The published document: every statement as a signed JWS."""
    now = utcnow()
    signer = signing.load_signer(settings.key_dir)
    statements = [
        signing.sign(signer, json.dumps(p, ensure_ascii=False, separators=(",", ":")).encode(), typ=SCOPE_TYPE)
        for p in statement_payloads(session, now=now)
    ]
    return {"format": DOCUMENT_FORMAT, "issued_at": now.isoformat(timespec="seconds"), "statements": statements}


# ------------------------------------------------------------------------------------------ offline check


@dataclass(frozen=True)
class ScopeFinding:
    """Whether a certificate lay inside an approved scope on its issue date, and why (zh/en)."""

    ok: bool
    zh: str
    en: str


def genuine_statements(document: dict[str, Any], keys: dict[str, signing.KeyInfo]) -> list[dict[str, Any]]:
    """The statements of a published document whose signature, type, format and key window hold."""
    genuine = []
    raw = document.get("statements", []) if isinstance(document, dict) else []
    for token in raw if isinstance(raw, list) else []:
        try:
            payload, key = signing.verify(str(token), keys, typ=SCOPE_TYPE)
            statement = json.loads(payload)
            made = _beijing(dt.datetime.fromisoformat(statement["issued_at"]))
        except (signing.TokenRejected, KeyError, TypeError, ValueError, RecursionError):
            continue
        if isinstance(statement, dict) and statement.get("format") == STATEMENT_FORMAT and key.covers(made):
            genuine.append(statement)
    return genuine


def _in_force(statement: dict[str, Any], day: dt.date) -> bool:
    if not dt.date.fromisoformat(statement["valid_from"]) <= day <= dt.date.fromisoformat(statement["valid_to"]):
        return False
    for period in statement.get("not_in_force", []):
        start = dt.date.fromisoformat(period["from"])
        end = dt.date.fromisoformat(period["to"]) if period.get("to") else None
        # Whole days inside a suspension: the day it began and the day it ended both had time in force.
        if start < day and (end is None or day < end):
            return False
    return True


def check_scope(
    statements: Sequence[dict[str, Any]], *, body_uscc: str, occupation_code: str, grade: GradeCode, issued_on: dt.date
) -> ScopeFinding:
    """Whether some approved statement of the body covered occupation and grade on the issue date."""
    own = [s for s in statements if s.get("body_uscc") == body_uscc]
    if not own:
        return ScopeFinding(False, "没有该发证机构的备案范围声明", "no scope statement of the issuing body")
    dated = [s for s in own if _in_force(s, issued_on)]
    if not dated:
        return ScopeFinding(
            False,
            f"发证日 {issued_on} 该机构没有生效的备案",
            f"the body had no filing in force on the issue date {issued_on}",
        )
    rank = grades.ordinal(grade)
    for statement in dated:
        if rank > grades.ordinal(statement["ceiling"]):
            continue
        for line in statement.get("scope", []):
            if line["occupation_code"] == occupation_code and rank <= grades.ordinal(line["max_grade"]):
                return ScopeFinding(
                    True,
                    f"发证日在备案范围内（备案 {statement['filing_id'][:8]}，{statement['valid_from']}…"
                    f"{statement['valid_to']}，最高 {grades.info(line['max_grade']).name_zh}）",
                    f"inside the approved scope on the issue date (filing {statement['filing_id'][:8]}, "
                    f"{statement['valid_from']}…{statement['valid_to']}, up to {line['max_grade']})",
                )
    grade_zh = grades.info(grade).name_zh
    return ScopeFinding(
        False,
        f"发证日该机构的备案不覆盖 {occupation_code} {grade_zh}",
        f"the body's filings on the issue date do not cover {occupation_code} at {grade.value}",
    )
