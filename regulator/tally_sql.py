"""The SQL that keeps `stat_tally` exact: trigger definitions (used by migration 0010) and the full rebuild.

A certificate or award row counts once under its key (kind, month, body, occupation, grade, basis, status,
reason). Triggers add the new key and take away the old one in the transaction that writes the row, so a
committed tally always equals a count over the rows; a rolled-back issuance rolls its counts back with it.
PostgreSQL: statement-level triggers with transition tables (one upsert per statement, however many rows a bulk
issuance inserts). SQLite: row-level triggers (no statement-level ones there). Stdlib only, so the migration can
import it without the models.
"""

from __future__ import annotations

KEY = "kind, month, body_id, occupation_code, grade, basis, status, reason"
NO_BODY_PG = "'00000000-0000-0000-0000-000000000000'::uuid"
NO_BODY_SQLITE = "'00000000000000000000000000000000'"


def _pg_certificate_rows(rows: str, sign: str) -> str:
    return (
        f"SELECT 'certificate' AS kind, date_trunc('month', r.issued_on)::date AS month, r.body_id, "
        "r.occupation_code, r.grade, coalesce(a.basis, '') AS basis, r.status, "
        f"coalesce(r.revocation_reason, '') AS reason, {sign} AS d "
        f"FROM {rows} r LEFT JOIN grade_award a ON a.id = r.award_id"
    )


def _pg_award_rows(rows: str, sign: str) -> str:
    return (
        f"SELECT 'award' AS kind, date_trunc('month', r.awarded_on)::date AS month, "
        f"coalesce(r.body_id, {NO_BODY_PG}) AS body_id, r.occupation_code, r.grade, r.basis, r.status, "
        f"coalesce(r.revocation_reason, '') AS reason, {sign} AS d FROM {rows} r"
    )


def _pg_merge(deltas: str) -> str:
    """Take decrements from existing rows only; add increments by upsert (a decrement never creates a row)."""
    grouped = f"SELECT {KEY}, sum(d)::int AS d FROM ({deltas}) AS x GROUP BY {KEY}"
    match = " AND ".join(f"t.{c} = g.{c}" for c in KEY.split(", "))
    return (
        f"UPDATE stat_tally AS t SET n = t.n + g.d FROM ({grouped}) AS g WHERE g.d < 0 AND {match}; "
        f"INSERT INTO stat_tally AS t ({KEY}, n) SELECT {KEY}, d FROM ({grouped}) AS g WHERE g.d > 0 "
        "ON CONFLICT ON CONSTRAINT uq_stat_tally_key DO UPDATE SET n = t.n + EXCLUDED.n"
    )


PG_SOURCES = {"certificate": _pg_certificate_rows, "grade_award": _pg_award_rows}


def pg_trigger_statements() -> list[str]:
    """CREATE FUNCTION / CREATE TRIGGER statements for PostgreSQL."""
    statements = []
    for table, rows in PG_SOURCES.items():
        bodies = {
            "insert": _pg_merge(rows("new_rows", "1")),
            "update": _pg_merge(f"{rows('old_rows', '-1')} UNION ALL {rows('new_rows', '1')}"),
            "delete": _pg_merge(rows("old_rows", "-1")),
        }
        referencing = {
            "insert": "REFERENCING NEW TABLE AS new_rows",
            "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
            "delete": "REFERENCING OLD TABLE AS old_rows",
        }
        for event, body in bodies.items():
            name = f"stat_tally_{table}_{event}"
            statements.append(
                f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body}; RETURN NULL; END $$"
            )
            statements.append(
                f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} {referencing[event]} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
            )
    return statements


def _sqlite_values(table: str, row: str) -> list[str]:
    if table == "certificate":
        return [
            "'certificate'",
            f"date({row}.issued_on, 'start of month')",
            f"{row}.body_id",
            f"{row}.occupation_code",
            f"{row}.grade",
            f"coalesce((SELECT basis FROM grade_award WHERE id = {row}.award_id), '')",
            f"{row}.status",
            f"coalesce({row}.revocation_reason, '')",
        ]
    return [
        "'award'",
        f"date({row}.awarded_on, 'start of month')",
        f"coalesce({row}.body_id, {NO_BODY_SQLITE})",
        f"{row}.occupation_code",
        f"{row}.grade",
        f"{row}.basis",
        f"{row}.status",
        f"coalesce({row}.revocation_reason, '')",
    ]


def _sqlite_add(table: str) -> str:
    values = ", ".join(_sqlite_values(table, "NEW"))
    return f"INSERT INTO stat_tally ({KEY}, n) VALUES ({values}, 1) ON CONFLICT ({KEY}) DO UPDATE SET n = n + 1;"


def _sqlite_remove(table: str) -> str:
    columns = KEY.split(", ")
    match = " AND ".join(f"{c} = {v}" for c, v in zip(columns, _sqlite_values(table, "OLD"), strict=True))
    return f"UPDATE stat_tally SET n = n - 1 WHERE {match};"


SQLITE_WATCHED = {
    "certificate": ("issued_on", "body_id", "occupation_code", "grade", "award_id", "status", "revocation_reason"),
    "grade_award": ("awarded_on", "body_id", "occupation_code", "grade", "basis", "status", "revocation_reason"),
}


def sqlite_trigger_statements() -> list[str]:
    """CREATE TRIGGER statements for SQLite (row level)."""
    statements = []
    for table, watched in SQLITE_WATCHED.items():
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in watched)
        statements += [
            f"CREATE TRIGGER stat_tally_{table}_insert AFTER INSERT ON {table} BEGIN {_sqlite_add(table)} END",
            f"CREATE TRIGGER stat_tally_{table}_update AFTER UPDATE ON {table} WHEN {changed} "
            f"BEGIN {_sqlite_remove(table)} {_sqlite_add(table)} END",
            f"CREATE TRIGGER stat_tally_{table}_delete AFTER DELETE ON {table} BEGIN {_sqlite_remove(table)} END",
        ]
    return statements


def drop_statements(dialect: str) -> list[str]:
    """Statements removing the triggers (and PostgreSQL functions)."""
    statements = []
    for table in PG_SOURCES:
        for event in ("insert", "update", "delete"):
            name = f"stat_tally_{table}_{event}"
            if dialect == "postgresql":
                statements.append(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                statements.append(f"DROP FUNCTION IF EXISTS {name}()")
            else:
                statements.append(f"DROP TRIGGER IF EXISTS {name}")
    return statements


def rebuild_statements(dialect: str) -> list[str]:
    """Recompute the whole tally from the rows (after a COPY load with triggers off, or to check it)."""
    if dialect == "postgresql":
        certificates = _pg_certificate_rows("certificate", "1")
        awards = _pg_award_rows("grade_award", "1")
    else:
        certificates = (
            "SELECT 'certificate' AS kind, date(r.issued_on, 'start of month') AS month, r.body_id AS body_id, "
            "r.occupation_code AS occupation_code, r.grade AS grade, coalesce(a.basis, '') AS basis, "
            "r.status AS status, coalesce(r.revocation_reason, '') AS reason, 1 AS d "
            "FROM certificate r LEFT JOIN grade_award a ON a.id = r.award_id"
        )
        awards = (
            "SELECT 'award' AS kind, date(r.awarded_on, 'start of month') AS month, "
            f"coalesce(r.body_id, {NO_BODY_SQLITE}) AS body_id, r.occupation_code AS occupation_code, "
            "r.grade AS grade, r.basis AS basis, r.status AS status, coalesce(r.revocation_reason, '') AS reason, "
            "1 AS d FROM grade_award r"
        )
    return [
        "DELETE FROM stat_tally",
        f"INSERT INTO stat_tally ({KEY}, n) SELECT {KEY}, sum(d) FROM ({certificates} UNION ALL {awards}) AS x "
        f"GROUP BY {KEY}",
    ]
