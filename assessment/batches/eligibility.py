"""Enrolment eligibility on the regular path (逐级), pure rules over facts; imports registry.rules and grades.

The prerequisite grade and the years since it come from the national standards' application conditions
(申报条件: outside knowledge, domain/policy-requirements.md §9) and are configurable; §9 gives no figures
for 特级技师/首席技师, so their 2 years are the registry's own assumption, a rule of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from registry import grades
from registry.grades import GradeCode
from registry.rules import (
    Citation,
    Rule,
    RuleSet,
    Verdict,
    draft,
    failed,
    in_force,
    not_applicable,
    outside,
    passed,
    registry_rule,
)

RULESET_VERSION = "eligibility/2026.11-2"
# Years a candidate must have held the grade below: 中级工…高级技师 follow the §9 pattern (outside knowledge);
# 特级技师/首席技师 are the registry's assumption (§9 gives no figure). 五级 has no prerequisite grade.
TOP_GRADES = frozenset({GradeCode.SPECIAL_TECHNICIAN, GradeCode.CHIEF_TECHNICIAN})
DEFAULT_MIN_YEARS: Mapping[str, int] = {
    "intermediate": 2,
    "senior": 4,
    "technician": 4,
    "senior_technician": 4,
    "special_technician": 2,
    "chief_technician": 2,
}


@dataclass(frozen=True)
class EmploymentFacts:
    """An employment of the candidate on the exam date."""

    employer_uscc: str
    dispatched: bool


@dataclass(frozen=True)
class EligibilityFacts:
    """Everything the eligibility rules read about one candidate in one batch."""

    body_kind: str
    body_uscc: str
    chain_member_usccs: frozenset[str]
    employments: tuple[EmploymentFacts, ...]
    held: tuple[tuple[GradeCode, dt.date], ...]  # grades held in this occupation, with award dates
    target: GradeCode
    exam_on: dt.date
    in_scope: bool
    candidate_person_id: str
    staff_person_ids: frozenset[str]
    recusal_same_employer: bool = False
    staff_home_usccs: frozenset[str] = frozenset()
    draft_in_force: bool = True
    min_years: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_MIN_YEARS))


def _years_between(start: dt.date, end: dt.date) -> int:
    years = end.year - start.year
    return years - 1 if (end.month, end.day) < (start.month, start.day) else years


def in_scope(f: EligibilityFacts) -> Verdict:
    """The batch's occupation and grade are within the body's approved filing."""
    if f.in_scope:
        return passed("在备案范围内", "within the approved filing")
    return failed("不在机构有效备案范围内", "outside the body's approved filing")


def employment(f: EligibilityFacts) -> Verdict:
    """Employers assess their own staff (dispatched included, 002:22); others per their kind."""
    employers = {e.employer_uscc for e in f.employments}
    if f.body_kind in {"social_org", "school"}:
        return not_applicable(
            "社会培训评价组织和院校面向社会开展评价", "social organisations and schools assess anyone"
        )
    if f.body_uscc in employers:
        dispatched = any(e.dispatched for e in f.employments if e.employer_uscc == f.body_uscc)
        return passed(
            "考生为本单位职工" + ("（劳务派遣人员）" if dispatched else ""),
            "the candidate works for the body" + (" (dispatched)" if dispatched else ""),
        )
    if f.body_kind == "chain_body":
        if f.draft_in_force:
            return not_applicable(
                "产业链企业员工由 001:46（征求意见稿）条款判断", "chain members' staff are decided by the draft 001:46"
            )
        return failed(
            "为产业链用工企业员工认定的依据仅见于征求意见稿 001:46，本辖区未启用",
            "assessing other enterprises' staff rests only on the draft 001:46, not in force here",
        )
    return failed(
        "用人单位只能评价本单位职工（含劳务派遣人员）",
        "an employer may assess only its own staff (dispatched workers included)",
    )


def chain_staff(f: EligibilityFacts) -> Verdict:
    """A chain evaluation body may assess staff of the enterprises in its chain (001:46)."""
    if f.body_kind != "chain_body":
        return not_applicable("非生态链评价机构", "not a chain body")
    employers = {e.employer_uscc for e in f.employments}
    if f.body_uscc in employers or employers & f.chain_member_usccs:
        return passed("考生为产业链用工企业员工", "the candidate works for a member of the chain")
    return failed(
        "生态链评价机构只能评价产业链用工企业员工", "a chain body may assess only staff of the chain's members"
    )


def prerequisite(f: EligibilityFacts) -> Verdict:
    """The candidate holds the grade directly below in this occupation (逐级; none for 学徒工/初级工)."""
    below = grades.below(f.target)
    if below is None or f.target == GradeCode.JUNIOR:
        return not_applicable("该等级无前置等级要求", "no prerequisite grade")
    if any(g == below for g, _ in f.held):
        return passed(f"已持有{grades.info(below).name_zh}", f"holds {below.value}")
    return failed(f"须先取得本职业{grades.info(below).name_zh}", f"needs {below.value} in this occupation first")


def _years_since(f: EligibilityFacts, *, top: bool) -> Verdict:
    if (f.target in TOP_GRADES) != top:
        return not_applicable(
            "特级技师、首席技师的年限另有规则" if not top else "目标等级不是特级技师或首席技师",
            "special/chief technician years have a rule of their own" if not top else "not a special/chief target",
        )
    below = grades.below(f.target)
    needed = f.min_years.get(f.target.value, 0)
    if below is None or f.target == GradeCode.JUNIOR or needed == 0:
        return not_applicable("无年限要求", "no minimum years")
    dates = [d for g, d in f.held if g == below]
    if not dates:
        return not_applicable(
            "未持有前置等级（由前置等级规则判断）", "no prerequisite held (see the prerequisite rule)"
        )
    years = _years_between(min(dates), f.exam_on)
    if years >= needed:
        return passed(
            f"取得前置等级已满{years}年（要求{needed}年）", f"{years} years since the prerequisite ({needed} needed)"
        )
    return failed(
        f"取得前置等级仅{years}年，须满{needed}年",
        f"only {years} years since the prerequisite; {needed} needed",
        years=years,
        needed=needed,
    )


def years_since(f: EligibilityFacts) -> Verdict:
    """Enough years since the prerequisite grade, 中级工…高级技师 (§9 pattern, configurable)."""
    return _years_since(f, top=False)


def years_since_top(f: EligibilityFacts) -> Verdict:
    """Enough years since the prerequisite grade for 特级技师/首席技师 (registry assumption, configurable)."""
    return _years_since(f, top=True)


def not_already_held(f: EligibilityFacts) -> Verdict:
    """The candidate does not already hold this grade or a higher one in the occupation."""
    higher = [g for g, _ in f.held if grades.at_least(g, f.target)]
    if higher:
        top = max(higher, key=grades.ordinal)
        return failed(f"已持有本职业{grades.info(top).name_zh}", f"already holds {top.value} in this occupation")
    return passed("未持有该等级", "does not hold the grade yet")


def recusal(f: EligibilityFacts) -> Verdict:
    """No assessor assesses themself, nor (when the batch requires it) a colleague of their own employer (回避)."""
    if f.candidate_person_id in f.staff_person_ids:
        return failed("考生是本批次考评人员，须回避", "the candidate is one of the batch's assessors (recusal)")
    if f.recusal_same_employer and {e.employer_uscc for e in f.employments} & f.staff_home_usccs:
        return failed(
            "考生与考评员同属一个单位，本批次要求回避", "the candidate works where an assessor works (recusal)"
        )
    return passed("无回避情形", "no conflict of interest")


CHAIN_STAFF = Citation("001:46", "为产业链用工企业员工提供职业技能等级认定")

ELIGIBILITY_RULES: RuleSet[EligibilityFacts] = RuleSet(
    "eligibility",
    RULESET_VERSION,
    [
        Rule(
            "ELIG-SCOPE",
            "备案范围",
            "filing scope",
            "批次的职业和等级须在机构已批准、未过期的备案范围内",
            "the batch's occupation and grade are within the body's approved, unexpired filing",
            registry_rule(),
            in_scope,
        ),
        Rule(
            "ELIG-EMPLOYMENT",
            "考生来源",
            "who may be assessed",
            "用人单位评价本单位职工（含符合条件的劳务派遣等用工人员）",
            "an employer assesses its own staff, dispatched workers included",
            in_force("002:22", "自主开展职工(含符合条件的劳务派遣等用工人员)职业技能等级评价", CHAIN_STAFF),
            employment,
        ),
        Rule(
            "ELIG-CHAIN",
            "生态链评价对象",
            "chain body candidates",
            "生态链评价机构为产业链用工企业员工开展认定",
            "a chain evaluation body assesses the staff of its chain's member enterprises",
            draft("001:46", "为产业链用工企业员工提供职业技能等级认定"),
            chain_staff,
        ),
        Rule(
            "ELIG-PREREQUISITE",
            "逐级申报",
            "grade by grade",
            "报考者须已持有本职业低一级的等级（初级工、学徒工除外）",
            "a candidate holds the grade directly below in the occupation (none needed for junior or apprentice)",
            outside("Regular-path application conditions (申报条件"),
            prerequisite,
        ),
        Rule(
            "ELIG-YEARS",
            "申报年限",
            "years since the prerequisite",
            "取得前置等级后须满规定年限（默认中级工2年、高级工4年、技师4年、高级技师4年，可配置）",
            "enough years since the prerequisite grade (defaults: intermediate 2, senior 4, technician 4, "
            "senior technician 4; configurable)",
            outside("keep them as per-occupation configuration with these defaults"),
            years_since,
        ),
        Rule(
            "ELIG-YEARS-TOP",
            "特级、首席技师申报年限",
            "years before special/chief technician",
            "报考特级技师、首席技师须取得前置等级满规定年限（默认2年，为登记系统的假设，可配置）",
            "enough years since the prerequisite before special or chief technician (default 2, the registry's "
            "assumption; configurable)",
            registry_rule(),
            years_since_top,
        ),
        Rule(
            "ELIG-NOT-HELD",
            "未持有该等级",
            "not already held",
            "已持有本职业该等级或更高等级者不再报考",
            "a candidate does not already hold this grade or a higher one in the occupation",
            registry_rule(),
            not_already_held,
        ),
        Rule(
            "ELIG-RECUSAL",
            "考评回避",
            "recusal",
            "考评人员不评价本人，批次要求时也不评价同单位人员（回避）",
            "no assessor assesses themself, nor a colleague when the batch requires it (recusal)",
            outside("avoidance/recusal (回避)"),
            recusal,
        ),
    ],
)
