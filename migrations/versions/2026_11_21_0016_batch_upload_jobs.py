"""Batch uploads as jobs: a large candidate or results upload of an exam batch runs in the background.

The job table's kind check gains enrol_candidates and import_results.

Revision ID: 20261121_0016
Revises: 20261121_0013
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261121_0016"
down_revision = "20261121_0013"
branch_labels = None
depends_on = None

BEFORE = ("issue_certificates", "export_certificates", "import_legacy_awards")
AFTER = (*BEFORE, "enrol_candidates", "import_results")


def _listed(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _kinds(values: tuple[str, ...]) -> None:
    with op.batch_alter_table("job") as batch:
        batch.drop_constraint(op.f("ck_job_ck_job_job_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_job_ck_job_job_kind"), f"kind IN ({_listed(values)})")


def upgrade() -> None:
    _kinds(AFTER)


def downgrade() -> None:
    job = sa.table("job", sa.column("kind", sa.String()))
    op.execute(sa.delete(job).where(job.c.kind.not_in(BEFORE)))
    _kinds(BEFORE)
