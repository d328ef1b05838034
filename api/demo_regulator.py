"""The demo's year of activity for the regulator's side: five more bodies, a year of monthly exam batches, awards,
certificates, verifications and one sanction — so statistics, anomaly flags and a sanction are there to see.

Kept apart from api/demo.py on purpose (the demo builders are refactored separately). Bodies, filings, people,
certificates and the sanction go through the services; the year's batches, candidates and scores are written as
rows (the lifecycle through the services is the core demo's job, and the regulator reads rows). Two bodies are
clean, three are built to raise flags: 速成 (pass rates, heaped scores, haste, no attestation, late corrections,
an overloaded assessor, identical scoring), 飞跃 (direct recognitions skipping grades) and one certificate
verified from many networks. The year's awards are dated over the past twelve months; their certificates are
printed on the day the demo runs (the signing key is younger than the year).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass, field

from sqlmodel import Session, select

from assessment.assessors.models import Assessor, AssessorCreate, AssessorKind
from assessment.assessors.service import register_assessor
from assessment.batches.models import Candidate, ExamSession, Score, ScoreCorrection, SessionComponent, SessionStatus
from assessment.recognition.models import Path, Recognition, RecognitionStatus, Trigger
from assessment.recognition.rules import RULESET_VERSION as RECOGNITION_VERSION
from certificates.models import Certificate
from certificates.service import issue_certificates
from registry.actor import Actor
from registry.awards.models import AwardBasis, GradeAward
from registry.bodies.models import BodyCreate, BodyKind, EvaluationBody
from registry.bodies.service import create_body
from registry.clock import today, utcnow
from registry.filings.models import FilingCreate, ScopeLineIn
from registry.filings.rules import EvaluationMethod as M
from registry.filings.service import create_filing, decide_filing, submit_filing
from registry.grades import GradeCode as G
from registry.people.models import Person, PersonCreate
from registry.people.service import register_person
from registry.settings import Settings
from registry.validators import id_check_digit, org_code_check_char, uscc_check_char
from regulator import sanctions
from regulator.models import SanctionIn, SanctionKind
from regulator.verification_log import VerificationLog

SYSTEM = Actor.system("demo")
WELDER, ELECTRICIAN = "6-18-02-04", "6-31-01-03"
# key, serial, name, kind, city, site code, role in the story
BODIES = (
    ("steady", 31, "珠江重工装备有限公司", BodyKind.EMPLOYER, "440100", "000131"),
    ("careful", 32, "东莞市精密制造职业技能评价中心", BodyKind.SOCIAL_ORG, "441900", "000132"),
    ("quick", 33, "速成职业技能评价咨询有限公司", BodyKind.SOCIAL_ORG, "440300", "000133"),
    ("leap", 34, "飞跃智造科技有限公司", BodyKind.EMPLOYER, "440600", "000134"),
    ("shoddy", 35, "某批次造假技能评价站", BodyKind.SOCIAL_ORG, "440500", "000135"),
)
MARKER = "速成职业技能评价咨询有限公司"


def _uscc(serial: int, region: str) -> str:
    org = f"{7300000 + serial:08d}"
    org += org_code_check_char(org)
    first17 = f"91{region}{org}"
    return first17 + uscc_check_char(first17)


@dataclass
class Year:
    """What the year's seeding made, for the printout."""

    bodies: dict[str, EvaluationBody] = field(default_factory=dict)
    people: list[Person] = field(default_factory=list)
    assessors: list[Assessor] = field(default_factory=list)
    filings: dict[str, uuid.UUID] = field(default_factory=dict)
    next_person: int = 0

    def person(self) -> Person:
        person = self.people[self.next_person]
        self.next_person += 1
        return person


def _people(session: Session, settings: Settings, count: int) -> list[Person]:
    people = []
    for n in range(count):
        born = dt.date(1978, 1, 1) + dt.timedelta(days=(n * 211) % 8000)
        first17 = f"440104{born:%Y%m%d}{n % 900 + 100:03d}"
        surname, given = "陈林黄周吴郑何罗梁谢"[n % 10], "志强晓燕建华丽娟国平海燕明辉"[(n * 3) % 14 : (n * 3) % 14 + 2]
        person, _ = register_person(
            session,
            actor=SYSTEM,
            settings=settings,
            data=PersonCreate(name=surname + (given or "伟"), id_number=first17 + id_check_digit(first17)),
        )
        people.append(person)
    return people


def _bodies(session: Session, settings: Settings, year: Year, start: dt.date) -> None:
    for key, serial, name, kind, city, site in BODIES:
        body = create_body(
            session,
            actor=SYSTEM,
            data=BodyCreate(
                uscc=_uscc(serial, city),
                name=name,
                kind=kind,
                province_code="44",
                city_code=city,
                site_code=site,
                is_manufacturing=kind == BodyKind.EMPLOYER,
                is_large=key == "leap",
                contact_name="评价办",
            ),
        )
        year.bodies[key] = body
        methods = [M.THEORY_EXAM, M.SKILL_OPERATION, M.COMPREHENSIVE_REVIEW]
        filing = create_filing(
            session,
            actor=SYSTEM,
            data=FilingCreate(
                body_id=body.id,
                ceiling=G.SENIOR_TECHNICIAN,
                starts_on=start,
                ends_on=start + dt.timedelta(days=3 * 365),
                lines=[
                    ScopeLineIn(
                        occupation_code=WELDER,
                        max_grade=G.SENIOR_TECHNICIAN,
                        methods=methods,
                        post_norm_ref="岗位规范 2025 版",
                        direct_recognition=key == "leap",
                    ),
                    ScopeLineIn(
                        occupation_code=ELECTRICIAN,
                        max_grade=G.TECHNICIAN,
                        methods=methods,
                        post_norm_ref="岗位规范 2025 版",
                    ),
                ],
            ),
        )
        year.filings[key] = filing.id
        submit_filing(session, actor=SYSTEM, filing_id=filing.id, settings=settings)
        decide_filing(session, actor=SYSTEM, filing_id=filing.id, approve=True, note="材料齐全", settings=settings)


def _assessors(session: Session, year: Year) -> None:
    for n in range(4):
        year.assessors.append(
            register_assessor(
                session,
                actor=SYSTEM,
                data=AssessorCreate(
                    person_id=year.person().id,
                    card_number=f"K44{9000 + n:05d}",
                    kind=AssessorKind.ASSESSOR,
                    max_grade=G.SENIOR_TECHNICIAN,
                    held_grade=G.SENIOR_TECHNICIAN,
                    valid_from=dt.date(2024, 1, 1),
                    valid_to=dt.date(2030, 12, 31),
                    occupations=[WELDER, ELECTRICIAN],
                ),
            )
        )


def _batch(
    session: Session,
    year: Year,
    rng: random.Random,
    key: str,
    exam_on: dt.date,
    grade: G,
    totals: list[int],
    *,
    attested: bool = True,
    close_after: int = 21,
    same_scores: bool = False,
    scored_at: dt.datetime | None = None,
) -> list[tuple[Candidate, Person]]:
    body = year.bodies[key]
    filing_id = year.filings[key]
    at = dt.datetime.combine(exam_on, dt.time(2), tzinfo=dt.UTC)
    closed = at + dt.timedelta(days=close_after)
    exam = ExamSession(
        body_id=body.id,
        filing_id=filing_id,
        occupation_code=WELDER,
        grade=grade,
        exam_on=exam_on,
        venue=f"{body.name}考场",
        status=SessionStatus.CLOSED,
        attested_at=at + dt.timedelta(hours=6) if attested else None,
        finalized_at=at + dt.timedelta(days=1),
        published_at=at + dt.timedelta(days=1),
        publicity_ends_at=at + dt.timedelta(days=6),
        closed_at=closed,
        created_at=at - dt.timedelta(days=30),
        updated_at=closed,
    )
    session.add(exam)
    session.flush()
    session.add_all(
        SessionComponent(session_id=exam.id, kind=kind, weight=50, pass_mark=60, position=i)
        for i, kind in enumerate((M.THEORY_EXAM, M.SKILL_OPERATION))
    )
    first, second = year.assessors[0], year.assessors[1 if key != "quick" else 2]
    out = []
    for total in totals:
        person = year.person()
        candidate = Candidate(
            session_id=exam.id,
            person_id=person.id,
            eligibility={},
            ruleset_version="eligibility/2026.11-2",
            enrolled_at=at - dt.timedelta(days=20),
            total_tenths=total,
            passed=total >= 600,
        )
        session.add(candidate)
        session.flush()
        jitter = 0 if same_scores else rng.choice((-20, -10, 10, 20))
        when = scored_at or at + dt.timedelta(hours=4)
        session.add_all(
            [
                Score(
                    candidate_id=candidate.id,
                    component=M.THEORY_EXAM,
                    assessor_id=first.id,
                    value_tenths=total,
                    recorded_at=when,
                ),
                Score(
                    candidate_id=candidate.id,
                    component=M.THEORY_EXAM,
                    assessor_id=second.id,
                    value_tenths=max(0, min(1000, total + jitter)),
                    recorded_at=when,
                ),
            ]
        )
        out.append((candidate, person))
    session.flush()
    for candidate, person in out:
        if candidate.passed:
            award = GradeAward(
                person_id=person.id,
                body_id=body.id,
                filing_id=filing_id,
                occupation_code=WELDER,
                grade=grade,
                awarded_on=closed.date(),
                basis=AwardBasis.EXAM,
                basis_ref=candidate.id,
                created_at=closed,
            )
            session.add(award)
            session.flush()
            candidate.award_id = award.id
    session.flush()
    return out


def _recognitions(session: Session, year: Year, months: list[dt.date]) -> None:
    body, filing_id = year.bodies["leap"], year.filings["leap"]
    for i, month in enumerate(months[:10]):
        person = year.person()
        day = month + dt.timedelta(days=10)
        award = GradeAward(
            person_id=person.id,
            body_id=body.id,
            filing_id=filing_id,
            occupation_code=WELDER,
            grade=G.TECHNICIAN,
            awarded_on=day,
            basis=AwardBasis.RECOGNITION,
            created_at=utcnow(),
        )
        session.add(award)
        session.flush()
        recognition = Recognition(
            body_id=body.id,
            person_id=person.id,
            occupation_code=WELDER,
            target_grade=G.TECHNICIAN,
            path=Path.DR_D,
            triggers=[Trigger.T8.value] if i % 2 else [Trigger.T1.value, Trigger.T8.value],
            evidence=[{"kind": "业绩材料", "ref": f"飞跃-{i:03d}", "description": "岗位业绩"}],
            waived=["sequential"],
            justifications={},
            methods=["performance_review"],
            status=RecognitionStatus.APPROVED,
            report={"allowed": True, "rules": []},
            ruleset_version=RECOGNITION_VERSION,
            decision_note="企业自主认定",
            decided_at=dt.datetime.combine(day, dt.time(3), tzinfo=dt.UTC),
            award_id=award.id,
            created_at=utcnow(),
        )
        award.basis_ref = recognition.id
        session.add(recognition)
    session.flush()


def seed_regulator_year(session: Session, settings: Settings) -> list[str]:
    """Seed the year (once; a second run changes nothing) and return lines for the demo's printout."""
    if session.exec(select(EvaluationBody).where(EvaluationBody.name == MARKER)).first() is not None:
        return _lines(settings)
    rng = random.Random(2026)  # noqa: S311 - the same demo every time
    end = today()
    months = [(end.replace(day=1) - dt.timedelta(days=31 * k)).replace(day=1) for k in range(11, -1, -1)]
    year = Year()
    _bodies(session, settings, year, months[0] - dt.timedelta(days=60))
    year.people = _people(session, settings, 280)
    _assessors(session, year)
    for i, month in enumerate(months[:-1]):
        exam_on = month + dt.timedelta(days=12)
        grade = (G.JUNIOR, G.INTERMEDIATE, G.SENIOR)[i % 3]
        _batch(session, year, rng, "steady", exam_on, grade, [rng.randrange(450, 950, 5) for _ in range(6)])
        _batch(session, year, rng, "careful", exam_on, grade, [rng.randrange(480, 960, 5) for _ in range(5)])
        quick = _batch(
            session,
            year,
            rng,
            "quick",
            exam_on,
            grade,
            [rng.randrange(600, 625, 5) for _ in range(6)],
            attested=i % 4 != 0,
            close_after=3,
            same_scores=True,
        )
        if i % 5 == 2:
            assessor = year.assessors[0]
            session.add_all(
                ScoreCorrection(
                    candidate_id=candidate.id,
                    component=M.THEORY_EXAM,
                    assessor_id=assessor.id,
                    old_tenths=590,
                    new_tenths=candidate.total_tenths or 600,
                    reason="复核后更正",
                    recorded_by="速成评价",
                    recorded_at=dt.datetime.combine(exam_on, dt.time(2), tzinfo=dt.UTC) + dt.timedelta(days=2),
                )
                for candidate, _ in quick[:3]
            )
    # one day on which an assessor "scored" sixty-five candidates
    busy_day = months[6] + dt.timedelta(days=20)
    _batch(
        session,
        year,
        rng,
        "quick",
        busy_day,
        G.INTERMEDIATE,
        [rng.randrange(600, 640, 5) for _ in range(65)],
        close_after=4,
        same_scores=True,
        scored_at=dt.datetime.combine(busy_day, dt.time(3), tzinfo=dt.UTC),
    )
    fraud = _batch(session, year, rng, "shoddy", months[8] + dt.timedelta(days=5), G.SENIOR, [700] * 6)
    _recognitions(session, year, months)
    awards = session.exec(
        select(GradeAward.id).where(
            GradeAward.basis != AwardBasis.LEGACY,
            GradeAward.body_id.in_([b.id for b in year.bodies.values()]),  # type: ignore[union-attr]
        )
    ).all()
    issue_certificates(session, actor=SYSTEM, award_ids=list(awards), settings=settings)
    fraud_batch = session.get(Candidate, fraud[0][0].id)
    assert fraud_batch is not None
    sanctions.impose(
        session,
        actor=SYSTEM,
        data=SanctionIn(
            kind=SanctionKind.REVOKE_BATCH,
            body_id=year.bodies["shoddy"].id,
            batch_id=fraud_batch.session_id,
            reason="双随机抽查：考场无监控记录，考生未到场却有成绩，认定虚假评价（演示）",
        ),
    )
    sanctions.impose(
        session,
        actor=SYSTEM,
        data=SanctionIn(
            kind=SanctionKind.WARNING,
            body_id=year.bodies["quick"].id,
            deadline=end + dt.timedelta(days=60),
            reason="通过率与成绩分布异常，限期提交考务记录并整改（演示）",
        ),
    )
    number = session.exec(
        select(Certificate.number).where(Certificate.body_id == year.bodies["steady"].id).order_by(Certificate.number)
    ).first()
    log = VerificationLog(settings)
    for i in range(24):
        log.record(number, f"100.{64 + i}.{i * 7 % 250}.20")
    log.flush(session)
    return _lines(settings)


def _lines(settings: Settings) -> list[str]:
    base = settings.public_base
    return [
        "  regulator (log in as regulator): a year of activity by five more bodies, flags and two sanctions —",
        f"    statistics:       {base}/api/v1/regulator/stats",
        f"    anomaly flags:    {base}/api/v1/regulator/anomalies",
        f"    sanctions:        {base}/api/v1/regulator/sanctions   · public register: {base}/api/v1/sanctions",
        f"    export (Excel):   {base}/api/v1/regulator/export.xlsx?kind=stats",
    ]
