"""Volume loader: fill a scratch PostgreSQL database with a realistic synthetic registry, fast (COPY).

What it makes, for N certificates (the default benchmark: 1,000,000 filler + 3,000 real):

- bodies (employers, chain bodies, social organisations, technical schools) in several provinces and cities, with
  valid USCCs and distinct site codes, each with an expired and a current approved filing (plus a few drafts,
  submitted and rejected ones) — all made through the registry's own services, so rule reports, audit events
  and validation are real; a few bodies end suspended or revoked (with a high revocation rate at the latter);
- exam batches (closed, with components), candidates (about one in nine fails), people, their links to bodies
  and employments, awards (mostly exam; direct recognitions and competition promotions with their recognition
  rows), certificates with their prints, over several years of issue dates, occupations from the shipped
  catalogue and every grade; about 1.5 % revoked, 1 % suspended, 1.5 % reissued (superseded print);
- `real` of those awards get their certificates from the project's own issuing service (issue_certificates)
  after the COPY, so their tokens are whatever the code signs today; a few of them are then revoked, suspended
  and reissued through the services too. Their holders' rows carry real encrypted IDs and keyed hashes (no
  holder binding: v2 tokens carry none). The returned tokens (with the verdict each should get) are what the
  load test rotates over.

Every person's ID is encrypted and hashed with registry.pii (the derived keys are cached for the load, the
output is the same); filler holders share a pool of ciphertexts, and filler certificates carry an unsigned
placeholder of a real token's length (never a hand-made token: the token format is the signing code's business).

Columns come from the SQLModel table metadata: each generator yields dict rows; a NOT NULL column that no
generator fills and that has no default fails the load (naming the column) before that table's first COPY,
and so does a generated column the table no longer has. Not filled: assessors, batch staff and individual
scores, objections, appointments, user accounts, and audit events for the COPY-loaded rows (the real issuance
and the body/filing set-up are audited).

    python -m bench.volume --database-url postgresql+psycopg://postgres@127.0.0.1:5432/registry_bench_x \\
        --key-dir /tmp/keys --certificates 1000000 --real 3000
"""

from __future__ import annotations

import argparse
import bisect
import collections
import concurrent.futures
import datetime as dt
import functools
import json
import operator
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import psycopg
import sqlalchemy as sa
from sqlmodel import col, select

from api.metadata import load_all_models
from assessment.batches import scoring
from assessment.batches.eligibility import RULESET_VERSION as ELIGIBILITY_VERSION
from assessment.recognition.rules import RULESET_VERSION as RECOGNITION_VERSION
from certificates import numbering, signing
from certificates.models import Certificate, CertificateStatus, RevocationReason
from certificates.service import issue_certificates, reissue, set_status
from registry import grades, keys, pii
from registry.actor import Actor
from registry.bodies.models import BodyCreate, BodyKind, BodyStatus
from registry.bodies.service import create_body, set_body_status
from registry.catalogue.models import City, Occupation
from registry.clock import CHINA_TZ, today, utcnow
from registry.db import make_engine, session_scope
from registry.filings.models import FilingCreate, ScopeLineIn
from registry.filings.rules import EvaluationMethod
from registry.filings.service import create_filing, decide_filing, submit_filing
from registry.grades import GradeCode
from registry.settings import Settings
from registry.validators import (
    id_check_digit,
    mask_id,
    org_code_check_char,
    uscc_check_char,
)
from regulator import summary_sql, tally_sql

SYSTEM = Actor.system("bench-volume")
FLUSH_ROWS = 60_000
FILLER_TOKEN_LENGTH = 372  # about a real token's length, so rows are as wide as real ones
SEED = 20261121
CIPHERTEXT_POOL = 512

# Realistic shares (outside knowledge, for benchmarks only).
GRADE_WEIGHTS = {
    GradeCode.APPRENTICE: 3.0,
    GradeCode.JUNIOR: 25.0,
    GradeCode.INTERMEDIATE: 30.0,
    GradeCode.SENIOR: 26.0,
    GradeCode.TECHNICIAN: 10.5,
    GradeCode.SENIOR_TECHNICIAN: 4.5,
    GradeCode.SPECIAL_TECHNICIAN: 3.0,  # only qualifying Guangdong employers file these (001:44), and they do
    GradeCode.CHIEF_TECHNICIAN: 1.5,
}
PROVINCE_WEIGHTS = {"44": 55, "32": 8, "33": 8, "31": 5, "37": 5, "11": 4, "51": 5, "42": 5, "35": 5}
KIND_WEIGHTS = {BodyKind.EMPLOYER: 62, BodyKind.CHAIN_BODY: 4, BodyKind.SOCIAL_ORG: 24, BodyKind.SCHOOL: 10}
REVOKED_SHARE, SUSPENDED_SHARE, REISSUED_SHARE = 0.015, 0.01, 0.015
FAIL_SHARE = 0.11
RETURNING_SHARE = 0.12
LEGACY_SHARE = 0.03  # people who bring a certificate from before the registry (legacy award, no new certificate)
LEGACY_GRADES = (GradeCode.JUNIOR, GradeCode.INTERMEDIATE, GradeCode.SENIOR, GradeCode.TECHNICIAN)
REVOCATION_REASONS = (
    (RevocationReason.FRAUDULENT_EVALUATION, 40),
    (RevocationReason.ISSUED_IN_ERROR, 25),
    (RevocationReason.DUPLICATE, 15),
    (RevocationReason.AWARD_WITHDRAWN, 10),
    (RevocationReason.COURT_ORDER, 2),
    (RevocationReason.OTHER, 8),
)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力斌宇浩凯鹏飞鑫波健俊峰志海东林兵春亮晨雪晓燕"
INDUSTRY = ("智能装备", "精密制造", "汽车零部件", "电子信息", "新材料", "船舶重工", "家电", "电力设备", "化工", "建工")
BRAND = "华粤海鹏远嘉信达瑞通宏兴恒泰鼎盛安康联创"
REGION_ZH = {
    "44": "广东",
    "32": "江苏",
    "33": "浙江",
    "31": "上海",
    "37": "山东",
    "11": "北京",
    "51": "四川",
    "42": "湖北",
    "35": "福建",
}


class VolumeError(RuntimeError):
    """The loader cannot fill the schema as it stands (a column without a generator, an unknown column)."""


@dataclass(frozen=True)
class RealToken:
    """A token signed by the issuing service, and the verdict online verification should give it."""

    token: str
    number: str
    verdict: str  # valid | revoked | suspended | superseded


@dataclass
class VolumeReport:
    """What the loader made and how long it took."""

    certificates: int
    filler_certificates: int
    real_certificates: int
    rows: dict[str, int]
    seconds: float
    phases: dict[str, float]
    fk_checks_during_copy: bool
    tokens: list[RealToken] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary (without the tokens)."""
        verdicts = collections.Counter(t.verdict for t in self.tokens)
        return {
            "certificates": self.certificates,
            "filler_certificates": self.filler_certificates,
            "real_certificates": self.real_certificates,
            "real_tokens": len(self.tokens),
            "real_token_verdicts": dict(sorted(verdicts.items())),
            "rows": self.rows,
            "load_seconds": round(self.seconds, 1),
            "phases_seconds": {k: round(v, 1) for k, v in self.phases.items()},
            "fk_checks_during_copy": self.fk_checks_during_copy,
        }


# --- columns from the table metadata --------------------------------------------------------------------------


class TableWriter:
    """Turns dict rows into COPY tuples for one table, with the column list checked against its metadata."""

    def __init__(self, table: sa.Table, generated: Sequence[str]) -> None:
        unknown = sorted(set(generated) - set(table.columns.keys()))
        if unknown:
            raise VolumeError(f"{table.name}: the generator fills columns the table does not have: {unknown}")
        self.table = table
        constants: list[Any] = []
        constant_names: list[str] = []
        factories: list[Callable[[], Any]] = []
        factory_names: list[str] = []
        for column in table.columns:
            if column.name in generated or column.nullable or column.server_default is not None:
                continue
            default = column.default
            as_json = isinstance(column.type, sa.JSON)  # COPY takes JSON columns as text
            if default is not None and getattr(default, "is_scalar", False):
                value = default.arg  # type: ignore[attr-defined]
                value = value.value if hasattr(value, "value") else value
                constants.append(json.dumps(value) if as_json else value)
                constant_names.append(column.name)
            elif default is not None and getattr(default, "is_callable", False):
                factory = functools.partial(default.arg, None)  # type: ignore[attr-defined]
                factories.append(functools.partial(_json_of, factory) if as_json else factory)
                factory_names.append(column.name)
            else:
                raise VolumeError(
                    f"{table.name}.{column.name} is NOT NULL and has no generator or default: "
                    "add it to the generator in bench/volume.py"
                )
        self.columns = [*generated, *constant_names, *factory_names]
        self._get = operator.itemgetter(*generated)
        self._constants = tuple(constants)
        self._factories = tuple(factories)
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0

    def add(self, row: dict[str, Any]) -> None:
        """Queue one row (every generated key must be present)."""
        values = self._get(row)
        if not isinstance(values, tuple):
            values = (values,)
        if self._factories:
            values += self._constants + tuple(f() for f in self._factories)
        elif self._constants:
            values += self._constants
        self.rows.append(values)

    def copy_statement(self) -> str:
        """COPY … FROM STDIN for this table's columns."""
        return f"COPY {self.table.name} ({', '.join(self.columns)}) FROM STDIN"


def _json_of(factory: Callable[[], Any]) -> str:
    return json.dumps(factory())


class CopyLoader:
    """Buffers rows per table and writes them with COPY in foreign-key order, on a writer thread.

    While PostgreSQL takes one batch (the writer thread waits on the socket, without the GIL), the generator
    builds the next; at most one batch is in flight, and a failed COPY is raised at the next flush.
    """

    def __init__(self, conn: psycopg.Connection[Any], metadata: sa.MetaData) -> None:
        self.conn = conn
        self.metadata = metadata
        self.order = [t.name for t in metadata.sorted_tables]
        self.writers: dict[str, TableWriter] = {}
        self.pending = 0
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="copy")
        self._in_flight: concurrent.futures.Future[None] | None = None

    def add(self, table: str, row: dict[str, Any]) -> None:
        """Queue a row for table (the first row fixes and checks the column list)."""
        writer = self.writers.get(table)
        if writer is None:
            writer = self.writers[table] = TableWriter(self.metadata.tables[table], list(row))
        writer.add(row)
        self.pending += 1
        if self.pending >= FLUSH_ROWS:
            self.flush(wait=False)

    def flush(self, *, wait: bool = True) -> None:
        """Hand the queued rows to the writer (after the previous batch is in); wait=True waits for this one too."""
        self._settle()
        batch = []
        for name in self.order:
            writer = self.writers.get(name)
            if writer is not None and writer.rows:
                batch.append((writer.copy_statement(), writer.rows))
                writer.written += len(writer.rows)
                writer.rows = []
        self.pending = 0
        self._in_flight = self._pool.submit(self._copy, batch)
        if wait:
            self._settle()

    def _settle(self) -> None:
        if self._in_flight is not None:
            future, self._in_flight = self._in_flight, None
            future.result()

    def _copy(self, batch: list[tuple[str, list[tuple[Any, ...]]]]) -> None:
        with self.conn.cursor() as cursor:
            for statement, rows in batch:
                with cursor.copy(statement) as copy:
                    for values in rows:
                        copy.write_row(values)
        self.conn.commit()

    def close(self) -> None:
        """Wait for the last batch and stop the writer thread."""
        try:
            self._settle()
        finally:
            self._pool.shutdown()

    def counts(self) -> dict[str, int]:
        """Rows written per table."""
        return {name: w.written for name, w in self.writers.items()}


# --- the synthetic registry ---------------------------------------------------------------------------------


@dataclass
class FilingPlan:
    """An approved filing of a body and its window."""

    id: uuid.UUID
    starts_on: dt.date
    ends_on: dt.date


@dataclass
class BodyPlan:
    """A body and what the generator needs to know about it."""

    id: uuid.UUID
    kind: BodyKind
    province: str
    city: str | None
    uscc: str
    name: str
    site_code: str
    category: str
    ceiling: GradeCode
    lines: dict[str, GradeCode]  # occupation -> max grade
    occupations: list[str]
    occupation_cum: list[float]
    starts_on: dt.date
    filings: list[FilingPlan]
    quota: int = 0
    fate: BodyStatus = BodyStatus.ACTIVE
    fate_on: dt.date | None = None

    def filing_for(self, day: dt.date) -> FilingPlan:
        """The approved filing in force on day."""
        for filing in self.filings:
            if filing.starts_on <= day <= filing.ends_on:
                return filing
        raise AssertionError(f"no filing of {self.name} covers {day}")


def _cum(weights: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _pick(rng: random.Random, items: Sequence[Any], cum: Sequence[float]) -> Any:
    return items[bisect.bisect_right(cum, rng.random() * cum[-1])]


def make_uscc(index: int, kind: BodyKind, region6: str) -> str:
    """A valid, distinct 统一社会信用代码 for the index-th synthetic body (GB 32100 and GB 11714 check characters)."""
    prefix = {BodyKind.SOCIAL_ORG: "52", BodyKind.SCHOOL: "12"}.get(kind, "91")
    org8 = f"{(31_000_000 + index * 7919) % 100_000_000:08d}"
    org9 = org8 + org_code_check_char(org8)
    first17 = prefix + region6 + org9
    return first17 + uscc_check_char(first17)


def make_resident_id(rng: random.Random, region6: str, birth: dt.date) -> str:
    """A resident ID number with a valid GB 11643 check digit."""
    first17 = f"{region6}{birth.year}{birth.month:02d}{birth.day:02d}{rng.randrange(1000):03d}"
    return first17 + id_check_digit(first17)


def _name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


@contextmanager
def cached_pii_keys() -> Iterator[None]:
    """Derive each PII key once for the whole load (same keys and output as registry.pii, without HKDF per call)."""
    cache: dict[tuple[int, str, int], bytes] = {}

    def derive(settings: Settings, purpose: str, *, length: int = 32) -> bytes:
        key = (id(settings), purpose, length)
        if key not in cache:
            cache[key] = keys.derive_key(settings, purpose, length=length)
        return cache[key]

    with mock.patch.object(pii, "derive_key", derive):
        yield


UUID_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
UUID_V4_SET = (0x4000 << 64) | (0x8000 << 48)


def _uuid(rng: random.Random) -> str:
    """A random version-4 UUID as 32 hex digits (what COPY reads; cheaper than uuid.UUID objects by the million)."""
    return f"{rng.getrandbits(128) & UUID_V4_CLEAR | UUID_V4_SET:032x}"


@dataclass
class _Pools:
    """Precomputed values reused across rows (results, eligibility reports, encrypted IDs)."""

    passed: dict[bool, list[tuple[int, str]]]  # high grade? -> (total_tenths, results JSON)
    failed: dict[bool, list[tuple[int, str]]]
    eligibility: dict[str, str]
    ciphertexts: dict[str, list[str]]  # id type -> encrypted sample IDs (filler people share them)
    recognition_report: dict[str, str]


def _pools(rng: random.Random, settings: Settings) -> _Pools:
    passed: dict[bool, list[tuple[int, str]]] = {False: [], True: []}
    failed: dict[bool, list[tuple[int, str]]] = {False: [], True: []}
    for high in (False, True):
        rules = scoring.default_components(GradeCode.TECHNICIAN if high else GradeCode.SENIOR)
        while len(passed[high]) < 300 or len(failed[high]) < 100:
            scores = {r.kind: [rng.randint(450, 980) for _ in range(3)] for r in rules}
            result = scoring.evaluate(rules, scores)
            pool = passed if result.passed else failed
            pool[high].append((result.total_tenths, json.dumps(result.as_dict(), ensure_ascii=False)))
    eligibility = {
        p: json.dumps(
            {
                "ruleset": "eligibility",
                "version": ELIGIBILITY_VERSION,
                "jurisdiction": p,
                "draft_in_force": p in settings.draft_rules_jurisdictions,
                "allowed": True,
                "results": [],
            }
        )
        for p in PROVINCE_WEIGHTS
    }
    report = {
        p: json.dumps(
            {
                "ruleset": "recognition",
                "version": RECOGNITION_VERSION,
                "jurisdiction": p,
                "draft_in_force": p in settings.draft_rules_jurisdictions,
                "allowed": True,
                "results": [],
            }
        )
        for p in PROVINCE_WEIGHTS
    }
    sample_ids = [make_resident_id(rng, "440106", dt.date(1990, 1, 1)) for _ in range(CIPHERTEXT_POOL)]
    ciphertexts = {
        id_type: [pii.encrypt(settings, number, context=id_type) for number in sample_ids]
        for id_type in ("resident_id", "hk_macao_permit", "passport")
    }
    return _Pools(passed, failed, eligibility, ciphertexts, report)


def _top_grade(levels: str) -> GradeCode:
    top = min(int(c) for c in levels if c.isdigit())
    grade = grades.by_national_level(top)
    assert grade is not None
    return grade


def _plan_bodies(session: Any, rng: random.Random, count: int, start: dt.date, split: dt.date) -> list[BodyPlan]:
    occupations = {o.code: o.levels for o in session.exec(select(Occupation)).all()}
    cities: dict[str, list[str]] = collections.defaultdict(list)
    for city in session.exec(select(City)).all():
        cities[city.province_code].append(city.code)
    provinces, province_cum = list(PROVINCE_WEIGHTS), _cum(list(PROVINCE_WEIGHTS.values()))
    kinds, kind_cum = list(KIND_WEIGHTS), _cum(list(KIND_WEIGHTS.values()))
    codes = sorted(occupations)
    plans = []
    for index in range(count):
        kind = BodyKind.EMPLOYER if index < 3 else _pick(rng, kinds, kind_cum)
        province = "44" if index < 3 else _pick(rng, provinces, province_cum)
        city = rng.choice(cities[province]) if cities.get(province) else None
        region6 = city or f"{province}0000"
        qualified = kind == BodyKind.EMPLOYER and province == "44" and (index < 3 or rng.random() < 0.06)
        if qualified:
            ceiling = GradeCode.CHIEF_TECHNICIAN if index % 2 == 0 else GradeCode.SPECIAL_TECHNICIAN
        elif kind == BodyKind.SCHOOL:
            ceiling = GradeCode.TECHNICIAN
        else:
            ceiling = GradeCode.SENIOR_TECHNICIAN
        chosen = rng.sample(codes, rng.randint(3, min(9, len(codes))))
        lines = {}
        for code in chosen:
            top = _top_grade(occupations[code])
            cap = ceiling if qualified and top == GradeCode.SENIOR_TECHNICIAN else top
            lines[code] = min(cap, ceiling, key=grades.ordinal)
        weights = [1 / (i + 1) for i in range(len(chosen))]
        joined = (
            start
            if index < 3 or rng.random() < 0.6
            else start + dt.timedelta(days=rng.randint(0, (split - start).days * 3 // 2))
        )
        brand = "".join(rng.sample(BRAND, 2))
        place = REGION_ZH[province]
        name = {
            BodyKind.EMPLOYER: f"{place}{brand}{rng.choice(INDUSTRY)}有限公司",
            BodyKind.CHAIN_BODY: f"{place}{rng.choice(INDUSTRY)}产教评技能生态链{brand}评价中心",
            BodyKind.SOCIAL_ORG: f"{place}{brand}职业技能培训评价中心",
            BodyKind.SCHOOL: f"{place}{brand}技师学院",
        }[kind] + f"（{index + 1}）"
        plans.append(
            BodyPlan(
                id=uuid.uuid4(),
                kind=kind,
                province=province,
                city=city,
                uscc=make_uscc(index, kind, region6),
                name=name,
                site_code=f"{(104_729 + index * 7919) % 1_000_000:06d}",
                category="Y" if kind in {BodyKind.EMPLOYER, BodyKind.CHAIN_BODY} else "S",
                ceiling=ceiling,
                lines=lines,
                occupations=chosen,
                occupation_cum=_cum(weights),
                starts_on=joined,
                filings=[],
            )
        )
    return plans


def _create_bodies(url: str, plans: list[BodyPlan], start: dt.date, split: dt.date, settings: Settings) -> None:
    """Register bodies and their filings through the services (validation, rule reports and audit are real)."""
    engine = make_engine(url)
    windows = [(start - dt.timedelta(days=31), split), (split + dt.timedelta(days=1), today() + dt.timedelta(days=730))]
    try:
        for plan in plans:
            with session_scope(engine) as s:
                body = create_body(
                    s,
                    actor=SYSTEM,
                    data=BodyCreate(
                        uscc=plan.uscc,
                        name=plan.name,
                        kind=plan.kind,
                        province_code=plan.province,
                        city_code=plan.city,
                        site_code=plan.site_code,
                        is_manufacturing=plan.kind == BodyKind.EMPLOYER,
                        is_large=plan.ceiling in {GradeCode.SPECIAL_TECHNICIAN, GradeCode.CHIEF_TECHNICIAN},
                        is_state_owned=plan.kind == BodyKind.EMPLOYER and plan.site_code[-1] in "02",
                        is_above_scale=plan.kind == BodyKind.EMPLOYER,
                        is_chain_lead=plan.ceiling == GradeCode.CHIEF_TECHNICIAN,
                        is_industry_leader=plan.ceiling == GradeCode.CHIEF_TECHNICIAN,
                        qualified_special=plan.ceiling in {GradeCode.SPECIAL_TECHNICIAN, GradeCode.CHIEF_TECHNICIAN},
                        address=f"{REGION_ZH[plan.province]}某区某路{plan.site_code[-3:]}号",
                        contact_name="联络员",
                        contact_phone=f"020-8{plan.site_code[-6:-1]}00",
                    ),
                )
                plan.id = body.id
                lines = [
                    ScopeLineIn(
                        occupation_code=code,
                        max_grade=top,
                        methods=[
                            EvaluationMethod.THEORY_EXAM,
                            EvaluationMethod.SKILL_OPERATION,
                            EvaluationMethod.COMPREHENSIVE_REVIEW,
                            EvaluationMethod.PERFORMANCE_REVIEW,
                        ],
                    )
                    for code, top in plan.lines.items()
                ]
                for starts_on, ends_on in windows:
                    if ends_on < plan.starts_on:
                        continue
                    filing = create_filing(
                        s,
                        actor=SYSTEM,
                        data=FilingCreate(
                            body_id=body.id, ceiling=plan.ceiling, starts_on=starts_on, ends_on=ends_on, lines=lines
                        ),
                    )
                    submit_filing(s, actor=SYSTEM, filing_id=filing.id, settings=settings)
                    decide_filing(
                        s, actor=SYSTEM, filing_id=filing.id, approve=True, note="批量基准数据", settings=settings
                    )
                    plan.filings.append(FilingPlan(filing.id, starts_on, ends_on))
                if plan.site_code.endswith(("3", "7")):  # a next programme in every other state
                    draft = create_filing(
                        s,
                        actor=SYSTEM,
                        data=FilingCreate(
                            body_id=body.id,
                            ceiling=plan.ceiling,
                            starts_on=windows[1][1] + dt.timedelta(days=1),
                            ends_on=windows[1][1] + dt.timedelta(days=1096),
                            lines=lines[:2],
                        ),
                    )
                    if plan.site_code.endswith("7"):
                        submit_filing(s, actor=SYSTEM, filing_id=draft.id, settings=settings)
                        if int(plan.site_code) % 4 == 3:
                            decide_filing(
                                s, actor=SYSTEM, filing_id=draft.id, approve=False, note="材料不全", settings=settings
                            )
            plan.starts_on = max(plan.starts_on, plan.filings[0].starts_on)
    finally:
        engine.dispose()


@dataclass(frozen=True)
class _Batch:
    """One exam batch (or group of recognitions) of a body: what its awards share."""

    body: BodyPlan
    filing: FilingPlan
    occupation: str
    grade: GradeCode
    exam_on: dt.date
    awarded_on: dt.date
    issued_on: dt.date
    size: int
    basis: str  # exam | recognition | competition
    real: int  # how many of its awards get their certificate from the issuing service

    @property
    def stamp(self) -> dt.datetime:
        """Exam day, 09:00 Beijing time."""
        return dt.datetime.combine(self.exam_on, dt.time(9), CHINA_TZ)


@dataclass
class _Person:
    id: str
    held: set[tuple[str, str]]


class Generator:
    """Produces the volume rows body by body, batch by batch."""

    def __init__(
        self,
        loader: CopyLoader,
        *,
        settings: Settings,
        rng: random.Random,
        kid: str,
        end: dt.date,
        real_dates: list[dt.date],
    ) -> None:
        self.loader = loader
        self.settings = settings
        self.rng = rng
        self.kid = kid
        self.end = end
        self.now = utcnow()
        self.real_dates = real_dates
        self.pools = _pools(rng, settings)
        self.counters: dict[tuple[str, int, str], int] = collections.Counter()
        self.parts: dict[tuple[uuid.UUID, int, str], numbering.NumberParts] = {}
        self.id_numbers: set[str] = set()
        self.real_awards: dict[dt.date, list[str]] = collections.defaultdict(list)
        self.certificates = 0
        self.legacy = 0
        self.legacy_serial = 0
        grade_list = list(GRADE_WEIGHTS)
        self.grade_cum = {
            top: (
                [g for g in grade_list if grades.ordinal(g) <= grades.ordinal(top)],
                _cum([GRADE_WEIGHTS[g] for g in grade_list if grades.ordinal(g) <= grades.ordinal(top)]),
            )
            for top in grade_list
        }
        self.reasons = [r for r, _ in REVOCATION_REASONS]
        self.reason_cum = _cum([w for _, w in REVOCATION_REASONS])

    # -- people ------------------------------------------------------------------------------------------------

    def _person(self, body: BodyPlan, exam_on: dt.date, *, real: bool) -> str:
        rng = self.rng
        person_id = _uuid(rng)
        name = _name(rng)
        roll = rng.random()
        if roll < 0.97:
            id_type = "resident_id"
            region = rng.choice((body.city or f"{body.province}0100", "440106", "360102", "430102", "450102", "510104"))
            birth = exam_on - dt.timedelta(days=rng.randint(18 * 365, 55 * 365))
            number = make_resident_id(rng, region[:6], birth)
            while number in self.id_numbers:
                number = make_resident_id(rng, region[:6], birth)
            birth_on: dt.date | None = birth
        else:
            birth_on = None
            id_type, letter = ("hk_macao_permit", "H") if roll < 0.985 else ("passport", "E")
            number = f"{letter}{rng.randrange(10**8):08d}"
            while number in self.id_numbers:
                number = f"{letter}{rng.randrange(10**8):08d}"
        self.id_numbers.add(number)
        created = dt.datetime.combine(exam_on - dt.timedelta(days=25), dt.time(9), CHINA_TZ)
        self.loader.add(
            "person",
            {
                "id": person_id,
                "name": name,
                "id_type": id_type,
                "id_number_enc": (
                    pii.encrypt(self.settings, number, context=id_type)
                    if real
                    else self.pools.ciphertexts[id_type][rng.randrange(CIPHERTEXT_POOL)]
                ),
                "id_number_hmac": pii.lookup_hash(self.settings, id_type, number),
                "id_masked": mask_id(id_type, number),
                "birth_on": birth_on,
                "holder_binding": None,  # v2 tokens carry no binding; none is computed for people (issue 8)
                "created_by_body_id": body.id,
                "created_at": created,
            },
        )
        self.loader.add(
            "person_body_link",
            {"id": _uuid(rng), "person_id": person_id, "body_id": body.id, "reason": "enrolled", "created_at": created},
        )
        if body.kind == BodyKind.EMPLOYER:
            dispatched = rng.random() < 0.04
            self.loader.add(
                "employment",
                {
                    "id": _uuid(rng),
                    "person_id": person_id,
                    "employer_uscc": body.uscc,
                    "employer_name": body.name,
                    "employer_body_id": body.id,
                    "dispatched": dispatched,
                    "agency_name": "南方人力资源服务有限公司" if dispatched else "",
                    "starts_on": exam_on - dt.timedelta(days=rng.randint(200, 12 * 365)),
                    "ends_on": None,
                    "created_at": created,
                },
            )
        return person_id

    # -- batches -----------------------------------------------------------------------------------------------

    def body(self, body: BodyPlan, real_share: Callable[[int], int]) -> None:
        """Generate body.quota awards for one body in batches; real_share(size) says how many of a batch are real."""
        rng = self.rng
        remaining = body.quota
        returning: collections.deque[_Person] = collections.deque(maxlen=400)
        last_day = min(self.end, body.fate_on or self.end)
        span = max(0, (last_day - body.starts_on).days)
        while remaining > 0:
            size = min(remaining, rng.randint(12, 90))
            occupation = _pick(rng, body.occupations, body.occupation_cum)
            allowed, cum = self.grade_cum[body.lines[occupation]]
            grade = _pick(rng, allowed, cum)
            basis = "exam"
            if body.kind == BodyKind.EMPLOYER and grades.at_least(grade, GradeCode.SENIOR) and rng.random() < 0.12:
                basis = "recognition" if rng.random() < 0.75 else "competition"
                size = min(size, rng.randint(1, 8))
            real = real_share(size) if body.fate == BodyStatus.ACTIVE else 0
            if real:
                day = rng.choice([d for d in self.real_dates if body.starts_on <= d <= last_day] or [last_day])
            else:
                day = body.starts_on + dt.timedelta(days=rng.randint(0, span))
            filing = body.filing_for(day)
            exam_on = max(filing.starts_on, day - dt.timedelta(days=rng.randint(20, 60)))
            batch = _Batch(
                body=body,
                filing=filing,
                occupation=occupation,
                grade=grade,
                exam_on=exam_on,
                awarded_on=min(day, exam_on + dt.timedelta(days=rng.randint(7, 15))),
                issued_on=day,
                size=size,
                basis=basis,
                real=real,
            )
            session_id = self._exam_session(batch) if basis == "exam" else None
            self._awards(batch, session_id, returning)
            remaining -= size

    def _exam_session(self, batch: _Batch) -> str:
        """A closed exam batch, its components and the candidates who failed it."""
        rng, add, body = self.rng, self.loader.add, batch.body
        session_id = _uuid(rng)
        closed = dt.datetime.combine(batch.awarded_on, dt.time(17), CHINA_TZ)
        add(
            "exam_session",
            {
                "id": session_id,
                "body_id": body.id,
                "filing_id": batch.filing.id,
                "occupation_code": batch.occupation,
                "work_type": "",
                "grade": batch.grade.value,
                "exam_on": batch.exam_on,
                "venue": f"{body.name}考核站 第{rng.randint(1, 6)}考场",
                "status": "closed",
                "recusal_same_employer": body.kind != BodyKind.EMPLOYER,
                "attested_at": batch.stamp + dt.timedelta(hours=8),
                "finalized_at": batch.stamp + dt.timedelta(days=1),
                "published_at": batch.stamp + dt.timedelta(days=1, hours=2),
                "publicity_ends_at": closed - dt.timedelta(hours=1),
                "closed_at": closed,
                "created_at": batch.stamp - dt.timedelta(days=30),
                "updated_at": closed,
            },
        )
        for position, component in enumerate(scoring.default_components(batch.grade)):
            add(
                "session_component",
                {
                    "id": _uuid(rng),
                    "session_id": session_id,
                    "kind": component.kind,
                    "weight": component.weight,
                    "pass_mark": component.pass_mark,
                    "position": position,
                },
            )
        for _ in range(round(batch.size * FAIL_SHARE / (1 - FAIL_SHARE) * rng.uniform(0.3, 1.7))):
            person_id = self._person(body, batch.exam_on, real=False)
            add("candidate", self._candidate(batch, session_id, person_id, None))
        return session_id

    def _awards(self, batch: _Batch, session_id: str | None, returning: collections.deque[_Person]) -> None:
        """The batch's awards, with their candidates or recognitions, and the filler certificates."""
        rng, add, body = self.rng, self.loader.add, batch.body
        held_key = (batch.occupation, batch.grade.value)
        for index in range(batch.size):
            is_real = index < batch.real
            person: _Person | None = None
            if not is_real and returning and rng.random() < RETURNING_SHARE:
                candidate_person = returning[rng.randrange(len(returning))]
                if held_key not in candidate_person.held:
                    person = candidate_person
            if person is None:
                person = _Person(self._person(body, batch.exam_on, real=is_real), set())
                if not is_real:
                    returning.append(person)
                    if rng.random() < LEGACY_SHARE:
                        self._legacy(batch, person)
            person.held.add(held_key)
            award_id = _uuid(rng)
            candidate = self._candidate(batch, session_id, person.id, award_id) if session_id else None
            award = {
                "id": award_id,
                "person_id": person.id,
                "body_id": body.id,
                "filing_id": batch.filing.id,
                "occupation_code": batch.occupation,
                "work_type": "",
                "grade": batch.grade.value,
                "awarded_on": batch.awarded_on,
                "basis": batch.basis,
                "basis_ref": candidate["id"] if candidate else None,
                "status": "active",
                "revoked_reason": None,
                "revocation_reason": None,
                "status_changed_at": None,
                "created_at": dt.datetime.combine(batch.awarded_on, dt.time(18), CHINA_TZ),
            }
            certificate = None if is_real else self._certificate(body, award, batch.issued_on)
            add("grade_award", award)
            add("candidate", candidate) if candidate else add("recognition", self._recognition(batch, award))
            if certificate is None:
                self.real_awards[batch.issued_on].append(award_id)
            else:
                add("certificate", certificate)
                self._prints(certificate)

    def _legacy(self, batch: _Batch, person: _Person) -> None:
        """An earlier certificate of a lower grade, from before the registry, recorded as a legacy award."""
        rng = self.rng
        lower = [g for g in LEGACY_GRADES if grades.ordinal(g) < grades.ordinal(batch.grade)]
        if not lower:
            return
        grade = rng.choice(lower)
        awarded_on = dt.date(rng.randint(2008, 2019), rng.randint(1, 12), rng.randint(1, 28))
        roll = rng.random()
        status = "active" if roll < 0.85 else "pending" if roll < 0.95 else "rejected"
        by_body = status != "active" or roll < 0.4  # recorded by the employer: pending until the regulator decides
        recorded = batch.stamp - dt.timedelta(days=rng.randint(10, 300))
        award_id = _uuid(rng)
        self.loader.add(
            "grade_award",
            {
                "id": award_id,
                "person_id": person.id,
                "body_id": None,
                "filing_id": None,
                "occupation_code": batch.occupation,
                "work_type": "",
                "grade": grade.value,
                "awarded_on": awarded_on,
                "basis": "legacy",
                "basis_ref": None,
                "status": status,
                "revoked_reason": "材料无法核实" if status == "rejected" else None,
                "revocation_reason": None,
                "status_changed_at": None,
                "created_at": recorded,
            },
        )
        self.legacy_serial += 1
        number = f"{awarded_on.year}{batch.body.province}{self.legacy_serial:011d}"
        self.loader.add(
            "legacy_certificate",
            {
                "id": _uuid(rng),
                "award_id": award_id,
                "family": "qualification" if awarded_on.year < 2019 else "skill_level",
                "issuing_authority": f"{REGION_ZH[batch.body.province]}职业技能鉴定指导中心",
                "original_number": number,
                "number_key": number,
                "evidence": json.dumps(
                    [{"kind": "证书扫描件", "ref": f"档案-{award_id[:8]}", "description": ""}], ensure_ascii=False
                ),
                "recorded_by_body_id": batch.body.id if by_body else None,
                "decision_note": "经核查" if by_body and status != "pending" else None,
                "decided_at": recorded + dt.timedelta(days=12) if by_body and status != "pending" else None,
                "created_at": recorded,
            },
        )
        if status != "rejected":
            person.held.add((batch.occupation, grade.value))
        self.legacy += 1

    def _candidate(self, batch: _Batch, session_id: str, person_id: str, award_id: str | None) -> dict[str, Any]:
        high = grades.at_least(batch.grade, GradeCode.TECHNICIAN)
        total, results = self.rng.choice((self.pools.passed if award_id else self.pools.failed)[high])
        return {
            "id": _uuid(self.rng),
            "session_id": session_id,
            "person_id": person_id,
            "eligibility": self.pools.eligibility[batch.body.province],
            "ruleset_version": ELIGIBILITY_VERSION,
            "enrolled_at": batch.stamp - dt.timedelta(days=20),
            "total_tenths": total,
            "passed": award_id is not None,
            "results": results,
            "award_id": award_id,
        }

    def _recognition(self, batch: _Batch, award: dict[str, Any]) -> dict[str, Any]:
        competition = batch.basis == "competition"
        prize = {
            "name": "省职业技能大赛",
            "tier": "provincial",
            "rank": self.rng.randint(1, 5),
            "year": batch.exam_on.year,
        }
        return {
            "id": _uuid(self.rng),
            "body_id": batch.body.id,
            "person_id": award["person_id"],
            "occupation_code": award["occupation_code"],
            "work_type": "",
            "target_grade": award["grade"],
            "path": "DR-G" if competition else "DR-A",
            "triggers": '["T7"]' if competition else json.dumps([self.rng.choice(("T1", "T2", "T3", "T4"))]),
            "evidence": json.dumps([{"kind": "业绩材料", "ref": f"档案-{award['id'][:8]}", "description": ""}]),
            "waived": '["sequential"]' if competition else "[]",
            "methods": '["performance_review", "comprehensive_review"]',
            "competition": json.dumps(prize, ensure_ascii=False) if competition else None,
            "status": "approved",
            "report": self.pools.recognition_report[batch.body.province],
            "ruleset_version": RECOGNITION_VERSION,
            "decision_note": "经评审同意直接认定",
            "decided_at": dt.datetime.combine(award["awarded_on"], dt.time(16), CHINA_TZ),
            "decided_by": None,
            "award_id": award["id"],
            "created_at": batch.stamp - dt.timedelta(days=30),
        }

    def _number(self, body: BodyPlan, grade: GradeCode, year: int) -> str:
        key = (body.id, year, grade.value)
        parts = self.parts.get(key)
        if parts is None:
            parts = self.parts[key] = numbering.parts_for(
                category=body.category,
                ministry_code="0000",
                province_code=body.province,
                site_code=body.site_code,
                year=year,
                grade=grade,
                special_letter=self.settings.special_letter,
                chief_letter=self.settings.chief_letter,
            )
        counter = (parts.site_key, parts.year, parts.level)
        self.counters[counter] += 1
        return numbering.format_number(parts, self.counters[counter])

    def _certificate(self, body: BodyPlan, award: dict[str, Any], issued_on: dt.date) -> dict[str, Any]:
        rng = self.rng
        number = self._number(body, GradeCode(award["grade"]), issued_on.year)
        issued_at = dt.datetime.combine(issued_on, dt.time(10), CHINA_TZ)
        status, reason, note, changed = "valid", None, None, None
        serial = 1
        roll = rng.random()
        revoked_share = 0.3 if body.fate == BodyStatus.REVOKED else REVOKED_SHARE
        later = issued_at + dt.timedelta(days=rng.randint(1, max(1, (self.end - issued_on).days + 1)))
        later = min(later, self.now)
        if roll < revoked_share:
            reason = (
                RevocationReason.FRAUDULENT_EVALUATION
                if body.fate == BodyStatus.REVOKED
                else _pick(rng, self.reasons, self.reason_cum)
            )
            status, note, changed = "revoked", "经核查撤销", later
            if reason in {RevocationReason.FRAUDULENT_EVALUATION, RevocationReason.AWARD_WITHDRAWN}:
                # as certificates.service.revoke_award cascades: the award revoked, its certificate with it
                award["status"], award["revoked_reason"], award["status_changed_at"] = "revoked", "等级撤销", later
                award["revocation_reason"] = (
                    "fraudulent_evaluation" if reason == RevocationReason.FRAUDULENT_EVALUATION else "issued_in_error"
                )
        elif roll < revoked_share + SUSPENDED_SHARE:
            status, note, changed = "suspended", "核查期间暂停", later
        elif roll < revoked_share + SUSPENDED_SHARE + REISSUED_SHARE:
            serial = 2
        self.certificates += 1
        return {
            "id": _uuid(rng),
            "number": number,
            "award_id": award["id"],
            "person_id": award["person_id"],
            "body_id": body.id,
            "occupation_code": award["occupation_code"],
            "work_type": "",
            "grade": award["grade"],
            "issued_on": issued_on,
            "print_serial": serial,
            "kid": self.kid,
            "token": f"synthetic-unsigned.{number}.".ljust(FILLER_TOKEN_LENGTH, "x"),
            "status": status,
            "revocation_reason": reason.value if reason else None,
            "status_note": note,
            "status_changed_at": changed,
            "created_at": issued_at,
        }

    def _prints(self, certificate: dict[str, Any]) -> None:
        issued_at = certificate["created_at"]
        for serial in range(1, certificate["print_serial"] + 1):
            last = serial == certificate["print_serial"]
            self.loader.add(
                "certificate_print",
                {
                    "id": _uuid(self.rng),
                    "certificate_id": certificate["id"],
                    "print_serial": serial,
                    "kid": self.kid,
                    "issued_at": issued_at + dt.timedelta(days=90 * (serial - 1)),
                    "voided_at": None if last else issued_at + dt.timedelta(days=90),
                    "void_reason": None if last else "证书遗失补发",
                },
            )


def _quotas(total: int, count: int, rng: random.Random) -> list[int]:
    weights = [1 / (rank + 1) ** 0.9 for rank in range(count)]
    rng.shuffle(weights)
    scale = total / sum(weights)
    quotas = [int(w * scale) for w in weights]
    for i in range(total - sum(quotas)):
        quotas[i % count] += 1
    return quotas


def _real_dates(start: dt.date, end: dt.date, count: int = 24) -> list[dt.date]:
    step = max(1, (end - start).days // count)
    return sorted({end - dt.timedelta(days=i * step) for i in range(count)})


def _conninfo(url: str) -> str:
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _signing_key(settings: Settings, start: dt.date) -> signing.KeyInfo:
    active = [k for k in signing.list_keys(settings.key_dir) if k.status == "active"]
    if active:
        return active[0]
    return signing.generate_key(settings.key_dir, now=dt.datetime.combine(start, dt.time(9), CHINA_TZ))


class _RealQuota:
    """Decides per batch how many awards are real, spreading the quota over active bodies and the whole run."""

    def __init__(self, rng: random.Random, real: int, plans: Sequence[BodyPlan]) -> None:
        self.rng = rng
        self.left = real
        self.active_left = sum(p.quota for p in plans if p.fate == BodyStatus.ACTIVE)
        if real > self.active_left:
            raise VolumeError(f"{real} real certificates asked for, but active bodies hold only {self.active_left}")

    def __call__(self, size: int) -> int:
        # a batch is real with a probability that spends the quota a little ahead of the active awards left; at
        # the end, as many as must be so the quota still fits in what is left
        share = max(0, self.left - (self.active_left - size))
        if self.left and self.rng.random() < 1.25 * self.left / self.active_left:
            share = min(size, self.left)
        self.active_left -= size
        self.left -= share
        return share


def _assign(plans: list[BodyPlan], total: int, rng: random.Random, end: dt.date) -> None:
    """Give each body its share of the awards (a long tail) and its fate (a few end suspended or revoked)."""
    for plan, quota in zip(plans, _quotas(total, len(plans), rng), strict=True):
        plan.quota = quota
    for plan in plans[3:]:  # the first three stay active: real certificates can always go there
        roll = rng.random()
        if roll < 0.02:
            plan.fate, plan.fate_on = BodyStatus.REVOKED, end - dt.timedelta(days=rng.randint(20, 200))
        elif roll < 0.05:
            plan.fate, plan.fate_on = BodyStatus.SUSPENDED, end - dt.timedelta(days=rng.randint(5, 60))


def _copy_filler(
    url: str, generator_args: dict[str, Any], plans: list[BodyPlan], quota: _RealQuota, say: Callable[[str], None]
) -> tuple[Generator, dict[str, int], bool]:
    """Generate and COPY every body's volume rows; set the serial counters past the numbers used."""
    started = time.perf_counter()
    fk_checks = True
    with psycopg.connect(_conninfo(url)) as conn, cached_pii_keys():
        try:
            conn.execute("SET session_replication_role = replica")  # skip FK triggers: the generator keeps them
            fk_checks = False
        except psycopg.errors.InsufficientPrivilege:
            conn.rollback()
        loader = CopyLoader(conn, load_all_models())
        generator = Generator(loader, **generator_args)
        reported = 0
        try:
            for plan in plans:
                generator.body(plan, quota)
                if generator.certificates - reported >= 100_000:
                    reported = generator.certificates
                    say(f"volume: {reported:,} certificates in {time.perf_counter() - started:.0f} s")
            loader.flush()
        finally:
            loader.close()
        if quota.left:
            raise VolumeError(f"{quota.left} real awards were not placed")
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO serial_counter (site_key, year, level, last_serial) VALUES (%s, %s, %s, %s) "
                "ON CONFLICT (site_key, year, level) DO UPDATE SET last_serial = "
                "GREATEST(serial_counter.last_serial, EXCLUDED.last_serial)",
                [(*k, v) for k, v in generator.counters.items()],
            )
        conn.commit()
    return generator, loader.counts(), fk_checks


def load_volume(
    url: str,
    settings: Settings,
    *,
    certificates: int,
    real: int = 0,
    years: int = 5,
    bodies: int | None = None,
    seed: int = SEED,
    progress: Callable[[str], None] | None = None,
) -> VolumeReport:
    """Fill the migrated PostgreSQL database at url with `certificates` filler certificates plus `real` issued ones.

    settings must be the ones the server will run with (same secret key and key directory): people's IDs are
    encrypted with its keys and the real certificates are signed with its key (created, valid from the start of
    the data, when the directory has none).
    """
    if url.startswith("sqlite"):
        raise VolumeError("the volume loader needs PostgreSQL (COPY); SQLite is the embedded default, not for volume")
    say = progress or (lambda _message: None)
    started = time.perf_counter()
    phases: dict[str, float] = {}
    rng = random.Random(seed)
    end = today()
    start = end - dt.timedelta(days=365 * years)
    split = start + (end - start) * 3 // 5
    key = _signing_key(settings, start)
    engine = make_engine(url)
    with session_scope(engine) as s:
        plans = _plan_bodies(s, rng, bodies or max(8, min(400, (certificates + real) // 5000)), start, split)
    engine.dispose()
    _create_bodies(url, plans, start, split, settings)
    _assign(plans, certificates + real, rng, end)
    phases["bodies_and_filings"] = time.perf_counter() - started
    say(f"volume: {len(plans)} bodies with their filings in {phases['bodies_and_filings']:.1f} s")

    step = time.perf_counter()
    generator_args = {"settings": settings, "rng": rng, "kid": key.kid, "end": end}
    generator_args["real_dates"] = _real_dates(key.valid_from, end)
    generator, rows, fk_checks = _copy_filler(url, generator_args, plans, _RealQuota(rng, real, plans), say)
    phases["copy"] = time.perf_counter() - step
    say(f"volume: {generator.certificates:,} filler certificates copied in {phases['copy']:.1f} s")

    step = time.perf_counter()
    _rebuild_tallies(url)
    phases["tallies"] = time.perf_counter() - step
    say(f"volume: tally and anomaly summaries rebuilt in {phases['tallies']:.1f} s (COPY ran with triggers off)")

    step = time.perf_counter()
    _vacuum_analyze(url, rows)
    phases["vacuum_analyze"] = time.perf_counter() - step

    step = time.perf_counter()
    tokens = _issue_real(url, settings, generator.real_awards, rng) if real else []
    for plan in plans:
        if plan.fate != BodyStatus.ACTIVE:
            _sanction(url, plan)
    _vacuum_analyze(url, {"certificate": 1, "certificate_print": 1, "audit_event": 1})
    phases["real_issuance"] = time.perf_counter() - step
    say(f"volume: {real:,} certificates issued by the service in {phases['real_issuance']:.1f} s")
    rows["certificate"] = _count(url, "certificate")
    rows["certificate_print"] = _count(url, "certificate_print")
    return VolumeReport(
        certificates=rows["certificate"],
        filler_certificates=generator.certificates,
        real_certificates=real,
        rows=dict(sorted(rows.items())),
        seconds=time.perf_counter() - started,
        phases=phases,
        fk_checks_during_copy=fk_checks,
        tokens=tokens,
    )


def _rebuild_tallies(url: str) -> None:
    """Recount stat_tally and the anomaly summaries from the rows: COPY ran as replica, so no trigger fired."""
    with psycopg.connect(_conninfo(url)) as conn:
        for statement in [*tally_sql.rebuild_statements("postgresql"), *summary_sql.rebuild_statements("postgresql")]:
            conn.execute(statement)  # type: ignore[arg-type]


def _count(url: str, table: str) -> int:
    with psycopg.connect(_conninfo(url)) as conn:
        row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert row is not None
    return int(row[0])


def _vacuum_analyze(url: str, rows: dict[str, int]) -> None:
    with psycopg.connect(_conninfo(url), autocommit=True) as conn:
        for table in rows:
            conn.execute(f"VACUUM (ANALYZE) {table}")


def _sanction(url: str, plan: BodyPlan) -> None:
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            reason = "虚假评价，取消评价资质" if plan.fate == BodyStatus.REVOKED else "专项检查期间暂停"
            set_body_status(s, actor=SYSTEM, body_id=plan.id, status=plan.fate, reason=reason)
    finally:
        engine.dispose()


def _issue_real(url: str, settings: Settings, awards: dict[dt.date, list[str]], rng: random.Random) -> list[RealToken]:
    """Issue the real certificates through the service, then revoke, suspend and reissue a few the same way."""
    engine = make_engine(url)
    tokens: list[RealToken] = []
    try:
        numbers: list[str] = []
        for day, award_ids in sorted(awards.items()):
            with session_scope(engine) as s:
                ids = [uuid.UUID(a) for a in award_ids]
                outcome = issue_certificates(s, actor=SYSTEM, award_ids=ids, settings=settings, on=day)
            numbers.extend(number for _, number, _ in outcome.issued)
        rng.shuffle(numbers)
        cut = [round(len(numbers) * share) for share in (REVOKED_SHARE, SUSPENDED_SHARE, REISSUED_SHARE)]
        revoked = numbers[: cut[0]]
        suspended = numbers[cut[0] : cut[0] + cut[1]]
        reissued = numbers[cut[0] + cut[1] : cut[0] + cut[1] + cut[2]]
        with session_scope(engine) as s:
            selected = sa.select(Certificate.number, Certificate.token).where(col(Certificate.number).in_(reissued))
            tokens_now = dict(s.execute(selected).all())
            for number in revoked:
                set_status(
                    s,
                    actor=SYSTEM,
                    number=number,
                    target=CertificateStatus.REVOKED,
                    note="基准数据：撤销",
                    reason=RevocationReason.ISSUED_IN_ERROR,
                )
            for number in suspended:
                set_status(s, actor=SYSTEM, number=number, target=CertificateStatus.SUSPENDED, note="基准数据：暂停")
            for number in reissued:
                reissue(s, actor=SYSTEM, number=number, note="基准数据：补发", settings=settings)
        tokens.extend(RealToken(tokens_now[n], n, "superseded") for n in reissued)
        with session_scope(engine) as s:
            rows = s.execute(
                sa.select(Certificate.number, Certificate.token, Certificate.status).where(
                    col(Certificate.number).in_(numbers)
                )
            ).all()
        tokens.extend(RealToken(token, number, CertificateStatus(status).value) for number, token, status in rows)
    finally:
        engine.dispose()
    return tokens


def main(argv: Sequence[str] | None = None) -> None:
    """Fill an existing (empty or migrated) PostgreSQL database and print the report as JSON."""
    from bench.common import bench_settings, prepare

    parser = argparse.ArgumentParser(description="Fill a scratch PostgreSQL database with a synthetic registry.")
    parser.add_argument("--database-url", required=True, help="postgresql+psycopg://… of a scratch database")
    parser.add_argument("--key-dir", type=Path, required=True, help="signing keys (created when empty)")
    parser.add_argument("--certificates", type=int, default=1_000_000, help="filler certificates (COPY)")
    parser.add_argument("--real", type=int, default=3_000, help="certificates issued by the service")
    parser.add_argument("--tokens-out", type=Path, help="write the real tokens (token, verdict) as JSON lines here")
    args = parser.parse_args(argv)
    prepare(args.database_url)
    report = load_volume(
        args.database_url,
        bench_settings(args.database_url, args.key_dir),
        certificates=args.certificates,
        real=args.real,
        progress=lambda m: print(m, file=sys.stderr, flush=True),
    )
    if args.tokens_out:
        args.tokens_out.write_text(
            "".join(json.dumps({"token": t.token, "verdict": t.verdict}) + "\n" for t in report.tokens),
            encoding="utf-8",
        )
    print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
