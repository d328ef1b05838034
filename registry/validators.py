"""Check-character validators for the national identifiers the registry stores; pure, stdlib only.

- 统一社会信用代码 (unified social credit code, USCC): GB 32100-2015, with the embedded
  组织机构代码 (organisation code) checked per GB 11714-1997;
- 居民身份证号码 (resident identity number): GB 11643-1999, check digit and birth date;
- occupation codes of 《中华人民共和国职业分类大典》: 大类-中类-小类-细类, e.g. 6-18-01-01.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: 31 symbols, no I O S V Z
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# [0-9], never \d: Python's \d is any Unicode digit (full-width ０-９, Arabic-Indic …), which int() also reads.
OCCUPATION_CODE = re.compile(r"^[1-8]-[0-9]{2}-[0-9]{2}-[0-9]{2}$")
RESIDENT_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
# First two digits of a resident ID: GB/T 2260 provinces, plus 81/82/83 issued to HK, Macao, Taiwan residents.
ID_REGION_PREFIXES = frozenset(
    (
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
    )
)


@dataclass(frozen=True)
class Invalid:
    """Why a value was refused, in both languages."""

    zh: str
    en: str


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters of a USCC."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def org_code_check_char(first8: str) -> str:
    """Return the GB 11714 check character for an 8-character organisation code body."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first8, ORG_CODE_WEIGHTS, strict=True))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def check_uscc(value: str) -> Invalid | None:
    """Return why value is not a valid 统一社会信用代码, or None when it is."""
    if len(value) != 18:
        return Invalid(
            f"统一社会信用代码应为18位，实际为{len(value)}位", f"USCC must be 18 characters, got {len(value)}"
        )
    bad = sorted({c for c in value if c not in USCC_ALPHABET})
    if bad:
        shown = "".join(bad)
        return Invalid(
            f"统一社会信用代码含有不允许的字符：{shown}（不使用 I、O、S、V、Z 及小写字母）",
            f"USCC contains characters not allowed: {shown} (no I, O, S, V, Z or lower case)",
        )
    if not value[2:8].isdigit():
        return Invalid(
            "统一社会信用代码第3-8位应为行政区划码（数字）",
            "USCC positions 3-8 must be a numeric region code",
        )
    org = value[8:17]
    if org[-1] != org_code_check_char(org[:8]):
        return Invalid("统一社会信用代码中的组织机构代码校验位错误", "USCC organisation-code check character is wrong")
    expected = uscc_check_char(value[:17])
    if value[17] != expected:
        return Invalid("统一社会信用代码校验位错误", "USCC check character is wrong (GB 32100)")
    return None


def id_check_digit(first17: str) -> str:
    """Return the GB 11643 check digit for the first 17 digits of a resident ID number."""
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def resident_id_birth_date(value: str) -> dt.date | None:
    """Return the birth date encoded in an 18-digit resident ID number, or None if it is not a date."""
    try:
        return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def check_resident_id(value: str, *, today: dt.date | None = None) -> Invalid | None:
    """Return why value is not a valid 居民身份证号码, or None when it is."""
    if len(value) != 18:
        return Invalid(
            f"居民身份证号码应为18位，实际为{len(value)}位",
            f"resident ID must be 18 characters, got {len(value)}",
        )
    if not RESIDENT_ID_SHAPE.match(value):  # ASCII only: str.isdigit() also passes ２, ² and ①
        return Invalid("居民身份证号码前17位应为数字，末位为数字或大写X", "resident ID: 17 digits then a digit or X")
    if value[:2] not in ID_REGION_PREFIXES:
        return Invalid("居民身份证号码的地区码无效", "resident ID region code is not a known province")
    birth = resident_id_birth_date(value)
    if birth is None:
        return Invalid("居民身份证号码中的出生日期无效", "resident ID birth date is not a valid date")
    if birth.year < 1900 or birth > (today or dt.date.today()):  # noqa: DTZ011 - a calendar date is wanted
        return Invalid("居民身份证号码中的出生日期超出范围", "resident ID birth date is out of range")
    if value[17] != id_check_digit(value[:17]):
        return Invalid("居民身份证号码校验位错误", "resident ID check digit is wrong (GB 11643)")
    return None


def check_occupation_code(value: str) -> Invalid | None:
    """Return why value is not an occupation code of the form 6-18-01-01, or None when it is."""
    if OCCUPATION_CODE.match(value):
        return None
    return Invalid(
        "职业编码格式应为“大类-中类-小类-细类”，如 6-18-01-01",
        "occupation code must look like 6-18-01-01 (major-middle-minor-unit)",
    )


def mask_resident_id(value: str) -> str:
    """Mask an 18-digit ID number for display: keep the first 4 and last 4 characters (4401**********1234)."""
    if len(value) < 18:
        return mask_document(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_document(value: str) -> str:
    """Mask any other document number: keep only the last 4 characters (2 for short ones)."""
    keep = 4 if len(value) >= 10 else 2
    return "*" * (len(value) - keep) + value[-keep:]


def mask_id(id_type: str, value: str) -> str:
    """Mask a document number by its type: resident IDs keep 4+4, everything else only its tail."""
    return mask_resident_id(value) if id_type == "resident_id" else mask_document(value)


def mask_id_public(id_type: str, masked: str) -> str:
    """The ID number as anyone may see it (verification answers, 公示, certificate PDFs by default).

    It keeps no digit of the birth date, the sequence or the check digit: with the holder's birth date and home
    district known (the threat model in the README), the staff mask 4401**********1234 plus those completes the
    whole number. A resident ID keeps its first 4 digits (province and city), other documents nothing.
    """
    if id_type == "resident_id" and len(masked) == 18:
        return masked[:4] + "*" * 14
    return "*" * len(masked)


def mask_name(name: str) -> str:
    """Mask a name to a fixed shape that hides its length: 张*三, 李* (two characters), * (one)."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" + name[-1]
