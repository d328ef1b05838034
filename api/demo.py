"""`registry demo`: realistic demo data across every capability, idempotent; the composition root's job.

Names are fictional. Demo accounts share one published password, so the command refuses to run in production.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from registry.accounts.models import UserAccount, UserCreate
from registry.accounts.service import create_user
from registry.actor import Actor, Role
from registry.bodies.models import BodyCreate, BodyKind, BodyStatus, ChainMemberIn, EvaluationBody
from registry.bodies.service import create_body, replace_chain_members, set_body_status
from registry.catalogue.service import search_occupations
from registry.errors import InvalidInput
from registry.filings.models import Filing, FilingCreate, FilingStatus, ScopeLineIn
from registry.filings.rules import EvaluationMethod as M
from registry.filings.service import create_filing, decide_filing, set_filing_status, submit_filing
from registry.grades import GradeCode as G
from registry.settings import Settings
from registry.validators import org_code_check_char, uscc_check_char

DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - published on purpose; demo refuses production
SYSTEM = Actor.system("demo")


def demo_uscc(serial: int, region: str = "440100") -> str:
    """A valid, fixed USCC for demo body number serial (fictional organisation code)."""
    org = f"D{serial:07d}"
    org += org_code_check_char(org)
    first17 = f"91{region}{org}"
    return first17 + uscc_check_char(first17)


@dataclass
class DemoWorld:
    """Handles on the demo records later capabilities build on."""

    bodies: dict[str, EvaluationBody] = field(default_factory=dict)
    filings: dict[str, Filing] = field(default_factory=dict)
    users: dict[str, UserAccount] = field(default_factory=dict)


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
    starts: dt.date = dt.date(2026, 1, 1),
    ends: dt.date = dt.date(2028, 12, 31),
) -> None:
    filing = create_filing(
        session,
        actor=SYSTEM,
        data=FilingCreate(body_id=world.bodies[body].id, ceiling=ceiling, starts_on=starts, ends_on=ends, lines=lines),
    )
    world.filings[key] = filing
    if end is None:
        return
    submit_filing(session, actor=SYSTEM, filing_id=filing.id, settings=settings)
    if end == FilingStatus.SUBMITTED:
        return
    approve = end != FilingStatus.REJECTED
    note = "材料齐全，符合备案条件" if approve else "岗位规范材料不全，请补充后重新申请"
    decide_filing(session, actor=SYSTEM, filing_id=filing.id, approve=approve, note=note, settings=settings)
    if end in {FilingStatus.SUSPENDED, FilingStatus.REVOKED}:
        reason = "双随机抽查发现考务记录不全" if end == FilingStatus.SUSPENDED else "查实虚假评价"
        set_filing_status(session, actor=SYSTEM, filing_id=filing.id, status=end, reason=reason)


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
        starts=dt.date(2023, 1, 1),
        ends=dt.date(2025, 12, 31),
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


def load_demo(session: Session, settings: Settings) -> list[str]:
    """Load the demo data (once; later runs change nothing) and return lines telling the user where to look."""
    if settings.env == "production":
        raise InvalidInput("生产环境不能加载演示数据", "demo data is refused in production (published passwords)")
    already = session.exec(select(EvaluationBody).where(EvaluationBody.uscc == demo_uscc(1, "440600"))).first()
    if already is None:
        _seed_bodies_and_filings(session, settings)
    _, occupations = search_occupations(session, limit=1)
    base = settings.public_base
    return [
        "demo data "
        + ("loaded" if already is None else "already present")
        + f": 8 grades, {occupations} occupations, 7 evaluation bodies, filings in every state",
        f"  log in at {base}/docs (Authorize) — password for every demo account: {DEMO_PASSWORD}",
        "    regulator          广东省人社厅（演示）",
        "    admin.chain        粤海智能装备集团 (chain lead, 首席技师 filing)",
        "    admin.plant        顺德精工五金 (ordinary employer)",
        "    admin.ecochain     产教评技能生态链评价中心 · admin.social · admin.school",
        f"  public catalogue:  {base}/api/v1/bodies",
        f"  occupations:       {base}/api/v1/occupations?q=6-18",
        f"  比照 look-ups:      {base}/api/v1/equivalences?education=bachelor",
        f"                     {base}/api/v1/equivalences?grade=senior&as_of=2020-01-01",
    ]
