"""Person, employment and person–body link tables, and their API shapes."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from registry import access
from registry.db import UTCDateTime, enum_type
from registry.fields import Day, PersonName, line


class IdType(StrEnum):
    """Kinds of identity document."""

    RESIDENT_ID = "resident_id"  # 居民身份证 (GB 11643 checked)
    HK_MACAO_PERMIT = "hk_macao_permit"  # 港澳居民来往内地通行证
    TAIWAN_PERMIT = "taiwan_permit"  # 台湾居民来往大陆通行证
    PASSPORT = "passport"  # 护照
    FOREIGN_PERMANENT = "foreign_permanent"  # 外国人永久居留身份证
    OTHER = "other"


ID_TYPE_ZH = {
    IdType.RESIDENT_ID: "居民身份证",
    IdType.HK_MACAO_PERMIT: "港澳居民来往内地通行证",
    IdType.TAIWAN_PERMIT: "台湾居民来往大陆通行证",
    IdType.PASSPORT: "护照",
    IdType.FOREIGN_PERMANENT: "外国人永久居留身份证",
    IdType.OTHER: "其他证件",
}


class Person(SQLModel, table=True):
    """A worker or candidate; the ID number only as ciphertext, keyed hash and mask."""

    __tablename__ = "person"
    __table_args__ = (sa.UniqueConstraint("id_type", "id_number_hmac", name="uq_person_identity"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=64)
    id_type: IdType = Field(sa_type=enum_type(IdType, "id_type"))
    id_number_enc: str = Field(max_length=255)
    id_number_hmac: str = Field(max_length=64)
    id_masked: str = Field(max_length=64)
    birth_on: dt.date | None = None
    # The v1 tokens' scrypt binding, kept only so the revocation list can still key those tokens; never computed
    # for people registered since v2 (see certificates.tokens).
    holder_binding: str | None = Field(default=None, max_length=64)
    created_by_body_id: uuid.UUID | None = Field(default=None, foreign_key="evaluation_body.id")
    created_at: dt.datetime = Field(sa_type=UTCDateTime())


class PersonBodyLink(SQLModel, table=True):
    """A body that registered, employs, enrolled or recognised a person, and so may see them unmasked."""

    __tablename__ = "person_body_link"
    __table_args__ = (sa.UniqueConstraint("person_id", "body_id", name="uq_person_body_link"),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    body_id: uuid.UUID = Field(foreign_key="evaluation_body.id", index=True)
    reason: str = Field(max_length=32)
    created_at: dt.datetime = Field(sa_type=UTCDateTime())


class Employment(SQLModel, table=True):
    """Who employs a person (the legal employer), possibly through a dispatch agency (劳务派遣, 002:22)."""

    __tablename__ = "employment"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    person_id: uuid.UUID = Field(foreign_key="person.id", index=True)
    employer_uscc: str = Field(min_length=18, max_length=18, index=True)
    employer_name: str = Field(max_length=128)
    employer_body_id: uuid.UUID | None = Field(default=None, foreign_key="evaluation_body.id")
    dispatched: bool = False
    agency_name: str = Field(default="", max_length=128)
    starts_on: dt.date
    ends_on: dt.date | None = None
    created_at: dt.datetime = Field(sa_type=UTCDateTime())

    def active_on(self, day: dt.date) -> bool:
        """Whether the employment covers day."""
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class EmploymentIn(SQLModel):
    """An employment link as sent by a body."""

    employer_uscc: str = Field(min_length=1, max_length=32)
    employer_name: Annotated[str, line(128, min_length=2)] = Field(min_length=2, max_length=128)
    dispatched: bool = False
    agency_name: Annotated[str, line(128, min_length=0)] = Field(default="", max_length=128)
    starts_on: Day
    ends_on: Day | None = None


class PersonCreate(SQLModel):
    """A person as a body registers them: the name as printed on certificates (NFC, letters only)."""

    name: PersonName
    id_type: IdType = IdType.RESIDENT_ID
    id_number: str = Field(min_length=4, max_length=32)
    employment: EmploymentIn | None = None


class EmploymentPublic(SQLModel):
    """An employment as the API shows it."""

    employer_uscc: str
    employer_name: str
    dispatched: bool
    agency_name: str
    starts_on: dt.date
    ends_on: dt.date | None


class PersonPublic(SQLModel):
    """A person as the API shows them: the ID number only to their own bodies, the regulator and themselves."""

    id: uuid.UUID
    name: str
    name_masked: str
    id_type: IdType
    id_number: str | None
    id_masked: str
    birth_on: dt.date | None
    employments: list[EmploymentPublic]


class PersonAction(StrEnum):
    """Audit actions of people."""

    CREATED = "person.created"
    EMPLOYMENT_ADDED = "person.employment.added"


# Who sees which rows (registry.access).
access.register(Person, access.Ownership(person=Person.id, linked_people=True))
