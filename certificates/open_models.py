"""Tables of the open-credential features: status-list slots, issued PDF files, share links (加注)."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from registry.db import UTCDateTime

# W3C Bitstring Status List v1.0 asks for at least 131,072 entries per list (herd privacy); a list takes new
# credentials until half its slots are used, so a random free slot is found in a couple of tries.
STATUS_LIST_LENGTH = 2**17
STATUS_LIST_FILL = STATUS_LIST_LENGTH // 2


class CredentialStatusSlot(SQLModel, table=True):
    """A certificate's random position in the published status lists (the same index in every purpose's list)."""

    __tablename__ = "credential_status"
    __table_args__ = (
        sa.UniqueConstraint("list_number", "list_index", name="uq_credential_status_slot"),
        sa.CheckConstraint(f"list_index >= 0 AND list_index < {STATUS_LIST_LENGTH}", name="index_in_list"),
        sa.CheckConstraint("list_number >= 1", name="list_number_positive"),
    )

    certificate_id: uuid.UUID = Field(foreign_key="certificate.id", primary_key=True)
    list_number: int
    list_index: int


class IssuedFile(SQLModel, table=True):
    """The SHA-256 of a certificate PDF this registry produced (PDFs are byte-stable per print and status)."""

    __tablename__ = "certificate_file"

    sha256: str = Field(primary_key=True, min_length=64, max_length=64)
    certificate_id: uuid.UUID = Field(foreign_key="certificate.id", index=True)
    print_serial: int
    stamped: str = Field(default="", max_length=16)  # the status watermark on the file ("" when none)
    created_at: dt.datetime = Field(sa_type=UTCDateTime())


class ShareLink(SQLModel, table=True):
    """A holder's link for one stated purpose (加注), expiring within 90 days, withdrawable; only its hash is kept."""

    __tablename__ = "share_link"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    certificate_id: uuid.UUID = Field(foreign_key="certificate.id", index=True)
    code_hash: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    purpose: str = Field(max_length=200)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime())
    withdrawn_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    created_by: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    created_at: dt.datetime = Field(sa_type=UTCDateTime())


class ShareLinkAction(StrEnum):
    """Audit actions of share links."""

    CREATED = "share_link.created"
    REVOKED = "share_link.revoked"  # withdrawn by the holder (or the body on the holder's behalf)
