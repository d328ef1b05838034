"""Legacy awards: grades certified before the registry (a 职业资格证书 or 职业技能等级证书 issued elsewhere).

Who records them (README decisions log): the regulator, whose records count at once; or a body admin, for a
person the body employs today, whose records wait for the regulator's confirmation (pending) and count for
nothing — prerequisite, appointment, 比照, verification — until confirmed. A legacy award has no awarding body
and no filing, never gets a certificate of this registry, and a look-up of its original number says plainly
that the registry only records it.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import ValidationError
from sqlmodel import Session, col, select

from registry import access, grades
from registry.access import Power
from registry.actor import Actor
from registry.audit.service import record, snapshot
from registry.awards.models import (
    FAMILY_ZH,
    AwardAction,
    AwardBasis,
    AwardStatus,
    CertificateFamily,
    GradeAward,
    LegacyAwardIn,
    LegacyCertificate,
    LegacyEvidence,
)
from registry.awards.service import AWARD_TRANSITIONS, AwardExists, award_on_record, get_award
from registry.bodies.models import EvaluationBody
from registry.catalogue.service import get_occupation
from registry.clock import today, utcnow
from registry.errors import Conflict, DomainError, InvalidInput, PermissionDenied
from registry.grades import GradeCode
from registry.people.models import Employment, IdType, Person, PersonCreate
from registry.people.service import find_person, get_person, register_person
from registry.settings import Settings
from registry.tabular import Row, RowError, raise_row_errors, row_error
from registry.transitions import apply_transition

LEGACY_COLUMNS = (
    "id_number",
    "name",
    "occupation_code",
    "grade",
    "family",
    "issuing_authority",
    "original_number",
    "awarded_on",
    "evidence_ref",
)
LEGACY_OPTIONAL = ("id_type", "work_type", "evidence_kind", "evidence_description")
NUMBER_PATTERN = re.compile(r"^[0-9A-Z][0-9A-Z/-]{3,63}$")
EARLIEST = dt.date(1950, 1, 1)
# 职业资格证书 had five levels (初级…高级技师); 特级/首席 certificates exist only as 职业技能等级证书; 学徒工 has none.
FAMILY_GRADES = {
    CertificateFamily.QUALIFICATION: frozenset(
        {
            GradeCode.JUNIOR,
            GradeCode.INTERMEDIATE,
            GradeCode.SENIOR,
            GradeCode.TECHNICIAN,
            GradeCode.SENIOR_TECHNICIAN,
        }
    ),
    CertificateFamily.SKILL_LEVEL: frozenset(g.code for g in grades.LADDER if g.code != GradeCode.APPRENTICE),
}
FAMILY_WORDS = {
    **{f.value: f for f in CertificateFamily},
    **{zh: f for f, zh in FAMILY_ZH.items()},
    "职业资格": CertificateFamily.QUALIFICATION,
    "职业技能等级": CertificateFamily.SKILL_LEVEL,
}
GRADE_WORDS = {**{g.code.value: g.code for g in grades.LADDER}, **{g.name_zh: g.code for g in grades.LADDER}}


class LegacyNumberTaken(Conflict):
    """This original certificate is already on record."""

    code = "legacy_number_taken"


class NotALegacyRecord(Conflict):
    """Only a pending legacy record can be confirmed or rejected."""

    code = "not_a_pending_legacy_record"


def number_key(number: str) -> str:
    """The form a certificate number is matched in: no whitespace, upper case."""
    return re.sub(r"\s+", "", number).upper()


def _employs_today(session: Session, *, body: EvaluationBody, person_id: uuid.UUID) -> bool:
    day = today()
    jobs = session.exec(
        select(Employment).where(Employment.person_id == person_id, Employment.employer_uscc == body.uscc)
    ).all()
    return any(job.active_on(day) for job in jobs)


def _check(session: Session, data: LegacyAwardIn) -> str:
    """Validate a record's own fields; return its number key."""
    get_occupation(session, data.occupation_code)
    key = number_key(data.original_number)
    if not NUMBER_PATTERN.match(key):
        raise InvalidInput(
            "原证书编号应为4-64位数字、字母、“-”或“/”",
            "the original number is 4-64 digits, letters, '-' or '/'",
            extra={"field": "original_number"},
        )
    if data.grade not in FAMILY_GRADES[data.family]:
        allowed = ", ".join(sorted(g.value for g in FAMILY_GRADES[data.family]))
        raise InvalidInput(
            f"{FAMILY_ZH[data.family]}没有{grades.info(data.grade).name_zh}；可用等级：{allowed}",
            f"a {data.family.value} certificate cannot hold {data.grade.value}; accepted: {allowed}",
            extra={"field": "grade"},
        )
    if not EARLIEST <= data.awarded_on <= today():
        raise InvalidInput(
            f"发证日期应在 {EARLIEST} 到今天之间",
            f"the award date must lie between {EARLIEST} and today",
            extra={"field": "awarded_on"},
        )
    return key


def _refuse_duplicates(session: Session, data: LegacyAwardIn, key: str) -> None:
    held = award_on_record(
        session,
        person_id=data.person_id,
        occupation_code=data.occupation_code,
        work_type=data.work_type.strip(),
        grade=data.grade,
        statuses=(AwardStatus.ACTIVE, AwardStatus.PENDING),
    )
    if held is not None:
        raise AwardExists(
            "该人员已有此职业该等级的记录（有效或待确认）",
            "the person already has this grade in this occupation on record (active or pending)",
            extra={"award_id": str(held)},
        )
    taken = session.exec(
        select(LegacyCertificate.id)
        .join(GradeAward, col(GradeAward.id) == col(LegacyCertificate.award_id))
        .where(
            LegacyCertificate.number_key == key,
            LegacyCertificate.family == data.family,
            col(GradeAward.status) != AwardStatus.REJECTED,
        )
    ).first()
    if taken is not None:
        raise LegacyNumberTaken(
            f"{FAMILY_ZH[data.family]} {key} 已登记",
            f"{data.family.value} {key} is already on record",
            extra={"field": "original_number"},
        )


def record_legacy_award(session: Session, *, actor: Actor, data: LegacyAwardIn) -> tuple[GradeAward, LegacyCertificate]:
    """Record a certificate issued before the registry: active at once for the regulator, pending for a body.

    A body admin records only people the body employs today; nothing the body records counts until the
    regulator confirms it (decide_legacy_award).
    """
    access.require(actor, Power.KEEP_RECORDS)
    person = get_person(session, actor=actor, person_id=data.person_id)
    recorder: EvaluationBody | None = None
    if not access.allowed(actor, Power.REGULATE):
        recorder = session.get(EvaluationBody, actor.body_id) if actor.body_id else None
        if recorder is None or not _employs_today(session, body=recorder, person_id=person.id):
            raise PermissionDenied(
                "评价机构只能为本单位在职职工登记历史证书", "a body records legacy certificates only for its own staff"
            )
    key = _check(session, data)
    _refuse_duplicates(session, data, key)
    now = utcnow()
    award = GradeAward(
        person_id=person.id,
        body_id=None,
        filing_id=None,
        occupation_code=data.occupation_code,
        work_type=data.work_type.strip(),
        grade=data.grade,
        awarded_on=data.awarded_on,
        basis=AwardBasis.LEGACY,
        basis_ref=None,
        status=AwardStatus.ACTIVE if recorder is None else AwardStatus.PENDING,
        created_at=now,
    )
    session.add(award)
    session.flush()
    legacy = LegacyCertificate(
        award_id=award.id,
        family=data.family,
        issuing_authority=data.issuing_authority.strip(),
        original_number=data.original_number.strip(),
        number_key=key,
        evidence=[e.model_dump() for e in data.evidence],
        recorded_by_body_id=recorder.id if recorder else None,
        created_at=now,
    )
    session.add(legacy)
    session.flush()
    record(
        session,
        actor=actor,
        action=AwardAction.RECORDED,
        entity_type="award",
        entity_id=award.id,
        body_id=legacy.recorded_by_body_id,
        after={
            **snapshot(award, fields=("person_id", "occupation_code", "work_type", "grade", "awarded_on", "status")),
            **snapshot(legacy, fields=("family", "issuing_authority", "original_number", "evidence")),
        },
    )
    return award, legacy


def decide_legacy_award(session: Session, *, actor: Actor, award_id: uuid.UUID, approve: bool, note: str) -> GradeAward:
    """Confirm (it counts from now on) or reject a legacy record a body entered; the regulator only, audited."""
    access.require(actor, Power.REGULATE)
    award = get_award(session, actor=actor, award_id=award_id, lock=True)
    if award.basis != AwardBasis.LEGACY or award.status != AwardStatus.PENDING:
        raise NotALegacyRecord(
            "只有待确认的历史证书记录可以确认或不予确认",
            "only a pending legacy record can be confirmed or rejected",
            extra={"status": award.status.value, "basis": award.basis.value},
        )
    target = AwardStatus.ACTIVE if approve else AwardStatus.REJECTED
    legacy = session.exec(select(LegacyCertificate).where(LegacyCertificate.award_id == award.id)).one()

    def prepare(award: GradeAward) -> None:
        if approve:
            held = award_on_record(
                session,
                person_id=award.person_id,
                occupation_code=award.occupation_code,
                work_type=award.work_type,
                grade=award.grade,
            )
            if held is not None:
                raise AwardExists(
                    "该人员已持有此职业该等级，不能再确认历史记录",
                    "the person already holds this grade in this occupation",
                    extra={"award_id": str(held)},
                )
        else:
            award.revoked_reason = note

    apply_transition(
        session,
        award,
        table=AWARD_TRANSITIONS,
        target=target,
        actor=actor,
        entity_type="award",
        body_id=legacy.recorded_by_body_id,
        reason=note,
        prepare=prepare,
        stamp=("status_changed_at",),
        lock=False,  # get_award locked it
    )
    legacy.decision_note, legacy.decided_at = note, award.status_changed_at
    session.flush()
    return award


# ------------------------------------------------------------------------------------------ import


@dataclass(frozen=True)
class LegacyImportSummary:
    """What an import did."""

    rows: int
    active: int
    pending: int


def _person_for_row(session: Session, *, actor: Actor, row: Row, settings: Settings) -> Person:
    id_type = IdType(row.get("id_type") or IdType.RESIDENT_ID.value)
    if access.allowed(actor, Power.REGULATE):
        person, _ = register_person(
            session,
            actor=actor,
            data=PersonCreate(name=row.get("name"), id_type=id_type, id_number=row.get("id_number")),
            settings=settings,
        )
        return person
    found = find_person(session, settings=settings, id_type=id_type, id_number=row.get("id_number"))
    body = session.get(EvaluationBody, actor.body_id) if actor.body_id else None
    if found is None or body is None or not _employs_today(session, body=body, person_id=found.id):
        raise PermissionDenied(
            "不是本单位在职职工（须先登记人员及雇佣关系）",
            "not one of the body's staff today (register the person and the employment first)",
            extra={"field": "id_number"},
        )
    if found.name != row.get("name"):
        raise InvalidInput(
            "姓名与登记的证件号码不一致", "the name differs from the registered one", extra={"field": "name"}
        )
    return found


def _legacy_from_row(row: Row, person_id: uuid.UUID) -> LegacyAwardIn:
    family = FAMILY_WORDS.get(row.get("family"))
    grade = GRADE_WORDS.get(row.get("grade"))
    if family is None:
        raise InvalidInput(
            f"证书类别 {row.get('family')!r} 无效；可用：qualification（职业资格证书）、"
            "skill_level（职业技能等级证书）",
            f"family {row.get('family')!r} is not qualification or skill_level",
            extra={"field": "family"},
        )
    if grade is None:
        raise InvalidInput(
            f"等级 {row.get('grade')!r} 无效；可用：{grades.accepted_codes()}（或中文名称）",
            f"grade {row.get('grade')!r} is not one of: {grades.accepted_codes()}",
            extra={"field": "grade"},
        )
    try:
        awarded_on = dt.date.fromisoformat(row.get("awarded_on"))
    except ValueError:
        raise InvalidInput(
            "发证日期格式应为 YYYY-MM-DD", "awarded_on must be YYYY-MM-DD", extra={"field": "awarded_on"}
        ) from None
    return LegacyAwardIn(
        person_id=person_id,
        occupation_code=row.get("occupation_code"),
        work_type=row.get("work_type"),
        grade=grade,
        family=family,
        issuing_authority=row.get("issuing_authority"),
        original_number=row.get("original_number"),
        awarded_on=awarded_on,
        evidence=[
            LegacyEvidence(
                kind=row.get("evidence_kind") or "原证书扫描件",
                ref=row.get("evidence_ref"),
                description=row.get("evidence_description"),
            )
        ],
    )


class _RowsRefused(Exception):
    """Raised inside the savepoint to undo every row of a refused file."""


def import_legacy(
    session: Session,
    *,
    actor: Actor,
    rows: Sequence[Row],
    settings: Settings,
    progress: Callable[[int], None] | None = None,
) -> LegacyImportSummary:
    """Record a table of legacy certificates, all or nothing: one bad row refuses the file, naming every bad row."""
    access.require(actor, Power.KEEP_RECORDS)
    errors: list[RowError] = []
    active = pending = 0
    seen: dict[tuple[str, str], int] = {}
    try:
        with session.begin_nested():
            for row in rows:
                if progress is not None:
                    progress(1)
                key = (row.get("family"), number_key(row.get("original_number")))
                if key in seen:
                    errors.append(
                        RowError(row.line, "original_number", f"与第{seen[key]}行重复", f"repeats line {seen[key]}")
                    )
                    continue
                seen[key] = row.line
                try:
                    person = _person_for_row(session, actor=actor, row=row, settings=settings)
                    award, _ = record_legacy_award(session, actor=actor, data=_legacy_from_row(row, person.id))
                except (DomainError, ValidationError, ValueError) as error:
                    errors.append(row_error(row, error))
                    continue
                active += award.status == AwardStatus.ACTIVE
                pending += award.status == AwardStatus.PENDING
            if errors:
                raise _RowsRefused
    except _RowsRefused:
        raise_row_errors(errors, total_rows=len(rows))
    return LegacyImportSummary(rows=len(rows), active=active, pending=pending)


# ------------------------------------------------------------------------------------------ look-up


@dataclass(frozen=True)
class LegacyMatch:
    """A legacy record found by original number and holder name."""

    award: GradeAward
    legacy: LegacyCertificate
    person: Person


def find_legacy(session: Session, *, number: str, name: str) -> LegacyMatch | None:
    """The legacy record with this original number whose holder has this name (rejected records never match)."""
    row = session.exec(
        select(GradeAward, LegacyCertificate, Person)
        .join(LegacyCertificate, col(LegacyCertificate.award_id) == col(GradeAward.id))
        .join(Person, col(Person.id) == col(GradeAward.person_id))
        .where(
            LegacyCertificate.number_key == number_key(number),
            Person.name == name.strip(),
            col(GradeAward.status) != AwardStatus.REJECTED,
        )
        .order_by(col(GradeAward.created_at))
    ).first()
    return None if row is None else LegacyMatch(*row)
