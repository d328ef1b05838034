"""Rules that follow their sources: justified waivers, 省级二类, award revocation, legacy certificates, 比照 dimensions.

- recognition.justifications: why each claimed waiver applies (the 等级 waiver lets DR-E skip grades, 002:22);
- competition_rule.tier gains provincial_second (省级二类, 004:140);
- grade_award: pending/rejected statuses (legacy records a body enters await the regulator), a revocation
  reason code and time, and no awarding body for legacy records (they were issued outside the registry);
- legacy_certificate: the original certificate behind a legacy award (family, authority, number, evidence);
- equivalence.dimension gains pay_benefits (004:288 gives appointees pay and benefits, not a title).

Downgrade deletes legacy records without an awarding body, pending/rejected awards and pay_benefits
equivalences (the reference loader re-creates the latter as title rows on the old code).

Revision ID: 20261121_0006
Revises: 20261121_0004
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "20261121_0006"
down_revision = "20261121_0004"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIERS = ["world", "national", "provincial", "municipal", "industry", "enterprise"]
AWARD_STATUSES = ["active", "revoked"]
REASONS = ["fraudulent_evaluation", "issued_in_error", "duplicate", "court_order", "other"]
ONE_TARGET_OLD = (
    "(dimension = 'education' AND education_code IS NOT NULL AND title_code IS NULL) OR "
    "(dimension = 'title' AND title_code IS NOT NULL AND education_code IS NULL)"
)
ONE_TARGET_NEW = (
    "(dimension = 'education' AND education_code IS NOT NULL AND title_code IS NULL) OR "
    "(dimension IN ('title', 'pay_benefits') AND title_code IS NOT NULL AND education_code IS NULL)"
)


# Constraint names are given as ck_<table>_<name>; the metadata's naming convention (applied by Alembic to
# creates and drops alike) prefixes them once more, exactly as revisions 0001–0004 created theirs.


def _listed(values: list[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def upgrade() -> None:
    with op.batch_alter_table("recognition") as batch:
        batch.add_column(sa.Column("justifications", JSON, nullable=False, server_default=sa.text("'{}'")))

    with op.batch_alter_table("competition_rule") as batch:
        batch.drop_constraint("ck_competition_rule_tier", type_="check")
        batch.create_check_constraint("ck_competition_rule_tier", f"tier IN ({_listed([*TIERS, 'provincial_second'])})")

    with op.batch_alter_table("grade_award") as batch:
        batch.add_column(sa.Column("revocation_reason", sa.String(32), nullable=True))
        batch.add_column(sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True))
        batch.alter_column("body_id", existing_type=sa.Uuid(), nullable=True)
        batch.drop_constraint("ck_grade_award_award_status", type_="check")
        batch.create_check_constraint(
            "ck_grade_award_award_status", f"status IN ({_listed(['pending', *AWARD_STATUSES, 'rejected'])})"
        )
        batch.create_check_constraint(
            "ck_grade_award_award_revocation_reason", f"revocation_reason IN ({_listed(REASONS)})"
        )
        batch.create_check_constraint("ck_grade_award_body_unless_legacy", "body_id IS NOT NULL OR basis = 'legacy'")

    op.create_table(
        "legacy_certificate",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("family", sa.String(32), nullable=False),
        sa.Column("issuing_authority", sa.String(128), nullable=False),
        sa.Column("original_number", sa.String(64), nullable=False),
        sa.Column("number_key", sa.String(64), nullable=False),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("recorded_by_body_id", sa.Uuid(), nullable=True),
        sa.Column("decision_note", sa.String(2000), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["award_id"], ["grade_award.id"], name="fk_legacy_certificate_award_id_grade_award"),
        sa.ForeignKeyConstraint(
            ["recorded_by_body_id"],
            ["evaluation_body.id"],
            name="fk_legacy_certificate_recorded_by_body_id_evaluation_body",
        ),
        sa.CheckConstraint(
            "family IN ('qualification', 'skill_level')", name="ck_legacy_certificate_certificate_family"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_legacy_certificate"),
        sa.UniqueConstraint("award_id", name="uq_legacy_certificate_award_id"),
    )
    op.create_index("ix_legacy_certificate_number_key", "legacy_certificate", ["number_key"])
    op.create_index("ix_legacy_certificate_recorded_by_body_id", "legacy_certificate", ["recorded_by_body_id"])

    with op.batch_alter_table("equivalence") as batch:
        batch.drop_constraint("ck_equivalence_dimension", type_="check")
        batch.drop_constraint("ck_equivalence_one_target", type_="check")
        batch.create_check_constraint("ck_equivalence_dimension", "dimension IN ('education', 'title', 'pay_benefits')")
        batch.create_check_constraint("ck_equivalence_one_target", ONE_TARGET_NEW)


def downgrade() -> None:
    op.execute("DELETE FROM equivalence WHERE dimension = 'pay_benefits'")
    with op.batch_alter_table("equivalence") as batch:
        batch.drop_constraint("ck_equivalence_dimension", type_="check")
        batch.drop_constraint("ck_equivalence_one_target", type_="check")
        batch.create_check_constraint("ck_equivalence_dimension", "dimension IN ('education', 'title')")
        batch.create_check_constraint("ck_equivalence_one_target", ONE_TARGET_OLD)

    op.drop_index("ix_legacy_certificate_recorded_by_body_id", table_name="legacy_certificate")
    op.drop_index("ix_legacy_certificate_number_key", table_name="legacy_certificate")
    op.drop_table("legacy_certificate")

    op.execute(
        "DELETE FROM appointment WHERE award_id IN "
        "(SELECT id FROM grade_award WHERE body_id IS NULL OR status IN ('pending', 'rejected'))"
    )
    op.execute(
        "UPDATE candidate SET award_id = NULL WHERE award_id IN "
        "(SELECT id FROM grade_award WHERE body_id IS NULL OR status IN ('pending', 'rejected'))"
    )
    op.execute(
        "UPDATE recognition SET award_id = NULL WHERE award_id IN "
        "(SELECT id FROM grade_award WHERE body_id IS NULL OR status IN ('pending', 'rejected'))"
    )
    op.execute("DELETE FROM grade_award WHERE body_id IS NULL OR status IN ('pending', 'rejected')")
    with op.batch_alter_table("grade_award") as batch:
        batch.drop_constraint("ck_grade_award_body_unless_legacy", type_="check")
        batch.drop_constraint("ck_grade_award_award_revocation_reason", type_="check")
        batch.drop_constraint("ck_grade_award_award_status", type_="check")
        batch.create_check_constraint("ck_grade_award_award_status", f"status IN ({_listed(AWARD_STATUSES)})")
        batch.alter_column("body_id", existing_type=sa.Uuid(), nullable=False)
        batch.drop_column("status_changed_at")
        batch.drop_column("revocation_reason")

    op.execute("DELETE FROM competition_rule WHERE tier = 'provincial_second'")
    with op.batch_alter_table("competition_rule") as batch:
        batch.drop_constraint("ck_competition_rule_tier", type_="check")
        batch.create_check_constraint("ck_competition_rule_tier", f"tier IN ({_listed(TIERS)})")

    with op.batch_alter_table("recognition") as batch:
        batch.drop_column("justifications")
