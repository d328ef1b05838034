"""The certificate PDF as a person sees it: Chinese text that renders, a QR that scans and verifies, stable bytes."""

from __future__ import annotations

import pypdfium2 as pdfium
from sqlmodel import Session

from certificates.models import CertificateStatus
from certificates.service import render_pdf, set_status
from certificates.verification import Verdict, verify_online
from registry.settings import Settings
from tests.factories import SYSTEM, make_certificate
from tests.pdfcheck import decode_qr, page_text, render_page


class TestPdf:
    def test_chinese_fields_are_in_the_page_text(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        text = page_text(render_pdf(session, certificate, settings))
        for expected in ("职业技能等级证书", "高级工", "三级", "焊工", certificate.number, "印制流水号"):
            assert expected in text

    def test_chinese_glyphs_are_drawn_not_blank(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        image = render_page(render_pdf(session, certificate, settings)).convert("L")
        title = image.crop(
            (int(image.width * 0.25), int(image.height * 0.08), int(image.width * 0.75), int(image.height * 0.13))
        )
        dark = sum(title.histogram()[:128])
        assert dark > 2000  # an embedded font draws the title; a missing CJK font would leave this band empty

    def test_the_qr_decodes_to_the_verification_link_and_verifies(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        (link,) = decode_qr(render_pdf(session, certificate, settings))
        assert link == f"{settings.public_base}/v/{certificate.token}"
        token = link.rsplit("/v/", 1)[1]
        assert verify_online(session, token=token, settings=settings).verdict == Verdict.VALID

    def test_id_number_is_masked_by_default(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        assert "**********" in page_text(render_pdf(session, certificate, settings))

    def test_same_print_gives_the_same_bytes(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        assert render_pdf(session, certificate, settings) == render_pdf(session, certificate, settings)

    def test_revoked_certificates_carry_a_watermark(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        set_status(session, actor=SYSTEM, number=certificate.number, target=CertificateStatus.REVOKED, note="虚假评价")
        assert "已撤销" in page_text(render_pdf(session, certificate, settings))

    def test_page_is_a4(self, session: Session, settings: Settings) -> None:
        certificate = make_certificate(session, settings)
        document = pdfium.PdfDocument(render_pdf(session, certificate, settings))
        width, height = document[0].get_size()
        document.close()
        assert (round(width, 1), round(height, 1)) == (595.3, 841.9)
