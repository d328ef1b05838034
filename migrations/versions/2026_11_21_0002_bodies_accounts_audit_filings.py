"""Evaluation bodies, chain members, accounts, login throttles, the audit chain, filings and scope lines.

Revision ID: 20261121_0002
Revises: 20261121_0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "20261121_0002"
down_revision = "20261121_0001"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _enum_check(table: str, name: str, column: str, values: list[str]) -> sa.CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=f"ck_{table}_{name}")


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_label", sa.String(128), nullable=False),
        sa.Column("actor_role", sa.String(32), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity_type", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("body_id", sa.Uuid(), nullable=True),
        sa.Column("before", JSON, nullable=True),
        sa.Column("after", JSON, nullable=True),
        sa.Column("reason", sa.String(2000), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_event"),
        sa.UniqueConstraint("hash", name="uq_audit_event_hash"),
    )
    op.create_index("ix_audit_event_action", "audit_event", ["action"])
    op.create_index("ix_audit_event_body_id", "audit_event", ["body_id"])
    op.create_index("ix_audit_event_entity", "audit_event", ["entity_type", "entity_id"])

    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_head"),
    )
    # The chain head exists from the start so concurrent first appends lock it instead of racing to insert it.
    op.execute("INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, '" + "0" * 64 + "')")
    op.create_table(
        "login_throttle",
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("username", name="pk_login_throttle"),
    )
    op.create_table(
        "evaluation_body",
        sa.Column("is_state_owned", sa.Boolean(), nullable=False),
        sa.Column("is_above_scale", sa.Boolean(), nullable=False),
        sa.Column("is_manufacturing", sa.Boolean(), nullable=False),
        sa.Column("is_large", sa.Boolean(), nullable=False),
        sa.Column("is_listed", sa.Boolean(), nullable=False),
        sa.Column("is_chain_lead", sa.Boolean(), nullable=False),
        sa.Column("is_industry_leader", sa.Boolean(), nullable=False),
        sa.Column("qualified_special", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("province_code", sa.String(2), nullable=False),
        sa.Column("city_code", sa.String(6), nullable=True),
        sa.Column("address", sa.String(255), nullable=False),
        sa.Column("contact_name", sa.String(64), nullable=False),
        sa.Column("contact_phone", sa.String(32), nullable=False),
        sa.Column("ministry_code", sa.String(4), nullable=False),
        sa.Column("site_code", sa.String(6), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("cert_category", sa.String(1), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("status_reason", sa.String(2000), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cert_category IN ('Y', 'S')", name="ck_evaluation_body_cert_category"),
        sa.ForeignKeyConstraint(["city_code"], ["city.code"], name="fk_evaluation_body_city_code_city"),
        sa.ForeignKeyConstraint(["province_code"], ["province.code"], name="fk_evaluation_body_province_code_province"),
        _enum_check("evaluation_body", "body_kind", "kind", ["employer", "chain_body", "social_org", "school"]),
        _enum_check("evaluation_body", "body_status", "status", ["active", "suspended", "revoked"]),
        sa.PrimaryKeyConstraint("id", name="pk_evaluation_body"),
        sa.UniqueConstraint("uscc", name="uq_evaluation_body_uscc"),
    )
    op.create_table(
        "chain_member",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("chain_body_id", sa.Uuid(), nullable=False),
        sa.Column("member_uscc", sa.String(18), nullable=False),
        sa.Column("member_name", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chain_body_id"], ["evaluation_body.id"], name="fk_chain_member_chain_body_id_evaluation_body"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_chain_member"),
        sa.UniqueConstraint("chain_body_id", "member_uscc", name="uq_chain_member_body_uscc"),
    )
    op.create_index("ix_chain_member_chain_body_id", "chain_member", ["chain_body_id"])

    op.create_table(
        "user_account",
        sa.Column("display_name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("body_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("role != 'body_admin' OR body_id IS NOT NULL", name="ck_user_account_body_admin_has_body"),
        sa.ForeignKeyConstraint(["body_id"], ["evaluation_body.id"], name="fk_user_account_body_id_evaluation_body"),
        _enum_check("user_account", "role", "role", ["regulator", "body_admin", "assessor", "supervisor", "worker"]),
        sa.PrimaryKeyConstraint("id", name="pk_user_account"),
        sa.UniqueConstraint("username", name="uq_user_account_username"),
    )
    op.create_index("ix_user_account_body_id", "user_account", ["body_id"])

    op.create_table(
        "filing",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("body_id", sa.Uuid(), nullable=False),
        sa.Column("ceiling", sa.String(32), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("jurisdiction", sa.String(8), nullable=False),
        sa.Column("rule_report", JSON, nullable=True),
        sa.Column("ruleset_version", sa.String(32), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decision_note", sa.String(2000), nullable=True),
        sa.Column("status_reason", sa.String(2000), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_on > starts_on", name="ck_filing_window"),
        sa.ForeignKeyConstraint(["body_id"], ["evaluation_body.id"], name="fk_filing_body_id_evaluation_body"),
        sa.ForeignKeyConstraint(["created_by"], ["user_account.id"], name="fk_filing_created_by_user_account"),
        sa.ForeignKeyConstraint(["decided_by"], ["user_account.id"], name="fk_filing_decided_by_user_account"),
        _enum_check(
            "filing",
            "ceiling",
            "ceiling",
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
        _enum_check(
            "filing", "filing_status", "status", ["draft", "submitted", "approved", "rejected", "suspended", "revoked"]
        ),
        sa.PrimaryKeyConstraint("id", name="pk_filing"),
    )
    op.create_index("ix_filing_body_id", "filing", ["body_id"])

    op.create_table(
        "filing_scope_line",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("filing_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("occupation_code", sa.String(16), nullable=False),
        sa.Column("work_type", sa.String(64), nullable=False),
        sa.Column("max_grade", sa.String(32), nullable=False),
        sa.Column("methods", JSON, nullable=False),
        sa.Column("post_norm_ref", sa.String(255), nullable=False),
        sa.Column("post_grades", JSON, nullable=False),
        sa.Column("direct_recognition", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["filing_id"], ["filing.id"], name="fk_filing_scope_line_filing_id_filing", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["occupation_code"], ["occupation.code"], name="fk_filing_scope_line_occupation_code_occupation"
        ),
        _enum_check(
            "filing_scope_line",
            "max_grade",
            "max_grade",
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
        sa.PrimaryKeyConstraint("id", name="pk_filing_scope_line"),
        sa.UniqueConstraint("filing_id", "occupation_code", "work_type", name="uq_filing_scope_line_occupation"),
    )
    op.create_index("ix_filing_scope_line_filing_id", "filing_scope_line", ["filing_id"])


def downgrade() -> None:
    op.drop_index("ix_filing_scope_line_filing_id", table_name="filing_scope_line")

    op.drop_table("filing_scope_line")
    op.drop_index("ix_filing_body_id", table_name="filing")

    op.drop_table("filing")
    op.drop_index("ix_user_account_body_id", table_name="user_account")

    op.drop_table("user_account")
    op.drop_index("ix_chain_member_chain_body_id", table_name="chain_member")

    op.drop_table("chain_member")
    op.drop_table("evaluation_body")
    op.drop_table("login_throttle")
    op.drop_table("audit_head")
    op.drop_index("ix_audit_event_entity", table_name="audit_event")
    op.drop_index("ix_audit_event_body_id", table_name="audit_event")
    op.drop_index("ix_audit_event_action", table_name="audit_event")

    op.drop_table("audit_event")
