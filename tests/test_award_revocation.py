"""Fraud revocation reaches the grade: a certificate revoked for 虚假评价 revokes its award, and revoking an award
revokes its certificates — both audited, both visible on verification, the grade then counting for nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from assessment.batches.models import EnrolIn
from assessment.batches.service import NotEligible, enrol
from certificates.models import Certificate, CertificateStatus, RevocationReason
from certificates.service import revoke_award, set_status
from certificates.verification import Verdict, revocation_list, verify_online
from registry.actor import Actor, Role
from registry.audit.models import AuditEvent
from registry.awards.models import Appointment, AppointmentCreate, AwardRevocationReason, AwardStatus, GradeAward
from registry.awards.service import AwardNotFound, create_appointment, held_grades
from registry.awards.service import revoke_award as revoke_award_only
from registry.clock import today
from registry.errors import PermissionDenied, TransitionNotAllowed
from registry.grades import GradeCode as G
from registry.settings import Settings
from tests.factories import (
    SYSTEM,
    give_award,
    make_batch,
    make_body,
    make_certificate,
    make_issuing_body,
    make_person,
)

FRAUD = RevocationReason.FRAUDULENT_EVALUATION


def revoke_certificate(
    session: Session, certificate: Certificate, *, reason: RevocationReason = FRAUD, note: str = "抽查查实虚假评价"
) -> None:
    """Revoke a certificate as its issuer would (for fraud, by default)."""
    set_status(
        session, actor=SYSTEM, number=certificate.number, target=CertificateStatus.REVOKED, reason=reason, note=note
    )


def revoke_grade(
    session: Session,
    certificate: Certificate,
    *,
    reason: AwardRevocationReason = AwardRevocationReason.FRAUDULENT_EVALUATION,
    note: str = "查实虚假评价",
    actor: Actor = SYSTEM,
) -> GradeAward:
    """Revoke the award a certificate documents (for fraud, by default)."""
    return revoke_award(session, actor=actor, award_id=certificate.award_id, reason=reason, note=note)


def _actions(session: Session, entity_id: object) -> list[str]:
    events = session.exec(select(AuditEvent).where(AuditEvent.entity_id == str(entity_id))).all()
    return [e.action for e in sorted(events, key=lambda e: e.seq)]


class TestCertificateRevocation:
    def test_a_fraud_revocation_revokes_the_award(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings, grade=G.SENIOR)
        revoke_certificate(session, certificate)
        award = session.get(GradeAward, certificate.award_id)
        assert award is not None
        assert (award.status, award.revocation_reason) == (
            AwardStatus.REVOKED,
            AwardRevocationReason.FRAUDULENT_EVALUATION,
        )
        assert _actions(session, certificate.id)[-1] == "certificate.revoked"
        assert _actions(session, award.id)[-1] == "award.revoked"
        assert held_grades(session, person_id=certificate.person_id, occupation_code=certificate.occupation_code) == []

    def test_an_error_revocation_leaves_the_award_standing(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        revoke_certificate(session, certificate, reason=RevocationReason.ISSUED_IN_ERROR, note="信息填写错误")
        award = session.get(GradeAward, certificate.award_id)
        assert award is not None and award.status == AwardStatus.ACTIVE

    def test_verification_shows_both_the_certificate_and_the_award_revoked(
        self, session: Session, settings: Settings
    ) -> None:
        certificate = make_certificate(session, settings)
        revoke_certificate(session, certificate)
        result = verify_online(session, token=certificate.token, settings=settings)
        checks = {c.code: c for c in result.checks}
        assert result.verdict == Verdict.REVOKED
        assert "虚假评价" in checks["status"].zh
        assert checks["award"].ok is False and "已撤销" in checks["award"].zh and "虚假评价" in checks["award"].zh
        assert result.fields["award_status"] == "revoked"

    def test_the_revoked_grade_no_longer_admits_to_the_next_grade(self, session: Session, settings: Settings) -> None:
        body = make_issuing_body(session, settings)
        person = make_person(session, settings, employer=body)
        give_award(session, person=person, grade=G.INTERMEDIATE, on=dt.date(2015, 1, 1))
        certificate = make_certificate(session, settings, body=body, grade=G.SENIOR, person=person)
        batch = make_batch(session, settings, body=body, grade=G.TECHNICIAN, exam_on=today() + dt.timedelta(days=30))
        revoke_certificate(session, certificate)
        with pytest.raises(NotEligible) as refused:
            enrol(session, actor=SYSTEM, batch_id=batch.exam.id, data=EnrolIn(person_id=person.id), settings=settings)
        assert "ELIG-PREREQUISITE" in {r["rule_id"] for r in refused.value.extra["rules"] if r["outcome"] == "failed"}


class TestAwardRevocation:
    def test_revoking_an_award_revokes_its_certificate(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        award = revoke_grade(session, certificate)
        session.refresh(certificate)
        assert award.status == AwardStatus.REVOKED
        assert (certificate.status, certificate.revocation_reason) == (CertificateStatus.REVOKED, FRAUD)
        assert _actions(session, award.id)[-1] == "award.revoked"
        assert _actions(session, certificate.id)[-1] == "certificate.revoked"
        assert verify_online(session, token=certificate.token, settings=settings).verdict == Verdict.REVOKED
        listed = revocation_list(session, settings=settings)["entries"]
        assert any(e["s"] == "revoked" for e in listed)

    def test_a_non_fraud_award_revocation_marks_the_certificate_award_withdrawn(
        self, session: Session, settings: Settings
    ) -> None:
        certificate = make_certificate(session, settings)
        revoke_grade(session, certificate, reason=AwardRevocationReason.ISSUED_IN_ERROR, note="认定错误")
        session.refresh(certificate)
        assert certificate.revocation_reason == RevocationReason.AWARD_WITHDRAWN

    def test_an_already_revoked_certificate_is_left_as_it_is(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        revoke_certificate(session, certificate, reason=RevocationReason.DUPLICATE, note="重复发证")
        revoke_grade(session, certificate, reason=AwardRevocationReason.DUPLICATE, note="重复登记")
        session.refresh(certificate)
        assert certificate.revocation_reason == RevocationReason.DUPLICATE

    def test_a_revoked_award_cannot_be_revoked_again(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        revoke_grade(session, certificate, reason=AwardRevocationReason.OTHER, note="撤销")
        with pytest.raises(TransitionNotAllowed):
            revoke_grade(session, certificate, reason=AwardRevocationReason.OTHER, note="再次撤销")

    def test_appointments_resting_on_the_award_end(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings, grade=G.SENIOR)
        appointment = create_appointment(
            session,
            actor=SYSTEM,
            data=AppointmentCreate(
                person_id=certificate.person_id,
                body_id=certificate.body_id,
                occupation_code=certificate.occupation_code,
                post_grade=G.SENIOR,
                post_title="高级工岗",
                starts_on=today() - dt.timedelta(days=10),
            ),
        )
        revoke_grade(session, certificate)
        session.refresh(appointment)
        assert appointment.ends_on == today()
        assert _actions(session, appointment.id)[-1] == "appointment.ended"
        assert session.get(Appointment, appointment.id) is not None

    def test_another_body_cannot_revoke_our_award(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        intruder = Actor(label="x", role=Role.BODY_ADMIN, body_id=make_body(session).id)
        with pytest.raises(AwardNotFound):
            revoke_grade(session, certificate, reason=AwardRevocationReason.OTHER, note="越权", actor=intruder)

    def test_the_awarding_body_may_revoke_its_award(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        admin = Actor(label="admin", role=Role.BODY_ADMIN, body_id=certificate.body_id)
        award = revoke_grade(
            session, certificate, reason=AwardRevocationReason.ISSUED_IN_ERROR, note="认定错误", actor=admin
        )
        assert award.status == AwardStatus.REVOKED

    def test_only_the_regulator_revokes_a_legacy_award(self, session: Session, settings: Settings) -> None:
        body = make_body(session)
        person = make_person(session, settings, employer=body)
        award = give_award(session, person=person, grade=G.SENIOR, on=dt.date(2018, 1, 1))
        admin = Actor(label="admin", role=Role.BODY_ADMIN, body_id=body.id)
        with pytest.raises(PermissionDenied):
            revoke_award_only(
                session, actor=admin, award_id=award.id, reason=AwardRevocationReason.FRAUDULENT_EVALUATION, note="越权"
            )
        revoke_award_only(
            session,
            actor=SYSTEM,
            award_id=award.id,
            reason=AwardRevocationReason.FRAUDULENT_EVALUATION,
            note="原证书系伪造",
        )
        assert award.status == AwardStatus.REVOKED

    def test_certificates_of_other_awards_are_untouched(self, session: Session, settings: Settings) -> None:
        first = make_certificate(session, settings)
        second = make_certificate(session, settings)
        revoke_grade(session, first, reason=AwardRevocationReason.OTHER, note="撤销")
        other = session.exec(select(Certificate).where(Certificate.id == second.id)).one()
        assert other.status == CertificateStatus.VALID
