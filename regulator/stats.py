"""Statistics for the regulator: certificates and awards by grade, occupation, body, kind, region and month.

Counts come from `stat_tally` (kept by triggers in the writing transaction, see regulator/tally_sql.py), so a
year over a million certificates is a sum over a few thousand rows. What counts:

- a certificate counts once, in the month it was issued, whatever happened later: reissues (superseded prints)
  do not count again; `in_force` excludes revoked and suspended ones, `revoked` is broken down by reason;
- legacy awards (certificates from before the registry) are awards with basis `legacy` and no body; they are
  not new certificates and count towards no target;
- 学徒工 (apprentice) records count by grade but are not 技能人才 certificates: left out of the 高技能人才 share's
  denominator and of the targets;
- the 高技能人才 share is certificates in force of 高级工 and above over certificates in force of 初级工 and above.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from assessment.recognition.models import TRIGGER_ZH, Recognition, RecognitionStatus
from certificates.models import REASON_ZH, RevocationReason
from registry import access, grades
from registry.access import Power
from registry.actor import Actor
from registry.awards.models import AWARD_REASON_ZH, AwardRevocationReason
from registry.bodies.models import KIND_ZH, BodyKind, EvaluationBody
from registry.catalogue.models import City, Occupation, Province
from registry.clock import today
from registry.db import analytic, dialect_name
from registry.grades import GradeCode
from registry.settings import RegulatorTarget, Settings
from regulator.filters import StatsFilter
from regulator.models import NO_BODY, StatTally

T = StatTally.__table__  # type: ignore[attr-defined]
B = EvaluationBody.__table__  # type: ignore[attr-defined]
R = Recognition.__table__  # type: ignore[attr-defined]

DIMENSIONS: dict[str, Any] = {
    "grade": T.c.grade,
    "occupation": T.c.occupation_code,
    "body": T.c.body_id,
    "body_kind": B.c.kind,
    "province": B.c.province_code,
    "city": B.c.city_code,
    "month": T.c.month,
}
DIMENSION_ZH = {
    "grade": "等级",
    "occupation": "职业",
    "body": "评价机构",
    "body_kind": "机构类型",
    "province": "省份",
    "city": "城市",
    "month": "月份",
}
STATUSES = ("valid", "suspended", "revoked")
NOT_SKILL_GRADES = (GradeCode.APPRENTICE.value,)
HIGH_SKILL_GRADES = tuple(g.value for g in GradeCode if grades.is_high_skill(g))


def _where(query: Any, only: StatsFilter, *, kind: str, months: bool = True) -> Any:
    query = query.where(T.c.kind == kind)
    if months:
        query = query.where(T.c.month >= only.month_from, T.c.month <= only.month_to)
    if only.body_id is not None:
        query = query.where(T.c.body_id == only.body_id)
    if only.occupation_code is not None:
        query = query.where(T.c.occupation_code == only.occupation_code)
    if only.grade is not None:
        query = query.where(T.c.grade == only.grade.value)
    if only.body_kind is not None:
        query = query.where(B.c.kind == only.body_kind.value)
    if only.province_code is not None:
        query = query.where(B.c.province_code == only.province_code)
    if only.city_code is not None:
        query = query.where(B.c.city_code == only.city_code)
    return query


def _joined() -> Any:
    return T.outerjoin(B, B.c.id == T.c.body_id)


def _grouped(session: Session, only: StatsFilter, kind: str, dimension: Any, split: Any) -> list[tuple[Any, ...]]:
    n = sa.func.sum(T.c.n)
    query = sa.select(dimension, split, n).select_from(_joined()).group_by(dimension, split)
    return [tuple(row) for row in session.execute(_where(query, only, kind=kind)).all()]


def _grouped_sets(
    session: Session, only: StatsFilter, kind: str, sets: dict[str, Sequence[Any]]
) -> dict[str, list[tuple[Any, ...]]]:
    """Sums of n grouped by each set of columns: one scan with GROUPING SETS on PostgreSQL, a query per set on
    SQLite. Returns, per set name, rows of (the set's column values..., n)."""
    n = sa.func.sum(T.c.n)
    if dialect_name(session) != "postgresql":
        out = {}
        for name, group in sets.items():
            query = sa.select(*group, n).select_from(_joined()).group_by(*group)
            out[name] = [tuple(row) for row in session.execute(_where(query, only, kind=kind)).all()]
        return out
    columns: list[Any] = []
    for group in sets.values():
        columns.extend(c for c in group if not any(c is seen for seen in columns))
    position = {id(c): i for i, c in enumerate(columns)}
    width = len(columns)
    masks = {}
    for name, group in sets.items():
        present = {width - 1 - position[id(c)] for c in group}
        masks[sum(1 << bit for bit in range(width) if bit not in present)] = name
    grouping = sa.func.grouping_sets(*(sa.tuple_(*group) for group in sets.values()))
    query = sa.select(*columns, n, sa.func.grouping(*columns)).select_from(_joined()).group_by(grouping)
    out = {name: [] for name in sets}
    for row in session.execute(_where(query, only, kind=kind)).all():
        name = masks[row[-1]]
        out[name].append((*(row[position[id(c)]] for c in sets[name]), row[-2]))
    return out


class Labels:
    """Names for the keys of a breakdown, looked up once per answer."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._occupations: dict[str, str] | None = None
        self._provinces: dict[str, str] | None = None
        self._cities: dict[str, str] | None = None

    def bodies(self, ids: Iterable[Any]) -> dict[str, str]:
        wanted = [uuid.UUID(str(i)) for i in ids if i is not None and uuid.UUID(str(i)) != NO_BODY]
        names: dict[str, str] = {str(NO_BODY): "（历史证书，无评价机构）"}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            rows = self.session.execute(sa.select(B.c.id, B.c.name).where(B.c.id.in_(chunk))).all()
            names.update({str(i): name for i, name in rows})
        return names

    def label(self, dimension: str, key: Any) -> str:
        if key is None:
            return "（未填）"
        if dimension == "grade":
            return grades.info(key).name_zh
        if dimension == "occupation":
            if self._occupations is None:
                self._occupations = dict(self.session.execute(sa.select(Occupation.code, Occupation.name_zh)).all())  # type: ignore[call-overload]
            return str(self._occupations.get(key, key))
        if dimension == "body_kind":
            return KIND_ZH[BodyKind(key)]
        if dimension == "province":
            if self._provinces is None:
                self._provinces = dict(self.session.execute(sa.select(Province.code, Province.name_zh)).all())  # type: ignore[call-overload]
            return str(self._provinces.get(key, key))
        if dimension == "city":
            if self._cities is None:
                self._cities = dict(self.session.execute(sa.select(City.code, City.name_zh)).all())  # type: ignore[call-overload]
            return str(self._cities.get(key, key))
        if dimension == "month":
            return f"{key:%Y-%m}" if isinstance(key, dt.date) else str(key)[:7]
        return str(key)


def _key(dimension: str, key: Any) -> str | None:
    if key is None:
        return None
    if dimension == "month":
        return f"{key:%Y-%m}" if isinstance(key, dt.date) else str(key)[:7]
    if dimension == "body":
        return str(uuid.UUID(str(key)))
    return str(key)


def _breakdown(session: Session, only: StatsFilter, labels: Labels, dimension: str) -> list[dict[str, Any]]:
    """Certificates per key of dimension: issued (all), in force, suspended, revoked."""
    rows = _grouped(session, only, "certificate", DIMENSIONS[dimension], T.c.status)
    return _breakdown_of(rows, labels, dimension)


def _breakdown_of(rows: Sequence[tuple[Any, ...]], labels: Labels, dimension: str) -> list[dict[str, Any]]:
    table: dict[str | None, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    for key, status, n in rows:
        table[_key(dimension, key)][status] += int(n)
    names = labels.bodies(k for k in table if k) if dimension == "body" else {}
    out: list[dict[str, Any]] = []
    for key in sorted(table, key=lambda k: (k is None, k or "")):
        counts = table[key]
        label = names.get(key or "", "") if dimension == "body" else labels.label(dimension, key)
        out.append(
            {
                "key": key,
                "label": label,
                "issued": sum(counts.values()),
                "in_force": counts["valid"],
                "suspended": counts["suspended"],
                "revoked": counts["revoked"],
            }
        )
    if dimension != "month":
        out.sort(key=lambda row: (-int(row["issued"]), str(row["key"] or "")))
    return out


def _awards(session: Session, only: StatsFilter) -> dict[str, Any]:
    sets = _grouped_sets(
        session,
        only,
        "award",
        {"basis": (T.c.basis, T.c.status), "grade": (T.c.grade, T.c.status), "reason": (T.c.reason, T.c.status)},
    )
    rows = sets["basis"]
    by_basis: dict[str, dict[str, int]] = defaultdict(dict)
    for basis, status, n in rows:
        by_basis[basis][status] = by_basis[basis].get(status, 0) + int(n)
    grade_rows = sets["grade"]
    by_grade: dict[str, int] = defaultdict(int)
    for grade, status, n in grade_rows:
        if status == "active":
            by_grade[grade] += int(n)
    return {
        "total": sum(sum(v.values()) for v in by_basis.values()),
        "active": sum(v.get("active", 0) for v in by_basis.values()),
        "by_basis": [{"basis": basis, **counts} for basis, counts in sorted(by_basis.items())],
        "active_by_grade": [
            {"key": g.code.value, "label": g.name_zh, "active": by_grade.get(g.code.value, 0)} for g in grades.LADDER
        ],
        "revoked_by_reason": {r: int(n) for r, status, n in sets["reason"] if status == "revoked"},
    }


def _revocations(certs: Sequence[tuple[Any, ...]], award_counts: dict[str, int]) -> dict[str, Any]:
    cert_counts = {r: int(n) for r, s, n in certs if s == "revoked"}
    return {
        "certificates": [
            {"reason": r.value, "label": REASON_ZH[r], "count": cert_counts.get(r.value, 0)} for r in RevocationReason
        ],
        "awards": [
            {"reason": r.value, "label": AWARD_REASON_ZH[r], "count": award_counts.get(r.value, 0)}
            for r in AwardRevocationReason
        ],
    }


def _high_skill(breakdown_by_grade: Sequence[dict[str, Any]]) -> dict[str, Any]:
    in_force = {row["key"]: row["in_force"] for row in breakdown_by_grade}
    skilled = sum(n for g, n in in_force.items() if g not in NOT_SKILL_GRADES)
    high = sum(n for g, n in in_force.items() if g in HIGH_SKILL_GRADES)
    return {
        "high_skill_in_force": high,
        "skilled_in_force": skilled,
        "share": round(high / skilled, 4) if skilled else None,
        "note_zh": "高技能人才占比 = 高级工及以上有效证书 / 初级工及以上有效证书（学徒工不计）",
    }


def _recognitions(session: Session, only: StatsFilter) -> dict[str, Any]:
    start = dt.datetime.combine(only.first_day, dt.time(), tzinfo=dt.UTC) - dt.timedelta(hours=8)
    end = dt.datetime.combine(only.last_day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC) - dt.timedelta(hours=8)
    base = (
        sa.select(R.c.path, sa.func.count())
        .select_from(R.join(B, B.c.id == R.c.body_id))
        .where(R.c.status == RecognitionStatus.APPROVED.value, R.c.decided_at >= start, R.c.decided_at < end)
    )
    base = _recognition_where(base, only)
    by_path = {p: int(n) for p, n in session.execute(base.group_by(R.c.path)).all()}
    if dialect_name(session) == "postgresql":
        trigger = sa.func.jsonb_array_elements_text(R.c.triggers).table_valued("value").alias("t")
    else:
        trigger = sa.func.json_each(R.c.triggers).table_valued("value").alias("t")
    query = (
        sa.select(trigger.c.value, sa.func.count())
        .select_from(R.join(B, B.c.id == R.c.body_id).join(trigger, sa.true()))
        .where(R.c.status == RecognitionStatus.APPROVED.value, R.c.decided_at >= start, R.c.decided_at < end)
        .group_by(trigger.c.value)
    )
    by_trigger = {t: int(n) for t, n in session.execute(_recognition_where(query, only)).all()}
    return {
        "approved": sum(by_path.values()),
        "by_path": [{"path": p, "count": n} for p, n in sorted(by_path.items())],
        "by_trigger": [
            {"trigger": t.value, "label": TRIGGER_ZH[t], "count": by_trigger.get(t.value, 0)} for t in TRIGGER_ZH
        ],
    }


def _recognition_where(query: Any, only: StatsFilter) -> Any:
    if only.body_id is not None:
        query = query.where(R.c.body_id == only.body_id)
    if only.occupation_code is not None:
        query = query.where(R.c.occupation_code == only.occupation_code)
    if only.grade is not None:
        query = query.where(R.c.target_grade == only.grade.value)
    if only.body_kind is not None:
        query = query.where(B.c.kind == only.body_kind.value)
    if only.province_code is not None:
        query = query.where(B.c.province_code == only.province_code)
    if only.city_code is not None:
        query = query.where(B.c.city_code == only.city_code)
    return query


def target_progress(
    session: Session, targets: Sequence[RegulatorTarget], *, on: dt.date | None = None
) -> list[dict[str, Any]]:
    """Progress against each target: certificates issued in its window (not revoked, not 学徒工) in its province."""
    day = on or today()
    if not targets:
        return []
    sums = []
    for target in targets:
        condition = sa.and_(T.c.month >= target.start.replace(day=1), T.c.month <= target.end)
        if target.metric == "high_skill_certificates":
            condition = sa.and_(condition, T.c.grade.in_(HIGH_SKILL_GRADES))
        if target.province_code is not None:
            condition = sa.and_(condition, B.c.province_code == target.province_code)
        sums.append(sa.func.coalesce(sa.func.sum(sa.case((condition, T.c.n), else_=0)), 0))
    query = (
        sa.select(*sums)
        .select_from(_joined())
        .where(T.c.kind == "certificate", T.c.status != "revoked", T.c.grade.not_in(NOT_SKILL_GRADES))
    )
    totals = session.execute(query).one()
    out = []
    for target, achieved_n in zip(targets, totals, strict=True):
        achieved = int(achieved_n)
        span = (target.end - target.start).days + 1
        elapsed = min(max((day - target.start).days + 1, 0), span)
        expected = round(target.target * elapsed / span)
        out.append(
            {
                "id": target.id,
                "name_zh": target.name_zh,
                "citation": target.citation,
                "province_code": target.province_code,
                "metric": target.metric,
                "start": target.start.isoformat(),
                "end": target.end.isoformat(),
                "target": target.target,
                "achieved": achieved,
                "share": round(achieved / target.target, 6),
                "expected_by_now": expected,
                "on_track": achieved >= expected,
            }
        )
    return out


BREAKDOWNS = ("grade", "occupation", "body", "body_kind", "province", "city", "month")


def statistics(
    session: Session, *, actor: Actor, settings: Settings, only: StatsFilter, dimensions: Sequence[str] = BREAKDOWNS
) -> dict[str, Any]:
    """The whole statistics answer for the filter (regulator only)."""
    access.require(actor, Power.REGULATE)
    analytic(session)
    labels = Labels(session)
    wanted = {d: (DIMENSIONS[d], T.c.status) for d in dict.fromkeys([*dimensions, "grade"])}
    rows = _grouped_sets(session, only, "certificate", {**wanted, "reason": (T.c.reason, T.c.status)})
    by = {dimension: _breakdown_of(rows[dimension], labels, dimension) for dimension in dimensions}
    grade_rows = by.get("grade") or _breakdown_of(rows["grade"], labels, "grade")
    totals = {
        "issued": sum(r["issued"] for r in grade_rows),
        "in_force": sum(r["in_force"] for r in grade_rows),
        "suspended": sum(r["suspended"] for r in grade_rows),
        "revoked": sum(r["revoked"] for r in grade_rows),
    }
    awards = _awards(session, only)
    return {
        "filters": only.as_dict(),
        "certificates": {**totals, "by": by},
        "high_skill": _high_skill(grade_rows),
        "awards": awards,
        "direct_recognitions": _recognitions(session, only),
        "revocations": _revocations(rows["reason"], awards.pop("revoked_by_reason")),
        "targets": target_progress(session, settings.regulator_targets),
    }


def stat_rows(report: dict[str, Any]) -> Iterable[list[Any]]:
    """The statistics as export rows (header first)."""
    yield ["维度", "键", "名称", "发证数", "有效", "暂停", "撤销"]
    for dimension, rows in report["certificates"]["by"].items():
        for row in rows:
            yield [
                DIMENSION_ZH[dimension],
                row["key"],
                row["label"],
                row["issued"],
                row["in_force"],
                row["suspended"],
                row["revoked"],
            ]
    for target in report["targets"]:
        yield ["目标进度", target["citation"], target["name_zh"], target["achieved"], target["target"], "", ""]
