"""Open credentials: status-list slots per certificate, hashes of issued PDF files, share links (加注).

- credential_status: each certificate's random (list, index) in the published W3C Bitstring Status Lists; the
  same index is used in the revocation and the suspension list. Certificates issued before get a random free
  slot here, so every certificate can be exported as a credential.
- certificate_file: SHA-256 of every certificate PDF the registry produced, to recognise an unaltered file.
- share_link: a holder's link for a stated purpose with an expiry; only the SHA-256 of its code is stored.

Revision ID: 20261121_0011
Revises: 20261121_0010
Create Date: 2026-11-21
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "20261121_0011"
down_revision = "20261121_0010"
branch_labels = None
depends_on = None

LIST_LENGTH = 2**17
LIST_FILL = LIST_LENGTH // 2


def _backfill() -> None:
    """Give every existing certificate a random free slot (lists fill to half, then the next list opens)."""
    bind = op.get_bind()
    ids = [row[0] for row in bind.execute(sa.text("SELECT id FROM certificate ORDER BY number"))]
    slots = sa.table(
        "credential_status", sa.column("certificate_id", sa.Uuid()), sa.column("list_number"), sa.column("list_index")
    )
    rows = []
    for start in range(0, len(ids), LIST_FILL):
        chunk = ids[start : start + LIST_FILL]
        indices = secrets.SystemRandom().sample(range(LIST_LENGTH), len(chunk))
        number = start // LIST_FILL + 1
        rows.extend(
            {"certificate_id": cid, "list_number": number, "list_index": index}
            for cid, index in zip(chunk, indices, strict=True)
        )
    if rows:
        op.bulk_insert(slots, rows)


def upgrade() -> None:
    op.create_table(
        "credential_status",
        sa.Column("certificate_id", sa.Uuid(), nullable=False),
        sa.Column("list_number", sa.Integer(), nullable=False),
        sa.Column("list_index", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            f"list_index >= 0 AND list_index < {LIST_LENGTH}", name="ck_credential_status_index_in_list"
        ),
        sa.CheckConstraint("list_number >= 1", name="ck_credential_status_list_number_positive"),
        sa.ForeignKeyConstraint(
            ["certificate_id"], ["certificate.id"], name="fk_credential_status_certificate_id_certificate"
        ),
        sa.PrimaryKeyConstraint("certificate_id", name="pk_credential_status"),
        sa.UniqueConstraint("list_number", "list_index", name="uq_credential_status_slot"),
    )
    op.create_table(
        "certificate_file",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("certificate_id", sa.Uuid(), nullable=False),
        sa.Column("print_serial", sa.Integer(), nullable=False),
        sa.Column("stamped", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"], ["certificate.id"], name="fk_certificate_file_certificate_id_certificate"
        ),
        sa.PrimaryKeyConstraint("sha256", name="pk_certificate_file"),
    )
    op.create_index("ix_certificate_file_certificate_id", "certificate_file", ["certificate_id"])
    op.create_table(
        "share_link",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("certificate_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["certificate_id"], ["certificate.id"], name="fk_share_link_certificate_id_certificate"
        ),
        sa.ForeignKeyConstraint(["created_by"], ["user_account.id"], name="fk_share_link_created_by_user_account"),
        sa.PrimaryKeyConstraint("id", name="pk_share_link"),
        sa.UniqueConstraint("code_hash", name="uq_share_link_code_hash"),
    )
    op.create_index("ix_share_link_certificate_id", "share_link", ["certificate_id"])
    _backfill()


def downgrade() -> None:
    op.drop_index("ix_share_link_certificate_id", table_name="share_link")
    op.drop_table("share_link")
    op.drop_index("ix_certificate_file_certificate_id", table_name="certificate_file")
    op.drop_table("certificate_file")
    op.drop_table("credential_status")
