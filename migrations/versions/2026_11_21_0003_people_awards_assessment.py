"""People, employment, awards, appointments, assessors, exam batches, scores, objections, recognitions.

Revision ID: 20261121_0003
Revises: 20261121_0002
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "20261121_0003"
down_revision = "20261121_0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _enum_check(table: str, name: str, column: str, values: list[str]) -> sa.CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({listed})", name=f"ck_{table}_{name}")


def upgrade() -> None:
    op.create_table(
        "competition_rule",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("tier", sa.String(32), nullable=False),
        sa.Column("max_rank", sa.Integer(), nullable=False),
        sa.Column("max_grade", sa.String(32), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _enum_check(
            "competition_rule",
            "tier",
            "tier",
            ["world", "national", "provincial", "municipal", "industry", "enterprise"],
        ),
        _enum_check(
            "competition_rule",
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
        sa.PrimaryKeyConstraint("id", name="pk_competition_rule"),
        sa.UniqueConstraint("tier", "max_rank", name="uq_competition_rule_tier_rank"),
    )
    op.create_table(
        "person",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("id_type", sa.String(32), nullable=False),
        sa.Column("id_number_enc", sa.String(255), nullable=False),
        sa.Column("id_number_hmac", sa.String(64), nullable=False),
        sa.Column("id_masked", sa.String(64), nullable=False),
        sa.Column("birth_on", sa.Date(), nullable=True),
        sa.Column("created_by_body_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_body_id"], ["evaluation_body.id"], name="fk_person_created_by_body_id_evaluation_body"
        ),
        _enum_check(
            "person",
            "id_type",
            "id_type",
            ["resident_id", "hk_macao_permit", "taiwan_permit", "passport", "foreign_permanent", "other"],
        ),
        sa.PrimaryKeyConstraint("id", name="pk_person"),
        sa.UniqueConstraint("id_type", "id_number_hmac", name="uq_person_identity"),
    )
    op.create_table(
        "assessor",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("card_number", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("body_id", sa.Uuid(), nullable=True),
        sa.Column("max_grade", sa.String(32), nullable=False),
        sa.Column("held_grade", sa.String(32), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["body_id"], ["evaluation_body.id"], name="fk_assessor_body_id_evaluation_body"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="fk_assessor_person_id_person"),
        _enum_check("assessor", "assessor_kind", "kind", ["assessor", "supervisor"]),
        _enum_check(
            "assessor",
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
        _enum_check(
            "assessor",
            "held_grade",
            "held_grade",
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
        _enum_check("assessor", "assessor_status", "status", ["active", "suspended", "revoked"]),
        sa.PrimaryKeyConstraint("id", name="pk_assessor"),
        sa.UniqueConstraint("card_number", name="uq_assessor_card_number"),
    )
    op.create_index("ix_assessor_body_id", "assessor", ["body_id"])
    op.create_index("ix_assessor_person_id", "assessor", ["person_id"])

    op.create_table(
        "employment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("employer_uscc", sa.String(18), nullable=False),
        sa.Column("employer_name", sa.String(128), nullable=False),
        sa.Column("employer_body_id", sa.Uuid(), nullable=True),
        sa.Column("dispatched", sa.Boolean(), nullable=False),
        sa.Column("agency_name", sa.String(128), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["employer_body_id"], ["evaluation_body.id"], name="fk_employment_employer_body_id_evaluation_body"
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="fk_employment_person_id_person"),
        sa.PrimaryKeyConstraint("id", name="pk_employment"),
    )
    op.create_index("ix_employment_employer_uscc", "employment", ["employer_uscc"])
    op.create_index("ix_employment_person_id", "employment", ["person_id"])

    op.create_table(
        "person_body_link",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("body_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_id"], ["evaluation_body.id"], name="fk_person_body_link_body_id_evaluation_body"
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="fk_person_body_link_person_id_person"),
        sa.PrimaryKeyConstraint("id", name="pk_person_body_link"),
        sa.UniqueConstraint("person_id", "body_id", name="uq_person_body_link"),
    )
    op.create_index("ix_person_body_link_body_id", "person_body_link", ["body_id"])
    op.create_index("ix_person_body_link_person_id", "person_body_link", ["person_id"])

    op.create_table(
        "assessor_occupation",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("assessor_id", sa.Uuid(), nullable=False),
        sa.Column("occupation_code", sa.String(16), nullable=False),
        sa.ForeignKeyConstraint(["assessor_id"], ["assessor.id"], name="fk_assessor_occupation_assessor_id_assessor"),
        sa.ForeignKeyConstraint(
            ["occupation_code"], ["occupation.code"], name="fk_assessor_occupation_occupation_code_occupation"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_assessor_occupation"),
        sa.UniqueConstraint("assessor_id", "occupation_code", name="uq_assessor_occupation"),
    )
    op.create_index("ix_assessor_occupation_assessor_id", "assessor_occupation", ["assessor_id"])

    op.create_table(
        "exam_session",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("body_id", sa.Uuid(), nullable=False),
        sa.Column("filing_id", sa.Uuid(), nullable=False),
        sa.Column("occupation_code", sa.String(16), nullable=False),
        sa.Column("work_type", sa.String(64), nullable=False),
        sa.Column("grade", sa.String(32), nullable=False),
        sa.Column("exam_on", sa.Date(), nullable=False),
        sa.Column("venue", sa.String(255), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("recusal_same_employer", sa.Boolean(), nullable=False),
        sa.Column("attested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attested_by", sa.Uuid(), nullable=True),
        sa.Column("finalized_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("publicity_ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["attested_by"], ["assessor.id"], name="fk_exam_session_attested_by_assessor"),
        sa.ForeignKeyConstraint(["body_id"], ["evaluation_body.id"], name="fk_exam_session_body_id_evaluation_body"),
        sa.ForeignKeyConstraint(["filing_id"], ["filing.id"], name="fk_exam_session_filing_id_filing"),
        sa.ForeignKeyConstraint(
            ["occupation_code"], ["occupation.code"], name="fk_exam_session_occupation_code_occupation"
        ),
        _enum_check(
            "exam_session",
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
        _enum_check(
            "exam_session",
            "session_status",
            "status",
            ["planned", "open", "scored", "finalized", "published", "closed", "cancelled"],
        ),
        sa.PrimaryKeyConstraint("id", name="pk_exam_session"),
    )
    op.create_index("ix_exam_session_body_id", "exam_session", ["body_id"])
    op.create_index("ix_exam_session_filing_id", "exam_session", ["filing_id"])

    op.create_table(
        "grade_award",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("body_id", sa.Uuid(), nullable=False),
        sa.Column("filing_id", sa.Uuid(), nullable=True),
        sa.Column("occupation_code", sa.String(16), nullable=False),
        sa.Column("work_type", sa.String(64), nullable=False),
        sa.Column("grade", sa.String(32), nullable=False),
        sa.Column("awarded_on", sa.Date(), nullable=False),
        sa.Column("basis", sa.String(32), nullable=False),
        sa.Column("basis_ref", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("revoked_reason", sa.String(2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["body_id"], ["evaluation_body.id"], name="fk_grade_award_body_id_evaluation_body"),
        sa.ForeignKeyConstraint(["filing_id"], ["filing.id"], name="fk_grade_award_filing_id_filing"),
        sa.ForeignKeyConstraint(
            ["occupation_code"], ["occupation.code"], name="fk_grade_award_occupation_code_occupation"
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="fk_grade_award_person_id_person"),
        _enum_check(
            "grade_award",
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
        _enum_check("grade_award", "basis", "basis", ["exam", "recognition", "competition", "legacy"]),
        _enum_check("grade_award", "award_status", "status", ["active", "revoked"]),
        sa.CheckConstraint("filing_id IS NOT NULL OR basis = 'legacy'", name="ck_grade_award_filing_unless_legacy"),
        sa.PrimaryKeyConstraint("id", name="pk_grade_award"),
    )
    op.create_index("ix_grade_award_body_id", "grade_award", ["body_id"])
    op.create_index("ix_grade_award_person_id", "grade_award", ["person_id"])
    # One active award per person, occupation, work type and grade; revoked awards do not block a new one.
    op.create_index(
        "uq_grade_award_active",
        "grade_award",
        ["person_id", "occupation_code", "work_type", "grade"],
        unique=True,
        sqlite_where=sa.text("status = 'active'"),
        postgresql_where=sa.text("status = 'active'"),
    )

    op.create_table(
        "appointment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("body_id", sa.Uuid(), nullable=False),
        sa.Column("award_id", sa.Uuid(), nullable=False),
        sa.Column("post_grade", sa.String(32), nullable=False),
        sa.Column("post_title", sa.String(64), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["award_id"], ["grade_award.id"], name="fk_appointment_award_id_grade_award"),
        sa.ForeignKeyConstraint(["body_id"], ["evaluation_body.id"], name="fk_appointment_body_id_evaluation_body"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="fk_appointment_person_id_person"),
        _enum_check(
            "appointment",
            "post_grade",
            "post_grade",
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
        sa.PrimaryKeyConstraint("id", name="pk_appointment"),
    )
    op.create_index("ix_appointment_body_id", "appointment", ["body_id"])
    op.create_index("ix_appointment_person_id", "appointment", ["person_id"])

    op.create_table(
        "candidate",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("eligibility", JSON, nullable=False),
        sa.Column("ruleset_version", sa.String(32), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("total_tenths", sa.Integer(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("results", JSON, nullable=True),
        sa.Column("award_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(["award_id"], ["grade_award.id"], name="fk_candidate_award_id_grade_award"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="fk_candidate_person_id_person"),
        sa.ForeignKeyConstraint(["session_id"], ["exam_session.id"], name="fk_candidate_session_id_exam_session"),
        sa.PrimaryKeyConstraint("id", name="pk_candidate"),
        sa.UniqueConstraint("session_id", "person_id", name="uq_candidate_person"),
    )
    op.create_index("ix_candidate_person_id", "candidate", ["person_id"])
    op.create_index("ix_candidate_session_id", "candidate", ["session_id"])

    op.create_table(
        "recognition",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("body_id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("occupation_code", sa.String(16), nullable=False),
        sa.Column("work_type", sa.String(64), nullable=False),
        sa.Column("target_grade", sa.String(32), nullable=False),
        sa.Column("path", sa.String(32), nullable=False),
        sa.Column("triggers", JSON, nullable=False),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("waived", JSON, nullable=False),
        sa.Column("methods", JSON, nullable=False),
        sa.Column("competition", JSON, nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("report", JSON, nullable=False),
        sa.Column("ruleset_version", sa.String(32), nullable=False),
        sa.Column("decision_note", sa.String(2000), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("award_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["award_id"], ["grade_award.id"], name="fk_recognition_award_id_grade_award"),
        sa.ForeignKeyConstraint(["body_id"], ["evaluation_body.id"], name="fk_recognition_body_id_evaluation_body"),
        sa.ForeignKeyConstraint(["decided_by"], ["user_account.id"], name="fk_recognition_decided_by_user_account"),
        sa.ForeignKeyConstraint(
            ["occupation_code"], ["occupation.code"], name="fk_recognition_occupation_code_occupation"
        ),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], name="fk_recognition_person_id_person"),
        _enum_check(
            "recognition",
            "target_grade",
            "target_grade",
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
        _enum_check("recognition", "path", "path", ["DR-A", "DR-C", "DR-D", "DR-E", "DR-G"]),
        _enum_check("recognition", "recognition_status", "status", ["submitted", "approved", "rejected"]),
        sa.PrimaryKeyConstraint("id", name="pk_recognition"),
    )
    op.create_index("ix_recognition_body_id", "recognition", ["body_id"])
    op.create_index("ix_recognition_person_id", "recognition", ["person_id"])

    op.create_table(
        "session_component",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("pass_mark", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("pass_mark >= 0 AND pass_mark <= 100", name="ck_session_component_pass_mark"),
        sa.CheckConstraint("weight > 0 AND weight <= 100", name="ck_session_component_weight"),
        sa.ForeignKeyConstraint(
            ["session_id"], ["exam_session.id"], name="fk_session_component_session_id_exam_session"
        ),
        _enum_check(
            "session_component",
            "component_kind",
            "kind",
            [
                "skill_operation",
                "performance_review",
                "process_assessment",
                "theory_exam",
                "comprehensive_review",
                "competition",
            ],
        ),
        sa.PrimaryKeyConstraint("id", name="pk_session_component"),
        sa.UniqueConstraint("session_id", "kind", name="uq_session_component_kind"),
    )
    op.create_index("ix_session_component_session_id", "session_component", ["session_id"])

    op.create_table(
        "session_staff",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("assessor_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(["assessor_id"], ["assessor.id"], name="fk_session_staff_assessor_id_assessor"),
        sa.ForeignKeyConstraint(["session_id"], ["exam_session.id"], name="fk_session_staff_session_id_exam_session"),
        _enum_check("session_staff", "staff_role", "role", ["assessor", "supervisor"]),
        sa.PrimaryKeyConstraint("id", name="pk_session_staff"),
        sa.UniqueConstraint("session_id", "assessor_id", name="uq_session_staff_assessor"),
    )
    op.create_index("ix_session_staff_assessor_id", "session_staff", ["assessor_id"])
    op.create_index("ix_session_staff_session_id", "session_staff", ["session_id"])

    op.create_table(
        "objection",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.String(2000), nullable=False),
        sa.Column("contact", sa.String(128), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decision_note", sa.String(2000), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(128), nullable=True),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidate.id"], name="fk_objection_candidate_id_candidate"),
        sa.ForeignKeyConstraint(["session_id"], ["exam_session.id"], name="fk_objection_session_id_exam_session"),
        _enum_check("objection", "objection_status", "status", ["open", "upheld", "dismissed"]),
        sa.PrimaryKeyConstraint("id", name="pk_objection"),
    )
    op.create_index("ix_objection_candidate_id", "objection", ["candidate_id"])
    op.create_index("ix_objection_session_id", "objection", ["session_id"])

    op.create_table(
        "score",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("component", sa.String(32), nullable=False),
        sa.Column("assessor_id", sa.Uuid(), nullable=False),
        sa.Column("value_tenths", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("value_tenths >= 0 AND value_tenths <= 1000", name="ck_score_range"),
        sa.ForeignKeyConstraint(["assessor_id"], ["assessor.id"], name="fk_score_assessor_id_assessor"),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidate.id"], name="fk_score_candidate_id_candidate"),
        _enum_check(
            "score",
            "component",
            "component",
            [
                "skill_operation",
                "performance_review",
                "process_assessment",
                "theory_exam",
                "comprehensive_review",
                "competition",
            ],
        ),
        sa.PrimaryKeyConstraint("id", name="pk_score"),
        sa.UniqueConstraint("candidate_id", "component", "assessor_id", name="uq_score_one_per_assessor"),
    )
    op.create_index("ix_score_candidate_id", "score", ["candidate_id"])

    op.create_table(
        "score_correction",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("component", sa.String(32), nullable=False),
        sa.Column("assessor_id", sa.Uuid(), nullable=False),
        sa.Column("old_tenths", sa.Integer(), nullable=False),
        sa.Column("new_tenths", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(2000), nullable=False),
        sa.Column("recorded_by", sa.String(128), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("new_tenths >= 0 AND new_tenths <= 1000", name="ck_score_correction_range"),
        sa.ForeignKeyConstraint(["assessor_id"], ["assessor.id"], name="fk_score_correction_assessor_id_assessor"),
        sa.ForeignKeyConstraint(["candidate_id"], ["candidate.id"], name="fk_score_correction_candidate_id_candidate"),
        _enum_check(
            "score_correction",
            "component",
            "component",
            [
                "skill_operation",
                "performance_review",
                "process_assessment",
                "theory_exam",
                "comprehensive_review",
                "competition",
            ],
        ),
        sa.PrimaryKeyConstraint("id", name="pk_score_correction"),
    )
    op.create_index("ix_score_correction_candidate_id", "score_correction", ["candidate_id"])

    with op.batch_alter_table("user_account") as batch_op:
        batch_op.add_column(sa.Column("person_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key("fk_user_account_person_id_person", "person", ["person_id"], ["id"])
        batch_op.create_check_constraint(
            "ck_user_account_worker_has_person", "role != 'worker' OR person_id IS NOT NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.drop_constraint("ck_user_account_worker_has_person", type_="check")
        batch_op.drop_constraint("fk_user_account_person_id_person", type_="foreignkey")
        batch_op.drop_column("person_id")

    op.drop_index("ix_score_correction_candidate_id", table_name="score_correction")

    op.drop_table("score_correction")
    op.drop_index("ix_score_candidate_id", table_name="score")

    op.drop_table("score")
    op.drop_index("ix_objection_session_id", table_name="objection")
    op.drop_index("ix_objection_candidate_id", table_name="objection")

    op.drop_table("objection")
    op.drop_index("ix_session_staff_session_id", table_name="session_staff")
    op.drop_index("ix_session_staff_assessor_id", table_name="session_staff")

    op.drop_table("session_staff")
    op.drop_index("ix_session_component_session_id", table_name="session_component")

    op.drop_table("session_component")
    op.drop_index("ix_recognition_person_id", table_name="recognition")
    op.drop_index("ix_recognition_body_id", table_name="recognition")

    op.drop_table("recognition")
    op.drop_index("ix_candidate_session_id", table_name="candidate")
    op.drop_index("ix_candidate_person_id", table_name="candidate")

    op.drop_table("candidate")
    op.drop_index("ix_appointment_person_id", table_name="appointment")
    op.drop_index("ix_appointment_body_id", table_name="appointment")

    op.drop_table("appointment")
    op.drop_index("uq_grade_award_active", table_name="grade_award")
    op.drop_index("ix_grade_award_person_id", table_name="grade_award")
    op.drop_index("ix_grade_award_body_id", table_name="grade_award")

    op.drop_table("grade_award")
    op.drop_index("ix_exam_session_filing_id", table_name="exam_session")
    op.drop_index("ix_exam_session_body_id", table_name="exam_session")

    op.drop_table("exam_session")
    op.drop_index("ix_assessor_occupation_assessor_id", table_name="assessor_occupation")

    op.drop_table("assessor_occupation")
    op.drop_index("ix_person_body_link_person_id", table_name="person_body_link")
    op.drop_index("ix_person_body_link_body_id", table_name="person_body_link")

    op.drop_table("person_body_link")
    op.drop_index("ix_employment_person_id", table_name="employment")
    op.drop_index("ix_employment_employer_uscc", table_name="employment")

    op.drop_table("employment")
    op.drop_index("ix_assessor_person_id", table_name="assessor")
    op.drop_index("ix_assessor_body_id", table_name="assessor")

    op.drop_table("assessor")
    op.drop_table("person")
    op.drop_table("competition_rule")
