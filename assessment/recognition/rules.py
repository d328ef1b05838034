"""Direct-recognition rules, pure: one decision per application, citing the clause of each path.

Grade-skipping (more than one grade above the highest held in the occupation) is allowed only under DR-D
(001:46 "不受逐级评价的限制"); no path exceeds the filing ceiling (001:44). DR-C and DR-D rest on the draft
document 001: where it is not in force an in-force baseline rule refuses them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from registry import grades
from registry.grades import GradeCode
from registry.rules import Provenance, Rule, RuleSet, Verdict, failed, not_applicable, passed

RULESET_VERSION = "recognition/2026.11-1"
ENTERPRISES = frozenset({"employer", "chain_body"})
DR_D_METHODS = frozenset({"skill_operation", "performance_review", "process_assessment"})
PATH_TRIGGERS = {
    "DR-A": frozenset({"T1", "T2", "T3", "T4"}),
    "DR-C": frozenset({"T5"}),
    "DR-D": frozenset({"T8"}),
    "DR-E": frozenset({"T6"}),
    "DR-G": frozenset({"T7"}),
}
PATH_WAIVERS = {
    "DR-A": frozenset({"education", "seniority", "age", "quota"}),  # 000:47
    "DR-C": frozenset({"education", "seniority", "age", "quota"}),  # 001:44
    "DR-D": frozenset({"sequential"}),  # 001:46
    "DR-E": frozenset({"work_years", "grade", "seniority"}),  # 002:22
    "DR-G": frozenset(),
}
PATH_SOURCES = {"DR-A": "000:47", "DR-C": "001:44", "DR-D": "001:46", "DR-E": "002:22", "DR-G": "003:745"}


@dataclass(frozen=True)
class RecognitionFacts:
    """Everything the recognition rules read."""

    path: str
    body_kind: str
    body_status: str
    is_manufacturing: bool
    is_large: bool
    is_listed: bool
    target: GradeCode
    ceiling: GradeCode | None  # of the approved filing covering the occupation, if any
    in_scope: bool
    line_allows_any_level: bool
    occupation_complete: bool
    held: tuple[tuple[GradeCode, dt.date], ...]
    triggers: frozenset[str]
    waived: frozenset[str]
    evidence_count: int
    methods: frozenset[str]
    employed: bool  # by the body, or (chain body, draft in force) by a chain member
    competition_cap: GradeCode | None  # the promotion cap the competition table gives, None if no match
    has_competition: bool
    draft_in_force: bool

    @property
    def highest(self) -> GradeCode | None:
        """The highest grade held in the occupation."""
        return max((g for g, _ in self.held), key=grades.ordinal, default=None)

    @property
    def next_grade(self) -> GradeCode:
        """One grade above the highest held (初级工 for someone holding none)."""
        top = self.highest
        if top is None:
            return GradeCode.JUNIOR
        return grades.LADDER[min(grades.ordinal(top), len(grades.LADDER) - 1)].code


def _zh(code: GradeCode) -> str:
    return grades.info(code).name_zh


def scope(f: RecognitionFacts) -> Verdict:
    """An approved, unexpired filing covers the occupation at the target grade."""
    if not f.in_scope:
        return failed("目标等级不在机构有效备案范围内", "the target grade is outside the body's approved filing")
    return passed("在备案范围内", "within the approved filing")


def ceiling(f: RecognitionFacts) -> Verdict:
    """Never above the filing ceiling."""
    if f.ceiling is None:
        return failed("机构没有有效备案", "the body has no approved filing")
    if grades.ordinal(f.target) > grades.ordinal(f.ceiling):
        return failed(
            f"目标等级{_zh(f.target)}超过备案上限{_zh(f.ceiling)}",
            f"{f.target.value} is above the filing ceiling {f.ceiling.value}",
        )
    return passed("不超过备案上限", "within the filing ceiling")


def body_active(f: RecognitionFacts) -> Verdict:
    """The body is active."""
    return (
        passed("机构状态正常", "body active")
        if f.body_status == "active"
        else failed(f"机构状态为 {f.body_status}", f"the body is {f.body_status}")
    )


def employed(f: RecognitionFacts) -> Verdict:
    """Enterprises recognise their own staff (002:22); chain bodies their chain's (001:46)."""
    if f.employed:
        return passed("申请人为本单位（或产业链企业）职工", "the worker is the body's (or its chain's) staff")
    return failed("只能直接认定本单位职工", "a body may directly recognise only its own staff")


def evidence(f: RecognitionFacts) -> Verdict:
    """Every recognition carries evidence (“按规定”, 000:47)."""
    if f.evidence_count:
        return passed(f"附证明材料{f.evidence_count}份", f"{f.evidence_count} pieces of evidence")
    return failed("须提供证明材料", "evidence is required")


def not_held(f: RecognitionFacts) -> Verdict:
    """The worker does not already hold the target grade or above."""
    top = f.highest
    if top is not None and grades.at_least(top, f.target):
        return failed(f"已持有{_zh(top)}", f"already holds {top.value}")
    return passed("未持有目标等级", "does not hold the target grade")


def sequential(f: RecognitionFacts) -> Verdict:
    """Outside DR-D (where it is in force), the target is at most one grade above the highest held (逐级)."""
    if f.path == "DR-D" and f.draft_in_force:
        return not_applicable("DR-D 不受逐级评价的限制（001:46）", "DR-D is not bound to grade-by-grade (001:46)")
    if grades.ordinal(f.target) <= grades.ordinal(f.next_grade):
        return passed("未越级", "no grade skipped")
    held = _zh(f.highest) if f.highest else "无"
    return failed(
        f"越级认定：现持有{held}，最高只能认定{_zh(f.next_grade)}；越级仅限 DR-D（001:46）",
        f"grade skipping: holds {f.highest.value if f.highest else 'none'}, at most {f.next_grade.value}; "
        "only DR-D may skip grades (001:46)",
    )


def triggers_and_waivers(f: RecognitionFacts) -> Verdict:
    """Triggers and waived restrictions belong to the path (§3.1–§3.3)."""
    allowed_triggers = PATH_TRIGGERS[f.path]
    allowed_waivers = PATH_WAIVERS[f.path]
    bad_triggers = sorted(f.triggers - allowed_triggers)
    bad_waivers = sorted(f.waived - allowed_waivers)
    if not f.triggers & allowed_triggers:
        return failed(
            f"{f.path} 须说明认定事由：{', '.join(sorted(allowed_triggers))}",
            f"{f.path} needs one of the triggers {', '.join(sorted(allowed_triggers))}",
        )
    if bad_triggers or bad_waivers:
        return failed(
            f"{f.path} 不适用的事由 {bad_triggers or '无'} 或突破限制 {bad_waivers or '无'}",
            f"{f.path} does not allow triggers {bad_triggers or 'none'} or waivers {bad_waivers or 'none'}",
            allowed_waivers=sorted(allowed_waivers),
        )
    return passed("认定事由与突破限制符合该路径", "triggers and waivers fit the path")


def draft_basis(f: RecognitionFacts) -> Verdict:
    """DR-C and DR-D rest on the draft document 001; refused where it is not in force."""
    if f.path not in {"DR-C", "DR-D"}:
        return not_applicable("路径依据现行文件", "the path rests on documents in force")
    if f.draft_in_force:
        return passed("本辖区启用 001 条款", "document 001 applies in this jurisdiction")
    return failed(
        f"{f.path} 的依据仅见于征求意见稿 001，本辖区未启用", f"{f.path} rests only on the draft 001, not in force here"
    )


def path_a(f: RecognitionFacts) -> Verdict:
    """DR-A (000:47): enterprises recognise 高级工 and above for T1–T4."""
    if f.path != "DR-A":
        return not_applicable("非 DR-A", "not DR-A")
    if f.body_kind not in ENTERPRISES:
        return failed("DR-A 由企业认定", "DR-A recognitions are made by enterprises")
    if not grades.at_least(f.target, GradeCode.SENIOR):
        return failed("DR-A 只能直接认定高级工以上", "DR-A recognises senior and above only")
    return passed("符合 DR-A：高级工以上直接认定", "DR-A: senior and above")


def path_c(f: RecognitionFacts) -> Verdict:
    """DR-C (001:44): filed manufacturers recognise 技师 and 高级技师 by composite review."""
    if f.path != "DR-C":
        return not_applicable("非 DR-C", "not DR-C")
    if f.body_kind not in ENTERPRISES or not f.is_manufacturing:
        return failed("DR-C 仅限备案制造业企业", "DR-C is for filed manufacturing enterprises")
    if f.target not in {GradeCode.TECHNICIAN, GradeCode.SENIOR_TECHNICIAN}:
        return failed("DR-C 只能认定技师、高级技师", "DR-C recognises technician and senior technician only")
    return passed("符合 DR-C", "DR-C applies")


def path_d(f: RecognitionFacts) -> Verdict:
    """DR-D (001:46): large manufacturers, listed companies, chain bodies; complete occupations; every grade."""
    if f.path != "DR-D":
        return not_applicable("非 DR-D", "not DR-D")
    if not ((f.is_manufacturing and f.is_large) or f.is_listed or f.body_kind == "chain_body"):
        return failed(
            "DR-D 仅限经备案的制造业大型企业、上市公司、产教评技能生态链评价机构",
            "DR-D is for large manufacturers, listed companies and chain evaluation bodies",
        )
    if not f.occupation_complete:
        return failed("DR-D 仅适用于职业技能等级设置完整的职业", "DR-D needs an occupation with a complete ladder")
    if not f.line_allows_any_level:
        return failed("备案未申请该职业的各等级直接认定", "the filing line does not include direct recognition")
    if not f.methods or f.methods - DR_D_METHODS:
        return failed(
            "DR-D 认定方式为技能操作考核、工作业绩评审、过程考核",
            "DR-D methods: skill_operation, performance_review, process_assessment",
        )
    return passed("符合 DR-D：各等级直接认定，不受逐级限制", "DR-D: every grade, not bound to grade-by-grade")


def path_e(f: RecognitionFacts) -> Verdict:
    """DR-E (002:22): qualifying enterprises recognise outstanding staff."""
    if f.path != "DR-E":
        return not_applicable("非 DR-E", "not DR-E")
    if f.body_kind not in ENTERPRISES:
        return failed("DR-E 由企业认定", "DR-E recognitions are made by enterprises")
    return passed("符合 DR-E：表现突出职工直接认定", "DR-E: outstanding staff")


def path_g(f: RecognitionFacts) -> Verdict:
    """DR-G (001:36, 003:745): competition winners are promoted one grade, up to the table's cap."""
    if f.path != "DR-G":
        return not_applicable("非 DR-G", "not DR-G")
    if not f.has_competition:
        return failed("DR-G 须提供竞赛名称、级别、名次", "DR-G needs the competition, tier and rank")
    if f.competition_cap is None:
        return failed("该竞赛级别和名次不在晋升对照表中", "the tier and rank earn no promotion in the table")
    if f.target != f.next_grade:
        return failed(
            f"竞赛晋升为晋升一级：应认定{_zh(f.next_grade)}", f"a competition promotes one grade: {f.next_grade.value}"
        )
    if grades.ordinal(f.target) > grades.ordinal(f.competition_cap):
        return failed(
            f"该名次最高晋升至{_zh(f.competition_cap)}", f"this result promotes up to {f.competition_cap.value}"
        )
    return passed("符合竞赛晋升", "competition promotion applies")


RECOGNITION_RULES: RuleSet[RecognitionFacts] = RuleSet(
    "recognition",
    RULESET_VERSION,
    [
        Rule("REC-BODY-ACTIVE", "机构状态正常", "body active", "002:27", Provenance.IN_FORCE, body_active),
        Rule("REC-SCOPE", "备案范围", "filing scope", "001:44", Provenance.IN_FORCE, scope),
        Rule("REC-CEILING", "不超过备案上限", "within the filing ceiling", "001:44", Provenance.IN_FORCE, ceiling),
        Rule("REC-EMPLOYED", "本单位职工", "the body's staff", "002:22", Provenance.IN_FORCE, employed),
        Rule("REC-EVIDENCE", "证明材料", "evidence", "000:47", Provenance.IN_FORCE, evidence),
        Rule("REC-NOT-HELD", "未持有目标等级", "not already held", "001:44", Provenance.IN_FORCE, not_held),
        Rule("REC-SEQUENTIAL", "逐级认定", "grade by grade", "001:46", Provenance.IN_FORCE, sequential),
        Rule(
            "REC-TRIGGERS",
            "认定事由与突破限制",
            "triggers and waivers",
            "000:47",
            Provenance.IN_FORCE,
            triggers_and_waivers,
        ),
        Rule("REC-DRAFT-BASIS", "征求意见稿依据", "basis in the draft", "001:44", Provenance.IN_FORCE, draft_basis),
        Rule("REC-DR-A", "DR-A 高级工以上直接认定", "DR-A", "000:47", Provenance.IN_FORCE, path_a),
        Rule("REC-DR-C", "DR-C 技师高级技师直接认定", "DR-C", "001:44", Provenance.DRAFT, path_c),
        Rule("REC-DR-D", "DR-D 各等级直接认定", "DR-D", "001:46", Provenance.DRAFT, path_d),
        Rule("REC-DR-E", "DR-E 表现突出职工", "DR-E", "002:22", Provenance.IN_FORCE, path_e),
        Rule("REC-DR-G", "DR-G 竞赛晋升", "DR-G", "003:745", Provenance.IN_FORCE, path_g),
    ],
)
