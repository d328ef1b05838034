"""Text hygiene for everything people type: control characters, names printed on legal documents; stdlib only.

Two levels:
- every text input (JSON, forms, query strings, paths, uploaded cells) may not carry C0/C1 control characters
  (TAB, LF and CR excepted) or lone surrogates — PostgreSQL refuses NUL outright and the others only hide or
  garble text (`find_control`);
- names (people, accounts, bodies) and other single-line values printed or compared are NFC-normalised,
  trimmed and refused when empty, over-long, or when they carry control, format (bidi overrides, zero-width,
  BOM), line/paragraph separator characters or combining marks with nothing to combine with (`clean_line`,
  `clean_person_name`).

Nothing here rewrites a stored value: callers normalise what they are given and compare normalised forms.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

ALLOWED_CONTROLS = frozenset("\t\n\r")
# Punctuation a person's name may carry between its parts: the middle dots of minority and foreign names
# (· U+00B7, ・ U+30FB, ‧ U+2027), hyphen, full stop, apostrophes and a single space.
NAME_PUNCTUATION = frozenset("·・‧.-'’ ")
MAX_COMBINING_RUN = 2


@dataclass(frozen=True)
class TextProblem:
    """Why a text was refused, in both languages; code is a stable snake_case word."""

    code: str
    zh: str
    en: str


def _show(char: str) -> str:
    """A character named by its code point; visible ones are shown too, invisible ones never echoed raw."""
    if unicodedata.category(char)[0] in "LNPS":
        return f"'{char}' U+{ord(char):04X}"
    return f"U+{ord(char):04X}"


def find_control(value: str) -> str | None:
    """Return the first forbidden control character (C0/C1 except TAB/LF/CR, DEL, lone surrogate), if any."""
    for char in value:
        code = ord(char)
        if (code < 0x20 and char not in ALLOWED_CONTROLS) or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF:
            return char
    return None


def control_problem(value: str) -> TextProblem | None:
    """Return why value may not be stored (a forbidden control character), or None."""
    char = find_control(value)
    if char is None:
        return None
    return TextProblem(
        "control_character",
        f"含有不允许的控制字符（{_show(char)}）",
        f"contains a control character that is not allowed ({_show(char)})",
    )


def _single_line_problem(value: str) -> TextProblem | None:
    for index, char in enumerate(value):
        category = unicodedata.category(char)
        if category in {"Cc", "Cs"}:
            return TextProblem(
                "control_character",
                f"含有不允许的控制字符（{_show(char)}）",
                f"contains a control character that is not allowed ({_show(char)})",
            )
        if category == "Cf":
            return TextProblem(
                "format_character",
                f"含有不可见的格式字符（{_show(char)}，如方向控制、零宽字符、BOM）",
                f"contains an invisible format character ({_show(char)}: bidi control, zero-width, BOM)",
            )
        if category in {"Zl", "Zp"}:
            return TextProblem(
                "line_separator", f"含有换行/分段符（{_show(char)}）", f"contains a line separator ({_show(char)})"
            )
        if category.startswith("M") and (index == 0 or value[index - 1].isspace()):
            return TextProblem(
                "lone_combining_mark",
                f"含有孤立的组合符号（{_show(char)}）",
                f"contains a combining mark with nothing to combine with ({_show(char)})",
            )
    return None


def _combining_run_problem(value: str) -> TextProblem | None:
    run = 0
    for char in value:
        run = run + 1 if unicodedata.category(char).startswith("M") else 0
        if run > MAX_COMBINING_RUN:
            return TextProblem(
                "combining_marks",
                f"组合符号叠加过多（{_show(char)}）",
                f"too many combining marks stacked on one character ({_show(char)})",
            )
    return None


def _length_problems(value: str, *, min_length: int, max_length: int) -> TextProblem | None:
    if not value and min_length > 0:
        return TextProblem("empty", "不能为空（或只有空白）", "may not be empty or only white space")
    if len(value) < min_length:
        return TextProblem("too_short", f"至少需要 {min_length} 个字符", f"needs at least {min_length} characters")
    if len(value) > max_length:
        return TextProblem("too_long", f"不能超过 {max_length} 个字符", f"may not exceed {max_length} characters")
    return None


BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_text(value: str, *, min_length: int = 1, max_length: int = 2000) -> tuple[str, TextProblem | None]:
    """Trim a multi-line free text (a note, a reason) and say what is wrong with it.

    Line breaks and tabs are kept; other control characters and bidi controls (which can make a note display
    as something it does not say) are refused.
    """
    text = value.strip()
    problem = control_problem(text)
    if problem is None:
        char = next((c for c in text if c in BIDI_CONTROLS), None)
        if char is not None:
            problem = TextProblem(
                "format_character",
                f"含有文字方向控制字符（{_show(char)}）",
                f"contains a bidi control character ({_show(char)})",
            )
    return text, problem or _length_problems(text, min_length=min_length, max_length=max_length)


NOTE_LENGTH = 2000  # notes, reasons and status notes are VARCHAR(2000) columns


def within(text: str, limit: int = NOTE_LENGTH) -> str:
    """Text cut to fit limit characters, ending in … when cut: for notes a service derives by quoting a person's
    note behind a prefix (the person's full note stays on the record it was written for)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def normalise(value: str) -> str:
    """NFC and trimmed (the form every name and single-line value is stored and compared in)."""
    return unicodedata.normalize("NFC", value).strip()


def clean_line(value: str, *, min_length: int = 1, max_length: int = 255) -> tuple[str, TextProblem | None]:
    """Normalise a single-line value (a body or employer name, a venue, a code) and say what is wrong with it.

    min_length 0 allows the empty string (optional fields such as an address).
    """
    text = normalise(value)
    problem = (
        _single_line_problem(text)
        or _combining_run_problem(text)
        or _length_problems(text, min_length=min_length, max_length=max_length)
    )
    return text, problem


def clean_person_name(value: str, *, max_length: int = 64) -> tuple[str, TextProblem | None]:
    """Normalise a person's name and say what is wrong with it: printed on certificates, so letters only.

    A name is letters (any script), their combining marks, and the punctuation of NAME_PUNCTUATION between its
    parts — never at either end, never two in a row. Digits, symbols and markup are refused.
    """
    text, problem = clean_line(value, max_length=max_length)
    if problem is not None:
        return text, problem
    previous_punctuation = True  # a name may not start with punctuation
    for char in text:
        category = unicodedata.category(char)
        if category.startswith("L"):
            previous_punctuation = False
        elif category.startswith("M"):
            if previous_punctuation:
                return text, TextProblem(
                    "lone_combining_mark",
                    f"含有孤立的组合符号（{_show(char)}）",
                    f"contains a combining mark with nothing to combine with ({_show(char)})",
                )
        elif char in NAME_PUNCTUATION:
            if previous_punctuation:
                return text, TextProblem(
                    "name_punctuation",
                    f"姓名中的标点（{_show(char)}）只能出现在两个字之间",
                    f"punctuation ({_show(char)}) may only stand between the parts of a name",
                )
            previous_punctuation = True
        else:
            return text, TextProblem(
                "name_character",
                f"姓名含有不允许的字符（{_show(char)}）：只能是文字及间隔号",
                f"a name may not contain {_show(char)}: letters and name punctuation only",
            )
    if previous_punctuation:
        return text, TextProblem("name_punctuation", "姓名不能以标点结尾", "a name may not end with punctuation")
    return text, None
