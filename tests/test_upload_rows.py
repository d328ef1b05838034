"""Typed upload rows: the columns come from the row models, parse_rows types rows and words refusals as before."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from assessment.batches.imports import RESULT_COLUMNS, RESULT_OPTIONAL
from assessment.batches.rows import CandidateRow, ResultRow, ScoreRow
from assessment.batches.service import ENROL_COLUMNS, ENROL_OPTIONAL, SCORE_COLUMNS, SCORE_OPTIONAL
from registry.awards.legacy import LEGACY_COLUMNS, LEGACY_OPTIONAL, LegacyRow
from registry.awards.models import CertificateFamily
from registry.filings.rules import EvaluationMethod
from registry.grades import GradeCode
from registry.people.models import IdType
from registry.tabular import Row, RowError, UploadRow, parse_rows


def test_the_columns_a_file_has_come_from_the_row_models_in_header_order() -> None:
    assert (ENROL_COLUMNS, ENROL_OPTIONAL) == (
        ("name", "id_number"),
        ("id_type", "employer_uscc", "employer_name", "dispatched", "employed_since"),
    )
    assert (SCORE_COLUMNS, SCORE_OPTIONAL) == (("id_number", "component", "score"), ("name", "id_type"))
    assert (RESULT_COLUMNS, RESULT_OPTIONAL) == (
        ("id_number", "name", "component", "score", "assessor_card"),
        ("id_type", "employer_uscc", "employer_name", "dispatched", "employed_since"),
    )
    assert LEGACY_COLUMNS[:3] == ("id_number", "name", "occupation_code")
    assert LEGACY_OPTIONAL == ("id_type", "work_type", "evidence_kind", "evidence_description")


def test_empty_optional_cells_take_the_model_defaults() -> None:
    parsed = parse_rows(
        [Row(2, {"name": "王小明", "id_number": "X1234", "id_type": "", "dispatched": ""})], CandidateRow
    )
    assert parsed.errors == []
    (row,) = parsed.rows
    assert (row.line, row.id_type, row.dispatched, row.employed_since) == (
        2,
        IdType.RESIDENT_ID,
        False,
        dt.date(2000, 1, 1),
    )
    assert row.person().employment is None


def test_a_typed_row_carries_typed_values() -> None:
    values = {"id_number": "44010619850101001x", "component": "theory_exam", "score": "78.5"}
    (row,) = parse_rows([Row(3, values)], ScoreRow).rows
    assert (row.component, row.score, row.identity) == (
        EvaluationMethod.THEORY_EXAM,
        Decimal("78.5"),
        ("resident_id", "44010619850101001X"),
    )


SCORE_WORDS = (
    "考核项目或分数无效（0-100，最多一位小数）",
    "unknown component or a score outside 0–100 with one decimal",
)
RESULT_WORDS = (
    "考核项目或分数无效（0-100，最多一位小数）",
    "unknown component, or a score outside 0–100 with one decimal",
)
LEGACY = {
    "id_number": "1",
    "name": "张三",
    "occupation_code": "6-18-02-04",
    "grade": "senior",
    "family": "qualification",
    "issuing_authority": "某市人社局",
    "original_number": "A1234",
    "awarded_on": "2010-05-01",
    "evidence_ref": "scan-1",
}
RESULT = {"id_number": "1", "name": "张三", "component": "theory_exam", "score": "80", "assessor_card": "K1"}


@pytest.mark.parametrize(
    ("model", "values", "expected"),
    [
        (ScoreRow, {"id_number": "1", "component": "essay", "score": "80"}, [(2, "component/score", *SCORE_WORDS)]),
        (
            ScoreRow,
            {"id_number": "1", "component": "theory_exam", "score": "100.5"},
            [(2, "component/score", *SCORE_WORDS)],
        ),
        (ScoreRow, {"id_number": "1", "component": "essay", "score": "x"}, [(2, "component/score", *SCORE_WORDS)]),
        (ResultRow, {**RESULT, "score": "80.25"}, [(2, "component/score", *RESULT_WORDS)]),
        (
            CandidateRow,
            {"name": "张三", "id_number": "1", "id_type": "visa"},
            [(2, None, "数据格式错误：'visa' is not a valid IdType", "malformed value: 'visa' is not a valid IdType")],
        ),
        (
            CandidateRow,
            {"name": "张三", "id_number": "1", "employed_since": "2020/01/01"},
            [
                (
                    2,
                    None,
                    "数据格式错误：Invalid isoformat string: '2020/01/01'",
                    "malformed value: Invalid isoformat string: '2020/01/01'",
                )
            ],
        ),
        (
            LegacyRow,
            {**LEGACY, "family": "diploma"},
            [
                (
                    2,
                    "family",
                    "证书类别 'diploma' 无效；可用：qualification（职业资格证书）、skill_level（职业技能等级证书）",
                    "family 'diploma' is not qualification or skill_level",
                )
            ],
        ),
        (
            LegacyRow,
            {**LEGACY, "awarded_on": "2010.5.1"},
            [(2, "awarded_on", "发证日期格式应为 YYYY-MM-DD", "awarded_on must be YYYY-MM-DD")],
        ),
    ],
)
def test_a_refused_cell_is_worded_as_the_upload_always_answered(
    model: type[UploadRow], values: dict[str, str], expected: list[tuple[object, ...]]
) -> None:
    parsed = parse_rows([Row(2, values)], model)
    assert parsed.rows == []
    assert parsed.errors == [RowError(*e) for e in expected]  # type: ignore[arg-type]


def test_a_legacy_grade_and_family_are_read_from_codes_or_chinese_names() -> None:
    (row,) = parse_rows([Row(2, {**LEGACY, "grade": "高级工", "family": "职业技能等级证书"})], LegacyRow).rows
    assert (row.grade, row.family, row.evidence_kind) == (
        GradeCode.SENIOR,
        CertificateFamily.SKILL_LEVEL,
        "原证书扫描件",
    )
    bad = parse_rows([Row(4, {**LEGACY, "grade": "大师"})], LegacyRow).errors
    assert [(e.line, e.field) for e in bad] == [(4, "grade")] and bad[0].zh.startswith("等级 '大师' 无效；可用：")


def test_good_rows_parse_and_bad_rows_are_all_named() -> None:
    rows = [
        Row(n, {"id_number": "1", "component": "theory_exam", "score": s}) for n, s in ((2, "1"), (3, "x"), (4, "9"))
    ]
    parsed = parse_rows(rows, ScoreRow)
    assert [r.line for r in parsed.rows] == [2, 4] and [e.line for e in parsed.errors] == [3]
