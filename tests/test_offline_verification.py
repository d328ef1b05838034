"""Offline verification against a saved JWKS and revocation list: never "valid" without trustworthy status."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from certificates import signing
from certificates.models import CertificateStatus
from certificates.service import reissue, set_status
from certificates.verification import Verdict, number_hash, revocation_list, verify_offline
from registry.settings import Settings
from tests.factories import SYSTEM, make_certificate


def _offline(settings: Settings, token: str, listed: dict | None, **kwargs) -> Verdict:  # type: ignore[no-untyped-def, type-arg]
    return verify_offline(token, jwks=signing.jwks_document(settings.key_dir), revocations=listed, **kwargs).verdict


class TestOffline:
    def test_valid_with_a_fresh_list(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        assert _offline(settings, certificate.token, revocation_list(session, settings=settings)) == Verdict.VALID

    def test_without_a_list_the_status_is_unknown_not_valid(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        assert _offline(settings, certificate.token, None) == Verdict.STATUS_UNKNOWN

    def test_revoked_suspended_and_superseded_show_offline(self, session: Session, settings: Settings) -> None:
        revoked, suspended, reissued = (make_certificate(session, settings) for _ in range(3))
        set_status(session, actor=SYSTEM, number=revoked.number, target=CertificateStatus.REVOKED, note="虚假评价")
        set_status(session, actor=SYSTEM, number=suspended.number, target=CertificateStatus.SUSPENDED, note="核查")
        old_token = reissued.token
        reissue(session, actor=SYSTEM, number=reissued.number, note="换发", settings=settings)
        listed = revocation_list(session, settings=settings)
        assert _offline(settings, revoked.token, listed) == Verdict.REVOKED
        assert _offline(settings, suspended.token, listed) == Verdict.SUSPENDED
        assert _offline(settings, old_token, listed) == Verdict.SUPERSEDED
        assert _offline(settings, reissued.token, listed) == Verdict.VALID

    def test_a_stale_list_gives_unknown(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        set_status(session, actor=SYSTEM, number=certificate.number, target=CertificateStatus.REVOKED, note="x")
        listed = revocation_list(session, settings=settings)
        later = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
        assert _offline(settings, certificate.token, listed, now=later) == Verdict.STATUS_UNKNOWN

    def test_a_certificate_token_is_not_a_revocation_list(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        assert _offline(settings, certificate.token, {"jws": certificate.token}) == Verdict.STATUS_UNKNOWN

    def test_a_revocation_list_is_not_a_certificate_token(self, session: Session, settings: Settings) -> None:
        make_certificate(session, settings)
        listed = revocation_list(session, settings=settings)
        assert _offline(settings, listed["jws"], None) == Verdict.INVALID

    def test_listed_hashes_cannot_be_matched_from_numbers_alone(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        set_status(session, actor=SYSTEM, number=certificate.number, target=CertificateStatus.REVOKED, note="x")
        listed = revocation_list(session, settings=settings)
        hashes = {e["h"] for e in listed["entries"]}
        assert number_hash(listed["salt"], certificate.number, "") not in hashes
        assert certificate.number not in str(listed)
