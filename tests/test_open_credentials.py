"""Open credentials: the vc+jwt export, Bitstring Status Lists, the standing on a date, scope statements.

The credential is checked against the specifications' required properties (a JSON Schema written from VC Data
Model 2.0 §4 and Open Badges 3.0 §B, below), its signature with PyJWT (a JOSE library independent of ours, keys
from the published issuer document), and the status list bits with openvc's Bitstring Status List decoder.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import jsonschema
import jwt as pyjwt
import pytest
from openvc.status.bitstring import decode_bitstring, get_status_bit
from sqlmodel import Session, select

from certificates import credentials, numbering, signing
from certificates.history import standing_on
from certificates.models import Certificate, CertificateStatus, RevocationReason
from certificates.offline import apply_scope_proof, verify_credential_offline
from certificates.open_models import STATUS_LIST_LENGTH, CredentialStatusSlot
from certificates.scope import scope_statements, statement_payloads
from certificates.service import reissue, set_status
from certificates.tokens import Claims
from certificates.verification import Verdict, verify_offline
from registry.awards.models import AwardBasis, GradeAward
from registry.clock import CHINA_TZ, today, utcnow
from registry.filings.models import FilingStatus
from registry.filings.service import set_filing_status
from registry.grades import GradeCode
from registry.people.models import Person
from registry.settings import Settings
from tests.factories import SYSTEM, make_body, make_certificate, make_filing, make_person, scope_line

# Required properties: VC Data Model 2.0 §4 (@context first the v2 context, type with VerifiableCredential,
# issuer, credentialSubject; validFrom a dateTimeStamp; credentialStatus entries with type) and Open Badges 3.0
# Appendix B (OpenBadgeCredential: id, type, issuer Profile with id/type, validFrom, name, credentialSubject
# AchievementSubject with achievement; Achievement: id, type, name, description, criteria; IdentityObject:
# type, hashed, identityHash, identityType; IdentifierEntry: type, identifier, identifierType) and W3C Bitstring
# Status List v1.0 §2.1 (BitstringStatusListEntry: type, statusPurpose, statusListIndex, statusListCredential).
IDENTIFIER_ENTRY = {
    "type": "object",
    "required": ["type", "identifier", "identifierType"],
    "properties": {
        "type": {"const": "IdentifierEntry"},
        "identifierType": {"pattern": "^(identifier|ext:[A-Za-z0-9._-]+)$"},
    },
}
PROFILE = {
    "type": "object",
    "required": ["id", "type"],
    "properties": {
        "id": {"type": "string", "format": "uri"},
        "type": {"type": "array", "contains": {"const": "Profile"}},
    },
}
OB3_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["@context", "id", "type", "issuer", "validFrom", "name", "credentialSubject"],
    "properties": {
        "@context": {
            "type": "array",
            "prefixItems": [{"const": credentials.VC_CONTEXT}],
            "contains": {"const": credentials.OB_CONTEXT},
        },
        "id": {"type": "string", "pattern": "^urn:uuid:[0-9a-f-]{36}$"},
        "type": {
            "type": "array",
            "allOf": [{"contains": {"const": "VerifiableCredential"}}, {"contains": {"const": "OpenBadgeCredential"}}],
        },
        "issuer": PROFILE,
        "validFrom": {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$"},
        "name": {"type": "string", "minLength": 1},
        "credentialSubject": {
            "type": "object",
            "required": ["type", "achievement"],
            "properties": {
                "id": {"type": "string", "pattern": "^urn:uuid:"},
                "type": {"type": "array", "contains": {"const": "AchievementSubject"}},
                "identifier": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["type", "hashed", "identityHash", "identityType"],
                        "properties": {"type": {"const": "IdentityObject"}, "hashed": {"type": "boolean"}},
                    },
                },
                "achievement": {
                    "type": "object",
                    "required": ["id", "type", "name", "description", "criteria"],
                    "properties": {
                        "type": {"type": "array", "contains": {"const": "Achievement"}},
                        "criteria": {"type": "object", "anyOf": [{"required": ["id"]}, {"required": ["narrative"]}]},
                        "otherIdentifier": {"type": "array", "items": IDENTIFIER_ENTRY},
                        "creator": PROFILE,
                    },
                },
            },
        },
        "credentialStatus": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "statusPurpose", "statusListIndex", "statusListCredential"],
                "properties": {
                    "type": {"const": "BitstringStatusListEntry"},
                    "statusPurpose": {"enum": ["revocation", "suspension"]},
                    "statusListIndex": {"type": "string", "pattern": "^[0-9]+$"},
                    "statusListCredential": {"type": "string", "format": "uri"},
                },
            },
        },
    },
}


def _segments(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    head, body, _ = token.split(".")
    decode = lambda s: json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))  # noqa: E731
    return decode(head), decode(body)


def _list_token(session: Session, settings: Settings, certificate: Certificate, purpose: str) -> str:
    slot = session.get(CredentialStatusSlot, certificate.id)
    assert slot is not None
    return credentials.status_list_jwt(session, number=slot.list_number, purpose=purpose, settings=settings)


class TestCredential:
    def test_the_export_is_a_signed_vc_jwt_of_ob3_shape(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings, grade=GradeCode.TECHNICIAN)
        token = credentials.credential_jwt(session, certificate, settings)
        header, payload = _segments(token)
        assert header == {"alg": "ES256", "typ": "vc+jwt", "kid": f"https://registry.test/issuer#{certificate.kid}"}
        assert "vc" not in payload  # the payload is the credential itself (VC-JOSE-COSE), not a VC 1.1 JWT
        jsonschema.validate(payload, OB3_SCHEMA, format_checker=jsonschema.FormatChecker())
        achievement = payload["credentialSubject"]["achievement"]
        assert "技师" in achievement["name"] and "Technician" in achievement["name"]
        assert "national skill level 2" in achievement["name"]
        assert {"identifier": "6-18-02-04", "identifierType": "ext:OccupationCode", "type": "IdentifierEntry"} in (
            achievement["otherIdentifier"]
        )
        assert payload["credentialSubject"]["licenseNumber"] == certificate.number

    def test_signature_verifies_with_pyjwt_and_the_issuer_document(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        token = credentials.credential_jwt(session, certificate, settings)
        header, _ = _segments(token)
        (method,) = [m for m in credentials.issuer_document(settings)["verificationMethod"] if m["id"] == header["kid"]]
        key = pyjwt.PyJWK(method["publicKeyJwk"]).key
        assert pyjwt.decode(token, key, algorithms=["ES256"])["id"] == f"urn:uuid:{certificate.id}"
        tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        with pytest.raises(pyjwt.InvalidSignatureError):
            pyjwt.decode(tampered, key, algorithms=["ES256"])

    def test_no_id_number_and_a_stable_holder_id_not_from_it(self, session: Session, settings: Settings) -> None:
        body = make_body(session)
        make_filing(
            session,
            settings,
            body=body,
            starts_on=today() - dt.timedelta(days=9),
            ends_on=today() + dt.timedelta(days=900),
        )
        person = make_person(session, settings, employer=body)
        first = make_certificate(session, settings, body=body, person=person)
        second = make_certificate(session, settings, body=body, person=person, occupation_code="6-31-01-03")
        one = _segments(credentials.credential_jwt(session, first, settings))[1]
        two = _segments(credentials.credential_jwt(session, second, settings))[1]
        assert one["credentialSubject"]["id"] == two["credentialSubject"]["id"]
        assert str(person.id) not in json.dumps(one)
        text = json.dumps(one, ensure_ascii=False)
        from registry import pii

        id_number = pii.decrypt(settings, person.id_number_enc, context=person.id_type.value)
        assert id_number not in text and id_number[-6:] not in text and person.id_masked not in text

    def test_the_offline_verifier_accepts_the_credential_with_fresh_lists(
        self, session: Session, settings: Settings
    ) -> None:
        certificate = make_certificate(session, settings)
        token = credentials.credential_jwt(session, certificate, settings)
        jwks = signing.jwks_document(settings.key_dir)
        lists = [_list_token(session, settings, certificate, p) for p in credentials.PURPOSES]
        assert verify_credential_offline(token, jwks=jwks, status_lists=lists).verdict == Verdict.VALID
        assert verify_credential_offline(token, jwks=jwks).verdict == Verdict.STATUS_UNKNOWN
        assert verify_credential_offline(token, jwks=jwks, status_lists=lists[:1]).verdict == Verdict.STATUS_UNKNOWN
        forged = token.rsplit(".", 1)[0] + "." + token.rsplit(".", 1)[1][::-1]
        assert verify_credential_offline(forged, jwks=jwks, status_lists=lists).verdict == Verdict.INVALID
        # a credential is not a printed token and a printed token is not a credential
        assert verify_offline(token, jwks=jwks, revocations=None).verdict == Verdict.INVALID
        assert verify_credential_offline(certificate.token, jwks=jwks).verdict == Verdict.INVALID

    def test_an_old_certificate_is_signed_by_todays_key_after_a_rotation(
        self, session: Session, settings: Settings
    ) -> None:
        certificate = make_certificate(session, settings)
        certificate.issued_on = today() - dt.timedelta(days=400)  # issued long before today's key existed
        session.flush()
        signing.rotate_key(settings.key_dir, now=utcnow())
        token = credentials.credential_jwt(session, certificate, settings)
        jwks = signing.jwks_document(settings.key_dir)
        result = verify_credential_offline(token, jwks=jwks)
        assert result.verdict == Verdict.STATUS_UNKNOWN, result.checks  # signature and key window hold
        assert result.fields["issued_on"] == str(certificate.issued_on)


class TestStatusLists:
    def test_revocation_flips_its_bit_and_the_offline_check_sees_it(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        slot = session.get(CredentialStatusSlot, certificate.id)
        assert slot is not None
        token = credentials.credential_jwt(session, certificate, settings)
        jwks = signing.jwks_document(settings.key_dir)
        before = _segments(_list_token(session, settings, certificate, "revocation"))[1]["credentialSubject"]
        assert get_status_bit(decode_bitstring(before["encodedList"]), slot.list_index) == 0
        set_status(
            session,
            actor=SYSTEM,
            number=certificate.number,
            target=CertificateStatus.REVOKED,
            note="虚假评价",
            reason=RevocationReason.FRAUDULENT_EVALUATION,
        )
        lists = [_list_token(session, settings, certificate, p) for p in credentials.PURPOSES]
        after = _segments(lists[0])[1]["credentialSubject"]
        bits = decode_bitstring(after["encodedList"])  # an independent decoder (openvc)
        assert len(bits) * 8 == STATUS_LIST_LENGTH >= 2**17
        assert get_status_bit(bits, slot.list_index) == 1
        assert after["ttl"] == 300_000 and after["statusPurpose"] == "revocation"
        assert verify_credential_offline(token, jwks=jwks, status_lists=lists).verdict == Verdict.REVOKED

    def test_suspension_sets_the_suspension_list_only(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        set_status(session, actor=SYSTEM, number=certificate.number, target=CertificateStatus.SUSPENDED, note="核查中")
        slot = session.get(CredentialStatusSlot, certificate.id)
        assert slot is not None
        lists = {p: _segments(_list_token(session, settings, certificate, p))[1] for p in credentials.PURPOSES}
        assert credentials.bit_at(lists["suspension"]["credentialSubject"]["encodedList"], slot.list_index) == 1
        assert credentials.bit_at(lists["revocation"]["credentialSubject"]["encodedList"], slot.list_index) == 0
        token = credentials.credential_jwt(session, certificate, settings)
        raw = [_list_token(session, settings, certificate, p) for p in credentials.PURPOSES]
        jwks = signing.jwks_document(settings.key_dir)
        assert verify_credential_offline(token, jwks=jwks, status_lists=raw).verdict == Verdict.SUSPENDED

    def test_indices_are_random_unique_and_inside_the_list(self, session: Session, settings: Settings) -> None:
        body = make_body(session)
        make_filing(
            session,
            settings,
            body=body,
            starts_on=today() - dt.timedelta(days=9),
            ends_on=today() + dt.timedelta(days=900),
        )
        numbers = [make_certificate(session, settings, body=body).id for _ in range(6)]
        slots = session.exec(select(CredentialStatusSlot).where(CredentialStatusSlot.certificate_id.in_(numbers))).all()  # type: ignore[attr-defined]
        indices = [s.list_index for s in slots]
        assert len(set(indices)) == 6 and all(0 <= i < STATUS_LIST_LENGTH for i in indices)
        ordered = sorted(indices)
        assert ordered != list(range(ordered[0], ordered[0] + 6))  # not handed out in issue order

    def test_a_slot_outside_the_list_is_refused_by_the_database(self, session: Session, settings: Settings) -> None:
        import sqlalchemy as sa

        certificate = make_certificate(session, settings)
        session.exec(sa.delete(CredentialStatusSlot).where(CredentialStatusSlot.certificate_id == certificate.id))  # type: ignore[call-overload]
        with pytest.raises(sa.exc.IntegrityError), session.begin_nested():
            session.add(
                CredentialStatusSlot(certificate_id=certificate.id, list_number=1, list_index=STATUS_LIST_LENGTH)
            )
            session.flush()

    def test_the_printed_token_keeps_its_keyed_hash_list(self, session: Session, settings: Settings) -> None:
        from certificates.verification import revocation_list

        certificate = make_certificate(session, settings)
        set_status(session, actor=SYSTEM, number=certificate.number, target=CertificateStatus.REVOKED, note="撤销")
        listed = revocation_list(session, settings=settings)
        jwks = signing.jwks_document(settings.key_dir)
        assert verify_offline(certificate.token, jwks=jwks, revocations=listed).verdict == Verdict.REVOKED


def _at(monkeypatch: pytest.MonkeyPatch, day: dt.date, hour: int = 10) -> None:
    moment = dt.datetime.combine(day, dt.time(hour), tzinfo=CHINA_TZ).astimezone(dt.UTC)
    monkeypatch.setattr("registry.audit.service.utcnow", lambda: moment)


class TestStandingOnADate:
    def test_around_a_suspension_and_a_revocation(
        self, session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        certificate = make_certificate(session, settings)
        issued = certificate.issued_on
        day = lambda n: issued + dt.timedelta(days=n)  # noqa: E731
        _at(monkeypatch, day(10))
        set_status(session, actor=SYSTEM, number=certificate.number, target=CertificateStatus.SUSPENDED, note="核查")
        _at(monkeypatch, day(20))
        set_status(session, actor=SYSTEM, number=certificate.number, target=CertificateStatus.VALID, note="核查无误")
        _at(monkeypatch, day(30))
        set_status(session, actor=SYSTEM, number=certificate.number, target=CertificateStatus.REVOKED, note="撤销")
        expected = {
            -1: "not_yet_issued",
            0: "valid",
            9: "valid",
            10: "suspended",
            15: "suspended",
            20: "valid",
            29: "valid",
            30: "revoked",
            400: "revoked",
        }
        for offset, state in expected.items():
            standing = standing_on(session, number=certificate.number, print_serial=1, day=day(offset))
            assert standing is not None and standing.state == state, (offset, standing)
        standing = standing_on(session, number=certificate.number, print_serial=1, day=day(10))
        assert standing is not None and standing.changed_that_day
        assert "审计记录" in standing.as_dict()["zh"] and standing.as_dict()["source"] == "audit_log"

    def test_a_reissue_supersedes_the_old_print_from_its_day(
        self, session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        certificate = make_certificate(session, settings)
        _at(monkeypatch, certificate.issued_on + dt.timedelta(days=5))
        reissue(session, actor=SYSTEM, number=certificate.number, note="换发", settings=settings)

        def on(n: int, serial: int) -> str:
            day = certificate.issued_on + dt.timedelta(days=n)
            standing = standing_on(session, number=certificate.number, print_serial=serial, day=day)
            assert standing is not None
            return standing.state

        assert (on(4, 1), on(5, 1), on(4, 2), on(5, 2)) == ("valid", "superseded", "not_yet_issued", "valid")


def _out_of_scope_certificate(session: Session, settings: Settings) -> tuple[Certificate, Certificate]:
    """A body filed up to 高级工 (senior): one certificate issued normally, and a 技师 (technician) certificate
    written straight into the database with a genuine signature, as a rogue issuer with the key could."""
    body = make_body(session)
    filing = make_filing(
        session,
        settings,
        body=body,
        lines=[scope_line(max_grade=GradeCode.SENIOR)],
        starts_on=today() - dt.timedelta(days=30),
        ends_on=today() + dt.timedelta(days=900),
    )
    inside = make_certificate(session, settings, body=body, grade=GradeCode.SENIOR)
    person = session.get(Person, inside.person_id)
    assert person is not None
    award = GradeAward(
        person_id=person.id,
        body_id=body.id,
        filing_id=filing.id,
        occupation_code=inside.occupation_code,
        grade=GradeCode.TECHNICIAN,
        awarded_on=inside.issued_on,
        basis=AwardBasis.EXAM,
        created_at=utcnow(),
    )
    session.add(award)
    session.flush()
    parts = numbering.parts_for(
        category=body.cert_category,
        ministry_code=body.ministry_code,
        province_code=body.province_code,
        site_code=body.site_code,
        year=inside.issued_on.year,
        grade=GradeCode.TECHNICIAN,
    )
    number = numbering.format_number(parts, 999_999)
    claims = Claims.decode(base64.urlsafe_b64decode(inside.token.split(".")[1] + "=="))
    forged = Claims(**{**claims.__dict__, "number": number, "level": parts.level})
    outside = Certificate(
        number=number,
        award_id=award.id,
        person_id=person.id,
        body_id=body.id,
        occupation_code=inside.occupation_code,
        grade=GradeCode.TECHNICIAN,
        issued_on=inside.issued_on,
        kid=inside.kid,
        created_at=utcnow(),
        token=signing.sign(signing.load_signer(settings.key_dir), forged.encode()),
    )
    session.add(outside)
    session.flush()
    return inside, outside


class TestScopeProof:
    def test_inside_the_scope_passes_and_outside_fails(self, session: Session, settings: Settings) -> None:
        inside, outside = _out_of_scope_certificate(session, settings)
        published = scope_statements(session, settings=settings)
        jwks = signing.jwks_document(settings.key_dir)
        for certificate, ok in ((inside, True), (outside, False)):
            result = verify_offline(certificate.token, jwks=jwks, revocations=None)
            result = apply_scope_proof(result, published, jwks=jwks, letters=("T", "C"))
            (check,) = [c for c in result.checks if c.code == "scope_proof"]
            assert check.ok is ok, check
            assert (result.verdict == Verdict.INVALID) is not ok

    def test_the_credential_is_checked_against_the_scope_too(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        token = credentials.credential_jwt(session, certificate, settings)
        jwks = signing.jwks_document(settings.key_dir)
        result = verify_credential_offline(token, jwks=jwks)
        published = scope_statements(session, settings=settings)
        result = apply_scope_proof(result, published, jwks=jwks, letters=("T", "C"))
        assert [c.ok for c in result.checks if c.code == "scope_proof"] == [True]

    def test_a_forged_statement_is_ignored(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        published = scope_statements(session, settings=settings)
        forged = {**published, "statements": [s[:-3] + "AAA" for s in published["statements"]]}
        jwks = signing.jwks_document(settings.key_dir)
        result = apply_scope_proof(
            verify_offline(certificate.token, jwks=jwks, revocations=None), forged, jwks=jwks, letters=("T", "C")
        )
        assert result.verdict == Verdict.INVALID

    def test_statements_record_days_a_filing_was_not_in_force(
        self, session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        body = make_body(session)
        filing = make_filing(session, settings, body=body)
        _at(monkeypatch, dt.date(2026, 5, 1))
        set_filing_status(session, actor=SYSTEM, filing_id=filing.id, status=FilingStatus.SUSPENDED, reason="整改")
        _at(monkeypatch, dt.date(2026, 6, 1))
        set_filing_status(session, actor=SYSTEM, filing_id=filing.id, status=FilingStatus.APPROVED, reason="整改完成")
        (statement,) = [p for p in statement_payloads(session) if p["filing_id"] == str(filing.id)]
        assert statement["not_in_force"] == [{"from": "2026-05-01", "to": "2026-06-01", "status": "suspended"}]
        from certificates.scope import check_scope

        def found(day: dt.date) -> bool:
            return check_scope(
                [statement], body_uscc=body.uscc, occupation_code="6-18-02-04", grade=GradeCode.SENIOR, issued_on=day
            ).ok

        assert (found(dt.date(2026, 4, 30)), found(dt.date(2026, 5, 15)), found(dt.date(2026, 6, 1))) == (
            True,
            False,
            True,
        )
