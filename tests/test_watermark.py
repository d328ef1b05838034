"""The 已撤销 / 已暂停 watermark lies wholly on the page: a person sees all of it, never a word cut at the edge."""

from __future__ import annotations

import dataclasses

import pytest
from PIL import ImageChops
from sqlmodel import Session

from certificates.models import CertificateStatus
from certificates.pdf import render_certificate
from certificates.qr import qr_matrix
from certificates.service import certificate_face, set_status
from registry.settings import Settings
from tests.factories import SYSTEM, make_certificate
from tests.pdfcheck import render_page

MARGIN = 0.03  # of the page width: the mark keeps clear of every edge


@pytest.mark.parametrize(
    ("status", "word"), [(CertificateStatus.REVOKED, "已撤销"), (CertificateStatus.SUSPENDED, "已暂停")]
)
def test_the_watermark_fits_within_the_page(
    session: Session, settings: Settings, status: CertificateStatus, word: str
) -> None:
    certificate = make_certificate(session, settings)
    set_status(session, actor=SYSTEM, number=certificate.number, target=status, note="核查")
    face = certificate_face(session, certificate, settings)
    assert face.watermark and face.watermark.startswith(word)
    qr = qr_matrix(face.verify_url)
    marked = render_page(render_certificate(face, qr, font_path=settings.cert_font), scale=1).convert("RGB")
    plain = render_page(
        render_certificate(dataclasses.replace(face, watermark=None), qr, font_path=settings.cert_font), scale=1
    ).convert("RGB")
    box = ImageChops.difference(marked, plain).convert("L").point(lambda v: 255 if v > 8 else 0).getbbox()
    assert box is not None, "no watermark drawn"
    left, top, right, bottom = box
    width, height = marked.size
    margin = MARGIN * width
    assert left >= margin and top >= margin, (box, marked.size)
    assert right <= width - margin and bottom <= height - margin, (box, marked.size)
    assert right - left > 0.5 * width, "the watermark should still cross most of the page"
