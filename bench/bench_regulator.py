"""Regulator statistics and anomaly queries over a million certificates on PostgreSQL.

Target (DESIGN.md §9): each answers in ≤ 500 ms (p95 over repeated calls with varied filters). The volume comes
from bench/volume.py (BENCH_REGULATOR_N filler certificates, default 1,000,000); on top, scores for the last
year's candidates (two assessors each) and verification events, written by SQL, so the score and verification
rules have rows to read (the loader leaves those tables empty).

Baselines measured in the same run, on the same data and filters:
- statistics: the same breakdowns counted over the raw certificate table (joined to bodies) instead of the
  trigger-kept `stat_tally`;
- anomalies: the same rules with their counts recounted from candidates, scores and awards
  (`regulator.counts.Recount`) instead of read from the trigger-kept summaries (migration 0013).

Also measured: what the summary triggers cost a writer — single-row score inserts (each its own statement, as the
scoring service writes them) with the triggers on and off, in transactions rolled back afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics as stats_module
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from bench.common import bench_settings, postgres_available, prepare, scratch_database
from bench.volume import load_volume
from registry import schema
from registry.actor import Actor
from registry.bodies.models import BodyKind
from registry.clock import today
from registry.db import analytic, make_engine, session_scope
from registry.grades import GradeCode
from registry.settings import Settings
from regulator import anomalies, stats, summary_sql
from regulator.counts import Recount, Summaries
from regulator.filters import StatsFilter

SYSTEM = Actor.system("bench")
TARGET_MS = 500.0
WRITES = 2000
PROVINCES = (None, "44", "32", "33", "37")
KINDS = (None, *BodyKind)
GRADES = (None, GradeCode.SENIOR, GradeCode.TECHNICIAN, GradeCode.INTERMEDIATE)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _extra_rows(url: str) -> dict[str, int]:
    """Scores for last year's candidates (two assessors, one in 40 identical) and 200,000 verification events."""
    engine = make_engine(url)
    since = today() - dt.timedelta(days=365)
    with engine.begin() as conn:
        conn.exec_driver_sql("SET session_replication_role = replica")  # assessors are not loaded: skip the FK
        conn.execute(
            sa.text(
                """
                INSERT INTO score (id, candidate_id, component, assessor_id, value_tenths, recorded_at)
                SELECT gen_random_uuid(), c.id, 'theory_exam',
                       ('00000000-0000-0000-0000-'
                        || lpad(((abs(hashtext(c.id::text)) % 400) + a)::text, 12, '0'))::uuid,
                       least(1000, greatest(0, coalesce(c.total_tenths, 600) + CASE WHEN a = 1 THEN 0
                            WHEN abs(hashtext(c.id::text)) % 40 = 0 THEN 0
                            ELSE (abs(hashtext(c.id::text)) % 41) - 20 END)),
                       s.exam_on::timestamp AT TIME ZONE 'UTC' + interval '4 hours'
                FROM candidate c JOIN exam_session s ON s.id = c.session_id
                CROSS JOIN (VALUES (1), (2)) AS pair(a)
                WHERE s.exam_on >= :since
                """
            ),
            {"since": since},
        )
        conn.execute(
            sa.text(
                """
                INSERT INTO verification_event (number, occurred_at, network)
                SELECT c.number, now() - (random() * interval '20 hours'), md5((g % 997)::text || c.number)
                FROM (SELECT number FROM certificate ORDER BY number LIMIT 20000) c
                CROSS JOIN generate_series(1, 10) g
                """
            )
        )
        for statement in summary_sql.rebuild_statements("postgresql"):  # the inserts above ran with triggers off
            conn.exec_driver_sql(statement)
        scores = conn.exec_driver_sql("SELECT count(*) FROM score").scalar_one()
        events = conn.exec_driver_sql("SELECT count(*) FROM verification_event").scalar_one()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("score", "verification_event", "stat_tally", *(t.table for t in summary_sql.SUMMARIES)):
            conn.exec_driver_sql(f"VACUUM (ANALYZE) {table}")
        conn.exec_driver_sql("ANALYZE")  # every table: the services-made ones (bodies, filings) too
    engine.dispose()
    return {"scores": int(scores), "verification_events": int(events)}


def _filters(rng: random.Random) -> StatsFilter:
    end = today().replace(day=1) - dt.timedelta(days=31 * rng.randrange(0, 24))
    months = rng.choice((1, 3, 6, 12, 24, 60))
    start = (end - dt.timedelta(days=30 * (months - 1))).replace(day=1)
    return StatsFilter.build(
        month_from=f"{start:%Y-%m}",
        month_to=f"{end:%Y-%m}",
        province_code=rng.choice(PROVINCES),
        body_kind=rng.choice(KINDS),
        grade=rng.choice(GRADES),
    )


def _window(rng: random.Random, settings: Settings) -> anomalies.Window:
    end = today() - dt.timedelta(days=rng.randrange(0, 400))
    days = rng.choice((30, 90, 180, 365, 730))
    return anomalies.Window.build(settings, start=end - dt.timedelta(days=days - 1), end=end, body_id=None)


RAW_DIMENSIONS = {
    "grade": "c.grade",
    "occupation": "c.occupation_code",
    "body": "c.body_id",
    "body_kind": "b.kind",
    "province": "b.province_code",
    "city": "b.city_code",
    "month": "date_trunc('month', c.issued_on)",
}


def _raw_statistics(session: Session, only: StatsFilter) -> int:
    """The baseline: the same seven breakdowns counted over the certificate rows."""
    where = ["c.issued_on >= :first", "c.issued_on <= :last"]
    params: dict[str, Any] = {"first": only.first_day, "last": only.last_day}
    if only.province_code:
        where.append("b.province_code = :province")
        params["province"] = only.province_code
    if only.body_kind:
        where.append("b.kind = :kind")
        params["kind"] = only.body_kind.value
    if only.grade:
        where.append("c.grade = :grade")
        params["grade"] = only.grade.value
    rows = 0
    for expression in RAW_DIMENSIONS.values():
        sql = (
            f"SELECT {expression}, c.status, count(*) FROM certificate c JOIN evaluation_body b ON b.id = c.body_id "
            f"WHERE {' AND '.join(where)} GROUP BY 1, 2"
        )
        rows += len(session.execute(sa.text(sql), params).all())
    return rows


def _timed(call: Callable[[], Any], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _summary(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "p50_ms": round(stats_module.median(ordered), 1),
        "p95_ms": round(p95, 1),
        "max_ms": round(ordered[-1], 1),
        "calls": len(ordered),
    }


def _measure(url: str, settings: Settings, repeats: int) -> dict[str, Any]:
    engine = make_engine(url)
    results: dict[str, Any] = {}
    rng = random.Random(11)
    with session_scope(engine, readonly=True) as session:
        analytic(session)  # what statistics() and anomalies() do for their transaction; the rules share it
        stats.statistics(session, actor=SYSTEM, settings=settings, only=StatsFilter.build())  # warm the cache
        filters = [_filters(rng) for _ in range(repeats)]
        it = iter(filters)
        ours = _timed(lambda: stats.statistics(session, actor=SYSTEM, settings=settings, only=next(it)), repeats)
        it = iter(filters)
        base = _timed(lambda: _raw_statistics(session, next(it)), repeats)
        it = iter(filters)
        labels = stats.Labels(session)
        breakdowns = _timed(
            lambda: [stats._breakdown(session, f, labels, d) for f in [next(it)] for d in stats.BREAKDOWNS], repeats
        )
        results["stats"] = {"ours": _summary(ours), "baseline_raw_rows": _summary(base)}
        results["stats.breakdowns_only"] = {"ours": _summary(breakdowns), "baseline_raw_rows": _summary(base)}
        windows = [_window(rng, settings) for _ in range(repeats)]
        recount = Recount(session)
        for group, rule in anomalies.RULES.items():
            ours_times, base_times = [], []
            for window in windows:  # summaries and recount alternate, so load changes hit both alike
                ours_times += _timed(lambda rule=rule, w=window: rule(session, settings, w, Summaries(session)), 1)  # type: ignore[misc]
                base_times += _timed(lambda rule=rule, w=window: rule(session, settings, w, recount), 1)  # type: ignore[misc]
            results[f"anomalies.{group}"] = {"ours": _summary(ours_times), "baseline_recount": _summary(base_times)}
        ours_times, base_times = [], []
        for window in windows:
            ours_times += _timed(
                lambda w=window: anomalies.anomalies(session, actor=SYSTEM, settings=settings, window=w), 1
            )  # type: ignore[misc]
            base_times += _timed(
                lambda w=window: anomalies.anomalies(
                    session, actor=SYSTEM, settings=settings, window=w, counts=recount
                ),  # type: ignore[misc]
                1,
            )
        results["anomalies.all_rules"] = {"ours": _summary(ours_times), "baseline_recount": _summary(base_times)}
        same = all(
            sorted(anomalies.anomalies(session, actor=SYSTEM, settings=settings, window=w), key=repr)
            == sorted(anomalies.anomalies(session, actor=SYSTEM, settings=settings, window=w, counts=recount), key=repr)
            for w in windows[:3]
        )
        results["anomalies.same_flags_as_recount"] = same
    engine.dispose()
    return results


def _summary_rows(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        out = {
            t.table: int(conn.exec_driver_sql(f"SELECT count(*) FROM {t.table}").scalar_one())
            for t in summary_sql.SUMMARIES
        }
    engine.dispose()
    return out


def _write_cost(url: str) -> dict[str, Any]:
    """WRITES single-row score inserts (new candidates' theory scores), with the summary triggers and without;
    each run in a transaction rolled back afterwards."""
    engine = make_engine(url)
    out: dict[str, Any] = {}
    insert = sa.text(
        "INSERT INTO score (id, candidate_id, component, assessor_id, value_tenths, recorded_at) "
        "VALUES (gen_random_uuid(), :candidate, 'skill_operation', :assessor, 700, now())"
    )
    with engine.connect() as conn:
        candidates = [r[0] for r in conn.exec_driver_sql(f"SELECT id FROM candidate ORDER BY id LIMIT {WRITES}")]
        assessor = conn.exec_driver_sql("SELECT assessor_id FROM score LIMIT 1").scalar_one()
    for label, off in (("with_summary_triggers", False), ("without", True)):
        with engine.connect() as conn:
            transaction = conn.begin()
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")  # assessors are not loaded: no FK
            if not off:
                for event in summary_sql.EVENTS:  # replica mode skips triggers unless they are ALWAYS
                    conn.exec_driver_sql(f"ALTER TABLE score ENABLE ALWAYS TRIGGER summary_score_{event}")
            started = time.perf_counter()
            for candidate in candidates:
                conn.execute(insert, {"candidate": candidate, "assessor": assessor})
            seconds = time.perf_counter() - started
            transaction.rollback()
        out[label] = {"inserts": len(candidates), "ms_per_insert": round(seconds * 1000 / max(len(candidates), 1), 3)}
    engine.dispose()
    return out


def _count_certificates(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM certificate").scalar_one())
    except sa.exc.ProgrammingError:
        return -1
    finally:
        engine.dispose()


def _run(url: str, folder: Path, n: int, repeats: int, *, load: bool) -> dict[str, Any]:
    settings = bench_settings(url, folder / "keys")
    volume: dict[str, Any] = {}
    if load:
        if _count_certificates(url) < 0:
            prepare(url)
        report = load_volume(url, settings, certificates=n, real=0, progress=_say)
        volume = {"certificates": report.certificates, "rows": report.rows, "load_seconds": round(report.seconds, 1)}
        volume.update(_extra_rows(url))
    else:
        schema.upgrade(url)  # a database kept from an older schema gets the summaries (migration 0013 backfills)
        volume = {"certificates": _count_certificates(url), "reused": True}
    volume["summary_rows"] = _summary_rows(url)
    _say(f"regulator: volume {volume}; measuring {repeats} calls per query")
    load_measuring = [round(x, 2) for x in os.getloadavg()]
    queries = _measure(url, settings, repeats)
    load_after = [round(x, 2) for x in os.getloadavg()]
    return {
        "volume": volume,
        "queries": queries,
        "write_cost": _write_cost(url),
        "load_average_measuring": load_measuring,
        "load_average_after": load_after,
    }


def main() -> dict[str, Any]:
    """Load the volume, add scores and verification events, time the queries, report JSON.

    BENCH_REGULATOR_DATABASE_URL names a database of your own to fill once and keep (later runs only measure).
    """
    if not postgres_available():
        return {"skipped": "no PostgreSQL at BENCH_PG_ADMIN_URL"}
    n = int(os.environ.get("BENCH_REGULATOR_N", "1000000"))
    repeats = int(os.environ.get("BENCH_REGULATOR_REPEATS", "20"))
    kept = os.environ.get("BENCH_REGULATOR_DATABASE_URL")
    load_before = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="bench-regulator-") as folder:
        if kept:
            out = _run(kept, Path(folder), n, repeats, load=_count_certificates(kept) <= 0)
        else:
            with scratch_database("postgresql") as url:
                out = _run(url, Path(folder), n, repeats, load=True)
    worst = max(r["ours"]["p95_ms"] for r in out["queries"].values() if isinstance(r, dict))
    return {
        **out,
        "target_p95_ms": TARGET_MS,
        "worst_p95_ms": worst,
        "met": worst <= TARGET_MS,
        "load_average_before": load_before,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(main(), ensure_ascii=False, indent=2))
