"""Certificate PDFs with reportlab; the only reportlab importer.

A4, one page, every string in an embedded subset of a TrueType CJK font (WenQuanYi Micro Hei ships with the
project; REGISTRY_CERT_FONT points elsewhere), so any viewer shows the Chinese text. Output is byte-stable for
the same certificate and print serial (invariant mode, fixed metadata). The QR code is drawn as one filled path
of run-length rectangles from the matrix in certificates.qr, not with reportlab's QR widget.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from reportlab.lib.colors import Color, HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from certificates.qr import QrMatrix

SHIPPED_FONT = Path(__file__).parent / "fonts" / "wqy-microhei.ttc"
INK = HexColor("#1f2d3d")
ACCENT = HexColor("#a31515")
MUTED = HexColor("#5c6b7a")
QR_SIDE = 3.2 * cm


@dataclass(frozen=True)
class CertificateFace:
    """Everything printed on a certificate."""

    title_zh: str
    title_en: str
    number: str
    print_serial: int
    holder_name: str
    id_type_zh: str
    id_number_display: str
    occupation: str
    parts: tuple[tuple[str, str, str], ...]  # the certificate record's parts: (label zh, label en, value)
    grade_zh: str
    grade_en: str
    level_zh: str | None
    body_name: str
    body_uscc: str
    issued_on: dt.date
    verify_url: str
    lookup_url: str
    photo: bytes | None = None
    note_zh: str = ""
    watermark: str | None = None


@lru_cache(maxsize=4)
def _font(path: str) -> str:
    """Register a TrueType/TTC font once per process and return its name."""
    name = f"CertFont{abs(hash(path)) % 10_000}"
    font = TTFont(name, path, subfontIndex=0) if path.lower().endswith(".ttc") else TTFont(name, path)
    pdfmetrics.registerFont(font)
    return name


def font_name(font_path: Path | None) -> str:
    """The registered name of the certificate font (the shipped one unless configured)."""
    return _font(str(font_path or SHIPPED_FONT))


def _qr(canvas: Canvas, matrix: QrMatrix, x: float, y: float, side: float) -> None:
    module = side / matrix.size
    canvas.setFillColor(Color(1, 1, 1))
    canvas.rect(x - 2 * module, y - 2 * module, side + 4 * module, side + 4 * module, stroke=0, fill=1)
    path = canvas.beginPath()
    top = y + side
    for row, column, length in matrix.runs():
        path.rect(x + column * module, top - (row + 1) * module, length * module, module)
    canvas.setFillColor(Color(0, 0, 0))
    canvas.drawPath(path, stroke=0, fill=1)


LABEL_WIDTH = 3.6 * cm


def _field(canvas: Canvas, font: str, label_zh: str, label_en: str, value: str, x: float, y: float) -> None:
    canvas.setFillColor(MUTED)
    canvas.setFont(font, 10.5 if len(label_zh) <= 6 else 9.5)
    canvas.drawString(x, y, label_zh)
    canvas.setFont(font, 7)
    canvas.drawString(x, y - 10, label_en)
    canvas.setFillColor(INK)
    canvas.setFont(font, 13 if len(value) < 26 else 11)
    canvas.drawString(x + LABEL_WIDTH, y - 3, value)


def _frame_and_title(canvas: Canvas, font: str, face: CertificateFace) -> None:
    width, height = A4
    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(2.2)
    canvas.rect(1.2 * cm, 1.2 * cm, width - 2.4 * cm, height - 2.4 * cm)
    canvas.setLineWidth(0.6)
    canvas.rect(1.45 * cm, 1.45 * cm, width - 2.9 * cm, height - 2.9 * cm)
    canvas.setFillColor(ACCENT)
    canvas.setFont(font, 30)
    canvas.drawCentredString(width / 2, height - 4.3 * cm, face.title_zh)
    canvas.setFont(font, 12)
    canvas.setFillColor(MUTED)
    canvas.drawCentredString(width / 2, height - 5.1 * cm, face.title_en)


def _photo(canvas: Canvas, font: str, face: CertificateFace) -> None:
    width, height = A4
    photo_w, photo_h = 3.0 * cm, 4.0 * cm
    photo_x, photo_y = width - 2.6 * cm - photo_w, height - 11.2 * cm
    canvas.setStrokeColor(MUTED)
    canvas.setLineWidth(0.5)
    canvas.rect(photo_x, photo_y, photo_w, photo_h)
    if face.photo:
        canvas.drawImage(
            ImageReader(io.BytesIO(face.photo)),
            photo_x,
            photo_y,
            photo_w,
            photo_h,
            preserveAspectRatio=True,
            anchor="c",
        )
    else:
        canvas.setFont(font, 9)
        canvas.drawCentredString(photo_x + photo_w / 2, photo_y + photo_h / 2, "照片 Photo")


def _fields(canvas: Canvas, font: str, face: CertificateFace) -> None:
    level = f"（{face.level_zh}）" if face.level_zh else ""
    rows = [
        ("姓名", "Name", face.holder_name),
        ("证件类型", "ID type", face.id_type_zh),
        ("证件号码", "ID number", face.id_number_display),
        ("职业", "Occupation", face.occupation),
        *face.parts,
        ("职业技能等级", "Skill level", f"{face.grade_zh}{level}  {face.grade_en}"),
        ("证书编号", "Certificate No.", face.number),
        ("评价机构", "Issued by", face.body_name),
        ("统一社会信用代码", "USCC", face.body_uscc),
        ("发证日期", "Date of issue", f"{face.issued_on:%Y年%m月%d日}"),
        ("印制流水号", "Print serial", f"P{face.print_serial:06d}"),
    ]
    y = A4[1] - 7.2 * cm
    for label_zh, label_en, value in rows:
        _field(canvas, font, label_zh, label_en, value, 2.6 * cm, y)
        y -= 1.25 * cm


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines, current = [], ""
    for char in text:
        if pdfmetrics.stringWidth(current + char, font, size) > width:
            cut = current.rfind(" ")
            if cut > 0 and char != " ":
                lines.append(current[:cut])
                current = current[cut + 1 :] + char
                continue
            lines.append(current)
            current = char.lstrip()
            continue
        current += char
    return [*lines, current] if current else lines


def _footer(canvas: Canvas, font: str, face: CertificateFace, qr: QrMatrix) -> None:
    width = A4[0]
    qr_x, qr_y = width - 2.6 * cm - QR_SIDE, 3.6 * cm
    _qr(canvas, qr, qr_x, qr_y, QR_SIDE)
    canvas.setFillColor(INK)
    canvas.setFont(font, 8.5)
    canvas.drawCentredString(qr_x + QR_SIDE / 2, qr_y - 0.55 * cm, "扫码验证真伪 Scan to verify")
    text_width = qr_x - 0.6 * cm - 2.6 * cm
    paragraphs = [
        "本证书经评价机构数字签名，扫描二维码即可核验真伪及当前状态。",
        f"无法扫码时，可访问 {face.lookup_url} 输入证书编号和姓名查询。",
        "Digitally signed. Scan the QR code, or enter the certificate number and name at the address above.",
    ]
    if face.note_zh:
        paragraphs.insert(0, face.note_zh)
    canvas.setFont(font, 9)
    canvas.setFillColor(MUTED)
    text_y = 5.6 * cm
    for paragraph in paragraphs:
        for line in _wrap(paragraph, font, 9, text_width):
            canvas.drawString(2.6 * cm, text_y, line)
            text_y -= 0.45 * cm


WATERMARK_ANGLE = 30  # degrees, rising to the right
WATERMARK_LARGEST = 72  # points
WATERMARK_MARGIN = 1.5 * cm  # the mark keeps this clear of every edge


def watermark_size(font: str, text: str, *, page: tuple[float, float] = A4) -> float:
    """The largest font size (≤ 72 pt) at which text, rotated and centred, stays inside the page's margins.

    The rotated text's box is w·cos + h·sin wide and w·sin + h·cos high (w its width, h its height, both in
    proportion to the size), so the size follows from whichever of the page's width and height binds first.
    """
    angle = math.radians(WATERMARK_ANGLE)
    ascent, descent = pdfmetrics.getAscentDescent(font, 1)
    w, h = pdfmetrics.stringWidth(text, font, 1), ascent - descent
    room_w, room_h = page[0] - 2 * WATERMARK_MARGIN, page[1] - 2 * WATERMARK_MARGIN
    fits_w = room_w / (w * math.cos(angle) + h * math.sin(angle))
    fits_h = room_h / (w * math.sin(angle) + h * math.cos(angle))
    return float(min(WATERMARK_LARGEST, fits_w, fits_h))


def _watermark(canvas: Canvas, font: str, text: str) -> None:
    """已撤销 / 已暂停 across the page, centred on it (the glyphs' box, not the baseline) and never cut off."""
    width, height = A4
    size = watermark_size(font, text)
    ascent, descent = pdfmetrics.getAscentDescent(font, size)
    canvas.saveState()
    canvas.setFillColor(Color(0.75, 0.1, 0.1, alpha=0.28))
    canvas.setFont(font, size)
    canvas.translate(width / 2, height / 2)
    canvas.rotate(WATERMARK_ANGLE)
    canvas.drawCentredString(0, -(ascent + descent) / 2, text)
    canvas.restoreState()


def render_certificate(face: CertificateFace, qr: QrMatrix, *, font_path: Path | None = None) -> bytes:
    """Render one certificate as PDF bytes (the same inputs give the same bytes)."""
    font = font_name(font_path)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1)
    canvas.setTitle(f"{face.title_zh} {face.number}")
    canvas.setAuthor(face.body_name)
    canvas.setSubject(face.title_en)
    canvas.setCreator("新八级工 Registry")
    _frame_and_title(canvas, font, face)
    _photo(canvas, font, face)
    _fields(canvas, font, face)
    _footer(canvas, font, face, qr)
    if face.watermark:
        _watermark(canvas, font, face.watermark)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
