"""Filing rules (DESIGN.md §4), pure: facts in, Decision out; imports registry.rules and registry.grades only.

Draft provisions of document 001 that permit something (特级/首席 ceilings, 岗位等级 of the enterprise's own,
direct recognition of every level) are paired with registry baseline rules that refuse it where the draft is
not in force, so switching the draft off narrows what is allowed and never widens it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

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

RULESET_VERSION = "filing/2026.11-2"


class EvaluationMethod(StrEnum):
    """Evaluation methods a scope line may use (the registry's vocabulary; 001:46 names the first three)."""

    SKILL_OPERATION = "skill_operation"  # 技能操作考核 (001:46)
    PERFORMANCE_REVIEW = "performance_review"  # 工作业绩评审 (001:46)
    PROCESS_ASSESSMENT = "process_assessment"  # 过程考核 (001:46)
    THEORY_EXAM = "theory_exam"  # 理论知识考试 (national standards)
    COMPREHENSIVE_REVIEW = "comprehensive_review"  # 综合评审 (technician and above)
    COMPETITION = "competition"  # 竞赛评价 (001:38 竞赛评价体系)


METHOD_ZH = {
    EvaluationMethod.SKILL_OPERATION: "技能操作考核",
    EvaluationMethod.PERFORMANCE_REVIEW: "工作业绩评审",
    EvaluationMethod.PROCESS_ASSESSMENT: "过程考核",
    EvaluationMethod.THEORY_EXAM: "理论知识考试",
    EvaluationMethod.COMPREHENSIVE_REVIEW: "综合评审",
    EvaluationMethod.COMPETITION: "竞赛评价",
}

ENTERPRISE_KINDS = frozenset({"employer", "chain_body"})
NATIONAL_TOP = GradeCode.SENIOR_TECHNICIAN


@dataclass(frozen=True)
class BodyFacts:
    """What the rules know of the filing body."""

    kind: str
    status: str
    is_manufacturing: bool = False
    is_large: bool = False
    is_listed: bool = False
    is_chain_lead: bool = False
    is_industry_leader: bool = False
    qualified_special: bool = False


@dataclass(frozen=True)
class OccupationFacts:
    """What the rules know of an occupation: the national levels its standard defines."""

    code: str
    name_zh: str
    levels: tuple[int, ...]

    @property
    def complete(self) -> bool:
        """Whether every level 五级…一级 is defined (职业技能等级设置完整)."""
        return self.levels == grades.COMPLETE_LEVELS


@dataclass(frozen=True)
class LineFacts:
    """One scope line of the programme."""

    position: int
    occupation_code: str
    occupation: OccupationFacts | None  # None when the code is not in the catalogue
    max_grade: GradeCode
    methods: tuple[str, ...]
    post_grade_targets: tuple[GradeCode, ...] = ()  # national grades the enterprise's own post grades map to
    direct_recognition: bool = False

    @property
    def label(self) -> str:
        """How messages name this line."""
        name = self.occupation.name_zh if self.occupation else "?"
        return f"#{self.position + 1} {self.occupation_code} {name}"


@dataclass(frozen=True)
class FilingFacts:
    """Everything the filing rules read."""

    body: BodyFacts
    ceiling: GradeCode
    lines: tuple[LineFacts, ...]
    draft_in_force: bool


def _zh(code: GradeCode) -> str:
    return grades.info(code).name_zh


def body_active(f: FilingFacts) -> Verdict:
    """The body is active: not suspended, its 评价资质 not revoked."""
    if f.body.status == "active":
        return passed("机构状态正常", "the body is active")
    return failed(f"机构状态为 {f.body.status}，不能提交备案", f"the body is {f.body.status} and may not file")


def ceiling_national(f: FilingFacts) -> Verdict:
    """Without the draft 001:44, no ceiling above 高级技师 (the top national level 一级).

    In-force 000:47 and 003:714 name 特级技师 and 首席技师, but neither sets a filing ceiling; only the draft
    001:44 lets an enterprise file up to them.
    """
    if grades.ordinal(f.ceiling) <= grades.ordinal(NATIONAL_TOP):
        return passed(f"备案上限{_zh(f.ceiling)}不超过高级技师", f"ceiling {f.ceiling} is within the national levels")
    if f.draft_in_force:
        return not_applicable(
            "特级技师、首席技师上限由 001:44（征求意见稿）条款判断",
            "special/chief ceilings are decided by the draft 001:44",
        )
    return failed(
        f"现行文件 000:47、003:714 提到特级技师、首席技师，但均未规定备案上限；备案到{_zh(f.ceiling)}的依据"
        "仅见于征求意见稿 001:44，本辖区未启用",
        f"in-force 000:47 and 003:714 name special and chief technicians but set no filing ceiling; a "
        f"{f.ceiling} ceiling rests only on the draft 001:44, not in force in this jurisdiction",
    )


def ceiling_special(f: FilingFacts) -> Verdict:
    """特级技师 needs a qualifying enterprise (符合条件的企业, set by the regulator)."""
    if grades.ordinal(f.ceiling) < grades.ordinal(GradeCode.SPECIAL_TECHNICIAN):
        return not_applicable("上限低于特级技师", "ceiling below special technician")
    if f.body.kind not in ENTERPRISE_KINDS:
        return failed("只有企业可备案到特级技师", "only enterprises may file up to special technician")
    if not f.body.qualified_special:
        return failed(
            "机构未被认定为可备案到特级技师的“符合条件的企业”",
            "the body is not recognised as a qualifying enterprise for special technician",
        )
    return passed("符合条件的企业可备案到特级技师", "qualifying enterprise may file up to special technician")


def ceiling_chief(f: FilingFacts) -> Verdict:
    """首席技师 needs a qualifying enterprise that is also a chain lead (链主) or industry leader (龙头)."""
    if f.ceiling != GradeCode.CHIEF_TECHNICIAN:
        return not_applicable("上限不是首席技师", "ceiling is not chief technician")
    if not f.body.qualified_special:
        return failed("备案到首席技师须为“符合条件的企业”", "a chief-technician ceiling needs a qualifying enterprise")
    if not (f.body.is_chain_lead or f.body.is_industry_leader):
        return failed(
            "备案到首席技师须为产教评技能生态链链主企业或行业龙头企业",
            "a chief-technician ceiling needs a chain-lead or industry-leading enterprise",
        )
    return passed("链主/龙头企业可备案到首席技师", "chain lead or industry leader may file up to chief technician")


def ceiling_social(f: FilingFacts) -> Verdict:
    """Social organisations and schools never above 高级技师: 特级/首席 are enterprise posts."""
    if f.body.kind in ENTERPRISE_KINDS:
        return not_applicable("机构为企业", "the body is an enterprise")
    if grades.ordinal(f.ceiling) <= grades.ordinal(NATIONAL_TOP):
        return passed("上限不超过高级技师", "ceiling within senior technician")
    return failed(
        "社会培训评价组织和院校不能备案到特级技师或首席技师（企业岗位）",
        "social organisations and schools may not file special or chief technician (enterprise posts)",
    )


def scope_present(f: FilingFacts) -> Verdict:
    """The programme names at least one occupation (自主确定…职业（工种）范围)."""
    if f.lines:
        return passed(f"备案范围含 {len(f.lines)} 个职业（工种）", f"scope has {len(f.lines)} lines")
    return failed("备案范围不能为空", "the scope must name at least one occupation")


def scope_occupation(f: FilingFacts) -> Verdict:
    """Every line's occupation is in the national catalogue."""
    missing = [line.occupation_code for line in f.lines if line.occupation is None]
    if missing:
        return failed(
            f"职业目录中没有：{', '.join(missing)}", f"not in the catalogue: {', '.join(missing)}", occupations=missing
        )
    return passed("所有职业均在职业目录中", "every occupation is in the catalogue")


def _level_defined(line: LineFacts) -> bool:
    occupation = line.occupation
    if occupation is None:
        return False
    level = grades.info(line.max_grade).national_level
    if level is not None:
        return level in occupation.levels
    if line.max_grade == GradeCode.APPRENTICE:
        return True  # 学徒工 is enterprise-internal: no national level to define
    return 1 in occupation.levels  # 特级/首席 sit above 一级, so the standard must reach 一级


def scope_level(f: FilingFacts) -> Verdict:
    """Each line's top grade is defined by the occupation's standard, or by the enterprise's own post grades."""
    bad = []
    own = []
    for line in f.lines:
        if line.occupation is None or _level_defined(line):
            continue
        if f.draft_in_force and line.max_grade in line.post_grade_targets:  # 001:44 自主设置岗位等级 (draft)
            own.append(line.label)
            continue
        bad.append(line)
    if bad:
        shown = "；".join(f"{b.label} 的标准未设置{_zh(b.max_grade)}" for b in bad)
        shown_en = "; ".join(f"{b.label}: the standard does not define {b.max_grade}" for b in bad)
        return failed(shown, shown_en, lines=[b.position for b in bad])
    if own:
        return passed(
            f"由企业自主设置的岗位等级对应（001:44，征求意见稿）：{', '.join(own)}",
            f"covered by the enterprise's own post grades (draft 001:44): {', '.join(own)}",
        )
    return passed("各职业的最高等级均为其国家职业技能标准所设置", "every top grade is defined by the standard")


def scope_ceiling(f: FilingFacts) -> Verdict:
    """No line goes above the filing's ceiling."""
    over = [line for line in f.lines if grades.ordinal(line.max_grade) > grades.ordinal(f.ceiling)]
    if over:
        shown = "；".join(f"{o.label} 的{_zh(o.max_grade)}" for o in over)
        return failed(
            f"超过备案上限{_zh(f.ceiling)}：{shown}",
            f"above the ceiling {f.ceiling}: " + "; ".join(o.label for o in over),
            lines=[o.position for o in over],
        )
    return passed("各职业等级均不超过备案上限", "every line is within the ceiling")


def scope_methods(f: FilingFacts) -> Verdict:
    """Each line names at least one method, all from the allowed set."""
    allowed = {m.value for m in EvaluationMethod}
    bad = [line for line in f.lines if not line.methods or set(line.methods) - allowed]
    if bad:
        accepted = ", ".join(sorted(allowed))
        return failed(
            f"评价方式缺失或无效：{', '.join(b.label for b in bad)}；可用：{accepted}",
            f"missing or unknown methods on {', '.join(b.label for b in bad)}; accepted: {accepted}",
            lines=[b.position for b in bad],
        )
    return passed("各职业均列明评价方式", "every line names its methods")


def dr_d_body(*, kind: str, is_manufacturing: bool, is_large: bool, is_listed: bool) -> bool:
    """Whether 001:46's "制造业大型企业、上市公司、产教评技能生态链评价机构" covers the body.

    Our reading (README decisions log): 制造业 governs both 大型企业 and 上市公司 — the clause sits in a plan for
    the manufacturing province (001:44 opens the section with 制造业企业) — so a listed company must be a
    manufacturer too; chain evaluation bodies qualify by kind.
    """
    return kind == "chain_body" or (is_manufacturing and (is_large or is_listed))


def _dr_d_body(body: BodyFacts) -> bool:
    return dr_d_body(
        kind=body.kind, is_manufacturing=body.is_manufacturing, is_large=body.is_large, is_listed=body.is_listed
    )


def dr_any_level(f: FilingFacts) -> Verdict:
    """Direct recognition of every grade only for large manufacturers, listed companies, chain bodies (DR-D)."""
    flagged = [line for line in f.lines if line.direct_recognition]
    if not flagged:
        return not_applicable("未申请各等级直接认定", "no line uses direct recognition of every grade")
    if not _dr_d_body(f.body):
        return failed(
            "各等级直接认定仅限经备案的制造业大型企业、制造业上市公司、产教评技能生态链评价机构",
            "direct recognition of every grade is only for large manufacturers, listed manufacturers "
            "and chain evaluation bodies",
        )
    incomplete = [line.label for line in flagged if line.occupation is None or not line.occupation.complete]
    if incomplete:
        return failed(
            f"职业技能等级设置不完整的职业不能各等级直接认定：{', '.join(incomplete)}",
            f"occupations without a complete ladder: {', '.join(incomplete)}",
        )
    return passed("符合各等级直接认定条件（DR-D）", "direct recognition of every grade allowed (DR-D)")


def dr_baseline(f: FilingFacts) -> Verdict:
    """Without the draft 001:46, no line may claim direct recognition of every grade."""
    if not any(line.direct_recognition for line in f.lines):
        return not_applicable("未申请各等级直接认定", "no line uses direct recognition of every grade")
    if f.draft_in_force:
        return not_applicable("由 001:46（征求意见稿）条款判断", "decided by the draft 001:46")
    return failed(
        "各等级直接认定的依据仅见于征求意见稿 001:46，本辖区未启用",
        "direct recognition of every grade rests only on the draft 001:46, not in force here",
    )


D44_SPECIAL = Citation("001:44", "支持符合条件的企业备案到特级技师级别")
D44_POST_GRADES = Citation("001:44", "自主设置岗位等级")
D46_ANY_LEVEL = Citation("001:46", "自主对各等级直接认定，不受逐级评价的限制")

FILING_RULES: RuleSet[FilingFacts] = RuleSet(
    "filing",
    RULESET_VERSION,
    [
        Rule(
            "FIL-BODY-ACTIVE",
            "机构状态正常",
            "body is active",
            "被暂停或被取消评价资质的机构不能提交备案",
            "a suspended body, or one whose evaluation qualification was cancelled, may not file",
            in_force("002:27", "要依法取消培训和评价资质"),
            body_active,
        ),
        Rule(
            "FIL-CEILING-NATIONAL",
            "国家等级上限",
            "national ceiling",
            "征求意见稿 001:44 未启用时，备案上限不超过高级技师：现行文件 000:47、003:714 提到特级技师、首席技师，"
            "但均未规定备案上限",
            "where the draft 001:44 is off, no ceiling above senior technician: in-force 000:47 and 003:714 name "
            "special and chief technicians but neither sets a filing ceiling",
            registry_rule(
                Citation("000:47", "以首席技师、特级技师评聘为牵引"),
                Citation("003:714", "鼓励企业设立首席技师、特级技师"),
                D44_SPECIAL,
            ),
            ceiling_national,
        ),
        Rule(
            "FIL-CEILING-SPECIAL",
            "特级技师备案条件",
            "special technician ceiling",
            "备案到特级技师须为“符合条件的企业”（由人社部门认定）",
            "a special-technician ceiling needs a qualifying enterprise (recognised by the regulator)",
            draft("001:44", "支持符合条件的企业备案到特级技师级别"),
            ceiling_special,
        ),
        Rule(
            "FIL-CEILING-CHIEF",
            "首席技师备案条件",
            "chief technician ceiling",
            "备案到首席技师须为符合条件且为产教评技能生态链链主企业或行业龙头企业",
            "a chief-technician ceiling needs a qualifying enterprise that is a chain lead or industry leader",
            draft("001:44", "链主企业或行业龙头企业备案到首席技师级别"),
            ceiling_chief,
        ),
        Rule(
            "FIL-CEILING-SOCIAL",
            "社会组织与院校上限",
            "social org and school ceiling",
            "社会培训评价组织和院校不能备案到特级技师或首席技师（企业岗位）",
            "social organisations and schools may not file special or chief technician (enterprise posts)",
            outside("as enterprise 技术职务/岗位"),
            ceiling_social,
        ),
        Rule(
            "FIL-SCOPE-PRESENT",
            "备案范围",
            "scope present",
            "备案须列明至少一个职业（工种）",
            "a filing names at least one occupation",
            registry_rule(),
            scope_present,
        ),
        Rule(
            "FIL-SCOPE-OCCUPATION",
            "职业在目录中",
            "occupation in catalogue",
            "备案的职业须在职业目录中",
            "every occupation of the scope is in the catalogue",
            registry_rule(),
            scope_occupation,
        ),
        Rule(
            "FIL-SCOPE-LEVEL",
            "等级由标准设置",
            "grade defined by the standard",
            "各职业的最高等级须为其国家职业技能标准所设置；企业自主设置的岗位等级只在征求意见稿 001:44 启用时计入",
            "each line's top grade is defined by the occupation's standard; the enterprise's own post grades "
            "count only where the draft 001:44 is in force",
            registry_rule(D44_POST_GRADES),
            scope_level,
        ),
        Rule(
            "FIL-SCOPE-CEILING",
            "不超过备案上限",
            "within the ceiling",
            "备案范围各职业的等级不超过备案上限",
            "no scope line goes above the filing's ceiling",
            registry_rule(),
            scope_ceiling,
        ),
        Rule(
            "FIL-SCOPE-METHODS",
            "评价方式",
            "evaluation methods",
            "各职业须列明评价方式，且取自登记系统的评价方式清单",
            "each line names its evaluation methods, all from the registry's list",
            registry_rule(),
            scope_methods,
        ),
        Rule(
            "FIL-DR-ANY-LEVEL",
            "各等级直接认定条件",
            "direct recognition of every grade",
            "各等级直接认定仅限经备案的制造业大型企业、制造业上市公司、产教评技能生态链评价机构，"
            "且职业技能等级设置完整",
            "direct recognition of every grade only for large manufacturers, listed manufacturers and chain "
            "evaluation bodies, for occupations with a complete ladder",
            draft("001:46", "经备案的制造业大型企业、上市公司、产教评技能生态链评价机构"),
            dr_any_level,
        ),
        Rule(
            "FIL-DR-BASELINE",
            "各等级直接认定的依据",
            "basis for direct recognition of every grade",
            "征求意见稿 001:46 未启用时，不能申请各等级直接认定",
            "where the draft 001:46 is off, no line may claim direct recognition of every grade",
            registry_rule(D46_ANY_LEVEL),
            dr_baseline,
        ),
    ],
)
