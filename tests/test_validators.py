"""National identifier validators: USCC (GB 32100), resident ID (GB 11643), occupation codes."""

from __future__ import annotations

import datetime as dt

import pytest

from registry.validators import (
    check_occupation_code,
    check_resident_id,
    check_uscc,
    id_check_digit,
    mask_id,
    mask_name,
    mask_resident_id,
    uscc_check_char,
)

VALID_USCC = [
    pytest.param("914403001922038216", id="huawei-technologies"),
    pytest.param("91440300708461136T", id="tencent-shenzhen"),
    pytest.param("91350100M000100Y43", id="gb32100-example"),
]

INVALID_USCC = [
    pytest.param("91440300708461136X", "check character", id="wrong-check-char"),
    pytest.param("91440300708461136t", "not allowed", id="lower-case"),
    pytest.param("9144030070846I136T", "not allowed", id="letter-I-excluded"),
    pytest.param("91440300O08461136T", "not allowed", id="letter-O-excluded"),
    pytest.param("9144030070846113", "18 characters", id="too-short"),
    pytest.param("914403007084611366T", "18 characters", id="too-long"),
    pytest.param("91AB0300708461136T", "region code", id="region-not-numeric"),
    pytest.param("914403007084611 26T"[:18], "not allowed", id="space"),
    pytest.param("914403007084611A6T", "organisation-code", id="org-code-check"),
]


class TestUSCC:
    @pytest.mark.parametrize("value", VALID_USCC)
    def test_real_codes_are_accepted(self, value: str) -> None:
        assert check_uscc(value) is None

    @pytest.mark.parametrize(("value", "reason"), INVALID_USCC)
    def test_bad_codes_are_refused_with_reason(self, value: str, reason: str) -> None:
        problem = check_uscc(value)
        assert problem is not None
        assert reason in problem.en
        assert problem.zh

    def test_every_single_character_change_is_caught(self) -> None:
        good = "91440300708461136T"
        for position in range(18):
            for replacement in "0123456789ABCDEFGHJKLMNPQRTUWXY":
                if replacement == good[position]:
                    continue
                changed = good[:position] + replacement + good[position + 1 :]
                assert check_uscc(changed) is not None, changed

    def test_check_char_matches_the_standard_example(self) -> None:
        assert uscc_check_char("91350100M000100Y4") == "3"


VALID_IDS = [
    pytest.param("11010519491231002X", id="gb11643-example-X"),
    pytest.param("440106199001011235", id="guangzhou-1990"),
]

INVALID_IDS = [
    pytest.param("110105194912310021", "check digit", id="wrong-check-digit"),
    pytest.param("11010519491231002x", "17 digits then a digit or X", id="lower-case-x"),
    pytest.param("1101051949123100", "18 characters", id="too-short"),
    pytest.param("110105194902300021", "birth date is not a valid date", id="february-30"),
    pytest.param("110105203001010011", "out of range", id="born-in-the-future"),
    pytest.param("990105194912310021", "region", id="unknown-region"),
    pytest.param("11010518991231002X", "out of range", id="before-1900"),
]


class TestResidentID:
    @pytest.mark.parametrize("value", VALID_IDS)
    def test_valid_numbers_are_accepted(self, value: str) -> None:
        assert check_resident_id(value, today=dt.date(2026, 11, 21)) is None

    @pytest.mark.parametrize(("value", "reason"), INVALID_IDS)
    def test_bad_numbers_are_refused_with_reason(self, value: str, reason: str) -> None:
        if reason == "check digit":
            assert id_check_digit(value[:17]) != value[17]
        problem = check_resident_id(value, today=dt.date(2026, 11, 21))
        assert problem is not None
        assert reason in problem.en


class TestOccupationCode:
    @pytest.mark.parametrize("value", ["6-18-01-01", "4-10-01-05", "1-01-00-01"])
    def test_well_formed_codes_pass(self, value: str) -> None:
        assert check_occupation_code(value) is None

    @pytest.mark.parametrize("value", ["6-18-01", "618-01-01", "9-18-01-01", "6-18-01-01-01", "6-18-1-01", ""])
    def test_malformed_codes_fail(self, value: str) -> None:
        assert check_occupation_code(value) is not None


class TestMasking:
    @pytest.mark.parametrize(
        ("name", "masked"),
        [("张三丰", "张*丰"), ("李四", "李*"), ("欧阳娜娜", "欧*娜"), ("王", "*"), ("阿卜杜热合曼·买买提", "阿*提")],
    )
    def test_names_keep_first_and_last_character_in_a_fixed_shape(self, name: str, masked: str) -> None:
        assert mask_name(name) == masked

    def test_id_numbers_keep_four_each_end(self) -> None:
        assert mask_resident_id("440106199001011235") == "4401**********1235"

    @pytest.mark.parametrize(
        ("id_type", "value", "masked"),
        [
            ("passport", "E12345678", "*******78"),
            ("hk_macao_permit", "H1234567890", "*******7890"),
            ("resident_id", "440106199001011235", "4401**********1235"),
        ],
    )
    def test_other_documents_keep_only_their_tail(self, id_type: str, value: str, masked: str) -> None:
        assert mask_id(id_type, value) == masked
