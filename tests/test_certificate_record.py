"""One certificate record: the 工种 goes from the award to the row, the signed claims (v3), the verification
answer (JSON, page, CLI) and the PDF, all from certificates.record; v1/v2 tokens keep verifying."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from api.cli import app as cli
from certificates import signing
from certificates.record import RECORD_PARTS
from certificates.service import get_certificate, issue_certificates, render_pdf
from certificates.tokens import FROZEN_LENGTH, BadClaims, Claims
from certificates.verification import Verdict, verify_online
from registry.settings import Settings
from tests.conftest import ClientFactory
from tests.factories import SYSTEM, ensure_signing_key, make_exam_award, make_issuing_body, token_payload
from tests.pdfcheck import decode_qr, page_text

WORK_TYPE = "电焊工"


def _certificate(session: Session, settings: Settings, work_type: str = WORK_TYPE):  # type: ignore[no-untyped-def]
    ensure_signing_key(settings)
    body = make_issuing_body(session, settings)
    award = make_exam_award(session, settings, body=body, work_type=work_type)
    ((_, number, _),) = issue_certificates(session, actor=SYSTEM, award_ids=[award.id], settings=settings).issued
    return get_certificate(session, actor=SYSTEM, number=number)


def test_the_work_type_is_signed_into_a_v3_token_and_shown_online_and_offline(
    session: Session, settings: Settings, client_for: ClientFactory, tmp_path: Path
) -> None:
    certificate = _certificate(session, settings)
    claims = Claims.decode(token_payload(certificate.token))
    assert (claims.version, claims.record) == (3, {"work_type": WORK_TYPE})
    assert len(json.loads(token_payload(certificate.token))) == FROZEN_LENGTH + len(RECORD_PARTS)

    client = client_for(settings)
    answer = client.get(f"/api/v1/verify/{certificate.token}").json()
    assert (answer["verdict"], answer["fields"]["work_type"]) == ("valid", WORK_TYPE)
    page = client.get(f"/v/{certificate.token}").text
    assert f"<dt>工种</dt><dd>{WORK_TYPE}</dd>" in page

    jwks = tmp_path / "jwks.json"
    jwks.write_text(client.get("/.well-known/jwks.json").text, encoding="utf-8")
    offline = CliRunner().invoke(cli, ["verify", certificate.token, "--jwks", str(jwks)])
    assert f"工种 / Work type: {WORK_TYPE}" in offline.output


def test_the_pdf_face_prints_the_work_type_and_its_qr_code_verifies(session: Session, settings: Settings) -> None:
    certificate = _certificate(session, settings)
    pdf = render_pdf(session, certificate, settings)
    text = page_text(pdf)
    assert "工种" in text and WORK_TYPE in text
    (link,) = decode_qr(pdf)
    assert link.endswith(certificate.token)


def test_a_v2_token_still_verifies_and_the_registry_supplies_the_work_type(
    session: Session, settings: Settings
) -> None:
    certificate = _certificate(session, settings)
    claims = Claims.decode(token_payload(certificate.token))
    v2 = Claims(**{**claims.__dict__, "version": 2, "record": {}})
    assert len(json.loads(v2.encode())) == FROZEN_LENGTH
    certificate.token = signing.sign(signing.load_signer(settings.key_dir), v2.encode())
    session.flush()
    result = verify_online(session, token=certificate.token, settings=settings)
    assert result.verdict == Verdict.VALID
    assert result.fields["work_type"] == WORK_TYPE
    assert Claims.decode(token_payload(certificate.token)).record == {}


@pytest.mark.parametrize(
    "values",
    [
        [3, "Y1", "3", "6-18-02-04", "U", 20260102, "王*", "ref", 1],  # v3 without its record part
        [2, "Y1", "3", "6-18-02-04", "U", 20260102, "王*", "ref", 1, "电焊工"],  # v2 with one
        [3, "Y1", "3", "6-18-02-04", "U", 20260102, "王*", "ref", 1, 7],  # a part that is not text
        [4, "Y1", "3", "6-18-02-04", "U", 20260102, "王*", "ref", 1, "电焊工"],  # an unknown version
    ],
)
def test_each_claim_version_is_read_by_its_own_layout(values: list[object]) -> None:
    with pytest.raises(BadClaims):
        Claims.decode(json.dumps(values).encode())


def test_a_work_type_too_long_for_the_qr_code_is_issued_with_a_v2_token(session: Session, settings: Settings) -> None:
    certificate = _certificate(session, settings, work_type="特种设备压力管道与锅炉安装维修焊接作业人员" * 3)
    claims = Claims.decode(token_payload(certificate.token))
    assert (claims.version, claims.record) == (2, {})
    assert (
        verify_online(session, token=certificate.token, settings=settings).fields["work_type"] == certificate.work_type
    )
