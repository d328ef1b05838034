"""Reading certificates: lookups the actor may see, links, the public view, the PDF face and the export."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from certificates.files import record_file
from certificates.models import (
    STATUS_ZH,
    Certificate,
    CertificatePublic,
    CertificateStatus,
)
from certificates.pdf import CertificateFace, render_certificate
from certificates.qr import qr_matrix
from certificates.record import shown, values_of
from certificates.service.errors import CertificateNotFound
from registry import access, grades, pii
from registry.access import Power
from registry.actor import Actor
from registry.bodies.models import EvaluationBody
from registry.catalogue.models import Occupation
from registry.db import get_for_update
from registry.grades import GradeCode
from registry.people.models import ID_TYPE_ZH, Person
from registry.settings import Settings
from registry.validators import mask_id_public, mask_name

ModelT = TypeVar("ModelT", Person, EvaluationBody)


def verify_url(settings: Settings, token: str) -> str:
    """The link a certificate's QR code carries."""
    return f"{settings.public_base}/v/{token}"


def lookup_url(settings: Settings) -> str:
    """The page where a number and name can be checked by hand."""
    return f"{settings.public_base}/verify"


def get_certificate(session: Session, *, actor: Actor, number: str, lock: bool = False) -> Certificate:
    """Return a certificate the actor may see: its body, its holder, the regulator."""
    certificate = session.exec(select(Certificate).where(Certificate.number == number.strip().upper())).first()
    visible = certificate is not None and access.sees(session, actor, certificate)
    if not visible:
        raise CertificateNotFound("证书不存在", "no such certificate", extra={"number": number})
    assert certificate is not None
    if lock:
        certificate = get_for_update(session, Certificate, certificate.id)
    assert certificate is not None
    return certificate


def _visible_certificates(
    query: Any,
    *,
    actor: Actor,
    body_id: uuid.UUID | None,
    person_id: uuid.UUID | None,
    status: CertificateStatus | None,
    occupation_code: str | None,
    grade: GradeCode | None,
) -> Any:
    query = query.where(access.rows(actor, Certificate))
    for column, value in (
        (Certificate.body_id, body_id),
        (Certificate.person_id, person_id),
        (Certificate.status, status),
        (Certificate.occupation_code, occupation_code),
        (Certificate.grade, grade),
    ):
        if value is not None:
            query = query.where(col(column) == value)
    return query


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
    query = _visible_certificates(
        select(Certificate),
        actor=actor,
        body_id=body_id,
        person_id=person_id,
        status=status,
        occupation_code=occupation_code,
        grade=grade,
    )
    if after is not None:
        query = query.where(col(Certificate.number) > after)
    rows: Sequence[Certificate] = session.exec(query.order_by(col(Certificate.number)).limit(limit)).all()
    return rows


def count_certificates(
    session: Session,
    *,
    actor: Actor,
    body_id: uuid.UUID | None = None,
    status: CertificateStatus | None = None,
    occupation_code: str | None = None,
    grade: GradeCode | None = None,
) -> int:
    """How many certificates list_certificates would page through."""
    query = _visible_certificates(
        sa.select(sa.func.count()).select_from(Certificate),
        actor=actor,
        body_id=body_id,
        person_id=None,
        status=status,
        occupation_code=occupation_code,
        grade=grade,
    )
    return int(session.execute(query).scalar_one())


def require_manager(actor: Actor, certificate: Certificate) -> None:
    access.require(actor, Power.MANAGE_BODY, body_id=certificate.body_id)


def certificate_view(
    session: Session, *, actor: Actor, certificate: Certificate, settings: Settings
) -> CertificatePublic:
    """Present a certificate."""
    (view,) = certificate_views(session, actor=actor, certificates=[certificate], settings=settings)
    return view


def certificate_views(
    session: Session, *, actor: Actor, certificates: Sequence[Certificate], settings: Settings
) -> list[CertificatePublic]:
    """Present certificates: holders, bodies and occupations are read once for the whole page."""
    people = _by_id(session, Person, {c.person_id for c in certificates})
    bodies = _by_id(session, EvaluationBody, {c.body_id for c in certificates})
    occupations = (
        {
            o.code: o
            for o in session.exec(
                select(Occupation).where(col(Occupation.code).in_({c.occupation_code for c in certificates}))
            ).all()
        }
        if certificates
        else {}
    )
    views = []
    for certificate in certificates:
        person, body = people[certificate.person_id], bodies[certificate.body_id]
        occupation = occupations.get(certificate.occupation_code)
        info = grades.info(certificate.grade)
        views.append(
            CertificatePublic(
                id=certificate.id,
                number=certificate.number,
                award_id=certificate.award_id,
                person_id=person.id,
                holder_name=person.name if access.sees(session, actor, certificate) else mask_name(person.name),
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
        )
    return views


def _by_id(session: Session, model: type[ModelT], ids: set[uuid.UUID]) -> dict[uuid.UUID, ModelT]:
    if not ids:
        return {}
    rows = session.exec(select(model).where(col(model.id).in_(ids))).all()
    return {row.id: row for row in rows}


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
        parts=tuple((part.zh, part.en, value) for part, value in shown(values_of(certificate))),
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
                record_file(session, certificate, pdf)  # so the file can be recognised later (PDF check)
                yield name, pdf
        if len(page) < EXPORT_PAGE:
            break
        after = page[-1].number
    yield "manifest.csv", ("\ufeff" + manifest.getvalue()).encode()
