"""Every policy clause the code, data and README cite outside a rule's basis, with the phrase meant; stdlib only.

A citation such as `000:43` in a docstring, a data file or the README must be listed here (or be a rule's
citation) with a phrase of the cited line: tests/test_citations.py opens each line in ../shared/policy/ and
fails when the phrase is missing, and fails on any citation in the repository that is listed nowhere.
"""

from __future__ import annotations

from registry.rules import Citation

# The exam-administration clause the registry's batch lifecycle carries out: every score recorded, and the
# quality supervisor's attestation before results are final (registry rules resting on this clause).
EXAM_ADMINISTRATION = Citation("002:23", "健全完善考务、考评人员、质量督导人员管理等制度")

CLAUSES: tuple[Citation, ...] = (
    Citation("000:26", "新增取得技能类职业资格证书或职业技能等级证书150万人次以上"),
    Citation("000:43", "职业技能评价机构目录"),
    Citation("000:47", "在国有企业、规上企业等全面推进“新八级工”制度"),
    Citation("000:48", "引导国有企业对获得中级工、高级工以及技师、高级技师职业资格或者职业技能等级的技能人才"),
    Citation("000:53", "对存在虚假培训、虚假评价、骗取套取补贴资金等违规违法行为的机构或个人,要严肃查处"),
    Citation("001:36", "晋升职业技能等级"),
    Citation("001:38", "建立健全产教评技能生态链竞赛评价体系"),
    Citation("001:44", "支持备案制造业企业自主确定技能人才认定职业（工种）范围"),
    Citation("001:46", "经备案的制造业大型企业、上市公司、产教评技能生态链评价机构"),
    Citation("002:20", "政府抽评"),
    Citation("002:22", "大力推行“新八级工”职业技能等级制度"),
    Citation("002:23", "推进职业资格、职业技能等级与相应职称、学历的双向比照认定"),
    EXAM_ADMINISTRATION,
    Citation("002:27", "对发生虚假培训、虚假评价、骗取套取补贴资金等违规违法行为的机构或个人"),
    Citation("003:213-219", "新增取得职业资格证书或职业技能等级证书人数"),
    Citation("003:221-229", "其中：新增取得高级工以上职业资格证书或职业技能等级证书人数"),
    Citation("003:714", "鼓励企业设立首席技师、特级技师"),
    Citation("003:726-732", "以世界技能大赛为引领、全国技能大赛为龙头、全省职业技能大赛为主体"),
    Citation("003:745-749", "对职业技能竞赛的获奖选手，推动企业制订和落实相应待遇，优先予以晋升和提薪"),
    Citation("004:86", "技师、高级技师职业资格证书"),
    Citation("004:140", "省级、市级一类、二类职业技能竞赛项目"),
    Citation("004:174", "珠三角地区每个市不少于 10 家，粤东粤西粤北地区不少于 6 家"),
    Citation("004:286", "做好与职业资格制度的衔接"),
    Citation(
        "004:288",
        "对受聘为高级工、技师、高级技师的职工可按规定分别享受与本单位助理工程师、工程师、高级工程师相当的工资福利待遇",
    ),
)
