""" "Was it valid on date X?": a certificate's standing on a past day, replayed from the audit record.

The audit chain holds every status change of the certificate (issued, suspended, reinstated, revoked, reissued)
and of its award (revoked) with its time; the standing on a day is the one in force at the end of that day
(Beijing time), and the changes made during the day are named so nobody misreads a same-day change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, or_, select

from certificates.models import Certificate, CertificateAction
from registry.audit.models import AuditEvent
from registry.awards.models import AwardAction
from registry.clock import CHINA_TZ, as_utc

STATE_TEXT = {
    "valid": ("有效", "valid"),
    "suspended": ("已暂停", "suspended"),
    "revoked": ("已撤销", "revoked"),
    "superseded": ("此印件已换发作废", "superseded by a reissue (this print was void)"),
    "not_yet_issued": ("尚未签发", "not yet issued"),
}
ACTION_TEXT: dict[str, tuple[str, str]] = {
    CertificateAction.ISSUED: ("签发", "issued"),
    CertificateAction.SUSPENDED: ("暂停", "suspended"),
    CertificateAction.REINSTATED: ("恢复", "reinstated"),
    CertificateAction.REVOKED: ("撤销", "revoked"),
    CertificateAction.REISSUED: ("换发", "reissued"),
    AwardAction.REVOKED: ("等级撤销", "award revoked"),
}
STATUS_ACTIONS = {CertificateAction.SUSPENDED, CertificateAction.REINSTATED, CertificateAction.REVOKED}


@dataclass
class StandingOn:
    """The standing of one print on a day, and the recorded changes up to the end of that day."""

    day: dt.date
    state: str
    changes: list[dict[str, Any]] = field(default_factory=list)
    changed_that_day: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, with the sentence in both languages."""
        zh, en = STATE_TEXT[self.state]
        note_zh = "（当日有状态变更，以当日结束时为准）" if self.changed_that_day else ""
        note_en = " (the status changed that day; this is the standing at its end)" if self.changed_that_day else ""
        return {
            "date": self.day.isoformat(),
            "state": self.state,
            "zh": f"依据审计记录，{self.day.isoformat()}（北京时间当日结束时）此证书：{zh}{note_zh}",
            "en": f"Per the audit record, at the end of {self.day.isoformat()} (Beijing) this certificate was {en}"
            f"{note_en}",
            "source": "audit_log",
            "changes": self.changes,
        }


def _end_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=CHINA_TZ).astimezone(dt.UTC)


def standing_on(session: Session, *, number: str, print_serial: int, day: dt.date) -> StandingOn | None:
    """The standing of print `print_serial` of certificate `number` at the end of `day`, from the audit log."""
    row = session.exec(
        select(col(Certificate.id), col(Certificate.award_id), col(Certificate.issued_on)).where(
            col(Certificate.number) == number
        )
    ).first()
    if row is None:
        return None
    certificate_id, award_id, issued_on = row
    if day < issued_on:
        return StandingOn(day, "not_yet_issued")
    last = min(day, dt.date.max - dt.timedelta(days=2))  # the end of 9999-12-31 is not a datetime
    events = session.exec(
        select(AuditEvent)
        .where(
            or_(
                (col(AuditEvent.entity_type) == "certificate") & (col(AuditEvent.entity_id) == str(certificate_id)),
                (col(AuditEvent.entity_type) == "award")
                & (col(AuditEvent.entity_id) == str(award_id))
                & (col(AuditEvent.action) == AwardAction.REVOKED.value),
            ),
            col(AuditEvent.occurred_at) < _end_of(last),
        )
        .order_by(col(AuditEvent.seq))
    ).all()
    status, serial, revoked = "valid", 1, False
    changes = []
    start_of_day = _end_of(last - dt.timedelta(days=1))
    changed_that_day = False
    for event in events:
        after = event.after or {}
        if event.action in STATUS_ACTIONS:
            status = str(after.get("status", status))
        elif event.action == CertificateAction.REISSUED:
            serial = int(after.get("print_serial", serial + 1))
        elif event.action == AwardAction.REVOKED:
            revoked = True
        if event.action in ACTION_TEXT:
            zh, en = ACTION_TEXT[event.action]
            moment = as_utc(event.occurred_at)
            changes.append({"at": moment.isoformat(timespec="seconds"), "action": event.action, "zh": zh, "en": en})
            changed_that_day = changed_that_day or moment >= start_of_day
    if print_serial > serial:
        state = "not_yet_issued"  # this print was made after the day asked about
    elif revoked or status == "revoked":
        state = "revoked"
    elif status == "suspended":
        state = "suspended"
    elif print_serial < serial:
        state = "superseded"
    else:
        state = "valid"
    return StandingOn(day, state, changes, changed_that_day)
