"""Award rules, pure: who may be appointed to a post (评聘); imports registry.rules and registry.grades only."""

from __future__ import annotations

from dataclasses import dataclass

from registry import grades
from registry.grades import GradeCode
from registry.rules import Citation, Rule, RuleSet, Verdict, failed, passed, registry_rule

RULESET_VERSION = "appointment/2026.11-1"


@dataclass(frozen=True)
class AppointmentFacts:
    """What the appointment rule reads: the post's grade and the highest active grade held in the occupation."""

    post_grade: GradeCode
    highest_held: GradeCode | None


def holds_post_grade(f: AppointmentFacts) -> Verdict:
    """An appointee holds an active award of the post's grade or above in the occupation (评聘: 先评后聘)."""
    post = grades.info(f.post_grade).name_zh
    if f.highest_held is not None and grades.at_least(f.highest_held, f.post_grade):
        return passed(
            f"持有{grades.info(f.highest_held).name_zh}，可聘任{post}岗位",
            f"holds {f.highest_held.value}: may be appointed to a {f.post_grade.value} post",
        )
    return failed(
        f"聘任{post}岗位须持有该职业{post}及以上等级",
        f"a {f.post_grade.value} post needs an active award of that grade or above in the occupation",
    )


APPOINTMENT_RULES: RuleSet[AppointmentFacts] = RuleSet(
    "appointment",
    RULESET_VERSION,
    [
        Rule(
            "AWD-APPOINTMENT-GRADE",
            "评聘须持有相应等级",
            "appointees hold the post's grade",
            "聘任到某等级岗位者须持有本职业该等级或更高等级（先评后聘）；"
            "没有条款这样规定，004:288 只规定受聘者的工资福利待遇",
            "an appointee holds an active award of the post's grade or above in the occupation (assessed, then "
            "appointed); no clause says so — 004:288 only sets appointees' pay and benefits",
            registry_rule(Citation("004:288", "享受与本单位助理工程师、工程师、高级工程师相当的工资福利待遇")),
            holds_post_grade,
        )
    ],
)
