"""Certificates through the services: issuing, numbering, idempotence, scope, status, reissue, audit."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

import pytest
from sqlmodel import Session, func, select

from certificates.models import Certificate, CertificatePrint, CertificateStatus, RevocationReason
from certificates.numbering import is_well_formed
from certificates.service import AwardNotFound, NotIssuable, get_certificate, issue_certificates, reissue, set_status
from certificates.verification import Verdict, verify_online
from registry.actor import Actor, Role
from registry.audit.models import AuditEvent
from registry.audit.service import verify_chain
from registry.awards.models import AwardBasis
from registry.awards.service import create_award
from registry.bodies.models import EvaluationBody
from registry.clock import today
from registry.db import make_engine, session_scope
from registry.errors import InvalidInput, TransitionNotAllowed
from registry.filings.models import Filing, FilingStatus
from registry.filings.service import OutsideFilingScope, set_filing_status
from registry.grades import GradeCode
from registry.settings import Settings, get_settings
from tests.factories import (
    SYSTEM,
    ensure_signing_key,
    give_award,
    make_body,
    make_certificate,
    make_filing,
    make_person,
    scope_line,
)


def _body_with_filing(session: Session, settings: Settings) -> tuple[EvaluationBody, Filing]:
    body = make_body(session)
    filing = make_filing(
        session,
        settings,
        body=body,
        starts_on=today() - dt.timedelta(days=30),
        ends_on=today() + dt.timedelta(days=900),
    )
    return body, filing


def _awards(
    session: Session, settings: Settings, body: EvaluationBody, n: int, grade: GradeCode = GradeCode.SENIOR
) -> list[uuid.UUID]:
    return [
        create_award(
            session,
            actor=SYSTEM,
            person_id=make_person(session, settings, employer=body).id,
            body_id=body.id,
            occupation_code="6-18-02-04",
            grade=grade,
            basis=AwardBasis.EXAM,
            basis_ref=None,
        ).id
        for _ in range(n)
    ]


class TestIssue:
    def test_numbers_are_national_and_consecutive(self, session: Session, settings: Settings) -> None:
        ensure_signing_key(settings)
        body, _ = _body_with_filing(session, settings)
        outcome = issue_certificates(
            session, actor=SYSTEM, award_ids=_awards(session, settings, body, 3), settings=settings
        )
        numbers = sorted(n for _, n, _ in outcome.issued)
        assert all(is_well_formed(n) and len(n) == 22 for n in numbers)
        prefix = f"Y0000{body.province_code}{body.site_code}{today():%y}3"
        assert numbers == [f"{prefix}{i:06d}" for i in (1, 2, 3)]

    def test_issuing_twice_gives_no_second_number(self, session: Session, settings: Settings) -> None:
        ensure_signing_key(settings)
        body, _ = _body_with_filing(session, settings)
        ids = _awards(session, settings, body, 2)
        first = issue_certificates(session, actor=SYSTEM, award_ids=ids, settings=settings)
        again = issue_certificates(session, actor=SYSTEM, award_ids=ids, settings=settings)
        assert again.issued == []
        assert again.already_issued == sorted(n for _, n, _ in first.issued)
        assert (
            session.exec(select(func.count()).select_from(Certificate).where(Certificate.body_id == body.id)).one() == 2
        )

    def test_outside_the_filing_scope_is_refused(self, session: Session, settings: Settings) -> None:
        ensure_signing_key(settings)
        body, filing = _body_with_filing(session, settings)
        ids = _awards(session, settings, body, 1)
        set_filing_status(session, actor=SYSTEM, filing_id=filing.id, status=FilingStatus.SUSPENDED, reason="检查")
        with pytest.raises(OutsideFilingScope):
            issue_certificates(session, actor=SYSTEM, award_ids=ids, settings=settings)

    def test_legacy_awards_get_no_new_certificate(self, session: Session, settings: Settings) -> None:
        ensure_signing_key(settings)
        body, _ = _body_with_filing(session, settings)
        legacy = give_award(
            session,
            person=make_person(session, settings, employer=body),
            grade=GradeCode.JUNIOR,
            on=dt.date(2015, 1, 1),
        )
        with pytest.raises(NotIssuable):
            issue_certificates(session, actor=SYSTEM, award_ids=[legacy.id], settings=settings)

    def test_another_body_cannot_issue_our_awards(self, session: Session, settings: Settings) -> None:
        ensure_signing_key(settings)
        body, _ = _body_with_filing(session, settings)
        intruder = Actor(label="x", role=Role.BODY_ADMIN, body_id=make_body(session).id)
        with pytest.raises(AwardNotFound):
            issue_certificates(
                session, actor=intruder, award_ids=_awards(session, settings, body, 1), settings=settings
            )

    def test_every_certificate_is_audited(self, session: Session, settings: Settings) -> None:
        ensure_signing_key(settings)
        body, _ = _body_with_filing(session, settings)
        outcome = issue_certificates(
            session, actor=SYSTEM, award_ids=_awards(session, settings, body, 4), settings=settings
        )
        events = session.exec(
            select(AuditEvent).where(AuditEvent.action == "certificate.issued", AuditEvent.body_id == body.id)
        ).all()
        assert {e.after["number"] for e in events if e.after} == {n for _, n, _ in outcome.issued}
        assert verify_chain(session).ok

    def test_special_technician_uses_the_two_letter_variant(self, session: Session, settings: Settings) -> None:
        body = make_body(session, qualified_special=True)
        make_filing(
            session,
            settings,
            body=body,
            ceiling=GradeCode.SPECIAL_TECHNICIAN,
            starts_on=today() - dt.timedelta(days=30),
            ends_on=today() + dt.timedelta(days=900),
            lines=[scope_line(max_grade=GradeCode.SPECIAL_TECHNICIAN)],
        )
        certificate = make_certificate(session, settings, body=body, grade=GradeCode.SPECIAL_TECHNICIAN)
        assert certificate.number[15] == "T"


class TestStatus:
    def test_suspend_reinstate_revoke(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        set_status(session, actor=SYSTEM, number=certificate.number, target=CertificateStatus.SUSPENDED, note="核查")
        assert verify_online(session, token=certificate.token, settings=settings).verdict == Verdict.SUSPENDED
        set_status(session, actor=SYSTEM, number=certificate.number, target=CertificateStatus.VALID, note="核查无误")
        set_status(
            session,
            actor=SYSTEM,
            number=certificate.number,
            target=CertificateStatus.REVOKED,
            note="虚假评价",
            reason=RevocationReason.FRAUDULENT_EVALUATION,
        )
        assert verify_online(session, token=certificate.token, settings=settings).verdict == Verdict.REVOKED
        with pytest.raises(TransitionNotAllowed):
            set_status(session, actor=SYSTEM, number=certificate.number, target=CertificateStatus.VALID, note="x")

    def test_revoked_wins_over_suspended(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        set_status(session, actor=SYSTEM, number=certificate.number, target=CertificateStatus.SUSPENDED, note="核查")
        set_status(
            session,
            actor=SYSTEM,
            number=certificate.number,
            target=CertificateStatus.REVOKED,
            note="属实",
            reason=RevocationReason.FRAUDULENT_EVALUATION,
        )
        assert verify_online(session, token=certificate.token, settings=settings).verdict == Verdict.REVOKED

    def test_reissue_keeps_the_number_and_voids_the_old_print(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        old_token, number = certificate.token, certificate.number
        reissue(session, actor=SYSTEM, number=number, note="证书污损换发", settings=settings)
        assert (certificate.number, certificate.print_serial) == (number, 2)
        assert verify_online(session, token=old_token, settings=settings).verdict == Verdict.SUPERSEDED
        assert verify_online(session, token=certificate.token, settings=settings).verdict == Verdict.VALID
        prints = session.exec(select(CertificatePrint).where(CertificatePrint.certificate_id == certificate.id)).all()
        assert [p.voided_at is not None for p in sorted(prints, key=lambda p: p.print_serial)] == [True, False]


class TestConcurrentIssuing:
    def test_parallel_issuers_get_unique_gapless_serials(self, committed_url: str) -> None:
        settings = get_settings()
        engine = make_engine(committed_url)
        ensure_signing_key(settings)
        with session_scope(engine) as s:
            body, _ = _body_with_filing(s, settings)
            batches = [_awards(s, settings, body, 5) for _ in range(6)]
        errors: list[BaseException] = []

        def issue(ids: list[uuid.UUID]) -> None:
            try:
                with session_scope(engine) as s:
                    issue_certificates(s, actor=SYSTEM, award_ids=ids, settings=settings)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=issue, args=(ids,)) for ids in batches]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with session_scope(engine) as s:
            numbers = s.exec(select(Certificate.number).where(Certificate.body_id == body.id)).all()
        serials = sorted(int(n[-6:]) for n in numbers)
        assert serials == list(range(1, 31))
        engine.dispose()


class TestLinkLength:
    def test_a_public_url_too_long_for_the_qr_code_issues_nothing(self, session: Session, settings: Settings) -> None:
        ensure_signing_key(settings)
        body, _ = _body_with_filing(session, settings)
        long_url = settings.model_copy(update={"public_url": "https://" + "verify." * 12 + "gov.cn"})
        ids = _awards(session, settings, body, 1)
        with pytest.raises(InvalidInput, match="REGISTRY_PUBLIC_URL"):
            issue_certificates(session, actor=SYSTEM, award_ids=ids, settings=long_url)


class TestRaces:
    def test_a_status_read_before_the_lock_cannot_undo_a_revocation(
        self, committed_url: str, is_postgres: bool
    ) -> None:
        if not is_postgres:
            pytest.skip("SQLite has one writer at a time: this interleaving cannot happen there")
        settings = get_settings()
        engine = make_engine(committed_url)
        with session_scope(engine) as s:
            number = make_certificate(s, settings).number
            set_status(s, actor=SYSTEM, number=number, target=CertificateStatus.SUSPENDED, note="核查")
        with session_scope(engine) as a:
            held = get_certificate(a, actor=SYSTEM, number=number)  # A has read "suspended", no lock yet
            with session_scope(engine) as b:  # B revokes and commits meanwhile
                set_status(
                    b,
                    actor=SYSTEM,
                    number=number,
                    target=CertificateStatus.REVOKED,
                    note="查实",
                    reason=RevocationReason.FRAUDULENT_EVALUATION,
                )
            with pytest.raises(TransitionNotAllowed):  # A's reinstatement must see "revoked" under the lock
                set_status(a, actor=SYSTEM, number=number, target=CertificateStatus.VALID, note="恢复")
            del held  # kept alive on purpose: the session's identity map would otherwise drop the stale object
        with session_scope(engine) as s:
            assert get_certificate(s, actor=SYSTEM, number=number).status == CertificateStatus.REVOKED
        engine.dispose()

    def test_issuing_the_same_awards_twice_at_once_is_idempotent(self, committed_url: str) -> None:
        settings = get_settings()
        engine = make_engine(committed_url)
        ensure_signing_key(settings)
        with session_scope(engine) as s:
            body, _ = _body_with_filing(s, settings)
            ids = _awards(s, settings, body, 5)
        errors: list[BaseException] = []

        def issue() -> None:
            try:
                with session_scope(engine) as s:
                    issue_certificates(s, actor=SYSTEM, award_ids=ids, settings=settings)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=issue) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with session_scope(engine) as s:
            count = s.exec(select(func.count()).select_from(Certificate).where(Certificate.body_id == body.id)).one()
        assert count == 5
        engine.dispose()


class TestIssuerSanctions:
    def test_a_later_sanction_on_the_issuer_is_a_warning_not_the_verdict(
        self, session: Session, settings: Settings
    ) -> None:
        from registry.bodies.models import BodyStatus
        from registry.bodies.service import set_body_status

        certificate = make_certificate(session, settings)
        set_body_status(session, actor=SYSTEM, body_id=certificate.body_id, status=BodyStatus.SUSPENDED, reason="整改")
        result = verify_online(session, token=certificate.token, settings=settings)
        assert result.verdict == Verdict.VALID
        issuer = next(c for c in result.checks if c.code == "issuer")
        assert issuer.ok is None
