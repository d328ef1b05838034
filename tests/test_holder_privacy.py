"""The ID-number threat model (README): a shared link or a photo of the certificate, the holder's name, birth date
and home district must not let anyone confirm a guess of the ID number offline; online guesses are counted.

The attack the issue ran: the public answer showed 4406**********1526, so with birth date and district known
the number was all but given away, and the v1 token's scrypt binding confirmed each guess offline.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.cli import app as cli
from certificates import signing
from certificates.holder import HOLDER_WINDOW, HolderChecksExhausted, check_holder_online
from certificates.service import reissue, render_pdf
from certificates.tokens import Claims
from certificates.verification import check_holder_offline, number_hash, revocation_list
from registry import pii
from registry.audit.models import AuditEvent
from registry.clock import utcnow
from registry.people.models import Person
from registry.settings import Settings
from registry.validators import id_check_digit
from tests.conftest import ClientFactory
from tests.console.support import form_post
from tests.factories import (
    SYSTEM,
    as_v1_print,
    make_body,
    make_certificate,
    make_filing,
    make_person,
    token_payload,
)
from tests.pdfcheck import page_text

NAME = "欧阳建华"
DISTRICT = "440106"  # 广州市天河区: the attacker knows it
BIRTH = dt.date(1990, 3, 7)  # and the birth date


def resident_id(sequence: int) -> str:
    """The holder's number for a 3-digit sequence (the only part the attacker does not know)."""
    first17 = f"{DISTRICT}{BIRTH:%Y%m%d}{sequence:03d}"
    return first17 + id_check_digit(first17)


def attacker_candidates(public_mask: str) -> list[str]:
    """Every number consistent with the public answer, the name's holder's birth date and district: 1,000."""
    assert public_mask.startswith(DISTRICT[:4]) and set(public_mask[4:]) == {"*"}, public_mask
    return [resident_id(sequence) for sequence in range(1000)]


def certificate_of(session: Session, settings: Settings, sequence: int, **overrides: Any) -> tuple[Any, str]:
    """A certificate for NAME with the number of this sequence; returns it and the number."""
    number = resident_id(sequence)
    person = make_person(session, settings, name=NAME, id_number=number)
    return make_certificate(session, settings, person=person, **overrides), number


def _time_free(text: str) -> str:
    return re.sub(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}[0-9.:+Z]*( UTC)?", "<time>", text)


def public_artefacts(client: TestClient, session: Session, settings: Settings, certificate: Any) -> dict[str, str]:
    """Everything public about one certificate: JSON, page, look-up answer, token payload, PDF text by default."""
    person = session.get(Person, certificate.person_id)
    assert person is not None
    return {
        "json": client.get(f"/api/v1/verify/{certificate.token}").text,
        "page": client.get(f"/v/{certificate.token}").text,
        "lookup": client.post("/api/v1/verify/lookup", json={"number": certificate.number, "name": person.name}).text,
        "token": token_payload(certificate.token).decode(),
        "pdf": page_text(render_pdf(session, certificate, settings)),
    }


def _without_own_values(text: str, certificate: Any) -> str:
    """Drop what differs by design between two certificates: number, token (and its signature), status ref — and
    between two page views: the form's CSRF token (random per browser)."""
    for value in (certificate.token, certificate.number, certificate.status_ref or "\x00"):
        text = text.replace(value, "<own>")
    text = re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value="<csrf>"', text)
    return _time_free(text)


@pytest.fixture
def holders(session: Session, settings: Settings) -> tuple[Any, Any, str, str]:
    """Two people with the same name, birth date and district, numbers differing only in the sequence; each
    holding a certificate of the same body, occupation and grade, reissued once (so the revocation list has them)."""
    body = make_body(session)
    make_filing(
        session, settings, body=body, starts_on=utcnow().date() - dt.timedelta(days=30), ends_on=dt.date(2029, 1, 1)
    )
    right, other = resident_id(735), resident_id(128)
    first = make_certificate(
        session, settings, body=body, person=make_person(session, settings, name=NAME, id_number=right)
    )
    second = make_certificate(
        session, settings, body=body, person=make_person(session, settings, name=NAME, id_number=other)
    )
    for certificate in (first, second):
        reissue(session, actor=SYSTEM, number=certificate.number, note="换发", settings=settings)
    return first, second, right, other


class TestNothingPublicDependsOnTheIdNumber:
    def test_two_holders_differing_only_in_id_number_look_the_same_in_public(
        self, client: TestClient, session: Session, settings: Settings, holders: tuple[Any, Any, str, str]
    ) -> None:
        first, second, _, _ = holders
        a = public_artefacts(client, session, settings, first)
        b = public_artefacts(client, session, settings, second)
        for name in a:
            assert _without_own_values(a[name], first) == _without_own_values(b[name], second), name

    def test_the_revocation_list_holds_nothing_but_keyed_hashes_of_number_and_random_reference(
        self, session: Session, settings: Settings, holders: tuple[Any, Any, str, str]
    ) -> None:
        first, second, _, _ = holders
        listed = revocation_list(session, settings=settings)
        expected = {number_hash(listed["salt"], c.number, c.status_ref) for c in (first, second)}
        assert {e["h"] for e in listed["entries"]} >= expected
        assert set(listed) == {"jws", "format", "issued_at", "salt", "entries"}
        assert all(set(e) == {"h", "s", "ps"} for e in listed["entries"])

    def test_v2_tokens_carry_a_random_reference_instead_of_a_holder_binding(
        self, session: Session, settings: Settings, holders: tuple[Any, Any, str, str]
    ) -> None:
        first, *_ = holders
        claims = Claims.decode(token_payload(first.token))
        assert (claims.version, claims.holder_binding, claims.status_ref) == (3, None, first.status_ref)
        assert len(first.status_ref) == 16


class TestTheRecoveryAttack:
    def test_offline_the_right_number_cannot_be_confirmed(
        self, client: TestClient, session: Session, settings: Settings, holders: tuple[Any, Any, str, str]
    ) -> None:
        first, _, right, _ = holders
        public = public_artefacts(client, session, settings, first)
        mask = json.loads(public["json"])["fields"]["id_masked"]
        candidates = attacker_candidates(mask)
        assert right in candidates and len(candidates) == 1000
        budget = [*candidates[:40], right]  # a small budget that certainly includes the right number
        claims = Claims.decode(token_payload(first.token))
        strings = [v for v in claims.__dict__.values() if isinstance(v, str)]
        everything = "\n".join(public.values())
        confirmed = set()
        for guess in budget:
            # the v1 oracle: does any string of the token verify as a holder binding of name + guess?
            if any(pii.check_holder_binding(value, NAME, guess) for value in strings):
                confirmed.add(guess)
            # plain and hashed forms of the guess anywhere in public
            digests = {
                hashlib.sha256(f"{NAME}{guess}".encode()).hexdigest(),
                hashlib.sha256(guess.encode()).hexdigest(),
            }
            if guess in everything or any(d[:16] in everything for d in digests):
                confirmed.add(guess)
        assert confirmed == set()
        assert f"{BIRTH:%Y%m%d}" not in everything and BIRTH.isoformat() not in everything

    def test_online_the_holder_is_refused_after_the_budget_even_for_the_right_number(
        self, client_for: ClientFactory, session: Session, settings: Settings, holders: tuple[Any, Any, str, str]
    ) -> None:
        first, _, right, _ = holders
        client = client_for(settings.model_copy(update={"lookup_rate_per_minute": 10_000, "holder_checks_per_day": 5}))
        candidates = [c for c in attacker_candidates("4401" + "*" * 14) if c != right]
        answers = [
            client.post(f"/api/v1/verify/{first.token}/holder", json={"name": NAME, "id_number": guess})
            for guess in [*candidates[:5], right]
        ]
        assert [a.json().get("matched") for a in answers[:5]] == [False] * 5
        assert (answers[5].status_code, answers[5].json()["error"]) == (429, "holder_checks_exhausted")
        assert int(answers[5].headers["Retry-After"]) > 3600

    def test_the_right_number_does_match_within_the_budget(
        self, client: TestClient, holders: tuple[Any, Any, str, str]
    ) -> None:
        first, _, right, other = holders
        ok = client.post(f"/api/v1/verify/{first.token}/holder", json={"name": NAME, "id_number": right})
        wrong = client.post(f"/api/v1/verify/{first.token}/holder", json={"name": NAME, "id_number": other})
        assert (ok.json()["matched"], wrong.json()["matched"]) == (True, False)
        assert right not in ok.text


class TestHolderBudget:
    def test_the_budget_is_per_holder_whatever_certificate_is_used(self, session: Session, settings: Settings) -> None:
        first, _ = certificate_of(session, settings, 300)
        second = make_certificate(
            session, settings, person=session.get(Person, first.person_id), occupation_code="6-31-01-03"
        )
        tight = settings.model_copy(update={"holder_checks_per_day": 2})
        for certificate in (first, second):
            check_holder_online(session, token=certificate.token, name=NAME, id_number="x", settings=tight)
        with pytest.raises(HolderChecksExhausted):
            check_holder_online(session, token=first.token, name=NAME, id_number="x", settings=tight)

    def test_the_window_rolls_over(self, session: Session, settings: Settings) -> None:
        number = resident_id(301)
        certificate = make_certificate(
            session, settings, person=make_person(session, settings, name=NAME, id_number=number)
        )
        tight = settings.model_copy(update={"holder_checks_per_day": 1})
        now = utcnow()
        check_holder_online(session, token=certificate.token, name=NAME, id_number="x", settings=tight, now=now)
        with pytest.raises(HolderChecksExhausted):
            check_holder_online(session, token=certificate.token, name=NAME, id_number=number, settings=tight, now=now)
        later = now + HOLDER_WINDOW + dt.timedelta(seconds=1)
        outcome = check_holder_online(
            session, token=certificate.token, name=NAME, id_number=number, settings=tight, now=later
        )
        assert outcome.matched is True

    def test_the_page_form_is_online_and_limited_too(
        self, client_for: ClientFactory, session: Session, settings: Settings
    ) -> None:
        number = resident_id(302)
        certificate = make_certificate(
            session, settings, person=make_person(session, settings, name=NAME, id_number=number)
        )
        client = client_for(settings.model_copy(update={"lookup_rate_per_minute": 1000, "holder_checks_per_day": 1}))
        page = f"/v/{certificate.token}"
        first = form_post(client, page, f"{page}/holder", {"name": NAME, "id_number": number})
        second = form_post(client, page, f"{page}/holder", {"name": NAME, "id_number": number})
        assert 'data-holder="match"' in first.text
        assert second.status_code == 429 and 'data-holder="limited"' in second.text

    def test_per_client_limit_applies_before_the_holder_budget(
        self, client_for: ClientFactory, session: Session, settings: Settings
    ) -> None:
        certificate = make_certificate(session, settings)
        client = client_for(settings.model_copy(update={"lookup_rate_per_minute": 2}))
        codes = [
            client.post(f"/api/v1/verify/{certificate.token}/holder", json={"name": NAME, "id_number": "x"}).status_code
            for _ in range(3)
        ]
        assert codes == [200, 200, 429]


class TestPrintedV1Tokens:
    """Tokens printed before v2 keep verifying; their binding still confirms guesses offline — reissue is the cure."""

    def test_a_v1_token_verifies_and_its_holder_check_still_works_offline(
        self, client: TestClient, session: Session, settings: Settings
    ) -> None:
        number = resident_id(400)
        certificate = make_certificate(
            session, settings, person=make_person(session, settings, name=NAME, id_number=number)
        )
        token = as_v1_print(session, settings, certificate)
        assert client.get(f"/api/v1/verify/{token}").json()["verdict"] == "valid"
        claims = Claims.decode(token_payload(token))
        assert check_holder_offline(claims, NAME, number) is True
        assert check_holder_offline(claims, NAME, resident_id(401)) is False

    def test_which_is_exactly_the_leak_and_reissue_closes_it(self, session: Session, settings: Settings) -> None:
        number = resident_id(402)
        certificate = make_certificate(
            session, settings, person=make_person(session, settings, name=NAME, id_number=number)
        )
        old = Claims.decode(token_payload(as_v1_print(session, settings, certificate)))
        found = [g for g in attacker_candidates("4401" + "*" * 14)[395:410] if check_holder_offline(old, NAME, g)]
        assert found == [number]  # the v1 binding confirms the right guess offline
        reissue(session, actor=SYSTEM, number=certificate.number, note="以 v2 令牌换发", settings=settings)
        new = Claims.decode(token_payload(certificate.token))
        assert new.version == 3 and check_holder_offline(new, NAME, number) is None

    def test_old_v1_prints_are_still_found_in_the_revocation_list(self, session: Session, settings: Settings) -> None:
        from certificates.verification import Verdict, verify_offline

        certificate = make_certificate(session, settings)
        old = as_v1_print(session, settings, certificate)
        reissue(session, actor=SYSTEM, number=certificate.number, note="换发", settings=settings)
        listed = revocation_list(session, settings=settings)
        jwks = signing.jwks_document(settings.key_dir)
        assert verify_offline(old, jwks=jwks, revocations=listed).verdict == Verdict.SUPERSEDED
        assert verify_offline(certificate.token, jwks=jwks, revocations=listed).verdict == Verdict.VALID


class TestOfflineCommand:
    def _files(self, session: Session, settings: Settings, tmp_path: Any) -> tuple[str, str]:
        jwks = tmp_path / "jwks.json"
        jwks.write_text(json.dumps(signing.jwks_document(settings.key_dir)))
        listed = tmp_path / "rl.json"
        listed.write_text(json.dumps(revocation_list(session, settings=settings)))
        return str(jwks), str(listed)

    def test_a_v2_holder_check_says_online_only_and_never_leads_with_valid(
        self, session: Session, settings: Settings, tmp_path: Any
    ) -> None:
        number = resident_id(500)
        certificate = make_certificate(
            session, settings, person=make_person(session, settings, name=NAME, id_number=number)
        )
        jwks, listed = self._files(session, settings, tmp_path)
        args = ["verify", certificate.token, "--jwks", jwks, "--revocations", listed]
        result = CliRunner().invoke(cli, [*args, "--holder-name", NAME, "--holder-id", number])
        first_line = result.output.splitlines()[0]
        assert result.exit_code == 3
        assert "真实有效" not in first_line and "Genuine and valid" not in first_line
        assert "online" in first_line
        plain = CliRunner().invoke(cli, args)
        assert plain.exit_code == 0 and plain.output.startswith("真实有效 / Genuine and valid")

    def test_a_failed_v1_holder_check_leads_with_the_mismatch(
        self, session: Session, settings: Settings, tmp_path: Any
    ) -> None:
        number = resident_id(501)
        certificate = make_certificate(
            session, settings, person=make_person(session, settings, name=NAME, id_number=number)
        )
        token = as_v1_print(session, settings, certificate)
        jwks, listed = self._files(session, settings, tmp_path)
        args = ["verify", token, "--jwks", jwks, "--revocations", listed, "--holder-name", NAME]
        wrong = CliRunner().invoke(cli, [*args, "--holder-id", resident_id(502)])
        right = CliRunner().invoke(cli, [*args, "--holder-id", number])
        assert wrong.exit_code == 1 and wrong.output.splitlines()[0] == "持证人不一致 / Holder does NOT match"
        assert right.exit_code == 0 and "持证人一致" in right.output.splitlines()[0]


class TestAuditSnapshots:
    def test_no_birth_date_or_id_digits_beyond_the_city_on_the_audit_record(
        self, session: Session, settings: Settings
    ) -> None:
        number = resident_id(600)
        person = make_person(session, settings, name=NAME, id_number=number)
        certificate = make_certificate(session, settings, person=person)
        reissue(session, actor=SYSTEM, number=certificate.number, note="换发", settings=settings)
        events = session.exec(select(AuditEvent)).all()
        recorded = json.dumps([[e.before, e.after, e.reason] for e in events], ensure_ascii=False)
        assert str(person.id) in recorded  # the person's events are there…
        for derived in (number, number[6:14], BIRTH.isoformat(), number[-4:], number[4:]):
            assert derived not in recorded  # …without anything derived from the number
        created = next(e for e in events if e.action == "person.created" and e.entity_id == str(person.id))
        assert created.after == {"name": NAME, "id_type": "resident_id"}


def test_the_public_mask_is_what_the_publicity_list_shows(
    client: TestClient, session: Session, settings: Settings
) -> None:
    from assessment.batches.models import EnrolIn
    from assessment.batches.service import enrol, publish_batch
    from tests.factories import make_batch
    from tests.test_batches import _eligible, _finalized

    body = make_body(session)
    make_filing(session, settings, body=body)
    lenient = settings.model_copy(update={"eligibility_min_years": {"senior": 0}})
    batch = make_batch(session, lenient, body=body)
    person = _eligible(session, lenient, body)
    enrol(session, actor=SYSTEM, batch_id=batch.exam.id, data=EnrolIn(person_id=person.id), settings=lenient)
    _finalized(session, batch)
    publish_batch(session, actor=SYSTEM, batch_id=batch.exam.id, settings=settings)
    (entry,) = client.get(f"/api/v1/publicity/{batch.exam.id}").json()["entries"]
    assert entry["id_masked"] == person.id_masked[:4] + "*" * 14


def test_a_legacy_record_look_up_shows_the_public_mask_too(
    client: TestClient, session: Session, settings: Settings
) -> None:
    from registry.awards.legacy import record_legacy_award
    from tests.factories import legacy_data

    person = make_person(session, settings, name=NAME, id_number=resident_id(700))
    record_legacy_award(session, actor=SYSTEM, data=legacy_data(person, number="1544000000770"))
    answer = client.post("/api/v1/verify/lookup", json={"number": "1544000000770", "name": NAME})
    assert answer.status_code == 200, answer.text
    assert answer.json()["fields"]["id_masked"] == DISTRICT[:4] + "*" * 14
