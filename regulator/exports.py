"""CSV and Excel exports with Chinese headers, produced row by row so memory stays flat however long the range.

CSV goes out as it is written (UTF-8 with a BOM, so Excel opens the Chinese headers correctly). Excel uses
openpyxl's write-only workbook, which streams rows to a temporary file instead of holding cells; the file is
then sent in chunks. Certificates are read page by page (keyset on the number) in short read-only sessions.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa
from openpyxl import Workbook
from sqlmodel import Session

from certificates.models import REASON_ZH, STATUS_ZH, Certificate, CertificateStatus, RevocationReason
from registry import access, grades
from registry.access import Power
from registry.actor import Actor
from registry.audit.models import AuditEvent
from registry.audit.service import record
from registry.bodies.models import EvaluationBody
from registry.catalogue.models import Occupation
from registry.errors import InvalidInput
from registry.text import clean_text
from regulator.filters import StatsFilter
from regulator.models import RegulatorAction

PAGE = 1000
CHUNK = 64 * 1024
SessionOpener = Callable[[], AbstractContextManager[Session]]
KINDS = ("stats", "bodies", "certificates", "anomalies")
# Exports that carry certificate or personal data: certificate numbers (each leads to a holder), assessors' card
# numbers and verified certificate numbers in the anomaly flags. They need a reason on the audit record.
NEED_REASON = frozenset({"certificates", "anomalies"})
REASON_MIN = 4


def record_export(
    session: Session, *, actor: Actor, kind: str, file_format: str, only: StatsFilter, reason: str | None
) -> AuditEvent:
    """Audit an export before a byte of it leaves: who, which kind and format, the filter, and why.

    A reason is required for exports with certificate or personal data (NEED_REASON) and kept when given for the
    others. The event holds the filter (months, body, kind, region, occupation, grade) and nothing exported.
    """
    access.require(actor, Power.REGULATE)
    text = (reason or "").strip() or None
    if kind in NEED_REASON and (text is None or len(text) < REASON_MIN):
        raise InvalidInput(
            f"导出{EXPORT_ZH[kind]}含证书或个人信息，须说明理由（reason 参数，至少 {REASON_MIN} 个字）",
            f"a {kind} export contains certificate or personal data: give the reason for it "
            f"(reason=, at least {REASON_MIN} characters)",
            extra={"field": "reason"},
        )
    if text is not None:
        text, problem = clean_text(text, min_length=1, max_length=2000)
        if problem is not None:
            raise InvalidInput(f"reason {problem.zh}", f"reason {problem.en}", extra={"field": "reason"})
    return record(
        session,
        actor=actor,
        action=RegulatorAction.EXPORT_EXPORTED.value,
        entity_type="export",
        entity_id=f"{kind}.{file_format}",
        body_id=None,  # a body admin sees its body's events: an investigation's export is not theirs to see
        after={"kind": kind, "format": file_format, "filter": only.as_dict()},
        reason=text,
    )


EXPORT_ZH = {"stats": "统计数据", "bodies": "机构名录", "certificates": "证书清单", "anomalies": "异常提示"}


def csv_stream(rows: Iterable[Iterable[Any]]) -> Iterator[bytes]:
    """Encode rows as CSV, a few hundred rows per chunk."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff".encode()
    for index, row in enumerate(rows, start=1):
        writer.writerow(["" if v is None else _safe(v) for v in row])
        if index % 200 == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def _safe(value: Any) -> Any:
    """Keep spreadsheet programs from evaluating exported text as a formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@"}:
        return "'" + value
    return value


def xlsx_stream(rows: Iterable[Iterable[Any]], *, title: str) -> Iterator[bytes]:
    """Write rows to a write-only workbook on disk, then stream the file."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        sheet.append([_cell(v) for v in row])
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(CHUNK):
            yield chunk


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, int | float | bool):
        return value
    return _safe(str(value))


def certificate_rows(open_session: SessionOpener, only: StatsFilter) -> Iterator[list[Any]]:
    """Every certificate issued in the filter's months, page by page (keyset on the number)."""
    yield ["证书编号", "评价机构", "统一社会信用代码", "职业编码", "职业名称", "等级", "发证日期", "状态", "撤销原因"]
    cert = Certificate.__table__  # type: ignore[attr-defined]
    body = EvaluationBody.__table__  # type: ignore[attr-defined]
    occupation = Occupation.__table__  # type: ignore[attr-defined]
    after = ""
    while True:
        query = (
            sa.select(
                cert.c.number,
                body.c.name,
                body.c.uscc,
                cert.c.occupation_code,
                occupation.c.name_zh,
                cert.c.grade,
                cert.c.issued_on,
                cert.c.status,
                cert.c.revocation_reason,
            )
            .select_from(
                cert.join(body, body.c.id == cert.c.body_id).join(
                    occupation, occupation.c.code == cert.c.occupation_code
                )
            )
            .where(cert.c.issued_on >= only.first_day, cert.c.issued_on <= only.last_day, cert.c.number > after)
            .order_by(cert.c.number)
            .limit(PAGE)
        )
        if only.body_id is not None:
            query = query.where(cert.c.body_id == only.body_id)
        if only.province_code is not None:
            query = query.where(body.c.province_code == only.province_code)
        if only.city_code is not None:
            query = query.where(body.c.city_code == only.city_code)
        if only.body_kind is not None:
            query = query.where(body.c.kind == only.body_kind.value)
        if only.occupation_code is not None:
            query = query.where(cert.c.occupation_code == only.occupation_code)
        if only.grade is not None:
            query = query.where(cert.c.grade == only.grade.value)
        with open_session() as session:
            page = session.execute(query).all()
        for number, name, uscc, code, occupation_name, grade, issued_on, status, reason in page:
            yield [
                number,
                name,
                uscc,
                code,
                occupation_name,
                grades.info(grade).name_zh,
                issued_on.isoformat(),
                STATUS_ZH[CertificateStatus(status)],
                REASON_ZH[RevocationReason(reason)] if reason else "",
            ]
        if len(page) < PAGE:
            return
        after = page[-1][0]
