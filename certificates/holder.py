"""The online holder check: do a typed name and ID number belong to this certificate's holder? Counted per holder.

Tokens carry nothing derived from the ID number (v2), so the only way to test a guess is to ask the registry,
which compares against the person's keyed look-up hash (HMAC with a key derived from REGISTRY_SECRET_KEY; the
number itself is never decrypted for this) and counts every attempt against the holder in a rolling window
shared by all API processes (the holder_check table). With birth date and home district known about 1,000
numbers remain; at REGISTRY_HOLDER_CHECKS_PER_DAY (default 10) a distributed sweep takes months, and a person's
several certificates share one budget.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from certificates.models import Certificate, HolderCheck
from certificates.verification import VerificationResult, verify_online
from registry import pii
from registry.clock import utcnow
from registry.db import UTCDateTime, dialect_insert
from registry.errors import RateLimited
from registry.people.models import Person
from registry.people.service import InvalidIdNumber, normalise_id
from registry.settings import Settings
from registry.text import normalise

HOLDER_WINDOW = dt.timedelta(hours=24)


class HolderChecksExhausted(RateLimited):
    """This certificate holder has been checked too often today; try again later."""

    code = "holder_checks_exhausted"


@dataclass(frozen=True)
class HolderOutcome:
    """The certificate's verification and whether the holder matched (None: no genuine certificate to compare)."""

    result: VerificationResult
    matched: bool | None


def spend_attempt(session: Session, *, person_id: object, settings: Settings, now: dt.datetime) -> None:
    """Count one attempt against the holder; refuse when the window's budget is spent (row lock until commit).

    Every online confirmation of a person's ID number spends from this one budget: the holder check and the
    account claim (certificates.claim) alike, so offering both does not double a sweep's rate.
    """
    table = HolderCheck.__table__  # type: ignore[attr-defined]
    moment = sa.bindparam("moment", now, type_=UTCDateTime())
    stale = table.c.window_started_at < sa.bindparam("cutoff", now - HOLDER_WINDOW, type_=UTCDateTime())
    statement = (
        dialect_insert(session, table)
        .values(person_id=person_id, window_started_at=now, attempts=1)
        .on_conflict_do_update(
            index_elements=["person_id"],
            set_={
                "attempts": sa.case((stale, 1), else_=table.c.attempts + 1),
                "window_started_at": sa.case((stale, moment), else_=table.c.window_started_at),
            },
        )
        .returning(table.c.attempts, table.c.window_started_at)
    )
    attempts, started = session.execute(statement).one()
    if attempts > settings.holder_checks_per_day:
        started = started if started.tzinfo else started.replace(tzinfo=dt.UTC)
        retry = max(1, int((started + HOLDER_WINDOW - now).total_seconds()))
        budget, hours = settings.holder_checks_per_day, retry // 3600 + 1
        raise HolderChecksExhausted(
            f"此证书持证人今日核验次数已达上限（{budget} 次），请约 {hours} 小时后再试",
            f"this holder has been checked {budget} times today; try again in about {hours} hours",
            extra={"retry_after": retry},
        )


def holder_matches(person: Person, name: str, id_number: str, settings: Settings) -> bool:
    """Whether name and ID number are this person's (keyed hash comparison; the number is never decrypted)."""
    try:
        number = normalise_id(person.id_type, id_number)
    except InvalidIdNumber:
        return False  # still an attempt: malformed guesses cost the same as well-formed ones
    typed = pii.lookup_hash(settings, person.id_type.value, number)
    same_number = hmac.compare_digest(typed, person.id_number_hmac)
    return same_number and normalise(name) == normalise(person.name)


def check_holder_online(
    session: Session, *, token: str, name: str, id_number: str, settings: Settings, now: dt.datetime | None = None
) -> HolderOutcome:
    """Verify the token, count the attempt against its holder, and say whether name and ID number are theirs."""
    result = verify_online(session, token=token, settings=settings)
    if result.claims is None:
        return HolderOutcome(result, None)
    person = session.exec(
        select(Person)
        .join(Certificate, col(Certificate.person_id) == col(Person.id))
        .where(Certificate.number == result.claims.number)
    ).one()
    spend_attempt(session, person_id=person.id, settings=settings, now=now or utcnow())
    return HolderOutcome(result, holder_matches(person, name, id_number, settings))
