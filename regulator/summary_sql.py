"""The SQL that keeps the anomaly summaries exact: tables, triggers (used by migration 0013) and the full rebuild.

Four summaries let the slow anomaly rules read a few thousand rows instead of the million behind them:

- `batch_result_tally` (session → candidates, passes, near_00 … near_19): candidates with a result per batch,
  those who passed, and how many totals lie 0–0.5, 0.5–1, … 9.5–10 points above the batch's weighted pass mark —
  the histogram the heaping rule sums up to its band (REGISTRY_ANOMALY_HEAPING_BAND: half points, ≤ 10). One
  row per batch: a tenth-of-a-point histogram took 18 rows per batch (356,381 rows at a million certificates);
- `batch_scoring_tally` (session → items, identical): (candidate, component) pairs scored by two or more
  assessors, and those where two of them gave the same value — the identical-scoring rule;
- `assessor_day_tally` (assessor, Beijing day → n): distinct candidates an assessor scored that day;
- `award_skip_tally` (body, day → recognitions, skips): standing recognitions and competition promotions, and
  those two or more grades above the person's highest earlier grade in the occupation (or above 初级工).

How they stay exact. Each summary is one SQL "contribution" over a set of source rows. A trigger on the source
table computes, for the groups a statement touched (a scope column that holds whole groups: the candidate for
scores, the person for awards), the contribution after the change minus the contribution before it, and adds
the difference to the summary by upsert — in the transaction that wrote the rows, so a committed summary always
equals a recount and a rollback takes its counts with it. The "before" rows are the table's rows of those groups
without the statement's new rows, plus its old rows. PostgreSQL: statement-level triggers with transition tables
(one pass per statement however many rows), after a transaction-scoped advisory lock per group so two writers
of the same candidate or person queue instead of each missing the other's row. SQLite: row-level triggers (one
writer at a time). The same contribution SQL rebuilds a summary from scratch (migration backfill, bulk loads
that ran with triggers off).

Triggers, not the services: scores, candidates and awards are written by several services, the demo, imports
and bulk loads; a trigger cannot be bypassed by a new code path, and it runs in the writer's transaction.
Stdlib only, so the migration can import it without the models; a change here needs a new revision that drops
and recreates the triggers (0013 must keep meaning what it meant).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

NO_BODY = {"postgresql": "'00000000-0000-0000-0000-000000000000'::uuid", "sqlite": "'00000000000000000000000000000000'"}
# grades.LADDER ordinals, frozen here (tests/test_regulator_summaries.py checks they still match)
ORDINALS = {
    "apprentice": 1,
    "junior": 2,
    "intermediate": 3,
    "senior": 4,
    "technician": 5,
    "senior_technician": 6,
    "special_technician": 7,
    "chief_technician": 8,
}
NO_PRIOR_ORDINAL = 1  # nothing held counts as one below 初级工: 初级工 itself is no skip
HALF_POINTS = 20  # the histogram covers 10 points above the pass mark in half points
NEAR = tuple(f"near_{i:02d}" for i in range(HALF_POINTS))  # near_00: [0, 0.5) points above the mark, …
LOCK_CLASS = 1113  # pg_advisory_xact_lock(class, key): keeps these locks apart from other users of advisory locks

Contribution = Callable[[str, str], str]  # (rows relation, dialect) -> SELECT key..., value... GROUP BY key


def _ordinal(column: str) -> str:
    cases = " ".join(f"WHEN '{code}' THEN {n}" for code, n in ORDINALS.items())
    return f"(CASE {column} {cases} ELSE 0 END)"


def _day(column: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"(({column}) AT TIME ZONE 'Asia/Shanghai')::date"
    return f"date({column}, '+8 hours')"


@dataclass(frozen=True)
class Source:
    """A table whose rows a summary counts, the columns it reads and the column that holds whole groups."""

    table: str
    columns: tuple[str, ...]
    scope: str
    lock: bool


@dataclass(frozen=True)
class Summary:
    """A summary table: key and value columns, and its contribution SQL per source table."""

    table: str
    key: tuple[str, ...]
    values: tuple[str, ...]
    contributions: dict[str, Contribution]


def _results_from_candidates(rows: str, dialect: str, components: str = "session_component") -> str:
    offset = "(x.total_tenths * 10 - x.mark)"  # hundredths of a point above the weighted pass mark
    near = f"CASE WHEN {offset} >= 0 AND {offset} < {HALF_POINTS * 50} THEN {offset} / 50 ELSE -1 END"
    buckets = ", ".join(f"sum(CASE WHEN y.near = {i} THEN 1 ELSE 0 END) AS {name}" for i, name in enumerate(NEAR))
    return (
        "SELECT y.session_id, count(*) AS candidates, sum(CASE WHEN y.passed THEN 1 ELSE 0 END) AS passes, "
        f"{buckets} FROM (SELECT x.session_id, x.passed, {near} AS near "
        "FROM (SELECT r.session_id, r.passed, r.total_tenths, m.mark "
        f"FROM {rows} r JOIN (SELECT k.session_id, sum(k.weight * k.pass_mark) AS mark FROM {components} k "
        f"WHERE k.session_id IN (SELECT session_id FROM {rows} s) GROUP BY k.session_id) m "
        "ON m.session_id = r.session_id WHERE r.passed IS NOT NULL) x) y GROUP BY y.session_id"
    )


def _results_from_components(rows: str, dialect: str) -> str:
    candidates = (
        "(SELECT c.session_id, c.passed, c.total_tenths FROM candidate c "
        f"WHERE c.session_id IN (SELECT session_id FROM {rows} s))"
    )
    return _results_from_candidates(candidates, dialect, components=rows)


def _scoring(rows: str, dialect: str) -> str:
    return (
        "SELECT c.session_id, count(*) AS items, sum(CASE WHEN i.n > i.d THEN 1 ELSE 0 END) AS identical "
        "FROM (SELECT r.candidate_id, r.component, count(*) AS n, count(DISTINCT r.value_tenths) AS d "
        f"FROM {rows} r GROUP BY r.candidate_id, r.component) i JOIN candidate c ON c.id = i.candidate_id "
        "WHERE i.n >= 2 GROUP BY c.session_id"
    )


def _assessor_days(rows: str, dialect: str) -> str:
    return (
        "SELECT x.assessor_id, x.day, count(*) AS n FROM (SELECT DISTINCT r.assessor_id, "
        f"{_day('r.recorded_at', dialect)} AS day, r.candidate_id FROM {rows} r) x GROUP BY x.assessor_id, x.day"
    )


def _skips(rows: str, dialect: str) -> str:
    previous = (
        f"(SELECT max({_ordinal('p.grade')}) FROM {rows} p WHERE p.person_id = a.person_id "
        "AND p.occupation_code = a.occupation_code AND p.id <> a.id AND p.awarded_on <= a.awarded_on "
        f"AND p.status IN ('active', 'revoked') AND {_ordinal('p.grade')} < {_ordinal('a.grade')})"
    )
    jump = f"{_ordinal('a.grade')} - coalesce({previous}, {NO_PRIOR_ORDINAL})"
    return (
        f"SELECT coalesce(a.body_id, {NO_BODY[dialect]}) AS body_id, a.awarded_on AS day, count(*) AS recognitions, "
        f"sum(CASE WHEN {jump} >= 2 THEN 1 ELSE 0 END) AS skips FROM {rows} a "
        "WHERE a.basis IN ('recognition', 'competition') AND a.status IN ('active', 'revoked') GROUP BY 1, 2"
    )


SOURCES = {
    "candidate": Source("candidate", ("id", "session_id", "passed", "total_tenths"), "id", lock=False),
    "session_component": Source("session_component", ("id", "session_id", "weight", "pass_mark"), "session_id", False),
    "score": Source(
        "score", ("id", "candidate_id", "component", "assessor_id", "value_tenths", "recorded_at"), "candidate_id", True
    ),
    "grade_award": Source(
        "grade_award",
        ("id", "person_id", "body_id", "occupation_code", "grade", "awarded_on", "basis", "status"),
        "person_id",
        True,
    ),
}
SUMMARIES = (
    Summary(
        "batch_result_tally",
        ("session_id",),
        ("candidates", "passes", *NEAR),
        {"candidate": _results_from_candidates, "session_component": _results_from_components},
    ),
    Summary("batch_scoring_tally", ("session_id",), ("items", "identical"), {"score": _scoring}),
    Summary("assessor_day_tally", ("day", "assessor_id"), ("n",), {"score": _assessor_days}),  # days: a PK range
    Summary("award_skip_tally", ("day", "body_id"), ("recognitions", "skips"), {"grade_award": _skips}),
)


def _merge(summary: Summary, contribution: Contribution, post: str, pre: str, dialect: str) -> str:
    """Add contribution(post) - contribution(pre) to the summary (upsert; a zero difference writes nothing)."""
    key, values = ", ".join(summary.key), summary.values
    plus = f"SELECT {key}, {', '.join(values)} FROM ({contribution(post, dialect)}) AS p"
    minus = f"SELECT {key}, {', '.join(f'-{v}' for v in values)} FROM ({contribution(pre, dialect)}) AS q"
    sums = ", ".join(f"sum({v}) AS {v}" for v in values)
    nonzero = " OR ".join(f"sum({v}) <> 0" for v in values)
    update = ", ".join(f"{v} = {summary.table}.{v} + excluded.{v}" for v in values)
    return (
        f"INSERT INTO {summary.table} ({key}, {', '.join(values)}) SELECT {key}, {sums} "
        f"FROM ({plus} UNION ALL {minus}) AS d WHERE true GROUP BY {key} HAVING {nonzero} "
        f"ON CONFLICT ({key}) DO UPDATE SET {update}"
    )


def _relations_pg(source: Source, event: str) -> tuple[str, str, str]:
    """(scope values, rows after, rows before) as SQL over the transition tables of one statement."""
    cols = ", ".join(source.columns)
    changed = [t for t, on in (("new_rows", event != "delete"), ("old_rows", event != "insert")) if on]
    scope = " UNION ".join(f"SELECT {source.scope} FROM {t}" for t in changed)
    base = f"SELECT {cols} FROM {source.table} WHERE {source.scope} IN ({scope})"
    post = f"({base})"
    pre = base
    if event != "delete":
        pre += " AND id NOT IN (SELECT id FROM new_rows)"
    if event != "insert":
        pre += f" UNION ALL SELECT {cols} FROM old_rows"
    return scope, post, f"({pre})"


def _relations_sqlite(source: Source, event: str) -> tuple[str, str]:
    """(rows after, rows before) for the one row a row-level trigger sees."""
    cols = ", ".join(source.columns)
    scopes = [f"{row}.{source.scope}" for row, on in (("NEW", event != "delete"), ("OLD", event != "insert")) if on]
    base = f"SELECT {cols} FROM {source.table} WHERE {source.scope} IN ({', '.join(scopes)})"
    pre = base
    if event != "delete":
        pre += " AND id <> NEW.id"
    if event != "insert":
        pre += " UNION ALL SELECT " + ", ".join(f"OLD.{c} AS {c}" for c in source.columns)
    return f"({base})", f"({pre})"


def _summaries_of(table: str) -> list[tuple[Summary, Contribution]]:
    return [(s, s.contributions[table]) for s in SUMMARIES if table in s.contributions]


EVENTS = ("insert", "update", "delete")
REFERENCING = {
    "insert": "REFERENCING NEW TABLE AS new_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "REFERENCING OLD TABLE AS old_rows",
}


def _name(table: str, event: str) -> str:
    return f"summary_{table}_{event}"


def pg_trigger_statements() -> list[str]:
    """CREATE FUNCTION / CREATE TRIGGER statements for PostgreSQL (statement level, transition tables)."""
    statements = []
    for table, source in SOURCES.items():
        for event in EVENTS:
            scope, post, pre = _relations_pg(source, event)
            body = []
            if source.lock:
                body.append(
                    f"PERFORM pg_advisory_xact_lock({LOCK_CLASS}, hashtext(s::text)) "
                    f"FROM (SELECT DISTINCT {source.scope} AS s FROM ({scope}) AS g ORDER BY 1) AS o"
                )
            body += [_merge(s, c, post, pre, "postgresql") for s, c in _summaries_of(table)]
            name = _name(table, event)
            statements.append(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                + "; ".join(body)
                + "; RETURN NULL; END $$"
            )
            statements.append(
                f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} {REFERENCING[event]} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
    return statements


def sqlite_trigger_statements() -> list[str]:
    """CREATE TRIGGER statements for SQLite (row level; an update fires only when a counted column changed)."""
    statements = []
    for table, source in SOURCES.items():
        for event in EVENTS:
            post, pre = _relations_sqlite(source, event)
            body = " ".join(_merge(s, c, post, pre, "sqlite") + ";" for s, c in _summaries_of(table))
            when = ""
            if event == "update":
                when = " WHEN " + " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in source.columns)
            statements.append(
                f"CREATE TRIGGER {_name(table, event)} AFTER {event.upper()} ON {table}{when} BEGIN {body} END"
            )
    return statements


def drop_statements(dialect: str) -> list[str]:
    """Statements removing the triggers (and PostgreSQL functions); the tables are dropped by the migration."""
    statements = []
    for table in SOURCES:
        for event in EVENTS:
            name = _name(table, event)
            if dialect == "postgresql":
                statements += [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()"]
            else:
                statements.append(f"DROP TRIGGER IF EXISTS {name}")
    return statements


def rebuild_statements(dialect: str) -> list[str]:
    """Recompute every summary from the rows (after a load with triggers off, or to check them)."""
    statements = []
    for summary in SUMMARIES:
        table, contribution = next(iter(summary.contributions.items()))
        rows = f"(SELECT {', '.join(SOURCES[table].columns)} FROM {table})"
        columns = ", ".join((*summary.key, *summary.values))
        statements += [
            f"DELETE FROM {summary.table}",
            f"INSERT INTO {summary.table} ({columns}) SELECT {columns} FROM ({contribution(rows, dialect)}) AS x",
        ]
    return statements
