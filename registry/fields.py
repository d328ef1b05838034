"""Field types every input model declares, enforced by pydantic (never by a hint it may ignore); imports pydantic.

SQLModel's `Field(regex=...)` is silently dropped by the installed SQLModel, so formats are declared here with
constraints pydantic checks (`StringConstraints(pattern=...)`, validators) and every refusal carries Chinese
and English text (`ctx["zh"]`, read by the API's 422 handler). Patterns use `[0-9]`, never `\\d`: pydantic's
regex engine treats `\\d` as any Unicode digit (Arabic-Indic, full-width …).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, StringConstraints
from pydantic_core import PydanticCustomError

from registry.text import TextProblem, clean_line, clean_person_name, clean_text

FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)
DAY_FORMAT_LENGTH = 10


# Chinese wording of pydantic's error types; the English message comes from pydantic itself.
VALIDATION_ZH = {
    "missing": "缺少必填项",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD",
    "datetime_parsing": "时间格式应为 ISO 8601",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "bool_parsing": "应为 true 或 false",
    "string_too_long": "超过最大长度",
    "string_too_short": "长度不足",
    "string_pattern_mismatch": "格式不正确",
    "greater_than_equal": "数值过小",
    "less_than_equal": "数值过大",
    "greater_than": "数值过小",
    "less_than": "数值过大",
    "enum": "取值无效",
    "literal_error": "取值无效",
    "uuid_parsing": "应为 UUID",
    "json_invalid": "JSON 格式错误",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_attributes_type": "应为对象",
    "too_long": "条目过多",
    "extra_forbidden": "不允许的字段",
    "string_unicode": "含有无效字符",
    "string_type": "应为文本",
    "bool_type": "应为 true 或 false",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_max_places": "小数位数过多",
    "decimal_max_digits": "数字位数过多",
    "decimal_whole_digits": "整数位数过多",
    "finite_number": "应为有限的数字",
    "date_from_datetime_inexact": "日期格式应为 YYYY-MM-DD",
    "date_future": "日期无效",
    "too_short": "条目过少",
    "uuid_type": "应为 UUID",
    "uuid_version": "应为 UUID",
    "none_required": "应为空",
    "value_error": "取值无效",
    "url_parsing": "网址格式不正确",
    "multiple_of": "数值不符合步长",
    "frozen_field": "不可修改",
}


def error_text(error: Mapping[str, Any], *, skip: tuple[str, ...] = ()) -> tuple[str, str, str]:
    """(field, Chinese, English) of one pydantic error: our validators carry their Chinese text in ctx["zh"],
    pydantic's own errors get VALIDATION_ZH with the allowed values or the pattern where pydantic names them."""
    location = ".".join(str(part) for part in error.get("loc", ()) if part not in skip)
    kind = str(error.get("type", ""))
    context = error.get("ctx") or {}
    zh = str(context.get("zh") or VALIDATION_ZH.get(kind, "取值无效"))
    if context.get("expected"):
        zh = f"{zh}（可用值：{context['expected']}）"
    elif context.get("pattern"):
        zh = f"{zh}（应符合 {context['pattern']}）"
    return location, zh, str(error.get("msg", ""))


def bilingual(code: str, zh: str, en: str) -> PydanticCustomError:
    """A validation error with its Chinese and English text (the API shows both)."""
    return PydanticCustomError(code, "{en}", {"en": en, "zh": zh})


def _raise(problem: TextProblem | None, value: str) -> str:
    if problem is not None:
        raise bilingual(problem.code, problem.zh, problem.en)
    return value


def line(max_length: int, *, min_length: int = 1) -> AfterValidator:
    """Validator of a single-line value: NFC, trimmed, no control/format/separator characters, bounded."""

    def check(value: str) -> str:
        text, problem = clean_line(value, min_length=min_length, max_length=max_length)
        return _raise(problem, text)

    return AfterValidator(check)


def free_text(max_length: int, *, min_length: int = 1) -> AfterValidator:
    """Validator of a multi-line free text (notes, reasons): trimmed, no control or bidi characters, bounded."""

    def check(value: str) -> str:
        cleaned, problem = clean_text(value, min_length=min_length, max_length=max_length)
        return _raise(problem, cleaned)

    return AfterValidator(check)


def _person_name(value: str) -> str:
    name, problem = clean_person_name(value)
    return _raise(problem, name)


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def _not_null(value: object) -> object:
    if value is None:
        raise bilingual(
            "null_not_allowed",
            "不能为 null（不修改请省略该字段）",
            "may not be null: leave the field out to keep its value",
        )
    return value


def _iso_day(value: object) -> object:
    """Accept a date, or text in the form YYYY-MM-DD — not a number of seconds since 1970."""
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
        raise bilingual("date_format", "日期格式应为 YYYY-MM-DD", "a date must be written YYYY-MM-DD")
    if isinstance(value, str) and not (
        len(value) == DAY_FORMAT_LENGTH
        and value[4] == value[7] == "-"
        and (digits := value[:4] + value[5:7] + value[8:]).isascii()
        and digits.isdigit()
    ):
        raise bilingual("date_format", "日期格式应为 YYYY-MM-DD", "a date must be written YYYY-MM-DD")
    return value


def _day_in_range(value: dt.date) -> dt.date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise bilingual(
            "date_range",
            f"日期须在 {FIRST_DAY} 至 {LAST_DAY} 之间",
            f"the date must lie between {FIRST_DAY} and {LAST_DAY}",
        )
    return value


# A person's name as printed on certificates (see registry.text.clean_person_name).
PersonName = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_person_name)]
# Identifiers with a fixed shape. Upper-casing input is normalisation of what is sent, never of what is stored.
# (a BeforeValidator goes after the constraints, or pydantic leaves them out of the JSON schema)
CardNumber = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9-]{4,32}$"), BeforeValidator(_upper)]
MinistryCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]
SiteCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
ProvinceCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}$")]
CityCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]
CertCategory = Annotated[str, StringConstraints(pattern=r"^[YS]$")]
OccupationCode = Annotated[str, StringConstraints(pattern=r"^[1-8]-[0-9]{2}-[0-9]{2}-[0-9]{2}$")]
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,63}$"


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


# A login name: ASCII, lower-cased on the way in (so "Ｒegulator" or a bidi override can never be one).
Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN, max_length=64), BeforeValidator(_lower)]
# A calendar date between 1900 and 2100, written YYYY-MM-DD.
Day = Annotated[dt.date, BeforeValidator(_iso_day), AfterValidator(_day_in_range)]
# On a partial update: the field may be left out, but not set to null (its column is NOT NULL).
NotNull = BeforeValidator(_not_null)
