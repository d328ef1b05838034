"""Property tests (Hypothesis): the identifier validators, certificate numbering, masks and the eligibility rules
hold for every input, not only the examples in their table-driven tests."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from assessment.batches.eligibility import DEFAULT_MIN_YEARS, ELIGIBILITY_RULES, EligibilityFacts, EmploymentFacts
from certificates.numbering import APPRENTICE, NATIONAL, NumberingError, format_number, is_well_formed, parts_for
from registry import grades
from registry.grades import GradeCode
from registry.people.models import IdType
from registry.people.service import InvalidIdNumber, normalise_id
from registry.validators import (
    ID_REGION_PREFIXES,
    USCC_ALPHABET,
    check_resident_id,
    check_uscc,
    id_check_digit,
    mask_id_public,
    mask_name,
    mask_resident_id,
    org_code_check_char,
    uscc_check_char,
)

TODAY = dt.date(2026, 11, 21)
# Deterministic and quick in make test: no example database in the work tree, no per-example deadline on CI.
PROPERTY = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(sorted(ID_REGION_PREFIXES))) + draw(st.from_regex(r"[0-9]{4}", fullmatch=True))
    born = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY))
    first17 = f"{region}{born:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    return first17 + id_check_digit(first17)


@st.composite
def usccs(draw: st.DrawFn) -> str:
    alphabet = st.sampled_from(USCC_ALPHABET)
    org = "".join(draw(st.lists(alphabet, min_size=8, max_size=8)))
    head = draw(alphabet) + draw(alphabet) + draw(st.from_regex(r"[0-9]{6}", fullmatch=True)) + org
    first17 = head + org_code_check_char(org)
    return first17 + uscc_check_char(first17)


@st.composite
def digit_lookalikes(draw: st.DrawFn) -> str:
    """18 characters: a known province, then ASCII digits mixed with other Unicode digits (full-width, ², ①…)."""
    others = st.characters(categories=["Nd", "No"])
    rest = draw(st.lists(st.one_of(st.sampled_from("0123456789"), others), min_size=16, max_size=16))
    return draw(st.sampled_from(sorted(ID_REGION_PREFIXES))) + "".join(rest)


class TestResidentId:
    @PROPERTY
    @given(resident_ids())
    def test_every_well_made_number_is_accepted(self, number: str) -> None:
        assert check_resident_id(number, today=TODAY) is None

    @PROPERTY
    @given(resident_ids(), st.integers(0, 17), st.sampled_from("0123456789X"))
    def test_any_single_character_changed_is_refused(self, number: str, position: int, char: str) -> None:
        assume(number[position] != char)
        changed = number[:position] + char + number[position + 1 :]
        assert check_resident_id(changed, today=TODAY) is not None

    @PROPERTY
    @given(resident_ids(), st.integers(0, 15))
    def test_any_two_neighbouring_digits_swapped_are_refused(self, number: str, position: int) -> None:
        assume(number[position] != number[position + 1])
        swapped = number[:position] + number[position + 1] + number[position] + number[position + 2 :]
        assert check_resident_id(swapped, today=TODAY) is not None

    @PROPERTY
    @given(st.one_of(st.text(min_size=18, max_size=18), digit_lookalikes()))
    @example("11010519491231002²")  # int("²") raised inside the check-digit sum: a 500, not a refusal
    @example("11０１０５１９４９１２３１００２X")  # passed as valid: a second identity beside the ASCII one
    def test_any_text_is_answered_never_raised_and_only_ascii_passes(self, text: str) -> None:
        if check_resident_id(text, today=TODAY) is None:
            assert re.fullmatch(r"[0-9]{17}[0-9X]", text)

    @PROPERTY
    @given(resident_ids(), st.sampled_from([FULL_WIDTH, ARABIC_INDIC]), st.sets(st.integers(0, 17), min_size=1))
    def test_non_ascii_digits_are_the_same_number_or_refused(
        self, number: str, digits: dict[int, str], positions: set[int]
    ) -> None:
        """Full-width digits typed on a Chinese keyboard are the same person's number (one look-up hash), never a
        second identity that slips past the duplicate check."""
        typed = "".join(c.translate(digits) if i in positions else c for i, c in enumerate(number))
        with contextlib.suppress(InvalidIdNumber):
            assert normalise_id(IdType.RESIDENT_ID, typed) == number

    @PROPERTY
    @given(resident_ids())
    def test_the_staff_mask_keeps_four_and_four(self, number: str) -> None:
        masked = mask_resident_id(number)
        assert (len(masked), masked[:4], masked[-4:], set(masked[4:-4])) == (18, number[:4], number[-4:], {"*"})

    @PROPERTY
    @given(resident_ids())
    def test_the_public_mask_keeps_no_birth_date_sequence_or_check_digit(self, number: str) -> None:
        public = mask_id_public("resident_id", mask_resident_id(number))
        assert public == number[:4] + "*" * 14


class TestUscc:
    @PROPERTY
    @given(usccs())
    def test_every_well_made_code_is_accepted(self, code: str) -> None:
        assert check_uscc(code) is None

    @PROPERTY
    @given(usccs(), st.integers(0, 17), st.sampled_from(USCC_ALPHABET))
    def test_any_single_character_changed_is_refused(self, code: str, position: int, char: str) -> None:
        assume(code[position] != char)
        assert check_uscc(code[:position] + char + code[position + 1 :]) is not None

    @PROPERTY
    @given(st.text(min_size=18, max_size=18))
    def test_any_text_is_answered_never_raised_and_only_the_alphabet_passes(self, text: str) -> None:
        if check_uscc(text) is None:
            assert set(text) <= set(USCC_ALPHABET)

    @PROPERTY
    @given(usccs())
    def test_lower_case_and_full_width_forms_are_refused(self, code: str) -> None:
        assume(code != code.lower())
        assert check_uscc(code.lower()) is not None
        assert check_uscc(code.translate(FULL_WIDTH)) is not None or code.translate(FULL_WIDTH) == code


grade_codes = st.sampled_from(list(GradeCode))


class TestNumbering:
    @PROPERTY
    @given(
        st.sampled_from("YS"),
        st.from_regex(r"[0-9]{4}", fullmatch=True),
        st.from_regex(r"[0-9]{2}", fullmatch=True),
        st.from_regex(r"[0-9]{6}", fullmatch=True),
        st.integers(2000, 2099),
        grade_codes,
        st.integers(1, 999_999),
    )
    def test_a_number_reads_back_as_its_parts_and_serial(
        self, category: str, ministry: str, province: str, site: str, year: int, grade: GradeCode, serial: int
    ) -> None:
        parts = parts_for(
            category=category, ministry_code=ministry, province_code=province, site_code=site, year=year, grade=grade
        )
        number = format_number(parts, serial)
        assert is_well_formed(number)
        match = (APPRENTICE if grade == GradeCode.APPRENTICE else NATIONAL).match(number)
        assert match is not None
        assert (match["province"], match["site"], int(match["year"]), int(match["serial"])) == (
            province,
            site,
            year % 100,
            serial,
        )
        assert len(number) == (18 if grade == GradeCode.APPRENTICE else 22)

    @PROPERTY
    @given(st.integers(1, 999_999), st.integers(1, 999_999))
    def test_different_serials_never_share_a_number(self, a: int, b: int) -> None:
        assume(a != b)
        parts = parts_for(
            category="Y", ministry_code="0000", province_code="44", site_code="000001", year=2026, grade="senior"
        )
        assert format_number(parts, a) != format_number(parts, b)

    @PROPERTY
    @given(st.sampled_from([FULL_WIDTH, ARABIC_INDIC]), st.sampled_from(["ministry", "province", "site"]))
    def test_non_ascii_digits_never_make_a_number(self, table: dict[int, str], part: str) -> None:
        values = {"ministry": "0000", "province": "44", "site": "000001"}
        values[part] = values[part].translate(table)
        with pytest.raises(NumberingError):
            parts_for(
                category="Y",
                ministry_code=values["ministry"],
                province_code=values["province"],
                site_code=values["site"],
                year=2026,
                grade=GradeCode.SENIOR,
            )

    @PROPERTY
    @given(st.text(max_size=24))
    def test_only_ascii_numbers_are_well_formed(self, text: str) -> None:
        if is_well_formed(text):
            assert text.isascii()

    def test_a_well_formed_number_in_other_digits_is_not(self) -> None:
        assert is_well_formed("Y000044000001265000001")
        assert not is_well_formed("Y000044000001265000001".translate(FULL_WIDTH))


class TestNameMask:
    @PROPERTY
    @given(st.text(min_size=1, max_size=40).filter(lambda s: s.strip()))
    def test_the_mask_hides_the_length_and_every_middle_character(self, name: str) -> None:
        masked, clean = mask_name(name), name.strip()
        assert len(masked) == min(len(clean), 3)
        if len(clean) >= 3:
            assert masked == clean[0] + "*" + clean[-1]


# ---- the eligibility rules: monotonic in time, in the configured years, in grades held below the target ----

LADDER = [g for g in GradeCode if g != GradeCode.APPRENTICE]


@st.composite
def candidates(draw: st.DrawFn) -> EligibilityFacts:
    target = draw(st.sampled_from(LADDER[1:]))
    below = grades.below(target)
    assert below is not None
    held_on = draw(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2025, 12, 31)))
    held = ((below, held_on),) if draw(st.booleans()) else ()
    return EligibilityFacts(
        body_kind="employer",
        body_uscc="91440300MA5XXXXXX1",
        chain_member_usccs=frozenset(),
        employments=(EmploymentFacts("91440300MA5XXXXXX1", dispatched=draw(st.booleans())),),
        held=held,
        target=target,
        exam_on=draw(st.dates(min_value=held_on, max_value=dt.date(2035, 12, 31))),
        in_scope=True,
        candidate_person_id="p",
        staff_person_ids=frozenset({"s"}),
        min_years={k: draw(st.integers(0, 6)) for k in DEFAULT_MIN_YEARS},
    )


def allowed(facts: EligibilityFacts) -> bool:
    return ELIGIBILITY_RULES.evaluate(facts, jurisdiction="44", draft_in_force=True).allowed


class TestEligibility:
    @PROPERTY
    @given(candidates(), st.integers(0, 3650))
    def test_waiting_longer_never_makes_an_eligible_candidate_ineligible(
        self, facts: EligibilityFacts, days: int
    ) -> None:
        assume(allowed(facts))
        assert allowed(replace(facts, exam_on=facts.exam_on + dt.timedelta(days=days)))

    @PROPERTY
    @given(candidates(), st.sampled_from(sorted(DEFAULT_MIN_YEARS)))
    def test_asking_fewer_years_never_refuses_more(self, facts: EligibilityFacts, grade: str) -> None:
        assume(allowed(facts))
        fewer = {**facts.min_years, grade: max(0, facts.min_years[grade] - 1)}
        assert allowed(replace(facts, min_years=fewer))

    @PROPERTY
    @given(candidates())
    def test_holding_the_grade_below_exactly_the_years_asked_is_enough_and_a_day_less_is_not(
        self, facts: EligibilityFacts
    ) -> None:
        below = grades.below(facts.target)
        assert below is not None
        needed = facts.min_years[facts.target.value]
        assume(needed > 0)
        held_on = dt.date(2016, 3, 1)
        exam_on = held_on.replace(year=held_on.year + needed)
        on_time = replace(facts, held=((below, held_on),), exam_on=exam_on)
        assert allowed(on_time)
        assert not allowed(replace(on_time, exam_on=exam_on - dt.timedelta(days=1)))

    @PROPERTY
    @given(candidates())
    def test_without_the_grade_below_only_junior_may_enrol(self, facts: EligibilityFacts) -> None:
        assert allowed(replace(facts, held=())) == (facts.target == GradeCode.JUNIOR)

    @PROPERTY
    @given(candidates(), grade_codes)
    def test_holding_the_target_or_higher_always_refuses(self, facts: EligibilityFacts, held: GradeCode) -> None:
        assume(grades.at_least(held, facts.target))
        assert not allowed(replace(facts, held=(*facts.held, (held, dt.date(2000, 1, 1)))))


@PROPERTY
@given(st.from_regex(r"[1-8]-[0-9]{2}-[0-9]{2}-[0-9]{2}", fullmatch=True), st.sets(st.integers(2, 10), min_size=1))
def test_occupation_codes_in_other_digits_are_refused(code: str, positions: set[int]) -> None:
    from registry.validators import check_occupation_code

    assert check_occupation_code(code) is None
    typed = "".join(c.translate(FULL_WIDTH) if i in positions else c for i, c in enumerate(code))
    assume(typed != code)
    assert check_occupation_code(typed) is not None
