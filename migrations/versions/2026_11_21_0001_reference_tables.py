"""Reference tables: grades, occupations, provinces, cities, education levels, titles, equivalences.

Revision ID: 20261121_0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "20261121_0001"
down_revision = None
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _enum_check(table: str, name: str, column: str, values: list[str]) -> sa.CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=f"ck_{table}_{name}")


def upgrade() -> None:
    op.create_table(
        "grade",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(16), nullable=False),
        sa.Column("name_en", sa.String(64), nullable=False),
        sa.Column("national_level", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_grade"),
        sa.UniqueConstraint("ordinal", name="uq_grade_ordinal"),
    )
    op.create_table(
        "occupation",
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("name_zh", sa.String(64), nullable=False),
        sa.Column("name_en", sa.String(128), nullable=False),
        sa.Column("sector", sa.String(32), nullable=False),
        sa.Column("levels", sa.String(5), nullable=False),
        sa.Column("work_types", JSON, nullable=False),
        sa.Column("standard_ref", sa.String(255), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_occupation"),
        _enum_check(
            "occupation",
            "sector",
            "sector",
            ["manufacturing", "construction", "services", "care", "digital", "agriculture", "other"],
        ),
    )
    op.create_index("ix_occupation_name_zh", "occupation", ["name_zh"])
    op.create_table(
        "province",
        sa.Column("code", sa.String(2), nullable=False),
        sa.Column("name_zh", sa.String(32), nullable=False),
        sa.Column("name_en", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_province"),
    )
    op.create_table(
        "city",
        sa.Column("code", sa.String(6), nullable=False),
        sa.Column("province_code", sa.String(2), nullable=False),
        sa.Column("name_zh", sa.String(32), nullable=False),
        sa.Column("name_en", sa.String(64), nullable=False),
        sa.Column("region_zh", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_city"),
        sa.ForeignKeyConstraint(["province_code"], ["province.code"], name="fk_city_province_code_province"),
    )
    op.create_index("ix_city_province_code", "city", ["province_code"])
    op.create_table(
        "education_level",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(32), nullable=False),
        sa.Column("name_en", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_education_level"),
    )
    op.create_table(
        "professional_title",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(32), nullable=False),
        sa.Column("name_en", sa.String(64), nullable=False),
        sa.Column("tier_zh", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_professional_title"),
    )
    op.create_table(
        "equivalence",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("grade_code", sa.String(32), nullable=False),
        sa.Column("dimension", sa.String(32), nullable=False),
        sa.Column("education_code", sa.String(32), nullable=True),
        sa.Column("title_code", sa.String(32), nullable=True),
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("condition", sa.String(32), nullable=False),
        sa.Column("jurisdiction", sa.String(8), nullable=False),
        sa.Column("source_doc", sa.String(255), nullable=False),
        sa.Column("source_ref", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("note_zh", sa.String(500), nullable=False),
        sa.Column("note_en", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_equivalence"),
        sa.UniqueConstraint("code", name="uq_equivalence_code"),
        sa.ForeignKeyConstraint(["grade_code"], ["grade.code"], name="fk_equivalence_grade_code_grade"),
        sa.ForeignKeyConstraint(
            ["education_code"], ["education_level.code"], name="fk_equivalence_education_code_education_level"
        ),
        sa.ForeignKeyConstraint(
            ["title_code"], ["professional_title.code"], name="fk_equivalence_title_code_professional_title"
        ),
        _enum_check("equivalence", "dimension", "dimension", ["education", "title"]),
        _enum_check("equivalence", "scope", "scope", ["national", "province", "state_owned", "own_employer"]),
        _enum_check("equivalence", "condition", "condition", ["holds", "appointed"]),
        _enum_check("equivalence", "source_status", "status", ["in_force", "draft", "unverified"]),
        sa.CheckConstraint(
            "(dimension = 'education' AND education_code IS NOT NULL AND title_code IS NULL) OR "
            "(dimension = 'title' AND title_code IS NOT NULL AND education_code IS NULL)",
            name="ck_equivalence_one_target",
        ),
    )
    op.create_index("ix_equivalence_grade_code", "equivalence", ["grade_code"])


def downgrade() -> None:
    op.drop_index("ix_equivalence_grade_code", table_name="equivalence")
    op.drop_table("equivalence")
    op.drop_table("professional_title")
    op.drop_table("education_level")
    op.drop_index("ix_city_province_code", table_name="city")
    op.drop_table("city")
    op.drop_table("province")
    op.drop_index("ix_occupation_name_zh", table_name="occupation")
    op.drop_table("occupation")
    op.drop_table("grade")
