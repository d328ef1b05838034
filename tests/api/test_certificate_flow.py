"""Issue 5's scenario: a closed batch to certificates, PDF, QR, verification online and offline, revocation."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal
from pathlib import Path

from sqlmodel import Session, select
from typer.testing import CliRunner

from api.cli import app as cli
from assessment.batches.models import Candidate, EnrolIn
from assessment.batches.service import (
    attest_batch,
    close_batch,
    enrol,
    finalize_batch,
    publish_batch,
    record_scores,
)
from registry.actor import Role
from registry.clock import today
from registry.filings.rules import EvaluationMethod as M
from registry.grades import GradeCode
from registry.settings import Settings
from tests.conftest import ClientFactory
from tests.factories import (
    SYSTEM,
    assessor_actor,
    ensure_signing_key,
    login,
    make_batch,
    make_body,
    make_filing,
    make_person,
    make_user,
)
from tests.pdfcheck import decode_qr


def test_closed_batch_to_certificates_verified_online_and_offline_then_revoked(
    client_for: ClientFactory, session: Session, settings: Settings, tmp_path: Path
) -> None:
    settings = settings.model_copy(update={"publicity_days": 0})
    client = client_for(settings)
    ensure_signing_key(settings)

    # A closed 初级工 batch with three passing candidates (built through the services).
    body = make_body(session)
    make_filing(
        session,
        settings,
        body=body,
        starts_on=today() - dt.timedelta(days=60),
        ends_on=today() + dt.timedelta(days=900),
    )
    batch = make_batch(session, settings, body=body, grade=GradeCode.JUNIOR, assessors=2, exam_on=today())
    for _ in range(3):
        enrol(
            session,
            actor=SYSTEM,
            batch_id=batch.exam.id,
            data=EnrolIn(person_id=make_person(session, settings, employer=body).id),
            settings=settings,
        )
    for candidate in session.exec(select(Candidate).where(Candidate.session_id == batch.exam.id)).all():
        for assessor in batch.assessors:
            record_scores(
                session,
                actor=assessor_actor(assessor),
                batch_id=batch.exam.id,
                candidate_id=candidate.id,
                scores={M.THEORY_EXAM: Decimal(78), M.SKILL_OPERATION: Decimal(81)},
            )
    attest_batch(session, actor=assessor_actor(batch.supervisor), batch_id=batch.exam.id)
    finalize_batch(session, actor=SYSTEM, batch_id=batch.exam.id)
    publish_batch(session, actor=SYSTEM, batch_id=batch.exam.id, settings=settings)
    close_batch(session, actor=SYSTEM, batch_id=batch.exam.id)
    admin = make_user(session, settings, role=Role.BODY_ADMIN, body=body)
    regulator = make_user(session, settings)
    headers = login(client, admin.username)

    # Issue for the whole batch through the API; again is idempotent.
    issued = client.post("/api/v1/certificates/issue", headers=headers, json={"session_id": str(batch.exam.id)})
    assert issued.status_code == 200, issued.text
    numbers = issued.json()["details"]["numbers"]
    assert len(numbers) == 3
    again = client.post("/api/v1/certificates/issue", headers=headers, json={"session_id": str(batch.exam.id)})
    assert again.json()["issued"] == []
    assert sorted(again.json()["already_issued"]) == sorted(numbers)

    # Render the PDF, read the QR code back from the image, verify online (page and JSON).
    number = numbers[0]
    pdf = client.get(f"/api/v1/certificates/{number}/pdf", headers=headers)
    assert pdf.headers["content-type"] == "application/pdf"
    (link,) = decode_qr(pdf.content)
    path = link.removeprefix(settings.public_base)
    token = path.rsplit("/v/", 1)[1]
    page = client.get(path)
    assert page.status_code == 200
    assert 'data-verdict="valid"' in page.text
    assert "真实有效" in page.text
    verdict = client.get(f"/api/v1/verify/{token}").json()
    assert verdict["verdict"] == "valid"
    assert verdict["fields"]["number"] == number
    assert {c["code"] for c in verdict["checks"]} >= {"signature", "key_window", "record", "issuer", "status"}

    # Offline: saved JWKS and revocation list, through `registry verify`.
    jwks_file, revocations_file = tmp_path / "jwks.json", tmp_path / "revocations.json"
    jwks_file.write_text(client.get("/.well-known/jwks.json").text, encoding="utf-8")
    revocations_file.write_text(client.get("/api/v1/verify/revocations").text, encoding="utf-8")
    runner = CliRunner()
    offline = runner.invoke(cli, ["verify", link, "--jwks", str(jwks_file), "--revocations", str(revocations_file)])
    assert offline.exit_code == 0, offline.output
    assert "真实有效" in offline.output
    no_list = runner.invoke(cli, ["verify", token, "--jwks", str(jwks_file)])
    assert no_list.exit_code == 1
    assert "status not checked" in no_list.output

    # The regulator revokes it for fraudulent evaluation; online and offline now say revoked.
    revoked = client.post(
        f"/api/v1/certificates/{number}/revoke",
        headers=login(client, regulator.username),
        json={"reason": "fraudulent_evaluation", "note": "双随机抽查查实虚假评价"},
    )
    assert revoked.status_code == 200, revoked.text
    assert client.get(f"/api/v1/verify/{token}").json()["verdict"] == "revoked"
    assert 'data-verdict="revoked"' in client.get(path).text
    revocations_file.write_text(client.get("/api/v1/verify/revocations").text, encoding="utf-8")
    offline = runner.invoke(cli, ["verify", link, "--jwks", str(jwks_file), "--revocations", str(revocations_file)])
    assert offline.exit_code == 1
    assert "已撤销" in offline.output
    assert number not in revocations_file.read_text(encoding="utf-8")  # keyed hashes, not numbers in clear

    # The body's export streams every PDF and a manifest.
    export = client.get("/api/v1/certificates/export.zip", headers=headers)
    assert export.status_code == 200
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        names = set(archive.namelist())
        assert {f"{n}.pdf" for n in numbers} | {"manifest.csv"} == names
        assert archive.read(f"{numbers[1]}.pdf").startswith(b"%PDF")
