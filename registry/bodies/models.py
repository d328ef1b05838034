"""Evaluation body tables and their API shapes."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from registry import access
from registry.db import UTCDateTime, enum_type
from registry.fields import CertCategory, CityCode, MinistryCode, NotNull, ProvinceCode, SiteCode, free_text, line


class BodyKind(StrEnum):
    """What sort of evaluation body (DESIGN.md §3)."""

    EMPLOYER = "employer"  # 用人单位
    CHAIN_BODY = "chain_body"  # 产教评技能生态链评价机构
    SOCIAL_ORG = "social_org"  # 社会培训评价组织
    SCHOOL = "school"  # 技工院校


KIND_ZH = {
    BodyKind.EMPLOYER: "用人单位",
    BodyKind.CHAIN_BODY: "产教评技能生态链评价机构",
    BodyKind.SOCIAL_ORG: "社会培训评价组织",
    BodyKind.SCHOOL: "技工院校",
}


class BodyStatus(StrEnum):
    """Standing of a body with the regulator."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    REVOKED = "revoked"  # 评价资质 cancelled (002:27); final


BODY_STATUS_WORDS = {
    BodyStatus.ACTIVE: ("正常", "active"),
    BodyStatus.SUSPENDED: ("已暂停", "suspended"),
    BodyStatus.REVOKED: ("已取消评价资质", "evaluation qualification revoked"),
}


def default_category(kind: BodyKind) -> str:
    """Certificate-number category letter: Y for employers, S for the others (DESIGN.md §3)."""
    return "Y" if kind in {BodyKind.EMPLOYER, BodyKind.CHAIN_BODY} else "S"


class BodyAttributes(SQLModel):
    """The facts the rules read (DESIGN.md §3, policy-requirements §2.7)."""

    is_state_owned: bool = False  # 国有企业 (000:47)
    is_above_scale: bool = False  # 规上企业 (000:47)
    is_manufacturing: bool = False  # 制造业企业 (001:44)
    is_large: bool = False  # 大型企业 (001:46)
    is_listed: bool = False  # 上市公司 (001:46)
    is_chain_lead: bool = False  # 链主企业 (001:44)
    is_industry_leader: bool = False  # 行业龙头企业 (001:44)
    qualified_special: bool = False  # 符合条件可备案到特级技师, set by the regulator (001:44)


class BodyBase(BodyAttributes):
    """Fields shared by create and read."""

    name: str = Field(min_length=2, max_length=128)
    kind: BodyKind = Field(sa_type=enum_type(BodyKind, "body_kind"))
    province_code: str = Field(foreign_key="province.code", min_length=2, max_length=2)
    city_code: str | None = Field(default=None, foreign_key="city.code", min_length=6, max_length=6)
    address: str = Field(default="", max_length=255)
    contact_name: str = Field(default="", max_length=64)
    contact_phone: str = Field(default="", max_length=32)
    ministry_code: str = Field(default="0000", max_length=4)
    site_code: str | None = Field(default=None, max_length=6)


class EvaluationBody(BodyBase, table=True):
    """An enterprise or organisation that evaluates skills, identified by its USCC."""

    __tablename__ = "evaluation_body"
    __table_args__ = (
        sa.CheckConstraint("cert_category IN ('Y', 'S')", name="cert_category"),
        # A site code names one body of its province (certificate numbers carry province + site); the formats of
        # site and ministry codes are CHECKs in migration 0007 (dialect-specific SQL, not compared by Alembic).
        sa.UniqueConstraint("province_code", "site_code"),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    uscc: str = Field(min_length=18, max_length=18, sa_column_kwargs={"unique": True})
    cert_category: str = Field(max_length=1)
    status: BodyStatus = Field(default=BodyStatus.ACTIVE, sa_type=enum_type(BodyStatus, "body_status"))
    status_reason: str | None = Field(default=None, max_length=2000)
    status_changed_at: dt.datetime | None = Field(default=None, sa_type=UTCDateTime())
    created_at: dt.datetime = Field(sa_type=UTCDateTime())
    updated_at: dt.datetime = Field(sa_type=UTCDateTime())


class BodyCreate(BodyBase):
    """What the regulator sends to register a body (formats enforced, see registry.fields)."""

    uscc: str = Field(min_length=1, max_length=32)
    name: Annotated[str, line(128, min_length=2)] = Field(min_length=2, max_length=128)
    province_code: ProvinceCode
    city_code: CityCode | None = None
    address: Annotated[str, line(255, min_length=0)] = Field(default="", max_length=255)
    contact_name: Annotated[str, line(64, min_length=0)] = Field(default="", max_length=64)
    contact_phone: Annotated[str, line(32, min_length=0)] = Field(default="", max_length=32)
    ministry_code: MinistryCode = "0000"
    site_code: SiteCode | None = None
    cert_category: CertCategory | None = None


class BodyUpdate(SQLModel):
    """A partial update: a field left out keeps its value; null is refused except where the column is nullable.

    Body admins may change only the contact fields. The numbering fields (category, ministry and site code)
    need a `reason` once the body has issued certificates (see registry.bodies.service.update_body).
    Fields typed `str` with a None default are "may be omitted, may not be null": the default is never
    validated, an explicit null is refused by NotNull.
    """

    name: Annotated[str, NotNull, line(128, min_length=2)] = Field(default=None, min_length=2, max_length=128)
    city_code: CityCode | None = None
    address: Annotated[str, NotNull, line(255, min_length=0)] = Field(default=None, max_length=255)
    contact_name: Annotated[str, NotNull, line(64, min_length=0)] = Field(default=None, max_length=64)
    contact_phone: Annotated[str, NotNull, line(32, min_length=0)] = Field(default=None, max_length=32)
    ministry_code: Annotated[MinistryCode, NotNull] = Field(default=None)
    site_code: Annotated[SiteCode, NotNull] = Field(default=None)
    cert_category: Annotated[CertCategory, NotNull] = Field(default=None)
    is_state_owned: Annotated[bool, NotNull] = Field(default=None)
    is_above_scale: Annotated[bool, NotNull] = Field(default=None)
    is_manufacturing: Annotated[bool, NotNull] = Field(default=None)
    is_large: Annotated[bool, NotNull] = Field(default=None)
    is_listed: Annotated[bool, NotNull] = Field(default=None)
    is_chain_lead: Annotated[bool, NotNull] = Field(default=None)
    is_industry_leader: Annotated[bool, NotNull] = Field(default=None)
    qualified_special: Annotated[bool, NotNull] = Field(default=None)
    reason: Annotated[str, NotNull, free_text(2000, min_length=2)] = Field(
        default=None,
        max_length=2000,
        description="why the numbering fields change (required once the body has issued certificates); audited",
    )


BODY_ADMIN_EDITABLE = frozenset({"address", "contact_name", "contact_phone"})
NUMBERING_FIELDS = frozenset({"cert_category", "ministry_code", "site_code"})


class BodyPublic(BodyBase):
    """A body as its admins and the regulator see it."""

    id: uuid.UUID
    uscc: str
    cert_category: str
    status: BodyStatus
    status_reason: str | None
    status_changed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ChainMember(SQLModel, table=True):
    """An enterprise in a chain body's industry chain, whose staff the chain body may assess (001:46)."""

    __tablename__ = "chain_member"
    __table_args__ = (sa.UniqueConstraint("chain_body_id", "member_uscc", name="uq_chain_member_body_uscc"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    chain_body_id: uuid.UUID = Field(foreign_key="evaluation_body.id", index=True)
    member_uscc: str = Field(min_length=18, max_length=18)
    member_name: str = Field(max_length=128)
    created_at: dt.datetime = Field(sa_type=UTCDateTime())


class ChainMemberIn(SQLModel):
    """One member enterprise as sent by a chain body."""

    uscc: str = Field(min_length=1, max_length=32)
    name: Annotated[str, line(128, min_length=2)] = Field(min_length=2, max_length=128)


class StatusChange(SQLModel):
    """A reason for a status change (required)."""

    reason: Annotated[str, free_text(2000, min_length=2)] = Field(min_length=2, max_length=2000)


class BodyAction(StrEnum):
    """Audit actions of evaluation bodies."""

    CREATED = "body.created"
    UPDATED = "body.updated"
    CHAIN_MEMBERS_REPLACED = "body.chain_members.replaced"
    SUSPENDED = "body.suspended"
    REINSTATED = "body.reinstated"
    REVOKED = "body.revoked"


# Who sees which rows (registry.access).
access.register(EvaluationBody, access.Ownership(body=EvaluationBody.id))
