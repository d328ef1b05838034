"""`registry demo`: realistic demo data across every capability, idempotent; the composition root's job.

Names are fictional. Demo accounts share one published password, so the command refuses to run in production.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from api import builders
from api.demo_regulator import seed_regulator_year
from assessment.assessors.models import Assessor, AssessorKind
from assessment.batches.models import EnrolIn, ExamSession, SessionCreate, SessionStatus
from assessment.batches.service import (
    create_batch,
    enrol,
)
from assessment.recognition.models import (
    CompetitionResult,
    CompetitionTier,
    Evidence,
    Path,
    Recognition,
    RecognitionIn,
    Trigger,
    Waiver,
)
from assessment.recognition.service import apply_for_recognition, decide_recognition
from certificates.models import Certificate, CertificateStatus, RevocationReason
from certificates.service import get_certificate, issue_certificates, reissue, set_status, verify_url
from certificates.sharing import ShareLinkIn, create_link, share_url
from registry import pii
from registry.accounts.models import UserAccount, UserCreate
from registry.accounts.service import create_user
from registry.actor import Actor, Role
from registry.awards.models import (
    AppointmentCreate,
    AwardBasis,
    AwardStatus,
    CertificateFamily,
    GradeAward,
    LegacyAwardIn,
    LegacyCertificate,
    LegacyEvidence,
)
from registry.awards.service import create_appointment
from registry.bodies.models import BodyCreate, BodyKind, BodyStatus, ChainMemberIn, EvaluationBody
from registry.bodies.service import create_body, replace_chain_members, set_body_status
from registry.catalogue.service import search_occupations
from registry.clock import today
from registry.errors import InvalidInput
from registry.filings.models import Filing, FilingCreate, FilingStatus, ScopeLineIn
from registry.filings.rules import EvaluationMethod as M
from registry.grades import GradeCode as G
from registry.grades import info as grade_info
from registry.people.models import Person
from registry.settings import Settings

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - published on purpose; demo refuses production
SYSTEM = Actor.system("demo")


def _days(offset: int) -> dt.date:
    """A date relative to today, so the demo stays current whenever it is loaded."""
    return today() + dt.timedelta(days=offset)


def demo_uscc(serial: int, region: str = "440100") -> str:
    """A valid, fixed USCC for demo body number serial (fictional organisation code)."""
    return builders.uscc(f"D{serial:07d}", region)


@dataclass
class DemoWorld:
    """Handles on the demo records later capabilities build on."""

    bodies: dict[str, EvaluationBody] = field(default_factory=dict)
    filings: dict[str, Filing] = field(default_factory=dict)
    users: dict[str, UserAccount] = field(default_factory=dict)
    batches: dict[str, ExamSession] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    assessors: list[Assessor] = field(default_factory=list)


BODIES: list[tuple[str, int, str, BodyKind, str, dict[str, Any]]] = [
    # key, serial, name, kind, city, attributes
    (
        "chain",
        1,
        "粤海智能装备集团股份有限公司",
        BodyKind.EMPLOYER,
        "440600",
        {
            "is_manufacturing": True,
            "is_large": True,
            "is_listed": True,
            "is_chain_lead": True,
            "is_state_owned": True,
            "is_above_scale": True,
            "qualified_special": True,
            "site_code": "000101",
        },
    ),
    (
        "plant",
        2,
        "顺德精工五金制品有限公司",
        BodyKind.EMPLOYER,
        "440600",
        {"is_manufacturing": True, "is_above_scale": True, "site_code": "000102"},
    ),
    (
        "ecochain",
        3,
        "珠江口新能源汽车产教评技能生态链评价中心",
        BodyKind.CHAIN_BODY,
        "440100",
        {"is_manufacturing": True, "site_code": "000103"},
    ),
    ("social", 4, "南粤康养职业技能评价服务中心", BodyKind.SOCIAL_ORG, "440300", {"site_code": "000104"}),
    ("school", 5, "岭南高级技工学校", BodyKind.SCHOOL, "441900", {"site_code": "000105"}),
    (
        "suspended",
        6,
        "东江电子科技有限公司",
        BodyKind.EMPLOYER,
        "441300",
        {"is_manufacturing": True, "site_code": "000106"},
    ),
    ("revoked", 7, "某虚假评价培训咨询有限公司", BodyKind.SOCIAL_ORG, "440500", {"site_code": "000107"}),
]

METHODS = [M.THEORY_EXAM, M.SKILL_OPERATION, M.COMPREHENSIVE_REVIEW]


def _line(code: str, grade: G, *, direct_recognition: bool = False) -> ScopeLineIn:
    return ScopeLineIn(
        occupation_code=code,
        max_grade=grade,
        methods=METHODS,
        post_norm_ref="岗位规范（2026版）",
        direct_recognition=direct_recognition,
    )


def _filing(
    session: Session,
    settings: Settings,
    world: DemoWorld,
    key: str,
    body: str,
    ceiling: G,
    lines: list[ScopeLineIn],
    *,
    end: FilingStatus | None,
    starts: dt.date | None = None,
    ends: dt.date | None = None,
) -> None:
    approve = end != FilingStatus.REJECTED
    world.filings[key] = builders.filing(
        session,
        settings,
        actor=SYSTEM,
        data=FilingCreate(
            body_id=world.bodies[body].id,
            ceiling=ceiling,
            starts_on=starts or _days(-400),
            ends_on=ends or _days(3 * 365),
            lines=lines,
        ),
        to=end,
        note="材料齐全，符合备案条件" if approve else "岗位规范材料不全，请补充后重新申请",
        reason="双随机抽查发现考务记录不全" if end == FilingStatus.SUSPENDED else "查实虚假评价",
    )


def _seed_bodies_and_filings(session: Session, settings: Settings) -> DemoWorld:
    world = DemoWorld()
    for key, serial, name, kind, city, attributes in BODIES:
        world.bodies[key] = create_body(
            session,
            actor=SYSTEM,
            data=BodyCreate(
                uscc=demo_uscc(serial, city),
                name=name,
                kind=kind,
                province_code="44",
                city_code=city,
                contact_name="评价办",
                contact_phone="020-8888" + f"{serial:04d}",
                **attributes,
            ),
        )
    replace_chain_members(
        session,
        actor=SYSTEM,
        body_id=world.bodies["ecochain"].id,
        members=[
            ChainMemberIn(uscc=demo_uscc(21, "440100"), name="广汽配套零部件有限公司（示例）"),
            ChainMemberIn(uscc=demo_uscc(22, "440100"), name="南沙动力电池有限公司（示例）"),
            ChainMemberIn(uscc=world.bodies["plant"].uscc, name=world.bodies["plant"].name),
        ],
    )
    world.users["regulator"] = create_user(
        session,
        actor=SYSTEM,
        settings=settings,
        data=UserCreate(
            username="regulator", display_name="广东省人社厅（演示）", role=Role.REGULATOR, password=DEMO_PASSWORD
        ),
    )
    for key in ("chain", "plant", "ecochain", "social", "school"):
        world.users[f"admin.{key}"] = create_user(
            session,
            actor=SYSTEM,
            settings=settings,
            data=UserCreate(
                username=f"admin.{key}",
                display_name=world.bodies[key].name,
                role=Role.BODY_ADMIN,
                body_id=world.bodies[key].id,
                password=DEMO_PASSWORD,
            ),
        )

    _filing(
        session,
        settings,
        world,
        "chain",
        "chain",
        G.CHIEF_TECHNICIAN,
        [
            _line("6-31-01-03", G.CHIEF_TECHNICIAN, direct_recognition=True),
            _line("6-18-02-04", G.SENIOR_TECHNICIAN, direct_recognition=True),
            _line("6-30-99-00", G.SPECIAL_TECHNICIAN),
        ],
        end=FilingStatus.APPROVED,
    )
    _filing(
        session,
        settings,
        world,
        "plant",
        "plant",
        G.SENIOR_TECHNICIAN,
        [
            _line("6-18-01-01", G.TECHNICIAN),
            _line("6-18-02-04", G.SENIOR_TECHNICIAN),
            _line("6-20-01-01", G.SENIOR),
        ],
        end=FilingStatus.APPROVED,
    )
    _filing(
        session,
        settings,
        world,
        "ecochain",
        "ecochain",
        G.SENIOR_TECHNICIAN,
        [
            _line("6-31-01-10", G.SENIOR_TECHNICIAN, direct_recognition=True),
            _line("4-12-01-01", G.TECHNICIAN),
        ],
        end=FilingStatus.APPROVED,
    )
    _filing(
        session,
        settings,
        world,
        "social",
        "social",
        G.SENIOR_TECHNICIAN,
        [
            _line("4-10-01-05", G.SENIOR_TECHNICIAN),
            _line("4-10-01-02", G.SENIOR),
        ],
        end=FilingStatus.APPROVED,
    )
    _filing(
        session,
        settings,
        world,
        "school-submitted",
        "school",
        G.TECHNICIAN,
        [_line("4-03-02-01", G.TECHNICIAN)],
        end=FilingStatus.SUBMITTED,
    )
    _filing(session, settings, world, "school-draft", "school", G.SENIOR, [_line("4-10-03-01", G.SENIOR)], end=None)
    _filing(
        session,
        settings,
        world,
        "plant-rejected",
        "plant",
        G.SENIOR,
        [_line("6-31-01-02", G.SENIOR)],
        end=FilingStatus.REJECTED,
    )
    _filing(
        session,
        settings,
        world,
        "plant-expired",
        "plant",
        G.SENIOR,
        [_line("6-31-01-03", G.SENIOR)],
        end=FilingStatus.APPROVED,
        starts=_days(-1500),
        ends=_days(-401),
    )
    _filing(
        session,
        settings,
        world,
        "suspended",
        "suspended",
        G.TECHNICIAN,
        [_line("6-31-01-03", G.TECHNICIAN)],
        end=FilingStatus.SUSPENDED,
    )
    _filing(
        session,
        settings,
        world,
        "revoked",
        "revoked",
        G.SENIOR,
        [_line("4-10-01-06", G.SENIOR)],
        end=FilingStatus.REVOKED,
    )
    set_body_status(
        session,
        actor=SYSTEM,
        body_id=world.bodies["suspended"].id,
        status=BodyStatus.SUSPENDED,
        reason="双随机抽查：考评员回避记录缺失，限期整改",
    )
    set_body_status(
        session,
        actor=SYSTEM,
        body_id=world.bodies["revoked"].id,
        status=BodyStatus.REVOKED,
        reason="查实虚假评价，依法取消评价资质（002:27）",
    )
    return world


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余杜叶程魏苏吕丁任沈姚卢"
GIVEN = [
    "建华",
    "志强",
    "丽娟",
    "海波",
    "晓燕",
    "国栋",
    "文杰",
    "秀英",
    "明辉",
    "春梅",
    "永红",
    "俊峰",
    "雪梅",
    "振宇",
    "桂芳",
    "伟东",
    "淑华",
    "德明",
    "小龙",
    "佳怡",
    "子豪",
    "思琪",
    "浩然",
    "梓涵",
]


def demo_name(n: int) -> str:
    """A fictional Chinese name for demo person n."""
    return SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)]


def demo_id(n: int) -> str:
    """A valid, fictional 居民身份证号码 for demo person n (Foshan Shunde, born 1975–1999)."""
    born = dt.date(1975, 1, 1) + dt.timedelta(days=(n * 379) % 9000)
    return builders.resident_id("440606", born, n % 900 + 100)


@dataclass
class People:
    """A counter for demo people."""

    n: int = 0

    def register(
        self,
        session: Session,
        settings: Settings,
        employer: EvaluationBody | None,
        since: dt.date = dt.date(2016, 3, 1),
        dispatched: bool = False,
    ) -> Person:
        self.n += 1
        return builders.person(
            session,
            settings,
            actor=SYSTEM,
            name=demo_name(self.n),
            id_number=demo_id(self.n),
            employer=(employer.uscc, employer.name) if employer is not None else None,
            since=since,
            agency_name="佛山市顺德区人力资源派遣有限公司" if dispatched else "",
        )


LEGACY_AUTHORITY = "广东省职业技能鉴定指导中心"


def _legacy(
    session: Session,
    person: Person,
    occupation: str,
    grade: G,
    on: dt.date,
    *,
    actor: Actor = SYSTEM,
    authority: str = LEGACY_AUTHORITY,
) -> GradeAward:
    """Record a certificate the worker got before the registry (职业资格证书 before 2020, else 职业技能等级证书)."""
    family = CertificateFamily.QUALIFICATION if on.year < 2020 else CertificateFamily.SKILL_LEVEL
    number = f"{on:%y}44{grade_level_digit(grade)}{person.id.int % 10**9:09d}"
    return builders.legacy_award(
        session,
        actor=actor,
        data=LegacyAwardIn(
            person_id=person.id,
            occupation_code=occupation,
            grade=grade,
            family=family,
            issuing_authority=authority,
            original_number=number,
            awarded_on=on,
            evidence=[LegacyEvidence(kind="原证书扫描件", ref=f"档案 LEG-{number}", description="原件已核验")],
        ),
    )


def grade_level_digit(grade: G) -> str:
    """The national level digit (5…1) of a grade, 0 when it has none."""
    level = grade_info(grade).national_level
    return str(level) if level else "0"


def _card(
    session: Session,
    settings: Settings,
    people: People,
    number: str,
    kind: AssessorKind,
    occupations: list[str],
    body: EvaluationBody | None = None,
) -> Assessor:
    return builders.assessor_card(
        session,
        actor=SYSTEM,
        holder=people.register(session, settings, body),
        card_number=number,
        kind=kind,
        occupations=occupations,
        valid=(_days(-700), _days(3 * 365)),
        body_id=body.id if body else None,
    )


def _batch(
    session: Session,
    settings: Settings,
    world: DemoWorld,
    key: str,
    body: str,
    occupation: str,
    grade: G,
    exam_on: dt.date,
    staff: list[Assessor],
    supervisor: Assessor,
    candidates: list[Person],
    end: SessionStatus,
    *,
    fail_last: int = 0,
    all_scored: bool = False,
) -> None:
    exam = create_batch(
        session,
        actor=SYSTEM,
        settings=settings,
        data=SessionCreate(
            body_id=world.bodies[body].id,
            occupation_code=occupation,
            grade=grade,
            exam_on=exam_on,
            venue="佛山市顺德区职业技能鉴定中心 第二考场",
            assessor_ids=[a.id for a in staff],
            supervisor_id=supervisor.id,
        ),
    )
    world.batches[key] = exam
    enrolled = [
        enrol(session, actor=SYSTEM, batch_id=exam.id, data=EnrolIn(person_id=p.id), settings=settings)
        for p in candidates
    ]

    def score(index: int, n: int, kind: M) -> Decimal:
        failing = index >= len(enrolled) - fail_last
        return Decimal(52 + n if failing and kind.value == "skill_operation" else 72 + (index * 3 + n) % 20)

    builders.drive_batch(
        session,
        settings,
        actor=SYSTEM,
        exam=exam,
        to=end,
        candidates=enrolled,
        staff=staff,
        supervisor=supervisor,
        score=score,
        # scoring under way: half the candidates still wait for their scores, unless all are in
        scored=lambda index: all_scored or not (end == SessionStatus.OPEN and index % 2),
        label=lambda assessor: f"system:demo as {assessor.card_number}",
    )


def _as(assessor: Assessor) -> Actor:
    return builders.as_assessor(assessor, f"system:demo as {assessor.card_number}")


def _recognise(
    session: Session,
    settings: Settings,
    body: EvaluationBody,
    person: Person,
    occupation: str,
    target: G,
    path: Path,
    trigger: Trigger,
    evidence: str,
    *,
    waived: list[Waiver] | None = None,
    justifications: dict[Waiver, str] | None = None,
    methods: list[str] | None = None,
    competition: CompetitionResult | None = None,
    decide: bool | None = True,
) -> Recognition:
    recognition = apply_for_recognition(
        session,
        actor=SYSTEM,
        settings=settings,
        data=RecognitionIn(
            body_id=body.id,
            person_id=person.id,
            occupation_code=occupation,
            target_grade=target,
            path=path,
            triggers=[trigger],
            waived=waived or [],
            justifications=justifications or {},
            methods=methods or [],
            competition=competition,
            evidence=[Evidence(kind="evidence", ref=f"档案 {path.value}-{person.id.hex[:6]}", description=evidence)],
        ),
    )
    if decide is not None:
        decide_recognition(
            session,
            actor=SYSTEM,
            recognition_id=recognition.id,
            approve=decide,
            settings=settings,
            note="认定评审委员会审议通过" if decide else "业绩材料不足以证明达到高级技师水平",
        )
    return recognition


def _seed_assessment(session: Session, settings: Settings, world: DemoWorld) -> None:
    people = People()
    plant, chain, social = world.bodies["plant"], world.bodies["chain"], world.bodies["social"]
    welding = ["6-18-02-04", "6-18-01-01", "6-31-01-03", "6-20-01-01"]
    staff = [_card(session, settings, people, f"K4406000{i}", AssessorKind.ASSESSOR, welding) for i in range(1, 5)]
    supervisor = _card(session, settings, people, "R44060001", AssessorKind.SUPERVISOR, welding)
    care = [_card(session, settings, people, f"K4403000{i}", AssessorKind.ASSESSOR, ["4-10-01-05"]) for i in (1, 2)]
    care_supervisor = _card(session, settings, people, "R44030001", AssessorKind.SUPERVISOR, ["4-10-01-05"])
    world.assessors = [*staff, supervisor]

    workers = [people.register(session, settings, plant, dispatched=i % 5 == 0) for i in range(40)]
    juniors = workers[10:18]
    for person in juniors:
        _legacy(session, person, "6-18-02-04", G.JUNIOR, dt.date(2021, 6, 30))
    _batch(
        session,
        settings,
        world,
        "closed",
        "plant",
        "6-18-02-04",
        G.JUNIOR,
        _days(-180),
        staff[:2],
        supervisor,
        workers[:10],
        SessionStatus.CLOSED,
        fail_last=2,
    )
    _batch(
        session,
        settings,
        world,
        "published",
        "plant",
        "6-18-02-04",
        G.INTERMEDIATE,
        _days(-11),
        staff[:2],
        supervisor,
        juniors,
        SessionStatus.PUBLISHED,
        fail_last=1,
    )
    _batch(
        session,
        settings,
        world,
        "finalized",
        "plant",
        "6-18-01-01",
        G.JUNIOR,
        _days(-9),
        staff[1:3],
        supervisor,
        workers[18:24],
        SessionStatus.FINALIZED,
        fail_last=1,
    )
    _batch(
        session,
        settings,
        world,
        "scored",
        "plant",
        "6-20-01-01",
        G.JUNIOR,
        _days(-7),
        staff[2:4],
        supervisor,
        workers[24:28],
        SessionStatus.SCORED,
    )
    _batch(
        session,
        settings,
        world,
        "open",
        "plant",
        "6-18-01-01",
        G.JUNIOR,
        _days(-1),
        staff[:2],
        supervisor,
        workers[28:32],
        SessionStatus.OPEN,
    )
    _batch(
        session,
        settings,
        world,
        "planned",
        "plant",
        "6-20-01-01",
        G.JUNIOR,
        _days(19),
        staff[:2],
        supervisor,
        workers[32:36],
        SessionStatus.PLANNED,
    )
    _batch(
        session,
        settings,
        world,
        "cancelled",
        "plant",
        "6-18-01-01",
        G.JUNIOR,
        _days(14),
        staff[2:4],
        supervisor,
        workers[36:38],
        SessionStatus.CANCELLED,
    )
    carers = [people.register(session, settings, None) for _ in range(8)]
    _batch(
        session,
        settings,
        world,
        "care-closed",
        "social",
        "4-10-01-05",
        G.JUNIOR,
        _days(-60),
        care,
        care_supervisor,
        carers,
        SessionStatus.CLOSED,
        fail_last=1,
    )

    # Direct recognitions under several paths (DR-A, DR-D, DR-G, DR-E pending, DR-C rejected).
    veteran = workers[38]
    _legacy(session, veteran, "6-18-02-04", G.INTERMEDIATE, dt.date(2019, 7, 1))
    _recognise(
        session,
        settings,
        plant,
        veteran,
        "6-18-02-04",
        G.SENIOR,
        Path.DR_A,
        Trigger.T1,
        "解决不锈钢薄板焊接变形的重大工艺难题，良品率由82%提升至97%",
        waived=[Waiver.EDUCATION, Waiver.AGE],
    )
    _recognise(
        session,
        settings,
        plant,
        workers[39],
        "6-18-02-04",
        G.JUNIOR,
        Path.DR_E,
        Trigger.T6,
        "年度岗位练兵技能比武第一名，连续三年零质量事故",
        waived=[Waiver.WORK_YEARS],
        decide=None,
    )
    # DR-E may skip a grade with the 等级 waiver claimed and justified (002:22); DR-A may not.
    skipper = workers[37]
    _legacy(session, skipper, "6-18-02-04", G.JUNIOR, dt.date(2021, 6, 30))
    _recognise(
        session,
        settings,
        plant,
        skipper,
        "6-18-02-04",
        G.SENIOR,
        Path.DR_E,
        Trigger.T6,
        "省级职业技能大赛焊工赛项优胜，牵头解决薄板焊接变形问题",
        waived=[Waiver.GRADE, Waiver.WORK_YEARS],
        justifications={
            Waiver.GRADE: "自2023年起独立承担高级工岗位的压力容器焊接，三年业绩考核均为优秀",
            Waiver.WORK_YEARS: "入职未满规定年限，但技能水平经车间技能比武验证",
        },
    )
    # A body enters a worker's pre-registry certificate: it counts only once the regulator confirms it.
    _legacy(
        session,
        workers[36],
        "6-18-01-01",
        G.INTERMEDIATE,
        dt.date(2018, 6, 30),
        actor=Actor(label="admin.plant", role=Role.BODY_ADMIN, body_id=plant.id),
    )
    engineers = [people.register(session, settings, chain, since=dt.date(2010, 7, 1)) for _ in range(5)]
    world.people["dr-d"] = engineers[0]
    _recognise(
        session,
        settings,
        chain,
        engineers[0],
        "6-31-01-03",
        G.TECHNICIAN,
        Path.DR_D,
        Trigger.T8,
        "企业技能人才规划：智能产线电气调试骨干",
        waived=[Waiver.SEQUENTIAL],
        methods=["performance_review", "process_assessment"],
    )
    _legacy(session, engineers[1], "6-18-02-04", G.SENIOR, dt.date(2020, 12, 1))
    _recognise(
        session,
        settings,
        chain,
        engineers[1],
        "6-18-02-04",
        G.TECHNICIAN,
        Path.DR_G,
        Trigger.T7,
        "广东省职业技能大赛焊工赛项第二名",
        competition=CompetitionResult(
            name="第三届广东省职业技能大赛焊工赛项", tier=CompetitionTier.PROVINCIAL, rank=2, year=2026
        ),
    )
    _legacy(session, engineers[2], "6-18-02-04", G.TECHNICIAN, dt.date(2018, 12, 1))
    _recognise(
        session,
        settings,
        chain,
        engineers[2],
        "6-18-02-04",
        G.SENIOR_TECHNICIAN,
        Path.DR_C,
        Trigger.T5,
        "岗位职责、工作表现、工作业绩综合评价",
        waived=[Waiver.SENIORITY],
        decide=False,
    )
    # A 特级技师 recognised under DR-D and appointed to the post (评聘).
    _legacy(session, engineers[3], "6-31-01-03", G.SENIOR_TECHNICIAN, dt.date(2017, 12, 1))
    special = _recognise(
        session,
        settings,
        chain,
        engineers[3],
        "6-31-01-03",
        G.SPECIAL_TECHNICIAN,
        Path.DR_D,
        Trigger.T8,
        "牵头攻关高压开关柜装配工艺，主持省级技能大师工作室",
        waived=[Waiver.SEQUENTIAL],
        methods=["performance_review"],
    )
    create_appointment(
        session,
        actor=SYSTEM,
        data=AppointmentCreate(
            person_id=engineers[3].id,
            body_id=chain.id,
            occupation_code="6-31-01-03",
            post_grade=G.SPECIAL_TECHNICIAN,
            post_title="电气装配特级技师（首席岗位后备）",
            starts_on=_days(-1),
        ),
    )
    world.people["special"] = engineers[3]
    del special, social

    # Accounts to try the assessor, supervisor and worker views.
    for username, role, person_id in (
        ("assessor.k1", Role.ASSESSOR, staff[0].person_id),
        ("supervisor.r1", Role.SUPERVISOR, supervisor.person_id),
        ("worker.demo", Role.WORKER, veteran.id),
    ):
        world.users[username] = create_user(
            session,
            actor=SYSTEM,
            settings=settings,
            data=UserCreate(
                username=username, role=role, person_id=person_id, display_name=username, password=DEMO_PASSWORD
            ),
        )

    # Every score in, waiting for the supervisor's attestation (the supervisor console's task). Registered last, so
    # the people above keep their demo names and ID numbers.
    waiting = [people.register(session, settings, plant) for _ in range(3)]
    _batch(
        session,
        settings,
        world,
        "awaiting-attestation",
        "plant",
        "6-20-01-01",
        G.JUNIOR,
        _days(-2),
        staff[2:4],
        supervisor,
        waiting,
        SessionStatus.OPEN,
        all_scored=True,
    )


def _seed_certificates(session: Session, settings: Settings) -> dict[str, str]:
    """Issue certificates for every exam and recognition award; revoke, suspend and reissue one each."""
    award_ids = list(session.exec(select(GradeAward.id).where(GradeAward.basis != AwardBasis.LEGACY)).all())
    outcome = issue_certificates(session, actor=SYSTEM, award_ids=award_ids, settings=settings)
    numbers = sorted(n for _, n, _ in outcome.issued)
    revoked, suspended, reissued = numbers[0], numbers[1], numbers[2]
    set_status(
        session,
        actor=SYSTEM,
        number=revoked,
        target=CertificateStatus.REVOKED,
        reason=RevocationReason.FRAUDULENT_EVALUATION,
        note="抽查查实考务造假（虚假评价，000:53 要求严肃查处）：撤销本证书，其等级随之撤销",
    )
    set_status(
        session, actor=SYSTEM, number=suspended, target=CertificateStatus.SUSPENDED, note="收到实名举报，核查期间暂停"
    )
    old = get_certificate(session, actor=SYSTEM, number=reissued).token
    reissue(session, actor=SYSTEM, number=reissued, note="持证人证书污损，申请换发", settings=settings)
    return {"valid": numbers[3], "revoked": revoked, "suspended": suspended, "superseded_token": old}


def _demo_links(session: Session, settings: Settings) -> list[str]:
    marks = session.exec(select(Certificate).where(Certificate.status != CertificateStatus.VALID)).all()
    valid = session.exec(
        select(Certificate)
        .where(Certificate.status == CertificateStatus.VALID, Certificate.print_serial == 1)
        .order_by(col(Certificate.number))
    ).first()
    lines = []
    if valid is not None:
        lines.append(f"  verify (valid):     {verify_url(settings, valid.token)}")
    for certificate in marks:
        lines.append(f"  verify ({certificate.status.value}): {verify_url(settings, certificate.token)}")
    lines.append(f"  look-up form:       {settings.public_base}/verify")
    lines.append(f"  public keys:        {settings.public_base}/.well-known/jwks.json")
    return lines


def _legacy_links(session: Session, settings: Settings) -> list[str]:
    row = session.exec(
        select(LegacyCertificate.original_number, Person.name)
        .join(GradeAward, col(GradeAward.id) == col(LegacyCertificate.award_id))
        .join(Person, col(Person.id) == col(GradeAward.person_id))
        .where(GradeAward.status == AwardStatus.ACTIVE)
        .order_by(col(LegacyCertificate.original_number))
    ).first()
    if row is None:
        return []
    return [f"  pre-registry certificate: {settings.public_base}/verify  number {row[0]} + name {row[1]}"]


def claim_details(session: Session, settings: Settings) -> tuple[str, str, str, bool] | None:
    """What the demo's unclaimed worker types to claim an account: certificate number, name, ID number — and whether
    it was claimed already. The holder of the DR-E grade skip: a pre-registry 初级工, then 高级工 (a lifelong record).

    The demo people are fictional; printing an ID number is for trying the claim and is refused in production.
    """
    row = session.exec(
        select(Certificate, Person)
        .join(Recognition, col(Recognition.award_id) == col(Certificate.award_id))
        .join(Person, col(Person.id) == col(Certificate.person_id))
        .where(Recognition.path == Path.DR_E)
        .order_by(col(Certificate.number))
    ).first()
    if row is None:
        return None
    certificate, person = row
    claimed = session.exec(select(UserAccount.id).where(UserAccount.person_id == person.id)).first() is not None
    id_number = pii.decrypt(settings, person.id_number_enc, context=person.id_type.value)
    return certificate.number, person.name, id_number, claimed


def _claim_lines(session: Session, settings: Settings) -> list[str]:
    details = claim_details(session, settings)
    if details is None:
        return []
    number, name, id_number, claimed = details
    state = "claimed already — log in as its owner" if claimed else "not claimed yet"
    return [
        f"  claim a worker account ({state}): {settings.public_base}/claim",
        f"    certificate number {number} · name {name} · ID number {id_number}",
    ]


def load_demo(session: Session, settings: Settings) -> list[str]:
    """Load the demo data (once; later runs change nothing) and return lines telling the user where to look."""
    if settings.env == "production":
        raise InvalidInput("生产环境不能加载演示数据", "demo data is refused in production (published passwords)")
    already = session.exec(select(EvaluationBody).where(EvaluationBody.uscc == demo_uscc(1, "440600"))).first()
    shared: list[str] = []
    if already is None:
        world = _seed_bodies_and_filings(session, settings)
        _seed_assessment(session, settings, world)
        marked = _seed_certificates(session, settings)
        _, code, _ = create_link(
            session,
            actor=SYSTEM,
            number=marked["valid"],
            data=ShareLinkIn(purpose="应聘焊接技师岗位（演示）", days=30),
            settings=settings,
        )
        shared = [f"  share link (加注, 30 days, shown once): {share_url(settings, code)}"]
    regulator_lines = seed_regulator_year(session, settings)
    _, occupations = search_occupations(session, limit=1)
    base = settings.public_base
    published = session.exec(select(ExamSession.id).where(ExamSession.status == SessionStatus.PUBLISHED)).first()
    return [
        "demo data "
        + ("loaded" if already is None else "already present")
        + f": 8 grades, {occupations} occupations, 7 evaluation bodies, filings and exam batches in every state,",
        "  awards from closed batches, direct recognitions (DR-A, DR-C, DR-D, DR-E with a grade skip, DR-G),",
        "  pre-registry (legacy) certificates (one awaiting the regulator), an appointment,",
        "  certificates (one revoked for fraud with its award, one suspended, one reissued)",
        f"  log in at {base}/login (pages) or {base}/docs (Authorize) — password for every demo account: "
        f"{DEMO_PASSWORD}",
        "    regulator          广东省人社厅（演示）",
        "    admin.chain        粤海智能装备集团 (chain lead, 首席技师 filing)",
        "    admin.plant        顺德精工五金 (ordinary employer)",
        "    admin.ecochain     产教评技能生态链评价中心 · admin.social · admin.school",
        "    assessor.k1 · supervisor.r1 · worker.demo   (assessor, supervisor, a worker's lifelong record)",
        *_demo_links(session, settings),
        *shared,
        *_legacy_links(session, settings),
        *_claim_lines(session, settings),
        f"  wallet credential (vc+jwt, log in): {base}/api/v1/certificates/<number>/credential",
        f"  issuer & status:   {base}/issuer · {base}/api/v1/status-lists/1/revocation · "
        f"{base}/.well-known/scope-statements.json",
        f"  PDF check:         {base}/verify/pdf",
        f"  rules (why a refusal): {base}/api/v1/rules",
        f"  public catalogue:  {base}/api/v1/bodies",
        f"  公示 (publicity):   {base}/api/v1/publicity/{published}",
        f"  occupations:       {base}/api/v1/occupations?q=6-18",
        f"  比照 look-ups:      {base}/api/v1/equivalences?education=bachelor",
        f"                     {base}/api/v1/equivalences?grade=senior&as_of=2020-01-01",
        *regulator_lines,
    ]
