"""Reference tables of the catalogue, keyed by their national codes; imports registry.db and registry.grades."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from registry.db import JSONType, UTCDateTime, enum_type
from registry.grades import COMPLETE_LEVELS


class Sector(StrEnum):
    """Broad sector of an occupation, for browsing and statistics."""

    MANUFACTURING = "manufacturing"
    CONSTRUCTION = "construction"
    SERVICES = "services"
    CARE = "care"
    DIGITAL = "digital"
    AGRICULTURE = "agriculture"
    OTHER = "other"


class Dimension(StrEnum):
    """What a 比照 entry gives a grade holder; named for what it is, so no entry reads as more than it gives."""

    EDUCATION = "education"  # treatment (待遇) set by an education level, e.g. 比照大专学历落实相关待遇 (000:48)
    TITLE = "title"  # a professional title itself (职称): none in the documents yet (002:23 plans 双向比照认定)
    PAY_BENEFITS = "pay_benefits"  # pay and benefits equal to staff holding a title (004:288): not the title


DIMENSION_ZH = {
    Dimension.EDUCATION: "学历待遇比照（落实相关待遇，不是学历）",
    Dimension.TITLE: "职称",
    Dimension.PAY_BENEFITS: "与职称人员相当的工资福利待遇（不是职称）",
}
DIMENSION_EN = {
    Dimension.EDUCATION: "treatment set by an education level (not the qualification itself)",
    Dimension.TITLE: "professional title",
    Dimension.PAY_BENEFITS: "pay and benefits equal to staff holding the title (not the title itself)",
}
TITLE_TARGETS = frozenset({Dimension.TITLE, Dimension.PAY_BENEFITS})


class EquivalenceScope(StrEnum):
    """Where an equivalence applies."""

    NATIONAL = "national"
    PROVINCE = "province"
    STATE_OWNED = "state_owned"  # guidance to 国有企业 (000:48)
    OWN_EMPLOYER = "own_employer"  # within the employing unit, 本单位 (004:288)


class EquivalenceCondition(StrEnum):
    """What the worker must have for the equivalence to apply."""

    HOLDS = "holds"  # holds the grade (certificate)
    APPOINTED = "appointed"  # appointed (受聘) to a post at that grade


class SourceStatus(StrEnum):
    """How firm a piece of reference data is."""

    IN_FORCE = "in_force"
    DRAFT = "draft"
    UNVERIFIED = "unverified"  # outside knowledge, not in the policy documents


class Grade(SQLModel, table=True):
    """One rung of the 新八级工 ladder (seeded from registry.grades.LADDER)."""

    __tablename__ = "grade"

    code: str = Field(primary_key=True, max_length=32)
    ordinal: int = Field(sa_column_kwargs={"unique": True})
    name_zh: str = Field(max_length=16)
    name_en: str = Field(max_length=64)
    national_level: int | None = Field(default=None)
    source: str = Field(max_length=255)


class Occupation(SQLModel, table=True):
    """An occupation (职业) of the national classification, with the levels its standard defines."""

    __tablename__ = "occupation"

    code: str = Field(primary_key=True, max_length=16)
    name_zh: str = Field(max_length=64, index=True)
    name_en: str = Field(default="", max_length=128)
    sector: Sector = Field(sa_type=enum_type(Sector, "sector"))
    # National levels defined by the occupation's standard, as digits from 5 down to 1 ("54321" = complete).
    levels: str = Field(max_length=5)
    work_types: list[str] = Field(default_factory=list, sa_type=JSONType())
    standard_ref: str = Field(default="", max_length=255)
    source: str = Field(max_length=255)
    updated_at: dt.datetime = Field(sa_type=UTCDateTime())

    @property
    def national_levels(self) -> tuple[int, ...]:
        """The national level digits the standard defines, 5 (初级) first."""
        return tuple(int(c) for c in self.levels)

    @property
    def complete_ladder(self) -> bool:
        """Whether the standard defines every level 五级…一级 (职业技能等级设置完整, 001:46)."""
        return self.national_levels == COMPLETE_LEVELS


class Province(SQLModel, table=True):
    """A provincial-level division, GB/T 2260 two-digit code."""

    __tablename__ = "province"

    code: str = Field(primary_key=True, min_length=2, max_length=2)
    name_zh: str = Field(max_length=32)
    name_en: str = Field(max_length=64)


class City(SQLModel, table=True):
    """A prefecture-level city, GB/T 2260 six-digit code."""

    __tablename__ = "city"

    code: str = Field(primary_key=True, min_length=6, max_length=6)
    province_code: str = Field(foreign_key="province.code", max_length=2, index=True)
    name_zh: str = Field(max_length=32)
    name_en: str = Field(max_length=64)
    region_zh: str = Field(default="", max_length=16)  # e.g. 珠三角 / 粤东 / 粤西 / 粤北 (004:174)


class EducationLevel(SQLModel, table=True):
    """An education level a grade may be compared with (学历)."""

    __tablename__ = "education_level"

    code: str = Field(primary_key=True, max_length=32)
    ordinal: int
    name_zh: str = Field(max_length=32)
    name_en: str = Field(max_length=64)


class ProfessionalTitle(SQLModel, table=True):
    """A professional title a grade may be compared with (职称)."""

    __tablename__ = "professional_title"

    code: str = Field(primary_key=True, max_length=32)
    ordinal: int
    name_zh: str = Field(max_length=32)
    name_en: str = Field(max_length=64)
    tier_zh: str = Field(max_length=16)  # 初级 / 中级 / 副高级 / 正高级


class Equivalence(SQLModel, table=True):
    """A 比照 entry: a grade treated like an education level or title, in a scope, under a condition."""

    __tablename__ = "equivalence"
    __table_args__ = (
        sa.CheckConstraint(
            "(dimension = 'education' AND education_code IS NOT NULL AND title_code IS NULL) OR "
            "(dimension IN ('title', 'pay_benefits') AND title_code IS NOT NULL AND education_code IS NULL)",
            name="one_target",
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    code: str = Field(max_length=64, sa_column_kwargs={"unique": True})
    grade_code: str = Field(foreign_key="grade.code", max_length=32, index=True)
    dimension: Dimension = Field(sa_type=enum_type(Dimension, "dimension"))
    education_code: str | None = Field(default=None, foreign_key="education_level.code", max_length=32)
    title_code: str | None = Field(default=None, foreign_key="professional_title.code", max_length=32)
    scope: EquivalenceScope = Field(sa_type=enum_type(EquivalenceScope, "scope"))
    condition: EquivalenceCondition = Field(sa_type=enum_type(EquivalenceCondition, "condition"))
    jurisdiction: str = Field(max_length=8)  # "CN" national, or a GB/T 2260 province code such as "44"
    source_doc: str = Field(max_length=255)
    source_ref: str = Field(max_length=64)  # clause citation, e.g. 000:48
    status: SourceStatus = Field(sa_type=enum_type(SourceStatus, "source_status"))
    effective_on: dt.date | None = None  # the source document's effective window (policy-requirements.md §8.9)
    ends_on: dt.date | None = None
    note_zh: str = Field(default="", max_length=500)
    note_en: str = Field(default="", max_length=500)


SCOPE_ZH = {
    EquivalenceScope.NATIONAL: "全国",
    EquivalenceScope.PROVINCE: "本省",
    EquivalenceScope.STATE_OWNED: "国有企业",
    EquivalenceScope.OWN_EMPLOYER: "本单位内",
}
CONDITION_ZH = {EquivalenceCondition.HOLDS: "取得该等级", EquivalenceCondition.APPOINTED: "受聘于该等级岗位"}
STATUS_ZH = {
    SourceStatus.IN_FORCE: "现行有效",
    SourceStatus.DRAFT: "征求意见稿",
    SourceStatus.UNVERIFIED: "未经核实",
}


class GradePublic(SQLModel):
    """A grade as the API shows it."""

    code: str
    ordinal: int
    name_zh: str
    name_en: str
    national_level: int | None
    national_level_zh: str | None
    high_skill: bool


class OccupationPublic(SQLModel):
    """An occupation as the API shows it."""

    code: str
    name_zh: str
    name_en: str
    sector: Sector
    national_levels: list[int]
    complete_ladder: bool
    work_types: list[str]
    standard_ref: str
    source: str

    @classmethod
    def of(cls, row: Occupation) -> OccupationPublic:
        """Present a catalogue row."""
        return cls(
            code=row.code,
            name_zh=row.name_zh,
            name_en=row.name_en,
            sector=row.sector,
            national_levels=list(row.national_levels),
            complete_ladder=row.complete_ladder,
            work_types=list(row.work_types),
            standard_ref=row.standard_ref,
            source=row.source,
        )


class NamedCode(SQLModel):
    """A code with its names."""

    code: str
    name_zh: str
    name_en: str


class SourceCitation(SQLModel):
    """Where a piece of data comes from."""

    document: str
    clause: str


class EquivalencePublic(SQLModel):
    """A 比照 entry with everything needed to read it correctly."""

    grade: NamedCode
    grade_ordinal: int
    dimension: Dimension
    dimension_zh: str
    dimension_en: str
    target: NamedCode
    scope: EquivalenceScope
    scope_zh: str
    condition: EquivalenceCondition
    condition_zh: str
    jurisdiction: str
    source: SourceCitation
    status: SourceStatus
    status_zh: str
    effective_on: dt.date | None
    ends_on: dt.date | None
    note_zh: str
    note_en: str
