"""PDF rendering: ours against a naive version that draws the QR with reportlab's own QR widget.

Both render the same certificate face with the same fonts in the same process; only the QR differs: the naive
version encodes and draws it with reportlab.graphics.barcode.qr.QrCodeWidget (a Drawing of one rectangle per
module), ours encodes with qrcode (fixed mask) and draws run-length rectangles as one path.
Target (DESIGN.md §9): ours ≥ 10× the naive rate.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import Any

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing

import certificates.pdf as pdf_module
from certificates.pdf import QR_SIDE, CertificateFace, render_certificate
from certificates.qr import qr_matrix

TARGET_RATIO = 10.0


def _faces(n: int) -> list[CertificateFace]:
    faces = []
    for i in range(n):
        token = f"eyJhbGciOiJFUzI1NiIsImtpZCI6IjI2MTEyMWZlM2YiLCJ0eXAiOiJ4YyJ9.{i:08d}" + "Wz" * 75 + f".{i:086d}"
        faces.append(
            CertificateFace(
                title_zh="职业技能等级证书",
                title_en="Vocational Skill Level Certificate",
                number=f"Y000044000101263{i:06d}",
                print_serial=1,
                holder_name="王建华",
                id_type_zh="居民身份证",
                id_number_display="4406**********1234",
                occupation="6-18-02-04 焊工",
                parts=(),
                grade_zh="高级工",
                grade_en="Senior worker",
                level_zh="三级",
                body_name="粤海智能装备集团股份有限公司",
                body_uscc="91440606D0000028X1",
                issued_on=dt.date(2026, 11, 21),
                verify_url=f"https://registry.example.gov.cn/v/{token}",
                lookup_url="https://registry.example.gov.cn/verify",
            )
        )
    return faces


def _widget_qr(face_url: str) -> Any:
    def draw(canvas: Any, _matrix: Any, x: float, y: float, side: float) -> None:
        widget = QrCodeWidget(face_url, barLevel="M")
        x1, y1, x2, y2 = widget.getBounds()
        drawing = Drawing(side, side, transform=[side / (x2 - x1), 0, 0, side / (y2 - y1), 0, 0])
        drawing.add(widget)
        renderPDF.draw(drawing, canvas, x, y)

    return draw


def _naive(face: CertificateFace) -> bytes:
    original = pdf_module._qr
    pdf_module._qr = _widget_qr(face.verify_url)  # type: ignore[assignment]
    try:
        return render_certificate(face, qr_matrix("x"))  # the matrix is ignored by the widget drawer
    finally:
        pdf_module._qr = original  # type: ignore[assignment]


def _ours(face: CertificateFace) -> bytes:
    return render_certificate(face, qr_matrix(face.verify_url))


def _rate(render: Any, faces: list[CertificateFace]) -> float:
    render(faces[0])  # fonts registered, caches warm
    start = time.perf_counter()
    for face in faces:
        render(face)
    return len(faces) / (time.perf_counter() - start)


def main() -> dict[str, Any]:
    """Render N certificates each way and report pages per second and the ratio."""
    n = int(os.environ.get("BENCH_PDF_N", "150"))
    faces = _faces(n)
    naive = _rate(_naive, faces[: max(20, n // 5)])
    ours = _rate(_ours, faces)
    ratio = ours / naive
    return {
        "pages": n,
        "QR side (cm)": round(QR_SIDE / 28.3465, 1),
        "naive_pages_per_s": round(naive, 1),
        "ours_pages_per_s": round(ours, 1),
        "ratio": round(ratio, 1),
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio >= TARGET_RATIO,
    }
