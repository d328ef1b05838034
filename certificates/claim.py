"""A worker claims their record (持证人认领账号): certificate number + name + ID number prove holdership, then a login.

No administrator creates worker accounts by hand. Whoever types a certificate's number, its holder's full name and
ID number gets a `worker` account tied to that person (UserAccount.person_id), and sees their lifelong record.

Privacy (README "Privacy: the ID number"): the claim confirms an ID number guess just as the online holder check
does, so it is that check — the typed number is compared with the person's keyed look-up hash (never decrypted)
and every attempt on a real certificate spends from the same per-holder budget (certificates.holder,
REGISTRY_HOLDER_CHECKS_PER_DAY), on top of the per-client limit the route applies. Certificate numbers are
enumerable, so every failure — unknown number, wrong name, wrong ID number, the holder's budget spent — gets the
one answer: the reply never says which of the three was wrong, nor whether the number exists.

The web form does it in two steps (prove, then choose a password): a short-lived signed ticket carries the
proven person between them (`ticket_for` / `person_of_ticket`); the JSON API does it in one request.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import uuid
from typing import Annotated

from sqlmodel import Field, Session, SQLModel, select

from certificates.holder import HolderChecksExhausted, holder_matches, spend_attempt
from certificates.models import Certificate
from registry import pii
from registry.accounts.models import UserAccount
from registry.accounts.service import create_claimed_account, refuse_weak_password
from registry.clock import utcnow
from registry.fields import Username, line
from registry.keys import derive_key
from registry.people.models import IdType, Person
from registry.settings import Settings

TICKET_LIFETIME = dt.timedelta(minutes=15)
NO_MATCH_ZH = (
    "证书编号、姓名和证件号码核对不一致，或核对次数已达上限。请对照证书和身份证件仔细核对后再试；"
    "同一持证人每天可核对的次数有限，多次失败请次日再试或联系发证机构"
)
NO_MATCH_EN = (
    "the certificate number, name and ID number do not match, or too many attempts were made; check them "
    "against the certificate and your ID card and try again — each holder may be checked a few times a day, "
    "so after several failures try tomorrow or ask the issuing body"
)


class ClaimIn(SQLModel):
    """What proves holdership: the certificate number, the holder's full name and ID number (never stored)."""

    certificate_number: Annotated[str, line(32)] = Field(max_length=32, description="as printed on the certificate")
    name: Annotated[str, line(64)] = Field(max_length=64, description="the holder's full name, as on the certificate")
    id_number: Annotated[str, line(32)] = Field(max_length=32, description="the holder's ID document number")


class ClaimAccountIn(ClaimIn):
    """A claim and the login to create: an ASCII username, a password (10–128 characters, not the username)."""

    username: Username = Field(
        description="3–64 characters: a–z, 0–9, '.', '_' or '-', starting with a letter or digit"
    )
    password: str = Field(min_length=10, max_length=128)


def prove_holder(
    session: Session, *, data: ClaimIn, settings: Settings, now: dt.datetime | None = None
) -> Person | None:
    """The person whose certificate, name and ID number these are, or None — the same None for every failure.

    An attempt on a real certificate is counted against its holder whether it matches or not; the caller must
    commit when None comes back (return an error, do not raise), or the count is lost.
    """
    number = data.certificate_number.strip().upper()
    certificate = session.exec(select(Certificate).where(Certificate.number == number)).first()
    if certificate is None:
        # The same keyed hash a real attempt computes, so an unknown number costs what a known one does.
        pii.lookup_hash(settings, IdType.RESIDENT_ID.value, data.id_number.strip().upper())
        return None
    person = session.get(Person, certificate.person_id)
    assert person is not None
    try:
        spend_attempt(session, person_id=person.id, settings=settings, now=now or utcnow())
    except HolderChecksExhausted:
        return None  # said like a mismatch: a distinct answer would tell that the number exists
    return person if holder_matches(person, data.name, data.id_number, settings) else None


def claim_account(session: Session, *, data: ClaimAccountIn, settings: Settings) -> UserAccount | None:
    """Prove holdership and create the holder's worker account; None when the details do not prove it.

    The password policy is checked before anything is counted, so a weak password costs no attempt. A person
    with an account already is refused (AccountAlreadyClaimed) — only after the proof, so it tells nothing to
    someone without the three details.
    """
    refuse_weak_password(data.username, data.password)
    person = prove_holder(session, data=data, settings=settings)
    if person is None:
        return None
    return create_claimed_account(
        session, person_id=person.id, username=data.username, password=data.password, settings=settings
    )


def has_account(session: Session, person_id: uuid.UUID) -> bool:
    """Whether an account is tied to the person already."""
    return session.exec(select(UserAccount.id).where(UserAccount.person_id == person_id)).first() is not None


# ------------------------------------------------------------------------------------------ the web form's ticket


def _sign(settings: Settings, message: bytes) -> bytes:
    return hmac.new(derive_key(settings, "claim-ticket"), message, hashlib.sha256).digest()


def ticket_for(settings: Settings, person_id: uuid.UUID, *, now: dt.datetime | None = None) -> str:
    """A ticket saying "this person proved to be the holder", valid for TICKET_LIFETIME (for the second step)."""
    expires = int(((now or utcnow()) + TICKET_LIFETIME).timestamp())
    message = person_id.bytes + expires.to_bytes(8, "big")
    return base64.urlsafe_b64encode(message + _sign(settings, message)).decode().rstrip("=")


def person_of_ticket(settings: Settings, ticket: str, *, now: dt.datetime | None = None) -> uuid.UUID | None:
    """The person a genuine, unexpired ticket names, else None."""
    try:
        raw = base64.urlsafe_b64decode(ticket + "=" * (-len(ticket) % 4))
    except (ValueError, TypeError):
        return None
    if len(raw) != 16 + 8 + 32:
        return None
    message, signature = raw[:24], raw[24:]
    if not hmac.compare_digest(signature, _sign(settings, message)):
        return None
    if int.from_bytes(message[16:], "big") <= int((now or utcnow()).timestamp()):
        return None
    return uuid.UUID(bytes=message[:16])


def claim_with_ticket(
    session: Session, *, ticket: str, username: str, password: str, settings: Settings
) -> UserAccount | None:
    """The web form's second step: create the account of the person the ticket names (None: expired or forged)."""
    person_id = person_of_ticket(settings, ticket)
    if person_id is None:
        return None
    return create_claimed_account(session, person_id=person_id, username=username, password=password, settings=settings)
