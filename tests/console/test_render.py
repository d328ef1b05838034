"""The layout's helpers: Beijing time, errors next to their field, the rule and citation of a refusal."""

from __future__ import annotations

import datetime as dt

import pytest
from jinja2 import Environment

from api.console.session import beijing, field_error
from api.templating import TEMPLATES
from registry.errors import InvalidInput, RuleViolation

ENV: Environment = TEMPLATES.env


def _render(source: str, **context: object) -> str:
    return ENV.from_string(source).render(**context)


@pytest.mark.parametrize(
    ("value", "lang", "shown"),
    [
        (dt.datetime(2026, 11, 21, 16, 30, tzinfo=dt.UTC), "zh", "2026-11-22 00:30 北京时间"),
        (dt.datetime(2026, 11, 21, 1, 5, tzinfo=dt.UTC), "en", "2026-11-21 09:05 Beijing time"),
        (dt.datetime(2026, 11, 21, 1, 5, tzinfo=None), "zh", "2026-11-21 09:05 北京时间"),  # noqa: DTZ001 - naive = UTC
        (dt.date(2026, 11, 21), "zh", "2026-11-21"),
        (None, "zh", "—"),
    ],
)
def test_times_are_shown_in_beijing_time(value: object, lang: str, shown: str) -> None:
    assert beijing is ENV.filters["beijing"]
    assert _render("{{ v | beijing }}", v=value, lang=lang) == shown


def test_a_domain_error_shows_next_to_its_field_in_both_languages() -> None:
    assert field_error is ENV.globals["field_error"]
    html = _render(
        "{{ field_error(errors, 'uscc') }}", errors={"uscc": InvalidInput("校验码错误", "bad check digit")}, lang="zh"
    )
    assert 'id="uscc-error"' in html and 'role="alert"' in html
    assert html.index("校验码错误") < html.index("bad check digit")
    english = _render(
        "{{ field_error(errors, 'uscc') }}", errors={"uscc": ("校验码错误", "bad check digit")}, lang="en"
    )
    assert english.index("bad check digit") < english.index("校验码错误")


def test_no_error_renders_nothing() -> None:
    assert _render("{{ field_error(errors, 'name') }}", errors={"other": "x"}, lang="zh") == ""


def test_error_text_is_escaped() -> None:
    html = _render("{{ field_error(errors, 'n') }}", errors={"n": "<script>alert(1)</script>"}, lang="zh")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_a_refusal_names_the_failed_rule_with_its_citation() -> None:
    refusal = RuleViolation(
        "超出备案上限",
        "above the filing ceiling",
        extra={
            "rules": [
                {
                    "rule_id": "F-1",
                    "title_zh": "上限",
                    "title_en": "ceiling",
                    "outcome": "fail",
                    "message_zh": "超出",
                    "message_en": "above",
                    "citation": "001:44",
                    "provenance": "draft",
                    "provenance_zh": "征求意见稿",
                    "phrase": "不得超过",
                },
                {
                    "rule_id": "F-2",
                    "title_zh": "其他",
                    "title_en": "other",
                    "outcome": "pass",
                    "message_zh": "通过",
                    "message_en": "passed",
                    "citation": None,
                    "provenance": "registry",
                    "provenance_zh": "登记系统",
                    "phrase": None,
                },
            ]
        },
    )
    html = ENV.get_template("console/_refusal.html").render(refusal=refusal, lang="zh", t=lambda zh, en: zh)
    assert 'data-rule="F-1"' in html and "001:44" in html and "不得超过" in html
    assert 'data-rule="F-2"' not in html
