"""See a PDF as a person does: render a page to an image (pypdfium2) and read its QR code back (zxing-cpp)."""

from __future__ import annotations

from typing import Any

import pypdfium2 as pdfium
import zxingcpp


def render_page(pdf: bytes, *, scale: float = 2.0) -> Any:
    """Render the first page to a PIL image."""
    document = pdfium.PdfDocument(pdf)
    try:
        return document[0].render(scale=scale).to_pil()
    finally:
        document.close()


def page_text(pdf: bytes) -> str:
    """The text of the first page as a viewer extracts it."""
    document = pdfium.PdfDocument(pdf)
    try:
        return str(document[0].get_textpage().get_text_range())
    finally:
        document.close()


def decode_qr(pdf: bytes) -> list[str]:
    """Every QR code found on the rendered first page."""
    image = render_page(pdf)
    return [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
