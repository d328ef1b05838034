"""Issuing 10,000 certificates (numbers, signatures, rows, audit events) on SQLite and PostgreSQL.

Target (DESIGN.md §9): ≤ 5 s for 10,000 in one request. Baseline in the same run: the naive way, one
transaction per certificate, measured on a smaller sample and given as certificates per second.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.common import bench_settings, person_rows, postgres_available, scratch_database
from certificates import signing
from certificates.service import issue_certificates
from registry.actor import Actor
from registry.awards.models import GradeAward
from registry.bodies.models import BodyCreate, BodyKind
from registry.bodies.service import create_body
from registry.clock import today, utcnow
from registry.db import make_engine, session_scope
from registry.filings.models import FilingCreate, ScopeLineIn
from registry.filings.rules import EvaluationMethod
from registry.filings.service import create_filing, decide_filing, submit_filing
from registry.grades import GradeCode
from registry.people.models import Person

SYSTEM = Actor.system("bench")
TARGET_SECONDS = 5.0


def _setup(url: str, settings: Any, n: int) -> list[uuid.UUID]:
    engine = make_engine(url)
    with session_scope(engine) as s:
        body = create_body(
            s,
            actor=SYSTEM,
            data=BodyCreate(
                uscc="914403001922038216",
                name="基准测试制造有限公司",
                kind=BodyKind.EMPLOYER,
                province_code="44",
                site_code="000999",
                is_manufacturing=True,
            ),
        )
        filing = create_filing(
            s,
            actor=SYSTEM,
            data=FilingCreate(
                body_id=body.id,
                ceiling=GradeCode.SENIOR_TECHNICIAN,
                starts_on=today() - dt.timedelta(days=30),
                ends_on=today() + dt.timedelta(days=700),
                lines=[
                    ScopeLineIn(
                        occupation_code="6-18-02-04",
                        max_grade=GradeCode.SENIOR_TECHNICIAN,
                        methods=[EvaluationMethod.SKILL_OPERATION],
                    )
                ],
            ),
        )
        submit_filing(s, actor=SYSTEM, filing_id=filing.id, settings=settings)
        decide_filing(s, actor=SYSTEM, filing_id=filing.id, approve=True, note="benchmark", settings=settings)
        people = person_rows(settings, n)
        s.execute(sa.insert(Person.__table__), people)  # type: ignore[attr-defined]
        now = utcnow()
        awards = [
            {
                "id": uuid.uuid4(),
                "person_id": p["id"],
                "body_id": body.id,
                "filing_id": filing.id,
                "occupation_code": "6-18-02-04",
                "work_type": "",
                "grade": GradeCode.SENIOR.value,
                "awarded_on": today(),
                "basis": "exam",
                "basis_ref": None,
                "status": "active",
                "revoked_reason": None,
                "created_at": now,
            }
            for p in people
        ]
        s.execute(sa.insert(GradeAward.__table__), awards)  # type: ignore[attr-defined]
        ids = [a["id"] for a in awards]
    engine.dispose()
    return ids  # type: ignore[return-value]


def _run(kind: str, n: int, naive_n: int) -> dict[str, Any]:
    with scratch_database(kind) as url, tempfile.TemporaryDirectory() as keys:
        settings = bench_settings(url, Path(keys))
        signing.generate_key(settings.key_dir, now=utcnow())
        ids = _setup(url, settings, n + naive_n)
        bulk, naive = ids[:n], ids[n:]
        engine = make_engine(url)
        start = time.perf_counter()
        for award_id in naive:
            with session_scope(engine) as s:
                issue_certificates(s, actor=SYSTEM, award_ids=[award_id], settings=settings)
        naive_rate = naive_n / (time.perf_counter() - start)
        start = time.perf_counter()
        with session_scope(engine) as s:
            outcome = issue_certificates(s, actor=SYSTEM, award_ids=bulk, settings=settings)
        seconds = time.perf_counter() - start
        engine.dispose()
        assert len(outcome.issued) == n
        return {
            "certificates": n,
            "seconds": round(seconds, 2),
            "per_second": round(n / seconds),
            "naive_one_transaction_each_per_second": round(naive_rate),
            "speedup_vs_naive": round(n / seconds / naive_rate, 1),
            "target_seconds": TARGET_SECONDS,
            "meets_target": seconds <= TARGET_SECONDS,
        }


def main() -> dict[str, Any]:
    """Issue BENCH_ISSUE_N (default 10,000) certificates on each database and report the timings."""
    n = int(os.environ.get("BENCH_ISSUE_N", "10000"))
    naive_n = int(os.environ.get("BENCH_ISSUE_NAIVE_N", "300"))
    results = {"sqlite": _run("sqlite", n, naive_n)}
    if postgres_available():
        results["postgresql"] = _run("postgresql", n, naive_n)
    else:
        results["postgresql"] = {"skipped": "no PostgreSQL at BENCH_PG_ADMIN_URL"}
    return results
