"""Background jobs: one row per bulk job (issuance, export, import) holding its owner, state and progress.

Revision ID: 20261121_0012
Revises: 20261121_0007
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from registry.db import JSONType, UTCDateTime

revision = "20261121_0012"
down_revision = "20261121_0007"
branch_labels = None
depends_on = None

KINDS = ("issue_certificates", "export_certificates", "import_legacy_awards")
STATUSES = ("queued", "running", "succeeded", "failed")


def _listed(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def upgrade() -> None:
    op.create_table(
        "job",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("owner_user_id", sa.Uuid(), nullable=True),
        sa.Column("owner_label", sa.String(length=128), nullable=False),
        sa.Column("actor", JSONType(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=128), nullable=True),
        sa.Column("params", JSONType(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("result", JSONType(), nullable=True),
        sa.Column("error", JSONType(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(f"kind IN ({_listed(KINDS)})", name="ck_job_job_kind"),
        sa.CheckConstraint(f"status IN ({_listed(STATUSES)})", name="ck_job_job_status"),
        sa.CheckConstraint("total >= 0 AND done >= 0 AND attempts >= 0", name="ck_job_counts"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
        sa.UniqueConstraint("owner_label", "idempotency_key", name="uq_job_owner_label_idempotency_key"),
    )
    op.create_index(op.f("ix_job_status"), "job", ["status"])
    op.create_index(op.f("ix_job_owner_user_id"), "job", ["owner_user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_job_owner_user_id"), table_name="job")
    op.drop_index(op.f("ix_job_status"), table_name="job")
    op.drop_table("job")
