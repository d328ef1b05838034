"""Issue certificates for awards, change their status, reissue prints, and present them.

Issuing is idempotent per award and checks the body's approved filing in the same transaction. Serials come
from one counter row per (site, year, level), incremented by the whole range in one upsert whose row lock is
held to commit: concurrent issuers queue, and a rolled-back issue rolls its range back, so numbers never repeat
and never leave gaps.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from itertools import groupby

import sqlalchemy as sa
from sqlmodel import Session, col, select

from certificates import numbering, qr, signing
from certificates.credentials import allocate_slots
from certificates.files import record_file
from certificates.models import (
    STATUS_ZH,
    Certificate,
    CertificatePrint,
    CertificatePublic,
    CertificateStatus,
    RevocationReason,
    SerialCounter,
)
from certificates.pdf import CertificateFace, render_certificate
from certificates.qr import qr_matrix
from certificates.tokens import Claims
from registry import grades, pii
from registry.actor import Actor, Role, require_body_access
from registry.audit.service import PendingEvent, record, record_many
from registry.awards import service as awards
from registry.awards.models import AwardBasis, AwardRevocationReason, AwardStatus, GradeAward
from registry.bodies.models import EvaluationBody
from registry.catalogue.models import Occupation
from registry.clock import today, utcnow
from registry.db import dialect_insert, get_for_update
from registry.errors import Conflict, InvalidInput, NotFound
from registry.filings.service import require_scope
from registry.grades import GradeCode
from registry.people.models import ID_TYPE_ZH, Person
from registry.settings import Settings
from registry.text import within
from registry.transitions import TransitionTable
from registry.validators import mask_id_public, mask_name

CERTIFICATE_TRANSITIONS = TransitionTable(
    "证书 certificate",
    {
        CertificateStatus.VALID: {CertificateStatus.SUSPENDED, CertificateStatus.REVOKED},
        CertificateStatus.SUSPENDED: {CertificateStatus.VALID, CertificateStatus.REVOKED},
    },
)
CHUNK = 2000


class CertificateNotFound(NotFound):
    """No such certificate, or not one the actor may see."""

    code = "certificate_not_found"


class NotIssuable(InvalidInput):
    """Some awards cannot get a certificate (revoked, legacy, unknown)."""

    code = "not_issuable"


class AwardNotFound(NotFound):
    """No such award, or not one the actor may see."""

    code = "award_not_found"


class SerialsExhausted(Conflict):
    """The year's serials for a site and level are used up."""

    code = "serials_exhausted"


@dataclass(frozen=True)
class IssueOutcome:
    """What an issue request did."""

    issued: list[tuple[uuid.UUID, str, uuid.UUID]]  # (certificate id, number, award id)
    already_issued: list[str]


def verify_url(settings: Settings, token: str) -> str:
    """The link a certificate's QR code carries."""
    return f"{settings.public_base}/v/{token}"


def lookup_url(settings: Settings) -> str:
    """The page where a number and name can be checked by hand."""
    return f"{settings.public_base}/verify"


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
    unseen = [str(i) for i in ids if i not in awards or not actor.sees_body(awards[i].body_id)]
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
        require_body_access(actor, body_id)

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
            )
            token = signing.sign(signer, claims.encode())
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
                    "work_type": award.work_type,
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
                    "certificate.issued",
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


def get_certificate(session: Session, *, actor: Actor, number: str, lock: bool = False) -> Certificate:
    """Return a certificate the actor may see: its body, its holder, the regulator."""
    certificate = session.exec(select(Certificate).where(Certificate.number == number.strip().upper())).first()
    visible = certificate is not None and (
        actor.sees_body(certificate.body_id)
        or (actor.person_id is not None and actor.person_id == certificate.person_id)
    )
    if not visible:
        raise CertificateNotFound("证书不存在", "no such certificate", extra={"number": number})
    assert certificate is not None
    if lock:
        certificate = get_for_update(session, Certificate, certificate.id)
    assert certificate is not None
    return certificate


def list_certificates(
    session: Session,
    *,
    actor: Actor,
    body_id: uuid.UUID | None = None,
    person_id: uuid.UUID | None = None,
    status: CertificateStatus | None = None,
    occupation_code: str | None = None,
    grade: GradeCode | None = None,
    limit: int = 200,
    after: str | None = None,
) -> Sequence[Certificate]:
    """Return certificates the actor may see, ordered by number (page with after=the last number)."""
    query = select(Certificate)
    if not actor.is_regulator:
        if actor.role == Role.BODY_ADMIN and actor.body_id is not None:
            query = query.where(Certificate.body_id == actor.body_id)
        elif actor.person_id is not None:
            query = query.where(Certificate.person_id == actor.person_id)
        else:
            query = query.where(sa.false())
    for column, value in (
        (Certificate.body_id, body_id),
        (Certificate.person_id, person_id),
        (Certificate.status, status),
        (Certificate.occupation_code, occupation_code),
        (Certificate.grade, grade),
    ):
        if value is not None:
            query = query.where(col(column) == value)
    if after is not None:
        query = query.where(col(Certificate.number) > after)
    return session.exec(query.order_by(col(Certificate.number)).limit(limit)).all()


def _require_manager(actor: Actor, certificate: Certificate) -> None:
    require_body_access(actor, certificate.body_id)


# A certificate revoked for these reasons takes its award with it (the grade was never genuinely earned).
AWARD_FALLS_WITH_CERTIFICATE = {
    RevocationReason.FRAUDULENT_EVALUATION: AwardRevocationReason.FRAUDULENT_EVALUATION,
    RevocationReason.AWARD_WITHDRAWN: AwardRevocationReason.OTHER,
}


def _change_status(
    session: Session,
    *,
    actor: Actor,
    certificate: Certificate,
    target: CertificateStatus,
    note: str,
    reason: RevocationReason | None = None,
) -> None:
    """Move a locked certificate along its transition table and audit it."""
    CERTIFICATE_TRANSITIONS.check(certificate.status, target)
    before = certificate.status
    certificate.status = target
    certificate.status_note = note
    certificate.status_changed_at = utcnow()
    if target == CertificateStatus.REVOKED:
        certificate.revocation_reason = reason or RevocationReason.OTHER
    session.flush()
    action = {
        CertificateStatus.VALID: "reinstated",
        CertificateStatus.SUSPENDED: "suspended",
        CertificateStatus.REVOKED: "revoked",
    }[target]
    record(
        session,
        actor=actor,
        action=f"certificate.{action}",
        entity_type="certificate",
        entity_id=certificate.id,
        body_id=certificate.body_id,
        before={"status": before},
        after={"status": target, "reason": certificate.revocation_reason},
        reason=note,
    )


def set_status(
    session: Session,
    *,
    actor: Actor,
    number: str,
    target: CertificateStatus,
    note: str,
    reason: RevocationReason | None = None,
) -> Certificate:
    """Suspend, reinstate or revoke (final, with reason code) a certificate; audited.

    A revocation for fraudulent evaluation (虚假评价) or a withdrawn award also revokes the award, in the same
    transaction: the grade then counts for nothing (prerequisites, appointments, 比照).
    """
    certificate = get_certificate(session, actor=actor, number=number, lock=True)
    _require_manager(actor, certificate)
    _change_status(session, actor=actor, certificate=certificate, target=target, note=note, reason=reason)
    award_reason = AWARD_FALLS_WITH_CERTIFICATE.get(reason) if reason else None
    if target == CertificateStatus.REVOKED and award_reason is not None:
        award = session.get(GradeAward, certificate.award_id)
        if award is not None and award.status == AwardStatus.ACTIVE:
            awards.revoke_award(
                session,
                actor=actor,
                award_id=award.id,
                reason=award_reason,
                note=within(f"证书 {certificate.number}：{note}"),
            )
    return certificate


def revoke_award(
    session: Session, *, actor: Actor, award_id: uuid.UUID, reason: AwardRevocationReason, note: str
) -> GradeAward:
    """Revoke an award and every certificate documenting it, in one transaction, each change audited."""
    award = awards.revoke_award(session, actor=actor, award_id=award_id, reason=reason, note=note)
    certificate_reason = (
        RevocationReason.FRAUDULENT_EVALUATION
        if reason == AwardRevocationReason.FRAUDULENT_EVALUATION
        else RevocationReason.AWARD_WITHDRAWN
    )
    for certificate_id in session.exec(
        select(Certificate.id).where(
            Certificate.award_id == award.id, col(Certificate.status) != CertificateStatus.REVOKED
        )
    ).all():
        certificate = get_for_update(session, Certificate, certificate_id)
        _change_status(
            session,
            actor=actor,
            certificate=certificate,
            target=CertificateStatus.REVOKED,
            note=within(f"等级已撤销 / award revoked: {note}"),
            reason=certificate_reason,
        )
    return award


def reissue(session: Session, *, actor: Actor, number: str, note: str, settings: Settings) -> Certificate:
    """Print again: same number, next print serial, newly signed token; the previous print is void."""
    certificate = get_certificate(session, actor=actor, number=number, lock=True)
    _require_manager(actor, certificate)
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
    )
    certificate.token = signing.sign(signer, claims.encode())
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
        action="certificate.reissued",
        entity_type="certificate",
        entity_id=certificate.id,
        body_id=certificate.body_id,
        before={"print_serial": certificate.print_serial - 1},
        after={"print_serial": certificate.print_serial, "kid": signer.kid},
        reason=note,
    )
    return certificate


def certificate_view(
    session: Session, *, actor: Actor, certificate: Certificate, settings: Settings
) -> CertificatePublic:
    """Present a certificate."""
    person = session.get(Person, certificate.person_id)
    body = session.get(EvaluationBody, certificate.body_id)
    occupation = session.get(Occupation, certificate.occupation_code)
    assert person is not None and body is not None
    info = grades.info(certificate.grade)
    return CertificatePublic(
        id=certificate.id,
        number=certificate.number,
        award_id=certificate.award_id,
        person_id=person.id,
        holder_name=person.name
        if actor.is_regulator or actor.body_id == body.id or actor.person_id == person.id
        else mask_name(person.name),
        body_id=body.id,
        body_name=body.name,
        occupation_code=certificate.occupation_code,
        occupation_name_zh=occupation.name_zh if occupation else "",
        work_type=certificate.work_type,
        grade=certificate.grade,
        grade_zh=info.name_zh,
        national_level=info.national_level,
        issued_on=certificate.issued_on,
        print_serial=certificate.print_serial,
        kid=certificate.kid,
        status=certificate.status,
        status_zh=STATUS_ZH[certificate.status],
        revocation_reason=certificate.revocation_reason,
        status_note=certificate.status_note,
        status_changed_at=certificate.status_changed_at,
        verify_url=verify_url(settings, certificate.token),
    )


def certificate_face(session: Session, certificate: Certificate, settings: Settings) -> CertificateFace:
    """Everything printed on the certificate's current print."""
    person = session.get(Person, certificate.person_id)
    body = session.get(EvaluationBody, certificate.body_id)
    occupation = session.get(Occupation, certificate.occupation_code)
    assert person is not None and body is not None
    info = grades.info(certificate.grade)
    apprentice = certificate.grade == GradeCode.APPRENTICE
    id_display = mask_id_public(person.id_type.value, person.id_masked)
    if settings.cert_id_display == "full":
        id_display = pii.decrypt(settings, person.id_number_enc, context=person.id_type.value)
    watermark = {CertificateStatus.REVOKED: "已撤销 REVOKED", CertificateStatus.SUSPENDED: "已暂停 SUSPENDED"}.get(
        certificate.status
    )
    return CertificateFace(
        title_zh="学徒工培训评价记录" if apprentice else "职业技能等级证书",
        title_en="Apprentice Assessment Record" if apprentice else "Vocational Skill Level Certificate",
        number=certificate.number,
        print_serial=certificate.print_serial,
        holder_name=person.name,
        id_type_zh=ID_TYPE_ZH[person.id_type],
        id_number_display=id_display,
        occupation=f"{certificate.occupation_code} {occupation.name_zh if occupation else ''}".strip(),
        work_type=certificate.work_type,
        grade_zh=info.name_zh,
        grade_en=info.name_en,
        level_zh=info.national_level_zh,
        body_name=body.name,
        body_uscc=body.uscc,
        issued_on=certificate.issued_on,
        verify_url=verify_url(settings, certificate.token),
        lookup_url=lookup_url(settings),
        note_zh="学徒工无国家职业技能等级，本记录编号为登记系统记录号，不是国家证书编号。" if apprentice else "",
        watermark=watermark,
    )


def render_pdf(session: Session, certificate: Certificate, settings: Settings) -> bytes:
    """The certificate's current print as a PDF (byte-stable for the same print)."""
    face = certificate_face(session, certificate, settings)
    return render_certificate(face, qr_matrix(face.verify_url), font_path=settings.cert_font)


@dataclass(frozen=True)
class ExportFilter:
    """Which certificates an export holds."""

    body_id: uuid.UUID | None
    status: CertificateStatus | None
    occupation_code: str | None
    grade: GradeCode | None


EXPORT_PAGE = 200


def export_entries(
    open_session: Callable[[], AbstractContextManager[Session]],
    *,
    actor: Actor,
    only: ExportFilter,
    settings: Settings,
) -> Iterator[tuple[str, bytes]]:
    """(file name, PDF) for every certificate the actor may see, a page at a time, then a CSV manifest.

    Each page is read in a session of its own: a streamed response outlives the request's session.
    """
    manifest = io.StringIO()
    writer = csv.writer(manifest)
    writer.writerow(["number", "grade", "occupation_code", "issued_on", "status", "print_serial", "file"])
    after: str | None = None
    while True:
        with open_session() as session:
            page = list_certificates(
                session,
                actor=actor,
                limit=EXPORT_PAGE,
                after=after,
                body_id=only.body_id,
                status=only.status,
                occupation_code=only.occupation_code,
                grade=only.grade,
            )
            for certificate in page:
                name = f"{certificate.number}.pdf"
                writer.writerow(
                    [
                        certificate.number,
                        certificate.grade.value,
                        certificate.occupation_code,
                        certificate.issued_on.isoformat(),
                        certificate.status.value,
                        certificate.print_serial,
                        name,
                    ]
                )
                pdf = render_pdf(session, certificate, settings)
                record_file(session, certificate, pdf)
                yield name, pdf
        if len(page) < EXPORT_PAGE:
            break
        after = page[-1].number
    yield "manifest.csv", ("\ufeff" + manifest.getvalue()).encode()
