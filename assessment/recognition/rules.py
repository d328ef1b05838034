"""Direct-recognition rules, pure: one decision per application, citing the clause of each path.

Grade-skipping (more than one grade above the highest held in the occupation) is allowed under DR-E with the
等级 waiver claimed and justified (002:22 "可打破工作年限、等级、资历等条件") and under DR-D (draft 001:46
"不受逐级评价的限制"); DR-A (000:47) waives 学历、资历、年龄、比例, not 等级. No path exceeds the filing ceiling
(a registry rule). DR-C, DR-D and DR-G rest on the draft document 001: where it is not in force, a registry
baseline rule refuses them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from registry import grades
from registry.filings.rules import dr_d_body
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
    passed,
    registry_rule,
)

RULESET_VERSION = "recognition/2026.11-2"
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
DRAFT_PATHS = frozenset({"DR-C", "DR-D", "DR-G"})


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
    justified: frozenset[str] = frozenset()  # waivers claimed with a written justification

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
    """An approved, unexpired filing covers the occupation at the target grade (DR-G: REC-DR-G-FILING)."""
    if f.path == "DR-G":
        return not_applicable("竞赛晋升的备案要求见 REC-DR-G-FILING", "see REC-DR-G-FILING for DR-G")
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
    """Enterprises recognise their own staff (002:22); chain bodies their chain's (001:46, draft)."""
    if f.path == "DR-G":
        return not_applicable("竞赛晋升的单位要求见 REC-DR-G-FILING", "see REC-DR-G-FILING for DR-G")
    if f.employed:
        return passed("申请人为本单位（或产业链企业）职工", "the worker is the body's (or its chain's) staff")
    return failed("只能直接认定本单位职工", "a body may directly recognise only its own staff")


def evidence(f: RecognitionFacts) -> Verdict:
    """Every recognition carries evidence (the registry's rule: the clauses only say 按规定)."""
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
    """At most one grade above the highest held (逐级), unless DR-E claims and justifies the 等级 waiver
    (002:22) or DR-D applies (draft 001:46)."""
    if f.path == "DR-D" and f.draft_in_force:
        return not_applicable(
            "DR-D 不受逐级评价的限制（001:46，征求意见稿）", "DR-D is not bound to grade-by-grade (draft 001:46)"
        )
    if grades.ordinal(f.target) <= grades.ordinal(f.next_grade):
        return passed("未越级", "no grade skipped")
    held = _zh(f.highest) if f.highest else "无"
    held_en = f.highest.value if f.highest else "none"
    skipped = grades.ordinal(f.target) - grades.ordinal(f.next_grade)
    if f.path == "DR-E":
        if "grade" in f.waived and "grade" in f.justified:
            return passed(
                f"DR-E 已申明并说明突破“等级”条件（002:22），越{skipped}级认定{_zh(f.target)}",
                f"DR-E claims and justifies the grade waiver (002:22): skips {skipped} grade(s) to {f.target.value}",
                skipped=skipped,
            )
        if "grade" in f.waived:
            return failed(
                "DR-E 越级认定须在申请中说明突破“等级”条件的理由",
                "a DR-E grade skip needs a written justification of the grade waiver",
            )
        return failed(
            f"越级认定：现持有{held}，最高只能认定{_zh(f.next_grade)}；DR-E 越级须申明并说明突破“等级”条件（002:22）",
            f"grade skipping: holds {held_en}, at most {f.next_grade.value}; a DR-E skip needs the grade waiver, "
            "claimed and justified (002:22)",
        )
    return failed(
        f"越级认定：现持有{held}，最高只能认定{_zh(f.next_grade)}；{f.path} 不能突破“等级”条件"
        "（越级仅限 DR-E 申明并说明突破等级条件，002:22；或 DR-D，001:46 征求意见稿）",
        f"grade skipping: holds {held_en}, at most {f.next_grade.value}; {f.path} cannot waive the grade "
        "condition (only DR-E with the grade waiver, 002:22, or DR-D, draft 001:46, may skip)",
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
    """DR-C, DR-D and DR-G rest on the draft document 001; refused where it is not in force."""
    if f.path not in DRAFT_PATHS:
        return not_applicable("路径依据现行文件", "the path rests on documents in force")
    if f.draft_in_force:
        return passed("本辖区启用 001 条款", "document 001 applies in this jurisdiction")
    return failed(
        f"{f.path} 的依据仅见于征求意见稿 001，本辖区未启用",
        f"{f.path} rests only on the draft 001, not in force here",
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
    if not dr_d_body(kind=f.body_kind, is_manufacturing=f.is_manufacturing, is_large=f.is_large, is_listed=f.is_listed):
        return failed(
            "DR-D 仅限经备案的制造业大型企业、制造业上市公司、产教评技能生态链评价机构",
            "DR-D is for large manufacturers, listed manufacturers and chain evaluation bodies",
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
    """DR-E (002:22): qualifying enterprises recognise outstanding staff, waiving 工作年限、等级、资历 if justified."""
    if f.path != "DR-E":
        return not_applicable("非 DR-E", "not DR-E")
    if f.body_kind not in ENTERPRISES:
        return failed("DR-E 由企业认定", "DR-E recognitions are made by enterprises")
    return passed("符合 DR-E：表现突出职工直接认定", "DR-E: outstanding staff")


def path_g(f: RecognitionFacts) -> Verdict:
    """DR-G (draft 001:36): competition winners are promoted one grade, up to the table's cap.

    In-force 003:745-749 only asks enterprises to favour prize winners for promotion and pay at work.
    """
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


def competition_filing(f: RecognitionFacts) -> Verdict:
    """DR-G is recorded by the winner's employer under its approved filing (the registry's rule, not 001:36's)."""
    if f.path != "DR-G":
        return not_applicable("非 DR-G", "not DR-G")
    if not f.employed:
        return failed("竞赛晋升由获奖者所在单位登记（登记系统规则）", "the winner's own employer records the promotion")
    if not f.in_scope:
        return failed(
            "竞赛晋升须在所在单位已批准的备案范围内登记（登记系统规则，001:36 未规定备案）",
            "the promotion must fall within the employer's approved filing (registry rule; 001:36 names no filing)",
        )
    return passed("由所在单位在备案范围内登记", "recorded by the employer within its approved filing")


D44_DR_C = Citation("001:44", "对技师和高级技师采取直接认定方式开展评价")
D46_SKIP = Citation("001:46", "不受逐级评价的限制")
D36_PROMOTION = Citation("001:36", "晋升职业技能等级")
E22_WAIVERS = Citation("002:22", "可打破工作年限、等级、资历等条件")
E47_WAIVERS = Citation("000:47", "可打破学历、资历、年龄、比例等限制")
E47_DR_A = "由企业按规定直接认定高级工以上职业技能等级"

RECOGNITION_RULES: RuleSet[RecognitionFacts] = RuleSet(
    "recognition",
    RULESET_VERSION,
    [
        Rule(
            "REC-BODY-ACTIVE",
            "机构状态正常",
            "body active",
            "被暂停或被取消评价资质的机构不能直接认定",
            "a suspended body, or one whose evaluation qualification was cancelled, may not recognise",
            in_force("002:27", "要依法取消培训和评价资质"),
            body_active,
        ),
        Rule(
            "REC-SCOPE",
            "备案范围",
            "filing scope",
            "直接认定须在机构已批准、未过期的备案范围内",
            "a recognition falls within the body's approved, unexpired filing",
            registry_rule(),
            scope,
        ),
        Rule(
            "REC-CEILING",
            "不超过备案上限",
            "within the filing ceiling",
            "任何路径都不超过备案上限",
            "no path goes above the filing ceiling",
            registry_rule(),
            ceiling,
        ),
        Rule(
            "REC-EMPLOYED",
            "本单位职工",
            "the body's staff",
            "企业直接认定本单位职工（生态链评价机构：产业链企业员工，001:46 征求意见稿）",
            "an enterprise recognises its own staff (a chain body: its chain's staff, draft 001:46)",
            in_force(
                "002:22",
                "支持符合条件的企业自主开展职工",
                Citation("001:46", "为产业链用工企业员工提供职业技能等级认定"),
            ),
            employed,
        ),
        Rule(
            "REC-EVIDENCE",
            "证明材料",
            "evidence",
            "每项直接认定须附证明材料",
            "every recognition carries evidence",
            registry_rule(),
            evidence,
        ),
        Rule(
            "REC-NOT-HELD",
            "未持有目标等级",
            "not already held",
            "不直接认定已持有的等级或更低等级",
            "no recognition of a grade the worker already holds, or a lower one",
            registry_rule(),
            not_held,
        ),
        Rule(
            "REC-SEQUENTIAL",
            "逐级认定",
            "grade by grade",
            "直接认定最多比现持有等级高一级；DR-E 申明并说明突破“等级”条件（002:22）或 DR-D（001:46，征求意见稿）除外",
            "at most one grade above the highest held, unless DR-E claims and justifies the grade waiver (002:22) "
            "or DR-D applies (draft 001:46)",
            registry_rule(E22_WAIVERS, D46_SKIP),
            sequential,
        ),
        Rule(
            "REC-TRIGGERS",
            "认定事由与突破限制",
            "triggers and waivers",
            "认定事由和突破的限制只能是该路径条款所列的",
            "a path claims only the triggers and waived restrictions its own clause names",
            registry_rule(E47_WAIVERS, Citation("001:44", "打破学历、资历、年龄、比例等限制"), D46_SKIP, E22_WAIVERS),
            triggers_and_waivers,
        ),
        Rule(
            "REC-DRAFT-BASIS",
            "征求意见稿依据",
            "basis in the draft",
            "征求意见稿 001 未启用时，DR-C、DR-D、DR-G 没有依据",
            "where the draft 001 is off, DR-C, DR-D and DR-G have no basis",
            registry_rule(D44_DR_C, D46_SKIP, D36_PROMOTION),
            draft_basis,
        ),
        Rule(
            "REC-DR-A",
            "DR-A 高级工以上直接认定",
            "DR-A",
            "企业对解决重大工艺技术难题等的技能人才直接认定高级工以上等级（可打破学历、资历、年龄、比例）",
            "enterprises recognise senior and above for T1–T4, waiving education, seniority, age and quota",
            in_force("000:47", E47_DR_A),
            path_a,
        ),
        Rule(
            "REC-DR-C",
            "DR-C 技师高级技师直接认定",
            "DR-C",
            "备案制造业企业按综合指标直接认定技师、高级技师",
            "filed manufacturers recognise technician and senior technician by composite review",
            draft("001:44", "对技师和高级技师采取直接认定方式开展评价"),
            path_c,
        ),
        Rule(
            "REC-DR-D",
            "DR-D 各等级直接认定",
            "DR-D",
            "制造业大型企业、制造业上市公司、生态链评价机构对等级设置完整的职业各等级直接认定，不受逐级限制",
            "large manufacturers, listed manufacturers and chain bodies recognise every grade of complete "
            "occupations, not bound to grade-by-grade",
            draft("001:46", "自主对各等级直接认定，不受逐级评价的限制"),
            path_d,
        ),
        Rule(
            "REC-DR-E",
            "DR-E 表现突出职工",
            "DR-E",
            "符合条件的企业对表现突出的职工直接认定相应等级，可打破工作年限、等级、资历条件",
            "qualifying enterprises recognise outstanding staff, waiving years of work, grade and seniority",
            in_force("002:22", "对表现突出的职工,可打破工作年限、等级、资历等条件,直接认定相应职业技能等级"),
            path_e,
        ),
        Rule(
            "REC-DR-G",
            "DR-G 竞赛晋升",
            "DR-G",
            "职业技能竞赛获奖选手晋升一级，最高至竞赛晋升对照表的上限（现行 003:745-749 只要求企业优先晋升和提薪）",
            "competition winners are promoted one grade, up to the table's cap (in-force 003:745-749 only asks "
            "enterprises to favour winners for promotion and pay)",
            draft(
                "001:36",
                "获奖选手按规定授予“广东技术能手”荣誉称号，晋升职业技能等级",
                Citation("003:745-749", "对职业技能竞赛的获奖选手，推动企业制订和落实相应待遇，优先予以晋升和提薪"),
            ),
            path_g,
        ),
        Rule(
            "REC-DR-G-FILING",
            "竞赛晋升的登记单位",
            "who records a competition promotion",
            "竞赛晋升由获奖者所在单位在其已批准的备案范围内登记（登记系统规则，001:36 未规定备案）",
            "a competition promotion is recorded by the winner's employer within its approved filing (registry "
            "rule; 001:36 names no filing)",
            registry_rule(D36_PROMOTION),
            competition_filing,
        ),
    ],
)
