"""Site codes unique per province and well-formed; certificate status references; the online holder-check budget.

- evaluation_body: (province_code, site_code) unique; site_code six digits and ministry_code four digits, checked
  by the database. Existing rows that break these are listed and the upgrade stops: which body keeps a shared
  site code is the province's decision, never a migration's.
- certificate.status_ref: the random per-certificate value v2 tokens carry instead of a holder binding; the
  revocation list hashes it with the number. Certificates issued before keep NULL until they are reissued.
- holder_check: failed-or-not holder checks per certificate holder in a rolling window, so the online check
  stays rate-limited across processes and restarts.

Revision ID: 20261121_0007
Revises: 20261121_0006
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261121_0007"
down_revision = "20261121_0006"
branch_labels = None
depends_on = None

SITE_FORMAT = "ck_evaluation_body_site_code_format"
MINISTRY_FORMAT = "ck_evaluation_body_ministry_code_format"
SITE_UNIQUE = "uq_evaluation_body_province_code_site_code"


def _format_checks(dialect: str) -> dict[str, str]:
    if dialect == "postgresql":
        return {SITE_FORMAT: "site_code ~ '^[0-9]{6}$'", MINISTRY_FORMAT: "ministry_code ~ '^[0-9]{4}$'"}
    return {
        SITE_FORMAT: "length(site_code) = 6 AND site_code NOT GLOB '*[^0-9]*'",
        MINISTRY_FORMAT: "length(ministry_code) = 4 AND ministry_code NOT GLOB '*[^0-9]*'",
    }


def _refuse_bad_codes(dialect: str) -> None:
    """Stop the upgrade, naming every body whose codes the new constraints would refuse."""
    conn = op.get_bind()
    checks = _format_checks(dialect)
    malformed = conn.execute(
        sa.text(
            "SELECT id, name, province_code, ministry_code, site_code FROM evaluation_body "  # noqa: S608 - constants
            f"WHERE (site_code IS NOT NULL AND NOT ({checks[SITE_FORMAT]})) OR NOT ({checks[MINISTRY_FORMAT]})"
        )
    ).all()
    shared = conn.execute(
        sa.text(
            "SELECT b.id, b.name, b.province_code, b.ministry_code, b.site_code FROM evaluation_body b "
            "JOIN (SELECT province_code, site_code FROM evaluation_body WHERE site_code IS NOT NULL "
            "GROUP BY province_code, site_code HAVING count(*) > 1) d "
            "ON d.province_code = b.province_code AND d.site_code = b.site_code ORDER BY b.site_code"
        )
    ).all()
    if malformed or shared:
        lines = [f"  malformed: {r[0]} {r[1]} ministry={r[3]!r} site={r[4]!r}" for r in malformed]
        lines += [f"  shared site code {r[2]}/{r[4]}: {r[0]} {r[1]}" for r in shared]
        raise RuntimeError(
            "机构的站点代码/部委代码不符合要求或在同省重复，请先更正（PATCH /api/v1/bodies/{id}）再升级。\n"
            "Some bodies have malformed or shared site/ministry codes; correct them first, then upgrade:\n"
            + "\n".join(lines)
        )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _refuse_bad_codes(dialect)
    with op.batch_alter_table("evaluation_body", recreate="always" if dialect == "sqlite" else "auto") as batch:
        batch.create_unique_constraint(SITE_UNIQUE, ["province_code", "site_code"])
        for name, condition in _format_checks(dialect).items():
            batch.create_check_constraint(name, condition)

    with op.batch_alter_table("certificate") as batch:
        batch.add_column(sa.Column("status_ref", sa.String(24), nullable=True))

    op.create_table(
        "holder_check",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="fk_holder_check_person_id_person"),
        sa.PrimaryKeyConstraint("person_id", name="pk_holder_check"),
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_table("holder_check")
    with op.batch_alter_table("certificate") as batch:
        batch.drop_column("status_ref")
    with op.batch_alter_table("evaluation_body", recreate="always" if dialect == "sqlite" else "auto") as batch:
        for name in (MINISTRY_FORMAT, SITE_FORMAT):
            batch.drop_constraint(name, type_="check")
        batch.drop_constraint(SITE_UNIQUE, type_="unique")
