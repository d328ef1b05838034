"""The counts the slow anomaly rules need, two ways: from the trigger-kept summaries, and recounted from the rows.

`Summaries` (what the rules use) reads `batch_result_tally`, `batch_scoring_tally`, `assessor_day_tally` and
`award_skip_tally` (regulator/summary_sql.py): a few thousand rows for a year over a million certificates.
`Recount` answers the same questions from candidates, scores and awards themselves. It is the benchmark's
baseline and the tests' oracle: after issuing, correcting and revoking, both must give the same answer.

Every method takes the rules' window (`start`, `end` days, inclusive) and returns plain tuples:

- results(window, band_tenths): (body, occupation, grade, candidates, passed, heaped) per body, occupation and
  grade of batches examined in the window; heaped = totals less than band_tenths / 10 points above the pass mark
  (the summaries keep half points: band_tenths a multiple of 5, at most 100);
- scoring(window): (batch, items scored by two or more assessors, items where two agreed) per batch with items;
- assessor_days(window, above): ([(assessor, day, candidates)] with candidates > above, the mean over all
  assessor-days in the window, or None when none is above);
- skips(window): (body, standing recognitions, grade skips) per body with recognitions awarded in the window.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import Session

from assessment.batches.models import Candidate, ExamSession, Score, SessionComponent
from registry import grades
from registry.awards.models import AwardBasis, GradeAward
from registry.db import dialect_name
from registry.grades import GradeCode
from regulator.models import NO_BODY, AssessorDayTally, AwardSkipTally, BatchResultTally, BatchScoringTally
from regulator.summary_sql import HALF_POINTS, NEAR

C = Candidate.__table__  # type: ignore[attr-defined]
S = ExamSession.__table__  # type: ignore[attr-defined]
SC = SessionComponent.__table__  # type: ignore[attr-defined]
SCORE = Score.__table__  # type: ignore[attr-defined]
A = GradeAward.__table__  # type: ignore[attr-defined]
RESULTS = BatchResultTally.__table__  # type: ignore[attr-defined]
SCORING = BatchScoringTally.__table__  # type: ignore[attr-defined]
DAYS = AssessorDayTally.__table__  # type: ignore[attr-defined]
SKIPS = AwardSkipTally.__table__  # type: ignore[attr-defined]

RECOGNISED = (AwardBasis.RECOGNITION.value, AwardBasis.COMPETITION.value)
STANDING = ("active", "revoked")


class Span(Protocol):
    """The part of the rules' window the counts need."""

    @property
    def start(self) -> dt.date: ...

    @property
    def end(self) -> dt.date: ...


Row = tuple[Any, ...]


def day_key(value: Any) -> str:
    """An assessor-day's day as YYYY-MM-DD, whichever database returned it (SQLite gives text)."""
    return str(value)[:10]


class Counts(Protocol):
    """What the rules ask; `Summaries` and `Recount` answer."""

    def results(self, window: Span, band_tenths: int) -> list[Row]: ...

    def scoring(self, window: Span) -> list[Row]: ...

    def assessor_days(self, window: Span, above: int) -> tuple[list[Row], float | None]: ...

    def skips(self, window: Span) -> list[Row]: ...


def _in(column: Any, window: Span) -> Any:
    return sa.and_(column >= window.start, column <= window.end)


class Summaries:
    """Counts read from the trigger-kept summaries (joined to exam_session for a batch's date, body and line)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def results(self, window: Span, band_tenths: int) -> list[Row]:
        if band_tenths % 5 or not 0 < band_tenths <= 5 * HALF_POINTS:
            raise ValueError(f"the heaping band is kept in half points up to 10: {band_tenths / 10} is not one")
        heaped = sum((RESULTS.c[name] for name in NEAR[: band_tenths // 5]), sa.literal(0))
        query = (
            sa.select(
                S.c.body_id,
                S.c.occupation_code,
                S.c.grade,
                sa.func.sum(RESULTS.c.candidates),
                sa.func.sum(RESULTS.c.passes),
                sa.func.sum(heaped),
            )
            .select_from(RESULTS.join(S, S.c.id == RESULTS.c.session_id))
            .where(_in(S.c.exam_on, window))
            .group_by(S.c.body_id, S.c.occupation_code, S.c.grade)
            .having(sa.func.sum(RESULTS.c.candidates) > 0)
        )
        return [(b, o, g, int(k), int(p), int(h)) for b, o, g, k, p, h in self.session.execute(query).all()]

    def scoring(self, window: Span) -> list[Row]:
        query = (
            sa.select(SCORING.c.session_id, SCORING.c["items"], SCORING.c.identical)
            .select_from(SCORING.join(S, S.c.id == SCORING.c.session_id))
            .where(_in(S.c.exam_on, window), SCORING.c["items"] > 0)
        )
        return [(b, int(n), int(m)) for b, n, m in self.session.execute(query).all()]

    def assessor_days(self, window: Span, above: int) -> tuple[list[Row], float | None]:
        per = (
            sa.select(DAYS.c.assessor_id, DAYS.c.day, DAYS.c.n, sa.func.avg(DAYS.c.n).over().label("mean"))
            .where(_in(DAYS.c.day, window), DAYS.c.n > 0)
            .subquery()
        )
        rows = self.session.execute(sa.select(per).where(per.c.n > above)).all()
        return [(a, d, int(n)) for a, d, n, _ in rows], (float(rows[0][3]) if rows else None)

    def skips(self, window: Span) -> list[Row]:
        recognitions = sa.func.sum(SKIPS.c.recognitions)
        query = (
            sa.select(SKIPS.c.body_id, recognitions, sa.func.sum(SKIPS.c.skips))
            .where(_in(SKIPS.c.day, window))
            .group_by(SKIPS.c.body_id)
            .having(recognitions > 0)
        )
        rows = self.session.execute(query).all()
        return [(None if b == NO_BODY else b, int(n), int(s)) for b, n, s in rows]


def _ordinal_case(column: Any) -> Any:
    return sa.case({g.code.value: g.ordinal for g in grades.LADDER}, value=column, else_=0)


class Recount:
    """The same counts from the rows themselves: the baseline and the oracle (never used to answer)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def results(self, window: Span, band_tenths: int) -> list[Row]:
        pass_mark = (
            sa.select(SC.c.session_id, sa.func.sum(SC.c.weight * SC.c.pass_mark).label("m"))
            .group_by(SC.c.session_id)
            .subquery()
        )
        above = C.c.total_tenths * 10 - pass_mark.c.m
        heaped = sa.case((sa.and_(above >= 0, above < band_tenths * 10), 1), else_=0)
        query = (
            sa.select(
                S.c.body_id,
                S.c.occupation_code,
                S.c.grade,
                sa.func.count(),
                sa.func.sum(sa.case((C.c.passed, 1), else_=0)),
                sa.func.sum(heaped),
            )
            .select_from(C.join(S, S.c.id == C.c.session_id).join(pass_mark, pass_mark.c.session_id == S.c.id))
            .where(_in(S.c.exam_on, window), C.c.passed.is_not(None))
            .group_by(S.c.body_id, S.c.occupation_code, S.c.grade)
        )
        return [(b, o, g, int(k), int(p), int(h)) for b, o, g, k, p, h in self.session.execute(query).all()]

    def scoring(self, window: Span) -> list[Row]:
        """Per candidate and component, the scores and their distinct values (two assessors agree exactly when
        there are fewer distinct values than scores), then per batch."""
        values = (
            sa.select(
                C.c.session_id.label("batch"),
                SCORE.c.candidate_id.label("candidate"),
                SCORE.c.component.label("component"),
                SCORE.c.value_tenths.label("value"),
                sa.func.count().label("n"),
            )
            .select_from(SCORE.join(C, C.c.id == SCORE.c.candidate_id).join(S, S.c.id == C.c.session_id))
            .where(_in(S.c.exam_on, window))
            .group_by(C.c.session_id, SCORE.c.candidate_id, SCORE.c.component, SCORE.c.value_tenths)
            .subquery()
        )
        per = (
            sa.select(values.c.batch, sa.func.sum(values.c.n).label("scores"), sa.func.count().label("distinct_values"))
            .group_by(values.c.batch, values.c.candidate, values.c.component)
            .subquery()
        )
        agreed = sa.case((per.c.scores > per.c.distinct_values, 1), else_=0)
        query = sa.select(per.c.batch, sa.func.count(), sa.func.sum(agreed)).where(per.c.scores >= 2)
        return [(b, int(n), int(m)) for b, n, m in self.session.execute(query.group_by(per.c.batch)).all()]

    def assessor_days(self, window: Span, above: int) -> tuple[list[Row], float | None]:
        start = dt.datetime.combine(window.start, dt.time(), tzinfo=dt.UTC) - dt.timedelta(hours=8)
        end = dt.datetime.combine(window.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC) - dt.timedelta(hours=8)
        day: Any
        if dialect_name(self.session) == "postgresql":
            day = sa.cast(sa.func.timezone("Asia/Shanghai", SCORE.c.recorded_at), sa.Date)
        else:
            day = sa.func.date(SCORE.c.recorded_at, "+8 hours")
        pairs = (
            sa.select(SCORE.c.assessor_id.label("assessor"), day.label("day"), SCORE.c.candidate_id)
            .where(SCORE.c.recorded_at >= start, SCORE.c.recorded_at < end)
            .group_by(SCORE.c.assessor_id, day, SCORE.c.candidate_id)
            .subquery()
        )
        per = (
            sa.select(pairs.c.assessor, pairs.c.day, sa.func.count().label("n"))
            .group_by(pairs.c.assessor, pairs.c.day)
            .subquery()
        )
        ranked = sa.select(per, sa.func.avg(per.c.n).over().label("mean")).subquery()
        rows = self.session.execute(sa.select(ranked).where(ranked.c.n > above)).all()
        return [(a, d, int(n)) for a, d, n, _ in rows], (float(rows[0][3]) if rows else None)

    def skips(self, window: Span) -> list[Row]:
        """Recognised grades more than one above the person's previous grade in the occupation (or 初级工 without)."""
        prior = A.alias("prior")
        previous = (
            sa.select(sa.func.max(_ordinal_case(prior.c.grade)))
            .where(
                prior.c.person_id == A.c.person_id,
                prior.c.occupation_code == A.c.occupation_code,
                prior.c.id != A.c.id,
                prior.c.awarded_on <= A.c.awarded_on,
                prior.c.status.in_(STANDING),
                _ordinal_case(prior.c.grade) < _ordinal_case(A.c.grade),
            )
            .scalar_subquery()
        )
        jump = _ordinal_case(A.c.grade) - sa.func.coalesce(previous, grades.ordinal(GradeCode.JUNIOR) - 1)
        query = (
            sa.select(A.c.body_id, sa.func.count(), sa.func.sum(sa.case((jump >= 2, 1), else_=0)))
            .where(A.c.basis.in_(RECOGNISED), _in(A.c.awarded_on, window), A.c.status.in_(STANDING))
            .group_by(A.c.body_id)
        )
        return [(b, int(n), int(s or 0)) for b, n, s in self.session.execute(query).all()]


def body_of_assessor_day(session: Session, assessor_id: uuid.UUID, day: Any) -> Any:
    """The body of a batch the assessor scored for on that Beijing day (index: score by assessor and time)."""
    first = dt.date.fromisoformat(day_key(day))
    start = dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC) - dt.timedelta(hours=8)
    query = (
        sa.select(S.c.body_id)
        .select_from(SCORE.join(C, C.c.id == SCORE.c.candidate_id).join(S, S.c.id == C.c.session_id))
        .where(
            SCORE.c.assessor_id == assessor_id,
            SCORE.c.recorded_at >= start,
            SCORE.c.recorded_at < start + dt.timedelta(days=1),
        )
        .limit(1)
    )
    return session.execute(query).scalar()
