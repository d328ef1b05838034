"""Anomaly summaries: per-batch results and score agreement, per assessor-day loads, per body-day grade skips.

- batch_result_tally, batch_scoring_tally, assessor_day_tally, award_skip_tally (regulator/summary_sql.py);
- triggers on candidate, session_component, score and grade_award that keep them exact in the writing
  transaction (PostgreSQL: statement level with transition tables and an advisory lock per candidate or person;
  SQLite: row level);
- backfilled from the existing rows.

The trigger SQL is imported from regulator.summary_sql; changing it later needs a new revision that drops and
recreates the triggers (this one must keep meaning what it meant).

Revision ID: 20261121_0013
Revises: 20261121_0015
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from regulator import summary_sql

revision = "20261121_0013"
down_revision = "20261121_0015"
branch_labels = None
depends_on = None

KEYS = {
    "session_id": sa.Uuid(),
    "assessor_id": sa.Uuid(),
    "body_id": sa.Uuid(),
    "day": sa.Date(),
}


def upgrade() -> None:
    for summary in summary_sql.SUMMARIES:
        op.create_table(
            summary.table,
            *(sa.Column(k, KEYS[k], nullable=False, autoincrement=False) for k in summary.key),
            *(sa.Column(v, sa.Integer(), nullable=False) for v in summary.values),
            sa.PrimaryKeyConstraint(*summary.key, name=f"pk_{summary.table}"),
        )
    dialect = op.get_bind().dialect.name
    triggers = (
        summary_sql.pg_trigger_statements() if dialect == "postgresql" else summary_sql.sqlite_trigger_statements()
    )
    for statement in [*triggers, *summary_sql.rebuild_statements(dialect)]:
        op.execute(sa.text(statement))


def downgrade() -> None:
    for statement in summary_sql.drop_statements(op.get_bind().dialect.name):
        op.execute(sa.text(statement))
    for summary in reversed(summary_sql.SUMMARIES):
        op.drop_table(summary.table)
