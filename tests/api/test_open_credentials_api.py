"""Open credentials over HTTP: export, issuer metadata, status lists and the offline CLI, as_of, the PDF check,
share links (加注) and how the grade was obtained."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Any

import jwt as pyjwt
import pytest
from fastapi.testclient import TestClient
from openvc.jwt_vc_issuer import resolve_jwt_vc_issuer_key
from sqlmodel import Session
from typer.testing import CliRunner

from api.basis import WITH_BASIS_STATEMENT, basis_of_row
from api.cli import app as cli
from assessment.batches.models import EnrolIn
from assessment.batches.service import enrol
from assessment.recognition.models import Evidence, Path, RecognitionIn, Trigger
from assessment.recognition.service import apply_for_recognition, decide_recognition
from certificates.models import Certificate
from certificates.open_models import ShareLink
from certificates.service import get_certificate, issue_certificates
from certificates.verification import Verdict, verify_online_row
from registry.accounts.models import UserCreate
from registry.accounts.service import create_user
from registry.actor import Role
from registry.awards.models import AwardBasis
from registry.awards.service import create_award
from registry.bodies.models import BodyKind
from registry.clock import today, utcnow
from registry.grades import GradeCode
from registry.settings import Settings
from tests.console.support import form_post
from tests.factories import (
    PASSWORD,
    SYSTEM,
    ensure_signing_key,
    login,
    make_batch,
    make_body,
    make_certificate,
    make_filing,
    make_person,
    make_user,
    scope_line,
)


@dataclass
class World:
    certificate: Certificate
    holder: dict[str, str]
    admin: dict[str, str]
    intruder: dict[str, str]


@pytest.fixture
def world(client: TestClient, session: Session, settings: Settings) -> World:
    body = make_body(session)
    make_filing(
        session,
        settings,
        body=body,
        starts_on=today() - dt.timedelta(days=30),
        ends_on=today() + dt.timedelta(days=900),
    )
    person = make_person(session, settings, employer=body)
    certificate = make_certificate(session, settings, body=body, person=person)
    worker = create_user(
        session,
        actor=SYSTEM,
        data=UserCreate(username="holder-1", role=Role.WORKER, person_id=person.id, password=PASSWORD),
        settings=settings,
    )
    admin = make_user(session, settings, role=Role.BODY_ADMIN, body=body)
    intruder = make_user(session, settings, role=Role.BODY_ADMIN, body=make_body(session))
    return World(
        certificate, login(client, worker.username), login(client, admin.username), login(client, intruder.username)
    )


def _url(world: World, tail: str = "") -> str:
    return f"/api/v1/certificates/{world.certificate.number}{tail}"


class TestCredentialExport:
    def test_the_holder_and_the_body_get_it_others_do_not(self, client: TestClient, world: World) -> None:
        mine = client.get(_url(world, "/credential"), headers=world.holder)
        assert mine.status_code == 200
        assert mine.headers["content-type"] == "application/vc+jwt"
        assert mine.text.count(".") == 2
        decoded = client.get(_url(world, "/credential"), params={"decoded": True}, headers=world.admin).json()
        assert decoded["credential"]["credentialSubject"]["licenseNumber"] == world.certificate.number
        assert client.get(_url(world, "/credential"), headers=world.intruder).status_code == 404
        assert client.get(_url(world, "/credential")).status_code == 401

    def test_issuer_metadata_names_the_jwks_keys(self, client: TestClient, world: World) -> None:
        jwks = {k["kid"] for k in client.get("/.well-known/jwks.json").json()["keys"]}
        document = client.get("/issuer").json()
        assert document["id"] == "https://registry.test/issuer"
        assert {m["publicKeyJwk"]["kid"] for m in document["verificationMethod"]} == jwks
        assert document["assertionMethod"] == [m["id"] for m in document["verificationMethod"]]
        metadata = client.get("/.well-known/jwt-vc-issuer/issuer").json()
        assert {k["kid"] for k in metadata["jwks"]["keys"]} == {f"https://registry.test/issuer#{k}" for k in jwks}

    def test_a_third_party_resolver_finds_the_key_and_pyjwt_verifies(self, client: TestClient, world: World) -> None:
        token = client.get(_url(world, "/credential"), headers=world.holder).text
        kid = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["kid"]
        fetched: list[str] = []

        def fetch(url: str, *_: object, **__: object) -> object:
            fetched.append(url)
            return client.get(url.removeprefix("https://registry.test")).json()

        key = resolve_jwt_vc_issuer_key("https://registry.test/issuer", kid, fetch=fetch)  # openvc, SD-JWT VC rules
        assert fetched == ["https://registry.test/.well-known/jwt-vc-issuer/issuer"]
        claims = pyjwt.decode(token, pyjwt.PyJWK(key).key, algorithms=["ES256"])
        assert claims["credentialSubject"]["licenseNumber"] == world.certificate.number

    def test_status_lists_are_published_at_stable_urls(self, client: TestClient, world: World) -> None:
        listed = client.get("/api/v1/status-lists/1/revocation")
        assert listed.status_code == 200 and listed.headers["content-type"] == "application/vc+jwt"
        assert "max-age=300" in listed.headers["cache-control"]
        assert client.get("/api/v1/status-lists/99/revocation").status_code == 404
        assert client.get("/api/v1/status-lists/1/message").status_code == 422


def test_revocation_reaches_the_offline_cli_through_the_status_list(
    client: TestClient, world: World, tmp_path: FilePath
) -> None:
    files = {name: tmp_path / name for name in ("jwks.json", "cred.jwt", "rev.jwt", "susp.jwt", "scope.json")}

    def save() -> None:
        files["jwks.json"].write_text(client.get("/.well-known/jwks.json").text, encoding="utf-8")
        files["cred.jwt"].write_text(
            client.get(_url(world, "/credential"), headers=world.holder).text, encoding="utf-8"
        )
        files["rev.jwt"].write_text(client.get("/api/v1/status-lists/1/revocation").text, encoding="utf-8")
        files["susp.jwt"].write_text(client.get("/api/v1/status-lists/1/suspension").text, encoding="utf-8")
        files["scope.json"].write_text(client.get("/.well-known/scope-statements.json").text, encoding="utf-8")

    def offline() -> tuple[int, str]:
        args = ["verify", str(files["cred.jwt"]), "--jwks", str(files["jwks.json"])]
        args += ["--status-list", str(files["rev.jwt"]), "--status-list", str(files["susp.jwt"])]
        result = CliRunner().invoke(cli, [*args, "--scope-statements", str(files["scope.json"])])
        return result.exit_code, result.output

    save()
    code, output = offline()
    assert code == 0, output
    assert "真实有效" in output and "备案范围内" in output
    revoked = client.post(_url(world, "/revoke"), headers=world.admin, json={"reason": "other", "note": "查实错误"})
    assert revoked.status_code == 200
    save()
    code, output = offline()
    assert code == 1 and "已撤销" in output and "依据状态列表" in output


def test_as_of_in_json_and_on_the_page(client: TestClient, world: World) -> None:
    token, issued = world.certificate.token, world.certificate.issued_on
    plain = client.get(f"/api/v1/verify/{token}").json()
    assert "as_of" not in plain and "basis" not in plain  # the default answer stays as it was
    before = client.get(f"/api/v1/verify/{token}", params={"as_of": str(issued - dt.timedelta(days=1))}).json()
    assert before["verdict"] == "valid" and before["as_of"]["state"] == "not_yet_issued"
    on = client.get(f"/api/v1/verify/{token}", params={"as_of": str(issued), "basis": True}).json()
    assert on["as_of"]["state"] == "valid" and on["as_of"]["source"] == "audit_log"
    assert on["basis"]["kind"] == "exam"
    assert client.get(f"/api/v1/verify/{token}", params={"as_of": "2026-13-01"}).status_code == 422
    for extreme in ("9999-12-31", "0001-01-01"):  # the ends of the calendar answer, not crash
        assert client.get(f"/api/v1/verify/{token}", params={"as_of": extreme}).status_code == 200
    page = client.get(f"/v/{token}", params={"as_of": str(issued)})
    assert 'data-as-of="valid"' in page.text and "依据审计记录" in page.text and "data-basis" in page.text


class TestPdfCheck:
    def test_the_original_is_recognised_and_an_altered_copy_refused(self, client: TestClient, world: World) -> None:
        pdf = client.get(_url(world, "/pdf"), headers=world.admin).content
        found = client.post("/api/v1/verify/pdf", files={"file": ("c.pdf", pdf, "application/pdf")}).json()
        assert found["recognised"] and found["number"] == world.certificate.number and found["current_print"]
        assert found["verification"]["verdict"] == "valid"
        altered = pdf.replace(b"/Author", b"/Autho_", 1)
        assert altered != pdf
        refused = client.post("/api/v1/verify/pdf", files={"file": ("c.pdf", altered, "application/pdf")}).json()
        assert refused["recognised"] is False and "改动" in refused["zh"]
        digest = hashlib.sha256(pdf).hexdigest().upper()
        assert client.post("/api/v1/verify/pdf", data={"sha256": f" {digest} "}).json()["recognised"]

    def test_bad_input_is_refused(self, client: TestClient, world: World) -> None:
        assert client.post("/api/v1/verify/pdf", data={"sha256": "abc"}).status_code == 400
        assert client.post("/api/v1/verify/pdf").status_code == 400
        big = b"%PDF" + b"0" * (2 * 1024 * 1024)
        assert client.post("/api/v1/verify/pdf", files={"file": ("c.pdf", big, "application/pdf")}).status_code == 413

    def test_the_page(self, client: TestClient, world: World) -> None:
        pdf = client.get(_url(world, "/pdf"), headers=world.holder).content
        assert "SHA-256" in client.get("/verify/pdf").text
        page = form_post(client, "/verify/pdf", "/verify/pdf", files={"file": ("c.pdf", pdf, "application/pdf")})
        assert page.status_code == 200 and 'data-verdict="recognised"' in page.text
        page = form_post(client, "/verify/pdf", "/verify/pdf", files={"file": ("c.pdf", pdf[:-10], "application/pdf")})
        assert 'data-verdict="not_recognised"' in page.text


class TestShareLinks:
    def test_a_link_shows_its_purpose_until_withdrawn(self, client: TestClient, world: World) -> None:
        made = client.post(
            _url(world, "/share-links"), headers=world.holder, json={"purpose": "应聘焊工岗位", "days": 30}
        )
        assert made.status_code == 201, made.text
        link = made.json()
        code = link["url"].rsplit("/s/", 1)[1]
        shared = client.get(f"/api/v1/shared/{code}").json()
        assert shared["verdict"] == "valid" and shared["share"]["purpose"] == "应聘焊工岗位"
        assert shared["basis"]["kind"] == "exam"
        page = client.get(f"/s/{code}")
        assert "应聘焊工岗位" in page.text and world.certificate.token not in page.text
        (listed,) = client.get(_url(world, "/share-links"), headers=world.holder).json()
        assert listed["state"] == "active" and listed["url"] is None
        assert client.post(f"/api/v1/share-links/{link['id']}/withdraw", headers=world.intruder).status_code == 404
        withdrawn = client.post(f"/api/v1/share-links/{link['id']}/withdraw", headers=world.holder)
        assert withdrawn.json()["state"] == "withdrawn"
        gone = client.get(f"/api/v1/shared/{code}")
        assert gone.status_code == 410 and gone.json()["error"] == "share_link_gone"
        assert client.get(f"/s/{code}").status_code == 410
        assert client.get(f"/v/{world.certificate.token}").status_code == 200  # the paper QR keeps working

    def test_an_expired_link_refuses(self, client: TestClient, session: Session, world: World) -> None:
        made = client.post(_url(world, "/share-links"), headers=world.admin, json={"purpose": "背景调查", "days": 1})
        link = session.get(ShareLink, uuid.UUID(made.json()["id"]))
        assert link is not None
        link.expires_at = utcnow() - dt.timedelta(seconds=1)
        session.flush()
        code = made.json()["url"].rsplit("/s/", 1)[1]
        assert client.get(f"/api/v1/shared/{code}").status_code == 410

    @pytest.mark.parametrize("days", [0, 91])
    def test_expiry_is_bounded_to_ninety_days(self, client: TestClient, world: World, days: int) -> None:
        made = client.post(_url(world, "/share-links"), headers=world.holder, json={"purpose": "应聘", "days": days})
        assert made.status_code == 422

    def test_other_bodies_cannot_share_it(self, client: TestClient, world: World) -> None:
        made = client.post(_url(world, "/share-links"), headers=world.intruder, json={"purpose": "冒用", "days": 3})
        assert made.status_code == 404
        assert client.get("/api/v1/shared/not-a-code").status_code == 404


def test_a_direct_recognition_shows_its_path_clause_and_rules(
    client: TestClient, session: Session, settings: Settings
) -> None:
    ensure_signing_key(settings)
    body = make_body(session, kind=BodyKind.CHAIN_BODY, is_large=True)
    window = {"starts_on": today() - dt.timedelta(days=30), "ends_on": today() + dt.timedelta(days=900)}
    make_filing(session, settings, body=body, lines=[scope_line(direct_recognition=True)], **window)
    person = make_person(session, settings, employer=body)
    recognition = apply_for_recognition(
        session,
        actor=SYSTEM,
        settings=settings,
        data=RecognitionIn(
            body_id=body.id,
            person_id=person.id,
            occupation_code="6-18-02-04",
            target_grade=GradeCode.JUNIOR,
            path=Path.DR_E,
            triggers=[Trigger.T6],
            evidence=[Evidence(kind="业绩材料", ref="材料-1")],
        ),
    )
    decide_recognition(
        session, actor=SYSTEM, recognition_id=recognition.id, approve=True, note="通过", settings=settings
    )
    assert recognition.award_id is not None
    ((_, number, _),) = issue_certificates(
        session, actor=SYSTEM, award_ids=[recognition.award_id], settings=settings
    ).issued
    token = get_certificate(session, actor=SYSTEM, number=number).token
    basis = client.get(f"/api/v1/verify/{token}", params={"basis": True}).json()["basis"]
    assert (basis["path"], basis["citation"], basis["provenance"]) == ("DR-E", "002:22", "in_force")
    assert basis["ruleset_version"] == recognition.ruleset_version
    assert "材料" not in str(basis) and str(person.id) not in str(basis)  # no evidence, no holder ids
    assert "DR-E" in client.get(f"/v/{token}").text
    assert _basis_in_one_statement(session, settings, token) == basis


def test_an_exam_batch_names_its_date_occupation_and_body(
    client: TestClient, session: Session, settings: Settings
) -> None:
    ensure_signing_key(settings)
    body = make_body(session)
    make_filing(
        session,
        settings,
        body=body,
        starts_on=today() - dt.timedelta(days=30),
        ends_on=today() + dt.timedelta(days=900),
    )
    batch = make_batch(session, settings, body=body, grade=GradeCode.JUNIOR, assessors=2, exam_on=today())
    person = make_person(session, settings, employer=body)
    candidate = enrol(
        session, actor=SYSTEM, batch_id=batch.exam.id, data=EnrolIn(person_id=person.id), settings=settings
    )
    award = create_award(
        session,
        actor=SYSTEM,
        person_id=person.id,
        body_id=body.id,
        occupation_code="6-18-02-04",
        grade=GradeCode.JUNIOR,
        basis=AwardBasis.EXAM,
        basis_ref=candidate.id,
        awarded_on=today(),
    )
    ((_, number, _),) = issue_certificates(session, actor=SYSTEM, award_ids=[award.id], settings=settings).issued
    token = get_certificate(session, actor=SYSTEM, number=number).token
    basis = client.get(f"/api/v1/verify/{token}", params={"basis": True}).json()["basis"]
    assert (basis["exam_on"], basis["occupation_code"], basis["body_name"]) == (str(today()), "6-18-02-04", body.name)
    assert batch.exam.venue not in str(basis) and str(batch.exam.id) not in str(basis)
    assert _basis_in_one_statement(session, settings, token) == basis


def _basis_in_one_statement(session: Session, settings: Settings, token: str) -> dict[str, Any]:
    """The page reads the record and the basis in one statement: the same basis as the JSON answer's."""
    result, row = verify_online_row(session, token=token, settings=settings, statement=WITH_BASIS_STATEMENT)
    assert result.verdict == Verdict.VALID
    return json.loads(json.dumps(basis_of_row(row)))
