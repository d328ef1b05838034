"""Read uploaded files with a size limit: refused with 413 before any of it is processed."""

from __future__ import annotations

from starlette.datastructures import UploadFile  # FastAPI's UploadFile is one, and so is a form's file

from registry.errors import InvalidInput, PayloadTooLarge
from registry.settings import Settings

ACCEPTED_SUFFIXES = (".csv", ".xlsx")


def read_upload(upload: UploadFile, settings: Settings) -> tuple[bytes, str]:
    """Return the upload's bytes and file name; refuse files over REGISTRY max_upload_bytes or of other types."""
    name = upload.filename or "upload.csv"
    if not name.lower().endswith(ACCEPTED_SUFFIXES):
        raise InvalidInput(
            "只接受 .csv 或 .xlsx 文件", "only .csv or .xlsx files are accepted", extra={"field": "file"}
        )
    data = upload.file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        limit = settings.max_upload_bytes // 1024
        raise PayloadTooLarge(
            f"文件超过上限 {limit} KB，未做任何更改",
            f"the file is over the {limit} KB limit; nothing was changed",
            extra={"limit_bytes": settings.max_upload_bytes},
        )
    return data, name
