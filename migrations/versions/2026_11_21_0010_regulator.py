"""Regulator: statistics tally kept by triggers, verification events, sanctions, spot-check samples and findings.

- stat_tally: certificate and award counts per (kind, month, body, occupation, grade, basis, status, reason),
  kept exact by triggers on certificate and grade_award (regulator/tally_sql.py: statement-level on PostgreSQL,
  row-level on SQLite), filled from the existing rows here.
- verification_event: time, certificate number and a keyed hash of the verifier's coarse network.
- sanction, spot_sample, spot_sample_item, spot_finding.
- indexes the regulator's queries need on certificate, exam_session, candidate, recognition and score.

The trigger SQL is imported from regulator.tally_sql; changing it later needs a new revision that drops and
recreates the triggers (this one must keep meaning what it meant).

Revision ID: 20261121_0010
Revises: 20261121_0012
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from regulator import tally_sql

revision = "20261121_0010"
down_revision = "20261121_0012"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")
INDEXES = (
    ("ix_certificate_status_changed", "certificate", ["status", "status_changed_at"]),
    ("ix_exam_session_exam_on", "exam_session", ["exam_on"]),
    ("ix_candidate_session_results", "candidate", ["session_id", "passed", "total_tenths"]),
    ("ix_recognition_decided_at", "recognition", ["decided_at"]),
    ("ix_score_assessor_recorded", "score", ["assessor_id", "recorded_at"]),
)


def _check(name: str, column: str, values: list[str]) -> sa.CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=name)


def upgrade() -> None:
    op.create_table(
        "stat_tally",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("body_id", sa.Uuid(), nullable=False),
        sa.Column("occupation_code", sa.String(16), nullable=False),
        sa.Column("grade", sa.String(32), nullable=False),
        sa.Column("basis", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_stat_tally"),
        sa.UniqueConstraint(
            "kind",
            "month",
            "body_id",
            "occupation_code",
            "grade",
            "basis",
            "status",
            "reason",
            name="uq_stat_tally_key",
        ),
    )
    op.create_table(
        "verification_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(22), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("network", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_verification_event"),
    )
    op.create_index("ix_verification_event_occurred_at", "verification_event", ["occurred_at"])
    op.create_index("ix_verification_event_number", "verification_event", ["number", "occurred_at"])
    op.create_table(
        "spot_sample",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("population", sa.String(32), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("weighted", sa.Boolean(), nullable=False),
        sa.Column("filters", JSON, nullable=False),
        sa.Column("population_size", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_spot_sample"),
        _check("ck_spot_sample_population", "population", ["bodies", "batches", "certificates"]),
    )
    op.create_table(
        "spot_sample_item",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sample_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("item_ref", sa.String(64), nullable=False),
        sa.Column("body_id", sa.Uuid(), nullable=True),
        sa.Column("label", sa.String(255), nullable=False),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_spot_sample_item"),
        sa.ForeignKeyConstraint(["sample_id"], ["spot_sample.id"], name="fk_spot_sample_item_sample_id_spot_sample"),
        sa.ForeignKeyConstraint(
            ["body_id"], ["evaluation_body.id"], name="fk_spot_sample_item_body_id_evaluation_body"
        ),
        sa.UniqueConstraint("sample_id", "position", name="uq_spot_sample_item_position"),
    )
    op.create_index("ix_spot_sample_item_sample_id", "spot_sample_item", ["sample_id"])
    op.create_table(
        "spot_finding",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("note", sa.String(2000), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_spot_finding"),
        sa.ForeignKeyConstraint(["item_id"], ["spot_sample_item.id"], name="fk_spot_finding_item_id_spot_sample_item"),
        _check("ck_spot_finding_finding_outcome", "outcome", ["no_issue", "minor", "serious", "fraud"]),
    )
    op.create_index("ix_spot_finding_item_id", "spot_finding", ["item_id"])
    op.create_table(
        "sanction",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("body_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("filing_id", sa.Uuid(), nullable=True),
        sa.Column("batch_id", sa.Uuid(), nullable=True),
        sa.Column("finding_id", sa.Uuid(), nullable=True),
        sa.Column("basis", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(2000), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("effects", JSON, nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(128), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lift_reason", sa.String(2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_sanction"),
        sa.ForeignKeyConstraint(["body_id"], ["evaluation_body.id"], name="fk_sanction_body_id_evaluation_body"),
        sa.ForeignKeyConstraint(["filing_id"], ["filing.id"], name="fk_sanction_filing_id_filing"),
        sa.ForeignKeyConstraint(["batch_id"], ["exam_session.id"], name="fk_sanction_batch_id_exam_session"),
        sa.ForeignKeyConstraint(["finding_id"], ["spot_finding.id"], name="fk_sanction_finding_id_spot_finding"),
        _check(
            "ck_sanction_sanction_kind", "kind", ["warning", "suspend_filing", "revoke_qualification", "revoke_batch"]
        ),
        _check("ck_sanction_sanction_status", "status", ["in_effect", "lifted"]),
    )
    op.create_index("ix_sanction_body_id", "sanction", ["body_id"])
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)

    bind = op.get_bind()
    dialect = bind.dialect.name
    statements = tally_sql.pg_trigger_statements() if dialect == "postgresql" else tally_sql.sqlite_trigger_statements()
    for statement in [*statements, *tally_sql.rebuild_statements(dialect)]:
        op.execute(sa.text(statement))


def downgrade() -> None:
    for statement in tally_sql.drop_statements(op.get_bind().dialect.name):
        op.execute(sa.text(statement))
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_index("ix_sanction_body_id", table_name="sanction")
    op.drop_table("sanction")
    op.drop_index("ix_spot_finding_item_id", table_name="spot_finding")
    op.drop_table("spot_finding")
    op.drop_index("ix_spot_sample_item_sample_id", table_name="spot_sample_item")
    op.drop_table("spot_sample_item")
    op.drop_table("spot_sample")
    op.drop_index("ix_verification_event_number", table_name="verification_event")
    op.drop_index("ix_verification_event_occurred_at", table_name="verification_event")
    op.drop_table("verification_event")
    op.drop_table("stat_tally")
