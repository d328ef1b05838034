"""Anomaly flags: numbers that look wrong, per body, batch, assessor or certificate, each with its evidence.

Every flag carries the figure, the peer baseline, the threshold (a REGISTRY_ANOMALY_* setting, defaults in the
README) and one sentence on why it matters. A flag is a reason to look, never a finding: the regulator samples,
checks and only then sanctions. Each rule is a few aggregate queries over the date range (default: the last
REGISTRY_ANOMALY_DEFAULT_DAYS days by exam or award date). The rules that would read every candidate, score or
award of the range take their numbers from `counts` — the trigger-kept summaries (regulator/counts.py,
regulator/summary_sql.py) — so a year over a million certificates reads a few thousand summary rows.
"""

from __future__ import annotations

import datetime as dt
import statistics
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from assessment.assessors.models import Assessor
from assessment.batches.models import Candidate, ExamSession, Score, ScoreCorrection, SessionComponent, SessionStatus
from certificates.models import Certificate
from registry import access, grades
from registry.access import Power
from registry.actor import Actor
from registry.awards.models import AwardBasis, GradeAward
from registry.bodies.models import EvaluationBody
from registry.clock import today, utcnow
from registry.db import analytic, dialect_name
from registry.errors import InvalidInput
from registry.settings import Settings
from regulator.counts import Counts, Summaries, body_of_assessor_day, day_key
from regulator.models import StatTally, VerificationEvent

C = Candidate.__table__  # type: ignore[attr-defined]
S = ExamSession.__table__  # type: ignore[attr-defined]
SC = SessionComponent.__table__  # type: ignore[attr-defined]
SCORE = Score.__table__  # type: ignore[attr-defined]
CORR = ScoreCorrection.__table__  # type: ignore[attr-defined]
A = GradeAward.__table__  # type: ignore[attr-defined]
T = StatTally.__table__  # type: ignore[attr-defined]
V = VerificationEvent.__table__  # type: ignore[attr-defined]
CERT = Certificate.__table__  # type: ignore[attr-defined]
B = EvaluationBody.__table__  # type: ignore[attr-defined]


@dataclass
class Flag:
    """One anomaly: what, where, the number, what peers show, the line it crossed, and why it matters."""

    rule: str
    rule_zh: str
    level: str  # body | batch | assessor | certificate
    subject_id: str
    subject_label: str
    body_id: str | None
    figure: float
    baseline: float | None
    threshold: float
    unit: str  # share | count | days
    why_zh: str
    why_en: str
    details: dict[str, Any] = field(default_factory=dict)
    body_name: str = ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return asdict(self)


@dataclass(frozen=True)
class Window:
    """The date range the rules look at, and an optional body."""

    start: dt.date
    end: dt.date
    body_id: uuid.UUID | None = None

    @classmethod
    def build(
        cls, settings: Settings, *, start: dt.date | None, end: dt.date | None, body_id: uuid.UUID | None
    ) -> Window:
        """Default: the last REGISTRY_ANOMALY_DEFAULT_DAYS days up to today."""
        last = end or today()
        first = start or last - dt.timedelta(days=settings.anomaly_default_days - 1)
        if first > last:
            raise InvalidInput("起始日期晚于结束日期", "from is after to", extra={"field": "from"})
        if (last - first).days > 3660:
            raise InvalidInput(
                "时间范围过长（最多十年）", "range too long (at most ten years)", extra={"field": "from"}
            )
        return cls(first, last, body_id)


def _share(part: float, whole: float) -> float:
    return round(part / whole, 4) if whole else 0.0


# ---------------------------------------------------------------------------------------------------- rules


def pass_rate_and_heaping(session: Session, settings: Settings, window: Window, counts: Counts) -> list[Flag]:
    """Pass rate far above peers for the same occupation and grade; scores heaped just above the pass mark."""
    groups = counts.results(window, round(settings.anomaly_heaping_band * 10))
    minimum = settings.anomaly_min_candidates
    by_line: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    by_grade: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_body: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
    everyone = [0, 0]
    for body_id, occupation, grade, n, passed, heaped in groups:
        for bucket in (by_line[(occupation, grade)], by_grade[grade]):
            bucket[0] += int(n)
            bucket[1] += int(passed)
        by_body[body_id][0] += int(n)
        by_body[body_id][1] += int(heaped)
        everyone[0] += int(n)
        everyone[1] += int(heaped)
    flags = []
    for body_id, occupation, grade, n, passed, _ in groups:
        if n < minimum or (window.body_id and body_id != window.body_id):
            continue
        line_n, line_p = by_line[(occupation, grade)]
        peer_n, peer_p = line_n - n, line_p - passed
        scope = "同职业同等级"
        if peer_n < minimum:
            grade_n, grade_p = by_grade[grade]
            peer_n, peer_p, scope = grade_n - n, grade_p - passed, "同等级各职业"
        if peer_n < minimum:
            continue
        rate, peer = _share(passed, n), _share(peer_p, peer_n)
        if rate - peer >= settings.anomaly_pass_rate_margin:
            flags.append(
                Flag(
                    "pass_rate_high",
                    "通过率远高于同类机构",
                    "body",
                    str(body_id),
                    f"{occupation} {grades.info(grade).name_zh}",
                    str(body_id),
                    rate,
                    peer,
                    round(peer + settings.anomaly_pass_rate_margin, 4),
                    "share",
                    f"通过率 {rate:.0%}，{scope}其他机构为 {peer:.0%}："
                    "考核可能走过场或成绩有假，应抽查试卷和现场记录。",
                    f"pass rate {rate:.0%} against {peer:.0%} at peers: the assessment may be a formality or the "
                    "scores false; check papers and on-site records.",
                    {
                        "candidates": int(n),
                        "passed": int(passed),
                        "occupation_code": occupation,
                        "grade": grade,
                        "peer_candidates": peer_n,
                        "peer_scope": scope,
                    },
                )
            )
    for body_id, (n, heaped) in by_body.items():
        if n < minimum or (window.body_id and body_id != window.body_id):
            continue
        peer_n, peer_h = everyone[0] - n, everyone[1] - heaped
        share, peer = _share(heaped, n), _share(peer_h, peer_n)
        if share >= settings.anomaly_heaping_share and share >= 2 * peer:
            flags.append(
                Flag(
                    "score_heaping",
                    "成绩扎堆于及格线上方",
                    "body",
                    str(body_id),
                    "",
                    str(body_id),
                    share,
                    peer,
                    settings.anomaly_heaping_share,
                    "share",
                    f"{share:.0%} 的考生总分落在及格线以上 {settings.anomaly_heaping_band:g} 分以内"
                    f"（其他机构 {peer:.0%}）："
                    "真实成绩很少这样扎堆，常见于凑分。",
                    f"{share:.0%} of totals fall within {settings.anomaly_heaping_band:g} points above the pass mark "
                    f"({peer:.0%} elsewhere): real scores rarely bunch like this; it is the mark of scores nudged "
                    "over.",
                    {"candidates": int(n), "heaped": int(heaped), "band_points": settings.anomaly_heaping_band},
                )
            )
    return flags


def _tally_range(window: Window) -> tuple[dt.date, dt.date]:
    return window.start.replace(day=1), window.end


def direct_recognition_share(session: Session, settings: Settings, window: Window, counts: Counts) -> list[Flag]:
    """Awards by direct recognition (and competition promotion) as a share of a body's awards."""
    first, last = _tally_range(window)
    recognised = sa.case((T.c.basis.in_((AwardBasis.RECOGNITION.value, AwardBasis.COMPETITION.value)), T.c.n), else_=0)
    query = (
        sa.select(T.c.body_id, sa.func.sum(T.c.n), sa.func.sum(recognised))
        .where(T.c.kind == "award", T.c.basis != AwardBasis.LEGACY.value, T.c.month >= first, T.c.month <= last)
        .group_by(T.c.body_id)
    )
    rows = [(b, int(n), int(r)) for b, n, r in session.execute(query).all()]
    total_n, total_r = sum(r[1] for r in rows), sum(r[2] for r in rows)
    flags = []
    for body_id, n, recognised_n in rows:
        if n < settings.anomaly_dr_min_awards or (window.body_id and body_id != window.body_id):
            continue
        share, peer = _share(recognised_n, n), _share(total_r - recognised_n, total_n - n)
        if share >= settings.anomaly_dr_share and share > peer:
            flags.append(
                Flag(
                    "direct_recognition_share",
                    "直接认定占比过高",
                    "body",
                    str(body_id),
                    "",
                    str(body_id),
                    share,
                    peer,
                    settings.anomaly_dr_share,
                    "share",
                    f"{share:.0%} 的等级来自直接认定（其他机构 {peer:.0%}）：直接认定不经考试，最容易被用来绕过考核。",
                    f"{share:.0%} of its grades come from direct recognition ({peer:.0%} elsewhere): recognition "
                    "skips the exam and is the easiest way round it.",
                    {"awards": n, "recognised": recognised_n},
                )
            )
    return flags


def grade_skips(session: Session, settings: Settings, window: Window, counts: Counts) -> list[Flag]:
    """Recognised grades more than one above the person's previous grade in the occupation (or 初级工 without one)."""
    rows = counts.skips(window)
    flags = []
    for body_id, n, skips in rows:
        if skips < settings.anomaly_grade_skips or (window.body_id and body_id != window.body_id):
            continue
        others = [s for b, _, s in rows if b != body_id]
        peer = round(statistics.fmean(others), 2) if others else 0.0
        flags.append(
            Flag(
                "grade_skips",
                "越级认定偏多",
                "body",
                str(body_id),
                "",
                str(body_id),
                float(skips),
                peer,
                float(settings.anomaly_grade_skips),
                "count",
                f"{skips} 人被直接认定为比其原有等级高两级以上的等级（其他机构平均 {peer:g}）："
                "破格是例外，成批出现需核实理由。",
                f"{skips} people recognised two or more grades above what they held (peers average {peer:g}): "
                "skipping grades is an exception; in numbers, the justifications need checking.",
                {"recognitions": n, "skips": skips},
            )
        )
    return flags


def assessor_load(session: Session, settings: Settings, window: Window, counts: Counts) -> list[Flag]:
    """Assessors who scored implausibly many candidates in one (Beijing) day."""
    over_rows, mean_load = counts.assessor_days(window, settings.anomaly_assessor_daily_max)
    if not over_rows:
        return []
    mean = round(float(mean_load or 0), 2)
    cards: dict[Any, str] = dict(
        session.execute(
            sa.select(Assessor.id, Assessor.card_number).where(  # type: ignore[call-overload]
                Assessor.id.in_({r[0] for r in over_rows})  # type: ignore[attr-defined]
            )
        ).all()
    )
    over = [(a, day_key(d), n, body_of_assessor_day(session, a, d)) for a, d, n in over_rows]
    median = mean
    flags = []
    for assessor_id, day_value, n, body_id in over:
        if window.body_id and body_id != window.body_id:
            continue
        flags.append(
            Flag(
                "assessor_overload",
                "考评员单日评分量异常",
                "assessor",
                str(assessor_id),
                f"考评员证 {cards.get(assessor_id, '')} · {day_value}",
                str(body_id),
                float(n),
                median,
                float(settings.anomaly_assessor_daily_max),
                "count",
                f"一名考评员一天评了 {n} 名考生（平均每日 {median:g}）：超出一人一天能认真评完的量，可能代签或未到场。",
                f"one assessor scored {n} candidates in a day (mean {median:g}): more than one person can assess "
                "properly; scores may have been signed for others or without attending.",
                {"day": day_value, "candidates": n},
            )
        )
    return flags


def identical_scoring(session: Session, settings: Settings, window: Window, counts: Counts) -> list[Flag]:
    """Assessors of one batch agreeing to the tenth on nearly every candidate (one of them may score for all)."""
    rows = counts.scoring(window)
    total_n, total_same = sum(r[1] for r in rows), sum(r[2] for r in rows)
    loud = [
        r
        for r in rows
        if r[1] >= settings.anomaly_identical_min and _share(r[2], r[1]) >= settings.anomaly_identical_share
    ]
    bodies = dict(session.execute(sa.select(S.c.id, S.c.body_id).where(S.c.id.in_([r[0] for r in loud]))).all())
    flags = []
    for batch_id, n, same_n in loud:
        body_id = bodies.get(batch_id)
        if window.body_id and body_id != window.body_id:
            continue
        share = _share(same_n, n)
        peer = _share(total_same - same_n, total_n - n)
        flags.append(
            Flag(
                "identical_scoring",
                "考评员评分雷同",
                "batch",
                str(batch_id),
                "",
                str(body_id),
                share,
                peer,
                settings.anomaly_identical_share,
                "share",
                f"{share:.0%} 的考生各考评员评分完全一致（其他批次 {peer:.0%}）："
                "独立评分很少一致到这种程度，可能一人代评。",
                f"assessors agreed to the tenth on {share:.0%} of the candidates (other batches {peer:.0%}): "
                "independent assessors rarely agree this much; one may have scored for all.",
                {"scored_items": n, "identical": same_n},
            )
        )
    return flags


DONE = (SessionStatus.FINALIZED.value, SessionStatus.PUBLISHED.value, SessionStatus.CLOSED.value)


def batch_process(session: Session, settings: Settings, window: Window, counts: Counts) -> list[Flag]:
    """Batches finalized without a supervisor's attestation; batches closed in unusual haste."""
    done = sa.and_(S.c.exam_on >= window.start, S.c.exam_on <= window.end, S.c.status.in_(DONE))
    if window.body_id:
        done = sa.and_(done, S.c.body_id == window.body_id)
    # the closed batches' days from exam to close, as integers in SQL: thousands of rows, one small column
    days: Any
    if dialect_name(session) == "postgresql":
        days = sa.cast(sa.func.timezone("UTC", S.c.closed_at), sa.Date) - S.c.exam_on
    else:
        days = sa.cast(sa.func.julianday(sa.func.date(S.c.closed_at)) - sa.func.julianday(S.c.exam_on), sa.Integer)
    closed = sa.and_(done, S.c.status == SessionStatus.CLOSED.value, S.c.closed_at.is_not(None))
    durations = [int(d) for d in session.execute(sa.select(days).where(closed)).scalars()]
    total, attested = session.execute(sa.select(sa.func.count(), sa.func.count(S.c.attested_at)).where(done)).one()
    median = float(statistics.median(durations)) if durations else None
    attested_share = _share(int(attested), int(total)) if total else None
    hasty = sa.and_(
        S.c.status == SessionStatus.CLOSED.value, S.c.closed_at.is_not(None), days < settings.anomaly_haste_days
    )
    query = sa.select(S.c.id, S.c.body_id, S.c.exam_on, S.c.status, S.c.attested_at, S.c.closed_at).where(
        done, sa.or_(S.c.attested_at.is_(None), hasty)
    )
    rows = session.execute(query).all()
    flags = []
    for session_id, body_id, exam_on, status, attested_at, closed_at in rows:
        label = f"考试日期 {exam_on.isoformat()}"
        if attested_at is None:
            flags.append(
                Flag(
                    "unattested_batch",
                    "批次无质量督导确认",
                    "batch",
                    str(session_id),
                    label,
                    str(body_id),
                    0.0,
                    attested_share,
                    1.0,
                    "count",
                    "批次未经质量督导员确认就定稿：没有第三方见证，成绩无从核实。",
                    "the batch was finalized without a quality supervisor's attestation: no witness, so its scores "
                    "cannot be vouched for.",
                    {"status": status},
                )
            )
        if status == "closed" and closed_at is not None:
            took = (closed_at.date() - exam_on).days
            if took < settings.anomaly_haste_days:
                flags.append(
                    Flag(
                        "hasty_close",
                        "批次结束过快",
                        "batch",
                        str(session_id),
                        label,
                        str(body_id),
                        float(took),
                        median,
                        float(settings.anomaly_haste_days),
                        "days",
                        f"考试后 {took} 天即结束发证（同期批次中位数 {median if median is not None else '—'} 天）："
                        "阅卷、复核和公示都需要时间，过快往往意味着走过场。",
                        f"closed {took} days after the exam (median {median if median is not None else '—'}): "
                        "marking, review and publicity take time; this speed suggests steps were skipped.",
                        {"exam_on": exam_on.isoformat(), "closed_at": closed_at.isoformat()},
                    )
                )
    return flags


def late_corrections(session: Session, settings: Settings, window: Window, counts: Counts) -> list[Flag]:
    """Score corrections recorded after the batch was finalized."""
    query = (
        sa.select(S.c.id, S.c.body_id, sa.func.count())
        .select_from(CORR.join(C, C.c.id == CORR.c.candidate_id).join(S, S.c.id == C.c.session_id))
        .where(
            S.c.exam_on >= window.start,
            S.c.exam_on <= window.end,
            S.c.finalized_at.is_not(None),
            CORR.c.recorded_at > S.c.finalized_at,
        )
        .group_by(S.c.id, S.c.body_id)
    )
    rows = [(s, b, int(n)) for s, b, n in session.execute(query).all()]
    finalized = session.execute(
        sa.select(sa.func.count()).where(
            S.c.exam_on >= window.start, S.c.exam_on <= window.end, S.c.finalized_at.is_not(None)
        )
    ).scalar_one()
    flags = []
    for session_id, body_id, n in rows:
        if n < settings.anomaly_late_corrections or (window.body_id and body_id != window.body_id):
            continue
        peer = round((sum(r[2] for r in rows) - n) / max(int(finalized) - 1, 1), 2)
        flags.append(
            Flag(
                "late_corrections",
                "定稿后改分",
                "batch",
                str(session_id),
                "",
                str(body_id),
                float(n),
                peer,
                float(settings.anomaly_late_corrections),
                "count",
                f"成绩定稿后又更正了 {n} 次（其他批次平均 {peer:g}）：定稿后改分是把不及格改成及格的常见手法。",
                f"{n} score corrections after finalization (other batches average {peer:g}): changing scores after "
                "they are locked is how a fail is turned into a pass.",
                {"corrections": n},
            )
        )
    return flags


def verification_bursts(session: Session, settings: Settings, window: Window, counts: Counts) -> list[Flag]:
    """One certificate verified from many networks in a short time (REGISTRY_ANOMALY_VERIFY_WINDOW_HOURS)."""
    since = utcnow() - dt.timedelta(hours=settings.anomaly_verify_window_hours)
    # Certificates verified at least `threshold` times (one hash aggregate over the window's events), with the mean
    # verifications per verified certificate as the baseline; distinct networks only for those few (index).
    per = (
        sa.select(V.c.number, sa.func.count().label("events"))
        .where(V.c.occurred_at >= since)
        .group_by(V.c.number)
        .subquery()
    )
    ranked = sa.select(per.c.number, per.c.events, sa.func.avg(per.c.events).over().label("baseline")).subquery()
    busy = session.execute(
        sa.select(ranked.c.number, ranked.c.baseline).where(ranked.c.events >= settings.anomaly_verify_networks)
    ).all()
    baseline = busy[0][1] if busy else None
    rows: list[tuple[str, int, Any]] = []
    if busy:
        networks = dict(
            session.execute(
                sa.select(V.c.number, sa.func.count(sa.distinct(V.c.network)))
                .where(V.c.number.in_([b[0] for b in busy]), V.c.occurred_at >= since)
                .group_by(V.c.number)
            ).all()
        )
        wide = [n for n, count in networks.items() if count >= settings.anomaly_verify_networks]
        bodies = dict(session.execute(sa.select(CERT.c.number, CERT.c.body_id).where(CERT.c.number.in_(wide))).all())
        rows = [(n, int(networks[n]), bodies.get(n)) for n in wide]
    flags = []
    peer = round(float(baseline), 2) if baseline is not None else None
    for number, count, body_id in rows:
        if window.body_id and body_id != window.body_id:
            continue
        flags.append(
            Flag(
                "verification_burst",
                "同一证书被多地集中查验",
                "certificate",
                number,
                number,
                str(body_id) if body_id else None,
                float(count),
                peer,
                float(settings.anomaly_verify_networks),
                "count",
                f"{settings.anomaly_verify_window_hours} 小时内从 {count} 个不同网络查验"
                f"（被查验证书平均每张 {peer} 次）："
                "一张证书通常只有几家用人单位查，多地集中查验可能是证书被复制冒用。",
                f"verified from {count} different networks in {settings.anomaly_verify_window_hours} hours "
                f"(verified certificates average {peer} checks): a certificate is checked by a few employers; "
                "many places at once suggests copies in use.",
                {"window_hours": settings.anomaly_verify_window_hours},
            )
        )
    return flags


RULES: dict[str, Callable[[Session, Settings, Window, Counts], list[Flag]]] = {
    "pass_rate": pass_rate_and_heaping,
    "direct_recognition_share": direct_recognition_share,
    "grade_skips": grade_skips,
    "assessor_overload": assessor_load,
    "identical_scoring": identical_scoring,
    "batch_process": batch_process,
    "late_corrections": late_corrections,
    "verification_burst": verification_bursts,
}
# The flag names each rule group can raise (a filter on `rule` picks the group that raises it).
FLAG_NAMES = {
    "pass_rate_high": "pass_rate",
    "score_heaping": "pass_rate",
    "direct_recognition_share": "direct_recognition_share",
    "grade_skips": "grade_skips",
    "assessor_overload": "assessor_overload",
    "identical_scoring": "identical_scoring",
    "unattested_batch": "batch_process",
    "hasty_close": "batch_process",
    "late_corrections": "late_corrections",
    "verification_burst": "verification_burst",
}


def _named(session: Session, flags: Sequence[Flag]) -> list[Flag]:
    ids = {uuid.UUID(f.body_id) for f in flags if f.body_id}
    names = dict(session.execute(sa.select(B.c.id, B.c.name).where(B.c.id.in_(ids))).all()) if ids else {}
    for flag in flags:
        if flag.body_id:
            flag.body_name = names.get(uuid.UUID(flag.body_id), "")
            if flag.level == "body" and not flag.subject_label:
                flag.subject_label = flag.body_name
    return list(flags)


def anomalies(
    session: Session,
    *,
    actor: Actor,
    settings: Settings,
    window: Window,
    rules: Iterable[str] | None = None,
    counts: Counts | None = None,
) -> list[Flag]:
    """Every flag of the chosen rules (default all) in the window, strongest evidence first within each rule.

    counts: where the slow rules get their numbers — the trigger-kept summaries unless told otherwise (the
    benchmark's baseline and the tests pass `Recount`)."""
    access.require(actor, Power.REGULATE)
    wanted = list(rules or FLAG_NAMES)
    unknown = [r for r in wanted if r not in FLAG_NAMES]
    if unknown:
        raise InvalidInput(
            f"未知的规则：{', '.join(unknown)}",
            f"unknown rules: {', '.join(unknown)} (known: {', '.join(FLAG_NAMES)})",
            extra={"field": "rule"},
        )
    analytic(session)
    groups = dict.fromkeys(FLAG_NAMES[r] for r in wanted)
    source = counts or Summaries(session)
    flags = [f for group in groups for f in RULES[group](session, settings, window, source) if f.rule in wanted]
    return _named(session, flags)


def flagged_bodies(flags: Iterable[Flag]) -> set[str]:
    """Bodies named by any flag."""
    return {f.body_id for f in flags if f.body_id}


def flagged_batches(flags: Iterable[Flag]) -> set[str]:
    """Batches named by a batch-level flag."""
    return {f.subject_id for f in flags if f.level == "batch"}


def anomaly_rows(flags: Iterable[Flag]) -> Iterable[list[Any]]:
    """Flags as export rows (header first)."""
    yield ["规则", "规则名称", "层级", "对象", "对象名称", "评价机构", "数值", "同类基准", "阈值", "单位", "说明"]
    for f in flags:
        yield [
            f.rule,
            f.rule_zh,
            f.level,
            f.subject_id,
            f.subject_label,
            f.body_name,
            f.figure,
            f.baseline,
            f.threshold,
            f.unit,
            f.why_zh,
        ]
