"""Public verification over HTTP: the QR page, JSON, look-up, holder check, rate limits, keys, bad tokens."""

from __future__ import annotations

import base64
import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from certificates.models import CertificateStatus
from certificates.service import set_status
from registry.bodies.models import EvaluationBody
from registry.people.models import Person
from registry.settings import Settings
from tests.conftest import ClientFactory
from tests.console.support import form_post
from tests.factories import SYSTEM, make_certificate, make_person, valid_id


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TestPage:
    def test_page_shows_one_verdict_checks_and_masked_fields(
        self, client: TestClient, session: Session, settings: Settings
    ) -> None:
        person = make_person(session, settings, name="欧阳建华")
        certificate = make_certificate(session, settings, person=person)
        page = client.get(f"/v/{certificate.token}")
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"
        assert "真实有效" in page.text
        assert "欧*华" in page.text
        assert "欧阳建华" not in page.text
        assert person.id_masked[:4] + "*" * 14 in page.text  # the public mask: no birth date, no tail
        # The tail must not show; public values that may contain the same four digits by chance are removed first
        # (every test body's USCC contains 4403, an ID tail of 440 + check digit 3 is one sequence number away).
        shown = page.text
        body = session.get(EvaluationBody, certificate.body_id)
        assert body is not None
        for public in (certificate.token, certificate.number, body.uscc):
            shown = shown.replace(public, "")
        assert person.id_masked[-4:] not in shown

    def test_english_on_request(self, client: TestClient, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        assert "Genuine and valid" in client.get(f"/v/{certificate.token}?lang=en").text

    def test_suspended_shows_suspended(self, client: TestClient, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        set_status(session, actor=SYSTEM, number=certificate.number, target=CertificateStatus.SUSPENDED, note="核查")
        assert 'data-verdict="suspended"' in client.get(f"/v/{certificate.token}").text

    def test_holder_check_matches_only_the_right_person(
        self, client: TestClient, session: Session, settings: Settings
    ) -> None:
        number = valid_id()
        certificate = make_certificate(
            session, settings, person=make_person(session, settings, name="李雪梅", id_number=number)
        )
        page = f"/v/{certificate.token}"
        right = form_post(client, page, f"{page}/holder", {"name": "李雪梅", "id_number": number})
        wrong = form_post(client, page, f"{page}/holder", {"name": "李雪梅", "id_number": valid_id()})
        assert 'data-holder="match"' in right.text
        assert 'data-holder="mismatch"' in wrong.text
        assert number not in right.text


class TestJson:
    @pytest.mark.parametrize("kind", ["garbage", "truncated", "tampered", "alg-none", "empty-signature"])
    def test_bad_tokens_are_invalid_never_500_never_valid(
        self, client: TestClient, session: Session, settings: Settings, kind: str
    ) -> None:
        token = make_certificate(session, settings).token
        header, payload, signature = token.split(".")
        bad = {
            "garbage": "%%%not-a-token%%%",
            "truncated": token[: len(token) // 2],
            "tampered": f"{header}.{payload[:-4]}AAAA.{signature}",
            "alg-none": f"{_b64(json.dumps({'alg': 'none', 'typ': 'xc'}).encode())}.{payload}.",
            "empty-signature": f"{header}.{payload}.",
        }[kind]
        for url in (f"/api/v1/verify/{bad}", f"/v/{bad}"):
            response = client.get(url)
            assert response.status_code in {200, 404}, (kind, response.status_code)
            if url.startswith("/api"):
                assert response.json()["verdict"] == "invalid"
            else:
                assert 'data-verdict="invalid"' in response.text

    def test_jwks_lists_public_keys_with_windows(
        self, client: TestClient, session: Session, settings: Settings
    ) -> None:
        make_certificate(session, settings)
        (key,) = client.get("/.well-known/jwks.json").json()["keys"]
        assert key["kty"] == "EC"
        assert "d" not in key
        assert key["valid_from"]


class TestLookup:
    def test_number_and_name_must_both_match_with_identical_refusals(
        self, client: TestClient, session: Session, settings: Settings
    ) -> None:
        certificate = make_certificate(session, settings)
        person = session.get(Person, certificate.person_id)
        assert person is not None
        ok = client.post("/api/v1/verify/lookup", json={"number": certificate.number, "name": person.name})
        assert ok.json()["verdict"] == "valid"
        wrong_name = client.post("/api/v1/verify/lookup", json={"number": certificate.number, "name": "某某某"})
        no_number = client.post("/api/v1/verify/lookup", json={"number": "Y000044999999269000001", "name": person.name})
        assert wrong_name.status_code == no_number.status_code == 404
        assert wrong_name.json() == no_number.json()

    @pytest.mark.parametrize(
        ("number", "status", "error"),
        [
            ("Y" * 65, 422, "validation_error"),
            ("Y" * 40, 404, "no_match"),
            ("not-a-number", 404, "no_match"),
            ("", 422, "validation_error"),
        ],
    )
    def test_odd_numbers_get_the_same_no_match_never_500(
        self, client: TestClient, number: str, status: int, error: str
    ) -> None:
        response = client.post("/api/v1/verify/lookup", json={"number": number, "name": "张三"})
        assert (response.status_code, response.json()["error"]) == (status, error)

    @pytest.mark.parametrize("name", ["\ud800", "\u0000", "张\u0007三", "\u0085"])
    def test_control_characters_and_lone_surrogates_are_refused_before_the_route(
        self, client: TestClient, name: str
    ) -> None:
        body = json.dumps({"number": "Y000044999999269000001", "name": name})  # ASCII JSON with escapes
        response = client.post("/api/v1/verify/lookup", content=body, headers={"Content-Type": "application/json"})
        assert (response.status_code, response.json()["error"]) == (400, "invalid_text")
        assert response.json()["field"] == "body.name"

    def test_lookups_are_rate_limited_per_client(
        self, client_for: ClientFactory, session: Session, settings: Settings
    ) -> None:
        client = client_for(settings.model_copy(update={"lookup_rate_per_minute": 3}))
        statuses = [
            client.post("/api/v1/verify/lookup", json={"number": "X", "name": "Y"}).status_code for _ in range(5)
        ]
        assert statuses == [404, 404, 404, 429, 429]
        limited = client.post("/api/v1/verify/lookup", json={"number": "X", "name": "Y"})
        assert int(limited.headers["Retry-After"]) > 0

    def test_html_lookup_form(self, client: TestClient, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        person = session.get(Person, certificate.person_id)
        assert person is not None
        assert "证书查询" in client.get("/verify").text
        found = form_post(client, "/verify", "/verify", {"number": certificate.number, "name": person.name})
        assert 'data-verdict="valid"' in found.text
        missing = form_post(client, "/verify", "/verify", {"number": certificate.number, "name": "别人"})
        assert 'data-verdict="no_match"' in missing.text


def test_unencodable_text_in_public_bodies_is_refused_naming_the_field(
    client: TestClient, session: Session, settings: Settings
) -> None:
    from sqlmodel import select

    from assessment.batches.models import Candidate, EnrolIn
    from assessment.batches.service import enrol, publish_batch
    from tests.factories import make_batch, make_body, make_filing
    from tests.test_batches import _eligible, _finalized

    body = make_body(session)
    make_filing(session, settings, body=body)
    lenient = settings.model_copy(update={"eligibility_min_years": {"senior": 0}})
    batch = make_batch(session, lenient, body=body)
    enrol(
        session,
        actor=SYSTEM,
        batch_id=batch.exam.id,
        data=EnrolIn(person_id=_eligible(session, lenient, body).id),
        settings=lenient,
    )
    _finalized(session, batch)
    publish_batch(session, actor=SYSTEM, batch_id=batch.exam.id, settings=settings)
    candidate = session.exec(select(Candidate).where(Candidate.session_id == batch.exam.id)).one()
    body_json = json.dumps({"candidate_id": str(candidate.id), "text": "异议内容\ud800", "contact": "13800000000"})
    response = client.post(
        f"/api/v1/sessions/{batch.exam.id}/objections", content=body_json, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    assert response.json()["field"] == "body.text"
    assert "控制字符" in response.json()["detail_zh"]
