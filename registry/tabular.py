"""Read uploaded tables (CSV or Excel) into numbered rows, type them, report bad rows all at once; imports openpyxl.

Every bulk path (occupation import, enrolment, score upload, results, legacy awards) is all-or-nothing: callers
collect a RowError for every bad row and call raise_row_errors, which changes nothing and names every row.

An upload kind is a pydantic model of its row (a subclass of UploadRow): its fields are the columns, required
when they have no default, in header order; parse_rows(rows, Model) gives the typed rows and the row errors. A
column whose refusal has its own words carries them as RowMessage metadata; a converter's ValueError is
reported as a malformed value, as a hand parser's was.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar, Generic, NoReturn, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from registry.errors import DomainError, InvalidInput
from registry.text import control_problem

MAX_ERRORS_SHOWN = 20


@dataclass(frozen=True)
class RowError:
    """One problem in one row: line is the file line (header = 1) or the Excel row number."""

    line: int
    field: str | None
    zh: str
    en: str


@dataclass(frozen=True)
class Row:
    """A data row with its line number; values are stripped strings ('' when empty)."""

    line: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        """Return the stripped value of column ('' when absent)."""
        return self.values.get(column, "")


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        "文件编码无法识别，请使用 UTF-8 或 GB18030", "file encoding not recognised: use UTF-8 or GB18030"
    )


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    for record in reader:
        yield reader.line_num, record


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise InvalidInput("Excel 文件无法读取", f"the Excel file could not be read: {exc.__class__.__name__}") from exc
    try:
        sheet = workbook.worksheets[0]
        for number, record in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, ["" if v is None else str(v) for v in record]
    finally:
        workbook.close()


def read_table(
    data: bytes,
    *,
    filename: str,
    required: Sequence[str],
    optional: Sequence[str] = (),
    max_rows: int = 100_000,
) -> list[Row]:
    """Parse a CSV or .xlsx upload into rows keyed by the header; refuse missing or unknown columns."""
    records = _xlsx_rows(data) if filename.lower().endswith(".xlsx") else _csv_rows(data)
    try:
        header_line, header = next(records)
    except StopIteration:
        raise InvalidInput("文件为空", "the file is empty") from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    missing = [c for c in required if c not in header]
    unknown = [h for h in header if h and h not in required and h not in optional]
    if missing or unknown:
        raise InvalidInput(
            f"表头不正确：缺少列 {missing or '无'}，未知列 {unknown or '无'}；应为 {list(required) + list(optional)}",
            f"bad header: missing {missing or 'none'}, unknown {unknown or 'none'}; "
            f"expected {list(required) + list(optional)}",
            extra={"missing": missing, "unknown": unknown, "expected": list(required) + list(optional)},
        )
    rows: list[Row] = []
    errors: list[RowError] = []
    for line, record in records:
        if not any(cell.strip() for cell in record):
            continue
        if len(rows) >= max_rows:
            raise InvalidInput(f"行数超过上限 {max_rows}", f"more than {max_rows} rows")
        values = {name: (record[i].strip() if i < len(record) else "") for i, name in enumerate(header) if name}
        for column, value in values.items():
            problem = control_problem(value)
            if problem is not None:  # NUL and friends never reach a service (PostgreSQL refuses NUL in text)
                errors.append(RowError(line, column, problem.zh, problem.en))
        rows.append(Row(line=line, values=values))
    del header_line
    if not rows:
        raise InvalidInput("文件没有数据行", "the file has no data rows")
    if errors:
        raise_row_errors(errors, total_rows=len(rows))
    return rows


def raise_row_errors(errors: Sequence[RowError], *, total_rows: int) -> NoReturn:
    """Refuse a whole upload, naming every bad row (nothing has been changed)."""
    lines = sorted({e.line for e in errors})
    shown = "; ".join(f"第{e.line}行 {e.field or ''} {e.zh}".strip() for e in errors[:MAX_ERRORS_SHOWN])
    shown_en = "; ".join(f"line {e.line} {e.field or ''} {e.en}".strip() for e in errors[:MAX_ERRORS_SHOWN])
    more = len(errors) - MAX_ERRORS_SHOWN
    raise InvalidInput(
        f"{len(lines)}/{total_rows} 行有错误，未做任何更改：{shown}" + (f"；另有 {more} 处" if more > 0 else ""),
        f"{len(lines)} of {total_rows} rows have errors, nothing was changed: {shown_en}"
        + (f"; and {more} more" if more > 0 else ""),
        extra={"errors": [asdict(e) for e in errors], "bad_rows": lines, "total_rows": total_rows},
    )


def row_error(line: int, error: Exception) -> RowError:
    """Describe why one row was refused: a domain error's own words, a pydantic error's first field, or the text."""
    from pydantic import ValidationError

    from registry.fields import error_text

    if isinstance(error, DomainError):
        field = error.extra.get("field")
        return RowError(line, str(field) if field else None, error.zh, error.en)
    if isinstance(error, ValidationError):
        # The field's own Chinese text (registry.fields), not the English message inside a Chinese frame.
        field, zh, en = error_text(error.errors()[0])
        return RowError(line, field or None, f"{field}：{zh}", f"{field}: {en}")
    message = str(error).splitlines()[0][:200]
    return RowError(line, None, f"数据格式错误：{message}", f"malformed value: {message}")


@dataclass(frozen=True)
class RowMessage:
    """A column's own words when its value is refused; {value!r} is the cell as read. field overrides the
    column named in the error (e.g. "component/score" for two columns judged together); unnamed names none."""

    zh: str
    en: str
    field: str | None = None
    unnamed: bool = False


class UploadRow(BaseModel):
    """One typed data row of an upload kind; line is the file line (header = 1) or the Excel row number."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    NOT_COLUMNS: ClassVar[frozenset[str]] = frozenset({"line"})
    FIRST_COLUMNS: ClassVar[tuple[str, ...]] = ()  # header order where the field order (parents first) is not it
    line: int

    @classmethod
    def columns(cls) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(required, optional) column names, in header order: FIRST_COLUMNS, then the model's field order."""
        names = [*cls.FIRST_COLUMNS, *(n for n in cls.model_fields if n not in cls.FIRST_COLUMNS)]
        fields = [(name, cls.model_fields[name]) for name in names if name not in cls.NOT_COLUMNS]
        return (
            tuple(name for name, info in fields if info.is_required()),
            tuple(name for name, info in fields if not info.is_required()),
        )

    @classmethod
    def required_columns(cls) -> tuple[str, ...]:
        """The columns a file must have."""
        return cls.columns()[0]

    @classmethod
    def optional_columns(cls) -> tuple[str, ...]:
        """The columns a file may have."""
        return cls.columns()[1]


RowT = TypeVar("RowT", bound=UploadRow)


@dataclass(frozen=True)
class ParsedRows(Generic[RowT]):
    """The rows that parsed, and the errors of those that did not (in line order)."""

    rows: list[RowT]
    errors: list[RowError]


def _row_message(model: type[UploadRow], column: str) -> RowMessage | None:
    info = model.model_fields.get(column)
    return next((m for m in info.metadata if isinstance(m, RowMessage)), None) if info else None


def parse_rows(rows: Sequence[Row], model: type[RowT]) -> ParsedRows[RowT]:
    """Type every row: an empty optional cell takes the column's default; each refused row gets its errors."""
    required, _ = model.columns()
    parsed: list[RowT] = []
    errors: list[RowError] = []
    for row in rows:
        values: dict[str, Any] = {k: v for k, v in row.values.items() if v != "" or k in required}
        values["line"] = row.line
        try:
            parsed.append(model.model_validate(values))
        except ValidationError as error:
            shown: list[RowError] = []
            for problem in error.errors():
                column = str(problem["loc"][0]) if problem["loc"] else ""
                found = _row_message_error(model, row, column, problem)
                if found not in shown:
                    shown.append(found)
            errors.extend(shown)
    return ParsedRows(parsed, errors)


def _row_message_error(model: type[UploadRow], row: Row, column: str, problem: Any) -> RowError:
    message = _row_message(model, column)
    if message is not None:
        value = row.get(column)
        named = None if message.unnamed else message.field or column
        return RowError(row.line, named, message.zh.format(value=value), message.en.format(value=value))
    cause = (problem.get("ctx") or {}).get("error")
    if problem["type"] == "value_error" and isinstance(cause, ValueError):  # a converter refused the cell
        text = str(cause).splitlines()[0][:200]
        return RowError(row.line, None, f"数据格式错误：{text}", f"malformed value: {text}")
    from registry.fields import error_text

    field, zh, en = error_text(problem)
    return RowError(row.line, field or None, f"{field}：{zh}", f"{field}: {en}")
