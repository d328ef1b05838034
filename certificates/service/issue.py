"""Issue certificates for awards and reissue prints.

Issuing is idempotent per award and checks the body's approved filing in the same transaction. Serials come
from one counter row per (site, year, level), incremented by the whole range in one upsert whose row lock is
held to commit: concurrent issuers queue, and a rolled-back issue rolls its range back, so numbers never repeat
and never leave gaps.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import groupby

import sqlalchemy as sa
from sqlmodel import Session, col, select

from certificates import numbering, qr, signing
from certificates.credentials import allocate_slots
from certificates.models import (
    Certificate,
    CertificateAction,
    CertificatePrint,
    CertificateStatus,
    SerialCounter,
)
from certificates.record import values_of
from certificates.service.errors import AwardNotFound, NotIssuable, SerialsExhausted
from certificates.service.views import get_certificate, require_manager, verify_url
from certificates.tokens import FROZEN_VERSION, Claims
from registry import access
from registry.access import Power
from registry.actor import Actor
from registry.audit.service import PendingEvent, record, record_many
from registry.awards.models import AwardBasis, AwardStatus, GradeAward
from registry.bodies.models import EvaluationBody
from registry.clock import today, utcnow
from registry.db import dialect_insert
from registry.errors import Conflict, InvalidInput
from registry.filings.service import require_scope
from registry.grades import GradeCode
from registry.people.models import Person
from registry.settings import Settings
from registry.validators import mask_name

CHUNK = 2000


@dataclass(frozen=True)
class IssueOutcome:
    """What an issue request did."""

    issued: list[tuple[uuid.UUID, str, uuid.UUID]]  # (certificate id, number, award id)
    already_issued: list[str]


def sign_fitting(signer: signing.Signer, claims: Claims, settings: Settings) -> str:
    """Sign the claims; when the link would not fit the QR code with the record parts, sign them as version 2."""
    token = signing.sign(signer, claims.encode())
    if qr.fits(verify_url(settings, token)) or claims.version <= FROZEN_VERSION:
        return token
    return signing.sign(signer, replace(claims, version=FROZEN_VERSION, record={}).encode())


def _chunks(ids: Sequence[uuid.UUID]) -> Iterator[Sequence[uuid.UUID]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _allocate(session: Session, parts: numbering.NumberParts, count: int) -> int:
    """Reserve count consecutive serials; return the first. The counter row stays locked until commit."""
    table = SerialCounter.__table__  # type: ignore[attr-defined]
    statement = (
        dialect_insert(session, table)
        .values(site_key=parts.site_key, year=parts.year, level=parts.level, last_serial=count)
        .on_conflict_do_update(
            index_elements=["site_key", "year", "level"], set_={"last_serial": table.c.last_serial + count}
        )
        .returning(table.c.last_serial)
    )
    last = int(session.execute(statement).scalar_one())
    if last > numbering.MAX_SERIAL:
        raise SerialsExhausted(
            f"{parts.site_key} 在 20{parts.year:02d} 年该等级的流水号已用完",
            f"serials for site {parts.site_key}, year {parts.year}, level {parts.level} are used up",
        )
    return last - count + 1


def _number_parts(body: EvaluationBody, grade: GradeCode, year: int, settings: Settings) -> numbering.NumberParts:
    try:
        return numbering.parts_for(
            category=body.cert_category,
            ministry_code=body.ministry_code,
            province_code=body.province_code,
            site_code=body.site_code,
            year=year,
            grade=grade,
            special_letter=settings.special_letter,
            chief_letter=settings.chief_letter,
        )
    except numbering.NumberingError as error:
        raise InvalidInput(
            f"{body.name}：无法编号（{error}），请由省级人社部门分配站点代码",
            f"{body.name}: cannot number certificates ({error})",
            extra={"body_id": str(body.id)},
        ) from None


def new_status_ref() -> str:
    """A fresh random value for a v2 token, keying the certificate in the revocation list (96 bits)."""
    return secrets.token_urlsafe(12)


def issue_certificates(
    session: Session,
    *,
    actor: Actor,
    award_ids: Sequence[uuid.UUID],
    settings: Settings,
    on: dt.date | None = None,
) -> IssueOutcome:
    """Issue one certificate per award (idempotent); every award must be active and within an approved filing."""
    day = on or today()
    ids = list(dict.fromkeys(award_ids))
    awards: dict[uuid.UUID, GradeAward] = {}
    existing: dict[uuid.UUID, str] = {}
    for chunk in _chunks(ids):
        awards.update({a.id: a for a in session.exec(select(GradeAward).where(col(GradeAward.id).in_(chunk))).all()})
        existing.update(
            dict(
                session.exec(
                    select(Certificate.award_id, Certificate.number).where(col(Certificate.award_id).in_(chunk))
                ).all()
            )
        )
    unseen = [str(i) for i in ids if i not in awards or not access.reaches_body(actor, awards[i].body_id)]
    if unseen:
        raise AwardNotFound(
            f"{len(unseen)} 个等级记录不存在", f"{len(unseen)} awards do not exist", extra={"award_ids": unseen[:100]}
        )
    bad = [str(a.id) for a in awards.values() if a.status != AwardStatus.ACTIVE or a.basis == AwardBasis.LEGACY]
    if bad:
        raise NotIssuable(
            f"{len(bad)} 个等级记录不存在、已撤销或为历史导入记录，不能发证",
            f"{len(bad)} awards are unknown, revoked or legacy imports: no certificate",
            extra={"award_ids": sorted(set(bad))[:100]},
        )
    todo = [awards[i] for i in ids if i not in existing]
    for body_id in {a.awarding_body() for a in todo}:
        access.require(actor, Power.MANAGE_BODY, body_id=body_id)

    def scope_key(award: GradeAward) -> tuple[str, str, str, str]:
        return str(award.body_id), award.occupation_code, award.grade.value, award.work_type

    for _, same_scope in groupby(sorted(todo, key=scope_key), key=scope_key):
        first = next(same_scope)
        require_scope(
            session,
            body_id=first.awarding_body(),
            occupation_code=first.occupation_code,
            grade=first.grade,
            on=day,
            work_type=first.work_type,
        )
    # The scope check locked the filing rows: a concurrent issue of the same awards has committed by now, so read
    # again and treat what it issued as already issued (idempotent instead of a unique-key failure).
    for chunk in _chunks([a.id for a in todo]):
        existing.update(
            dict(
                session.exec(
                    select(Certificate.award_id, Certificate.number).where(col(Certificate.award_id).in_(chunk))
                ).all()
            )
        )
    todo = [a for a in todo if a.id not in existing]
    bodies = {
        b.id: b
        for b in session.exec(select(EvaluationBody).where(col(EvaluationBody.id).in_({a.body_id for a in todo}))).all()
    }
    people: dict[uuid.UUID, Person] = {}
    person_ids = list({a.person_id for a in todo})
    for chunk in _chunks(person_ids):
        people.update({p.id: p for p in session.exec(select(Person).where(col(Person.id).in_(chunk))).all()})

    signer = signing.load_signer(settings.key_dir)
    now = utcnow()
    part_of = {a.id: _number_parts(bodies[a.awarding_body()], GradeCode(a.grade), day.year, settings) for a in todo}
    by_parts: dict[numbering.NumberParts, list[GradeAward]] = {}
    for award in todo:
        by_parts.setdefault(part_of[award.id], []).append(award)
    certificates, prints, events, issued = [], [], [], []
    # Counters are locked in one fixed order, so two issuers touching the same counters cannot deadlock.
    for parts, members in sorted(by_parts.items(), key=lambda item: (item[0].site_key, item[0].year, item[0].level)):
        serial = _allocate(session, parts, len(members))
        for award in members:
            person = people[award.person_id]
            number = numbering.format_number(parts, serial)
            serial += 1
            status_ref = new_status_ref()
            claims = Claims(
                number=number,
                level=parts.level,
                occupation_code=award.occupation_code,
                body_uscc=bodies[award.awarding_body()].uscc,
                issued_on=day,
                name_masked=mask_name(person.name),
                status_ref=status_ref,
                print_serial=1,
                record=values_of(award),
            )
            token = sign_fitting(signer, claims, settings)
            if not qr.fits(verify_url(settings, token)):
                raise InvalidInput(
                    "验证链接超出二维码容量（版本14），请缩短 REGISTRY_PUBLIC_URL",
                    "the verification link does not fit a version-14 QR code: shorten REGISTRY_PUBLIC_URL",
                    extra={"number": number},
                )
            certificate_id = uuid.uuid4()
            certificates.append(
                {
                    "id": certificate_id,
                    "number": number,
                    "award_id": award.id,
                    "person_id": award.person_id,
                    "body_id": award.body_id,
                    "occupation_code": award.occupation_code,
                    **values_of(award),
                    "grade": award.grade,
                    "issued_on": day,
                    "print_serial": 1,
                    "kid": signer.kid,
                    "token": token,
                    "status_ref": status_ref,
                    "status": CertificateStatus.VALID,
                    "revocation_reason": None,
                    "status_note": None,
                    "status_changed_at": None,
                    "created_at": now,
                }
            )
            prints.append(
                {
                    "id": uuid.uuid4(),
                    "certificate_id": certificate_id,
                    "print_serial": 1,
                    "kid": signer.kid,
                    "issued_at": now,
                    "voided_at": None,
                    "void_reason": None,
                }
            )
            events.append(
                PendingEvent(
                    CertificateAction.ISSUED,
                    "certificate",
                    certificate_id,
                    award.body_id,
                    after={"number": number, "award_id": award.id, "kid": signer.kid, "print_serial": 1},
                )
            )
            issued.append((certificate_id, number, award.id))
    session.flush()
    if certificates:
        session.execute(sa.insert(Certificate.__table__), certificates)  # type: ignore[attr-defined]
        session.execute(sa.insert(CertificatePrint.__table__), prints)  # type: ignore[attr-defined]
        record_many(session, actor=actor, events=events)
        # After the audit append: it holds the audit head's row lock to commit, so concurrent issuers draw their
        # random status-list indices one after another and never pick the same free slot.
        allocate_slots(session, [cid for cid, _, _ in issued])
    return IssueOutcome(issued=issued, already_issued=sorted(existing.values()))


def reissue(session: Session, *, actor: Actor, number: str, note: str, settings: Settings) -> Certificate:
    """Print again: same number, next print serial, newly signed token; the previous print is void."""
    certificate = get_certificate(session, actor=actor, number=number, lock=True)
    require_manager(actor, certificate)
    if certificate.status == CertificateStatus.REVOKED:
        raise Conflict("已撤销的证书不能换发", "a revoked certificate cannot be reissued")
    person = session.get(Person, certificate.person_id)
    body = session.get(EvaluationBody, certificate.body_id)
    assert person is not None and body is not None
    old = session.exec(
        select(CertificatePrint).where(
            CertificatePrint.certificate_id == certificate.id, CertificatePrint.print_serial == certificate.print_serial
        )
    ).one()
    now = utcnow()
    old.voided_at, old.void_reason = now, note
    signer = signing.load_signer(settings.key_dir)
    certificate.print_serial += 1
    # A reissue is also how a v1 print (with its offline-guessable holder binding) is replaced by a v2 token.
    certificate.status_ref = certificate.status_ref or new_status_ref()
    claims = Claims(
        number=certificate.number,
        level=numbering.level_code(
            GradeCode(certificate.grade), special_letter=settings.special_letter, chief_letter=settings.chief_letter
        ),
        occupation_code=certificate.occupation_code,
        body_uscc=body.uscc,
        issued_on=certificate.issued_on,
        name_masked=mask_name(person.name),
        status_ref=certificate.status_ref,
        print_serial=certificate.print_serial,
        record=values_of(certificate),
    )
    certificate.token = sign_fitting(signer, claims, settings)
    certificate.kid = signer.kid
    session.add(
        CertificatePrint(
            certificate_id=certificate.id, print_serial=certificate.print_serial, kid=signer.kid, issued_at=now
        )
    )
    session.flush()
    record(
        session,
        actor=actor,
        action=CertificateAction.REISSUED,
        entity_type="certificate",
        entity_id=certificate.id,
        body_id=certificate.body_id,
        before={"print_serial": certificate.print_serial - 1},
        after={"print_serial": certificate.print_serial, "kid": signer.kid},
        reason=note,
    )
    return certificate
