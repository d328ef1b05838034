"""Stream many files as one ZIP in constant memory: each entry is written and handed on before the next."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator

FIXED_TIME = (2026, 1, 1, 0, 0, 0)  # entries carry a fixed time so the same export gives the same bytes


class _Sink:
    """A write-only, unseekable target that hands its bytes on (zipfile then writes data descriptors)."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None

    def drain(self) -> Iterator[bytes]:
        chunks, self._chunks = self._chunks, []
        yield from chunks


def zip_stream(entries: Iterable[tuple[str, bytes]]) -> Iterator[bytes]:
    """Yield a ZIP archive of (name, bytes) entries piece by piece (PDFs are stored, not recompressed)."""
    sink = _Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:  # type: ignore[call-overload]
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED if name.endswith(".csv") else zipfile.ZIP_STORED
            archive.writestr(info, data)
            yield from sink.drain()
    yield from sink.drain()
