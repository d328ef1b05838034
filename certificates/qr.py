"""QR codes for verification links; the only qrcode importer.

Error correction M at least, version at most 14, so a code printed 3 cm wide still scans (DESIGN.md §5).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.exceptions import DataOverflowError

MAX_VERSION = 14
QUIET_ZONE = 4
# A fixed mask instead of scoring all eight: the search is ~80% of qrcode's time, and on verification URLs
# (high-entropy base64) mask 3 scored within 1.19x of the best penalty in every sample measured (mean 1.05x).
MASK = 3


class QrTooLarge(ValueError):
    """The data does not fit a version-14 QR code at error correction M."""


@dataclass(frozen=True)
class QrMatrix:
    """A QR code as dark/light modules (without the quiet zone)."""

    version: int
    modules: tuple[tuple[bool, ...], ...]

    @property
    def size(self) -> int:
        """Modules per side."""
        return len(self.modules)

    def runs(self) -> list[tuple[int, int, int]]:
        """Horizontal runs of dark modules as (row, first column, length): fewer shapes to draw."""
        runs = []
        for y, row in enumerate(self.modules):
            x = 0
            while x < len(row):
                if row[x]:
                    start = x
                    while x < len(row) and row[x]:
                        x += 1
                    runs.append((y, start, x - start))
                else:
                    x += 1
        return runs


@lru_cache(maxsize=64)
def _version_for(length: int) -> int:
    """The smallest version holding `length` bytes at error correction M (byte mode: content does not matter)."""
    probe = qrcode.QRCode(error_correction=ERROR_CORRECT_M)
    probe.add_data(b"\x00" * length, optimize=0)
    try:
        version = probe.best_fit()
    except DataOverflowError:
        version = MAX_VERSION + 1
    return int(version)


def fits(data: str) -> bool:
    """Whether data fits a version-14 QR code at error correction M."""
    return _version_for(len(data.encode("utf-8"))) <= MAX_VERSION


def _code(data: str) -> qrcode.QRCode[Any]:
    raw = data.encode("utf-8")
    version = _version_for(len(raw))
    if version > MAX_VERSION:
        raise QrTooLarge(
            f"{len(data)} characters need QR version {version} > {MAX_VERSION}; shorten REGISTRY_PUBLIC_URL"
        )
    code = qrcode.QRCode(version=version, error_correction=ERROR_CORRECT_M, border=QUIET_ZONE, mask_pattern=MASK)
    code.add_data(raw, optimize=0)
    code.make(fit=False)
    return code


def qr_matrix(data: str) -> QrMatrix:
    """Encode data (byte mode, error correction M) and return its modules."""
    code = _code(data)
    matrix = code.get_matrix()
    inner = [row[QUIET_ZONE:-QUIET_ZONE] for row in matrix[QUIET_ZONE:-QUIET_ZONE]]
    return QrMatrix(version=code.version, modules=tuple(tuple(bool(m) for m in row) for row in inner))


def qr_svg(data: str, *, module_px: int = 6) -> str:
    """Return the code as a small inline SVG (for web pages), quiet zone included."""
    matrix = qr_matrix(data)
    side = (matrix.size + 2 * QUIET_ZONE) * module_px
    rects = "".join(
        f'<rect x="{(x + QUIET_ZONE) * module_px}" y="{(y + QUIET_ZONE) * module_px}" '
        f'width="{length * module_px}" height="{module_px}"/>'
        for y, x, length in matrix.runs()
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" width="{side}" height="{side}" '
        f'role="img" aria-label="QR"><rect width="100%" height="100%" fill="#fff"/><g fill="#000">{rects}</g></svg>'
    )


def qr_png(data: str, *, box: int = 8) -> bytes:
    """Return the code as a PNG image."""
    code = _code(data)
    code.box_size = box
    image = code.make_image()
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()
