"""Typed factories with keyword overrides; they go through the services, so audit and rules apply."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from assessment.assessors.models import Assessor, AssessorCreate, AssessorKind
from assessment.assessors.service import register_assessor
from assessment.batches.models import ExamSession, SessionCreate
from assessment.batches.service import create_batch, open_batch
from registry.accounts.models import UserAccount, UserCreate
from registry.accounts.service import create_user
from registry.actor import Actor, Role
from registry.awards.legacy import FAMILY_GRADES, record_legacy_award
from registry.awards.models import AwardBasis, CertificateFamily, GradeAward, LegacyAwardIn, LegacyEvidence
from registry.awards.service import create_award
from registry.bodies.models import BodyCreate, BodyKind, EvaluationBody
from registry.bodies.service import create_body
from registry.filings.models import Filing, FilingCreate, ScopeLineIn
from registry.filings.rules import EvaluationMethod
from registry.filings.service import create_filing, decide_filing, submit_filing
from registry.grades import GradeCode
from registry.people.models import EmploymentIn, Person, PersonCreate
from registry.people.service import register_person
from registry.settings import Settings
from registry.validators import id_check_digit, org_code_check_char, uscc_check_char

SYSTEM = Actor.system("tests")
HAN_DIGITS = "零一二三四五六七八九"
PASSWORD = "correct horse battery"
_sequence = itertools.count(1)


def valid_uscc(region: str = "440300") -> str:
    """Return a fresh, valid 统一社会信用代码 (GB 32100 and GB 11714 check characters)."""
    org = f"{uuid.uuid4().int % 10**8:08d}"
    org += org_code_check_char(org)
    first17 = f"91{region}{org}"
    return first17 + uscc_check_char(first17)


_site_codes = itertools.count(900_000)


def fresh_site_code() -> str:
    """A site code no factory body uses (bodies made through the API need one to have a filing approved)."""
    return f"{next(_site_codes):06d}"


def make_body(session: Session, *, actor: Actor = SYSTEM, **overrides: Any) -> EvaluationBody:
    """Register a body (default: an ordinary Shenzhen manufacturer)."""
    n = next(_sequence)
    values: dict[str, Any] = {
        "uscc": valid_uscc(),
        "name": f"测试制造有限公司{n}",
        "kind": BodyKind.EMPLOYER,
        "province_code": "44",
        "city_code": "440300",
        "is_manufacturing": True,
        "site_code": f"{n % 10**6:06d}",
    }
    values.update(overrides)
    return create_body(session, actor=actor, data=BodyCreate(**values))


def han_number(n: int) -> str:
    """n written with Chinese digits, for names (a person's name may not contain 0-9): 12 → 一二."""
    return "".join(HAN_DIGITS[int(d)] for d in str(n))


def make_user(
    session: Session,
    settings: Settings,
    *,
    role: Role = Role.REGULATOR,
    body: EvaluationBody | None = None,
    username: str | None = None,
    password: str = PASSWORD,
) -> UserAccount:
    """Create an account through the service."""
    name = username or f"{role.value.replace('_', '-')}-{next(_sequence)}"
    data = UserCreate(username=name, role=role, body_id=body.id if body else None, password=password, display_name=name)
    return create_user(session, actor=SYSTEM, data=data, settings=settings)


def scope_line(
    occupation_code: str = "6-18-02-04", max_grade: GradeCode = GradeCode.SENIOR_TECHNICIAN, **overrides: Any
) -> ScopeLineIn:
    """A scope line (default: 焊工 up to 高级技师 by theory and skill)."""
    values: dict[str, Any] = {
        "occupation_code": occupation_code,
        "max_grade": max_grade,
        "methods": [
            EvaluationMethod.THEORY_EXAM,
            EvaluationMethod.SKILL_OPERATION,
            EvaluationMethod.COMPREHENSIVE_REVIEW,
        ],
        "post_norm_ref": "岗位规范 2026 版",
    }
    values.update(overrides)
    return ScopeLineIn(**values)


def filing_data(body: EvaluationBody, **overrides: Any) -> FilingCreate:
    """A filing payload (default: 高级技师 ceiling, 焊工 and 电工, three years from 2026-01-01)."""
    values: dict[str, Any] = {
        "body_id": body.id,
        "ceiling": GradeCode.SENIOR_TECHNICIAN,
        "starts_on": dt.date(2026, 1, 1),
        "ends_on": dt.date(2028, 12, 31),
        "lines": [scope_line(), scope_line("6-31-01-03")],
    }
    values.update(overrides)
    return FilingCreate(**values)


def make_filing(
    session: Session,
    settings: Settings,
    *,
    body: EvaluationBody,
    approve: bool = True,
    submit: bool = True,
    **overrides: Any,
) -> Filing:
    """Create a filing and (by default) submit and approve it."""
    filing = create_filing(session, actor=SYSTEM, data=filing_data(body, **overrides))
    if submit:
        submit_filing(session, actor=SYSTEM, filing_id=filing.id, settings=settings)
        if approve:
            decide_filing(session, actor=SYSTEM, filing_id=filing.id, approve=True, note="符合条件", settings=settings)
    return filing


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Log in through the API and return the Authorization header."""
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def to_json(model: Any) -> Any:
    """A pydantic model as a JSON-ready dict."""
    return model.model_dump(mode="json")


# ------------------------------------------------------------------------------------------ assessment

_person_sequence = itertools.count(1)


def valid_id(*, birth: dt.date | None = None, region: str = "440106") -> str:
    """Return a fresh, valid 居民身份证号码 (GB 11643 check digit)."""
    n = next(_person_sequence)
    born = birth or dt.date(1985, 1, 1) + dt.timedelta(days=n // 900)
    first17 = f"{region}{born:%Y%m%d}{n % 900 + 100:03d}"
    return first17 + id_check_digit(first17)


def make_person(
    session: Session,
    settings: Settings,
    *,
    employer: EvaluationBody | None = None,
    actor: Actor = SYSTEM,
    name: str | None = None,
    id_number: str | None = None,
    dispatched: bool = False,
    employed_since: dt.date = dt.date(2015, 1, 1),
) -> Person:
    """Register a person (default name 王小明 + a number in Chinese digits), employed by employer if given."""
    employment = None
    if employer is not None:
        employment = EmploymentIn(
            employer_uscc=employer.uscc,
            employer_name=employer.name,
            dispatched=dispatched,
            agency_name="某劳务派遣公司" if dispatched else "",
            starts_on=employed_since,
        )
    data = PersonCreate(
        name=name or f"王小明{han_number(next(_sequence))}", id_number=id_number or valid_id(), employment=employment
    )
    person, _ = register_person(session, actor=actor, data=data, settings=settings)
    return person


def make_assessor(
    session: Session,
    settings: Settings,
    *,
    kind: AssessorKind = AssessorKind.ASSESSOR,
    occupations: tuple[str, ...] = ("6-18-02-04", "6-31-01-03"),
    max_grade: GradeCode = GradeCode.SENIOR_TECHNICIAN,
    held_grade: GradeCode = GradeCode.SENIOR_TECHNICIAN,
    body: EvaluationBody | None = None,
) -> Assessor:
    """Issue an assessor (or supervisor) card valid 2025–2029."""
    person = make_person(session, settings, name=f"考评员{han_number(next(_sequence))}")
    prefix = "K" if kind == AssessorKind.ASSESSOR else "R"
    return register_assessor(
        session,
        actor=SYSTEM,
        data=AssessorCreate(
            person_id=person.id,
            card_number=f"{prefix}{next(_sequence):07d}",
            kind=kind,
            body_id=body.id if body else None,
            max_grade=max_grade,
            held_grade=held_grade,
            valid_from=dt.date(2025, 1, 1),
            valid_to=dt.date(2029, 12, 31),
            occupations=list(occupations),
        ),
    )


def assessor_actor(assessor: Assessor) -> Actor:
    """The actor of an assessor's (or supervisor's) account."""
    role = Role.ASSESSOR if assessor.kind == AssessorKind.ASSESSOR else Role.SUPERVISOR
    return Actor(label=assessor.card_number, role=role, assessor_id=assessor.id, person_id=assessor.person_id)


@dataclass
class Batch:
    """A batch with its staff."""

    exam: ExamSession
    assessors: list[Assessor]
    supervisor: Assessor


def make_batch(
    session: Session,
    settings: Settings,
    *,
    body: EvaluationBody,
    occupation_code: str = "6-18-02-04",
    grade: GradeCode = GradeCode.SENIOR,
    assessors: int = 3,
    exam_on: dt.date = dt.date(2026, 6, 15),
    open_it: bool = True,
    **overrides: Any,
) -> Batch:
    """Plan (and by default open) a batch with qualified assessors and a supervisor."""
    staff = [make_assessor(session, settings) for _ in range(assessors)]
    supervisor = make_assessor(session, settings, kind=AssessorKind.SUPERVISOR)
    data = SessionCreate(
        body_id=body.id,
        occupation_code=occupation_code,
        grade=grade,
        exam_on=exam_on,
        venue="佛山市顺德区职业技能鉴定考场",
        assessor_ids=[a.id for a in staff],
        supervisor_id=supervisor.id,
        **overrides,
    )
    exam = create_batch(session, actor=SYSTEM, data=data, settings=settings)
    if open_it:
        open_batch(session, actor=SYSTEM, batch_id=exam.id)
    return Batch(exam, staff, supervisor)


_legacy_numbers = itertools.count(1)


def legacy_data(
    person: Person,
    *,
    grade: GradeCode = GradeCode.SENIOR,
    occupation_code: str = "6-18-02-04",
    on: dt.date = dt.date(2020, 6, 30),
    family: CertificateFamily = CertificateFamily.QUALIFICATION,
    number: str | None = None,
) -> LegacyAwardIn:
    """A legacy certificate as recorded (default: a 2020 职业资格证书 for 焊工 高级工)."""
    return LegacyAwardIn(
        person_id=person.id,
        occupation_code=occupation_code,
        grade=grade,
        family=family,
        issuing_authority="广东省职业技能鉴定指导中心",
        original_number=number or f"1544{next(_legacy_numbers):010d}",
        awarded_on=on,
        evidence=[LegacyEvidence(kind="原证书扫描件", ref="档案 2020-117")],
    )


def give_award(
    session: Session,
    *,
    person: Person,
    body: EvaluationBody | None = None,
    grade: GradeCode,
    occupation_code: str = "6-18-02-04",
    on: dt.date = dt.date(2026, 3, 1),
) -> GradeAward:
    """Give a person a grade as a legacy record the regulator makes (it counts at once; no filing needed)."""
    del body  # legacy records have no awarding body
    award, _ = record_legacy_award(
        session,
        actor=SYSTEM,
        data=legacy_data(person, grade=grade, occupation_code=occupation_code, on=on, family=_family(grade, on)),
    )
    return award


def _family(grade: GradeCode, on: dt.date) -> CertificateFamily:
    qualification = grade in FAMILY_GRADES[CertificateFamily.QUALIFICATION] and on.year < 2020
    return CertificateFamily.QUALIFICATION if qualification else CertificateFamily.SKILL_LEVEL


# ------------------------------------------------------------------------------------------ certificates


def ensure_signing_key(settings: Settings) -> str:
    """Make sure the test's key directory has an active key; return its kid."""
    from certificates import signing
    from registry.clock import utcnow

    return signing.ensure_key(settings.key_dir, now=utcnow()).kid


def make_certificate(
    session: Session,
    settings: Settings,
    *,
    body: EvaluationBody | None = None,
    grade: GradeCode = GradeCode.SENIOR,
    occupation_code: str = "6-18-02-04",
    person: Person | None = None,
) -> Any:
    """Issue a certificate for a fresh award of a body with an approved filing."""
    from certificates.service import get_certificate, issue_certificates
    from registry.clock import today

    ensure_signing_key(settings)
    if body is None:
        body = make_body(session)
        make_filing(
            session,
            settings,
            body=body,
            starts_on=today() - dt.timedelta(days=365),
            ends_on=today() + dt.timedelta(days=3 * 365),
        )
    holder = person or make_person(session, settings, employer=body)
    award = create_award(
        session,
        actor=SYSTEM,
        person_id=holder.id,
        body_id=body.id,
        occupation_code=occupation_code,
        grade=grade,
        basis=AwardBasis.EXAM,
        basis_ref=None,
        awarded_on=today(),
    )
    outcome = issue_certificates(session, actor=SYSTEM, award_ids=[award.id], settings=settings)
    ((_, number, _),) = outcome.issued
    return get_certificate(session, actor=SYSTEM, number=number)


def as_v1_print(session: Session, settings: Settings, certificate: Any) -> str:
    """Re-sign a certificate's current print as the registry did before v2 tokens (holder binding inside).

    For tests of the prints already out there: their offline holder check keeps working, and the revocation
    list still keys them. Returns the v1 token (also stored as the certificate's token).
    """
    from certificates import signing
    from certificates.tokens import Claims
    from registry import pii

    person = session.get(Person, certificate.person_id)
    assert person is not None
    number = pii.decrypt(settings, person.id_number_enc, context=person.id_type.value)
    person.holder_binding = pii.holder_binding(person.name, number, log2_n=4)
    claims = Claims.decode(token_payload(certificate.token))
    v1 = Claims(**{**claims.__dict__, "status_ref": person.holder_binding, "version": 1})
    certificate.token = signing.sign(signing.load_signer(settings.key_dir), v1.encode())
    certificate.status_ref = None
    session.flush()
    return str(certificate.token)


def token_payload(token: str) -> bytes:
    """The JWS payload of a token, as anyone holding the link can read it (no key needed)."""
    import base64

    segment = token.split(".")[1]
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
