"""Certificates, their prints, serial counters; the holder binding on people.

Revision ID: 20261121_0004
Revises: 20261121_0003
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261121_0004"
down_revision = "20261121_0003"
branch_labels = None
depends_on = None


def _enum_check(table: str, name: str, column: str, values: list[str]) -> sa.CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=f"ck_{table}_{name}")


def upgrade() -> None:
    op.create_table(
        "serial_counter",
        sa.Column("site_key", sa.String(13), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(1), nullable=False),
        sa.Column("last_serial", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("site_key", "year", "level", name="pk_serial_counter"),
    )
    op.create_table(
        "certificate",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(22), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("body_id", sa.Uuid(), nullable=False),
        sa.Column("occupation_code", sa.String(16), nullable=False),
        sa.Column("work_type", sa.String(64), nullable=False),
        sa.Column("grade", sa.String(32), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("print_serial", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(32), nullable=False),
        sa.Column("token", sa.String(512), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("revocation_reason", sa.String(32), nullable=True),
        sa.Column("status_note", sa.String(2000), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["award_id"], ["grade_award.id"], name="fk_certificate_award_id_grade_award"),
        sa.ForeignKeyConstraint(["body_id"], ["evaluation_body.id"], name="fk_certificate_body_id_evaluation_body"),
        sa.ForeignKeyConstraint(
            ["occupation_code"], ["occupation.code"], name="fk_certificate_occupation_code_occupation"
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="fk_certificate_person_id_person"),
        _enum_check(
            "certificate",
            "grade",
            "grade",
            [
                "apprentice",
                "junior",
                "intermediate",
                "senior",
                "technician",
                "senior_technician",
                "special_technician",
                "chief_technician",
            ],
        ),
        _enum_check("certificate", "certificate_status", "status", ["valid", "suspended", "revoked"]),
        _enum_check(
            "certificate",
            "revocation_reason",
            "revocation_reason",
            ["fraudulent_evaluation", "issued_in_error", "duplicate", "award_withdrawn", "court_order", "other"],
        ),
        sa.PrimaryKeyConstraint("id", name="pk_certificate"),
        sa.UniqueConstraint("award_id", name="uq_certificate_award_id"),
        sa.UniqueConstraint("number", name="uq_certificate_number"),
    )
    op.create_index("ix_certificate_body_id", "certificate", ["body_id"])
    op.create_index("ix_certificate_issued_on", "certificate", ["issued_on"])
    op.create_index("ix_certificate_person_id", "certificate", ["person_id"])

    op.create_table(
        "certificate_print",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("certificate_id", sa.Uuid(), nullable=False),
        sa.Column("print_serial", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(32), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.String(2000), nullable=True),
        sa.ForeignKeyConstraint(
            ["certificate_id"], ["certificate.id"], name="fk_certificate_print_certificate_id_certificate"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_certificate_print"),
        sa.UniqueConstraint("certificate_id", "print_serial", name="uq_certificate_print_serial"),
    )
    op.create_index("ix_certificate_print_certificate_id", "certificate_print", ["certificate_id"])

    with op.batch_alter_table("person") as batch_op:
        batch_op.add_column(sa.Column("holder_binding", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("person") as batch_op:
        batch_op.drop_column("holder_binding")

    op.drop_index("ix_certificate_print_certificate_id", table_name="certificate_print")

    op.drop_table("certificate_print")
    op.drop_index("ix_certificate_person_id", table_name="certificate")
    op.drop_index("ix_certificate_issued_on", table_name="certificate")
    op.drop_index("ix_certificate_body_id", table_name="certificate")

    op.drop_table("certificate")
    op.drop_table("serial_counter")
