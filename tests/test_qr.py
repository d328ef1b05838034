"""QR codes: version ≤ 14 at error correction M, read back by an independent decoder."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from certificates.qr import MAX_VERSION, QrTooLarge, qr_matrix, qr_png, qr_svg

LINK = "https://jnzs.hrss.gd.gov.cn/v/" + "eyJhbGciOiJFUzI1NiIsImtpZCI6IjI2MTEyMWZlM2YiLCJ0eXAiOiJ4YyJ9." + "A" * 245


def test_a_full_verification_link_fits_version_14() -> None:
    assert qr_matrix(LINK).version <= MAX_VERSION


def test_decoder_reads_the_link_back_at_error_correction_m() -> None:
    (result,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png(LINK))))
    assert result.text == LINK
    assert result.ec_level == "M"


def test_too_long_a_public_url_is_refused_not_silently_enlarged() -> None:
    with pytest.raises(QrTooLarge, match="REGISTRY_PUBLIC_URL"):
        qr_matrix("https://" + "x" * 400)


def test_runs_cover_exactly_the_dark_modules() -> None:
    matrix = qr_matrix(LINK)
    assert sum(length for _, _, length in matrix.runs()) == sum(sum(row) for row in matrix.modules)


def test_svg_for_web_pages() -> None:
    assert qr_svg(LINK).startswith("<svg")
