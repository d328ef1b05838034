"""Create awards (always through the filing-scope check), revoke them, list lifelong records, record appointments.

Legacy records (certificates issued before the registry) are made in registry.awards.legacy, never here.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from registry import access, grades
from registry.access import Power
from registry.actor import Actor
from registry.audit.service import record, snapshot
from registry.awards.models import (
    AWARD_STATUS_ZH,
    FAMILY_ZH,
    Appointment,
    AppointmentCreate,
    AppointmentPublic,
    AwardAction,
    AwardBasis,
    AwardPublic,
    AwardRevocationReason,
    AwardStatus,
    GradeAward,
    LegacyCertificate,
    LegacyPublic,
)
from registry.awards.rules import APPOINTMENT_RULES, AppointmentFacts
from registry.bodies.models import EvaluationBody
from registry.catalogue.models import Occupation
from registry.clock import today, utcnow
from registry.db import get_for_update
from registry.errors import Conflict, InvalidInput, NotFound, RuleViolation
from registry.filings.service import require_scope
from registry.grades import GradeCode
from registry.people.models import Person
from registry.people.service import get_person, link_person
from registry.text import within
from registry.transitions import TransitionTable, apply_transition
from registry.validators import mask_name


class AwardExists(Conflict):
    """The person already holds this grade in this occupation."""

    code = "award_exists"


class AppointmentNotAllowed(RuleViolation):
    """The person does not hold the grade the post needs."""

    code = "appointment_not_allowed"


class AwardNotFound(NotFound):
    """No such award, or not one the actor may see."""

    code = "award_not_found"


AWARD_TRANSITIONS = TransitionTable(
    "等级记录 award",
    {
        AwardStatus.PENDING: {AwardStatus.ACTIVE, AwardStatus.REJECTED},
        AwardStatus.ACTIVE: {AwardStatus.REVOKED},
    },
    actions={
        AwardStatus.ACTIVE: AwardAction.APPROVED,
        AwardStatus.REJECTED: AwardAction.REJECTED,
        AwardStatus.REVOKED: AwardAction.REVOKED,
    },
)


def create_award(
    session: Session,
    *,
    actor: Actor,
    person_id: uuid.UUID,
    body_id: uuid.UUID,
    occupation_code: str,
    grade: GradeCode,
    basis: AwardBasis,
    basis_ref: uuid.UUID | None,
    work_type: str = "",
    awarded_on: dt.date | None = None,
    direct_recognition_any_level: bool = False,
) -> GradeAward:
    """Register an award; the body's approved filing must cover it on the day (checked here, filing locked).

    Legacy records (certificates issued before the registry) go through registry.awards.legacy instead.
    """
    if basis == AwardBasis.LEGACY:
        raise ValueError("legacy awards are recorded with registry.awards.legacy.record_legacy_award")
    day = awarded_on or today()
    grant = require_scope(
        session,
        body_id=body_id,
        occupation_code=occupation_code,
        grade=grade,
        on=day,
        work_type=work_type,
        direct_recognition_any_level=direct_recognition_any_level,
    )
    filing_id = grant.filing.id
    duplicate = award_on_record(
        session, person_id=person_id, occupation_code=occupation_code, work_type=work_type, grade=grade
    )
    if duplicate is not None:
        raise AwardExists(
            "该人员已持有此职业的该等级",
            "the person already holds this grade in this occupation",
            extra={"award_id": str(duplicate)},
        )
    award = GradeAward(
        person_id=person_id,
        body_id=body_id,
        filing_id=filing_id,
        occupation_code=occupation_code,
        work_type=work_type,
        grade=grade,
        awarded_on=day,
        basis=basis,
        basis_ref=basis_ref,
        created_at=utcnow(),
    )
    session.add(award)
    session.flush()
    link_person(session, person_id=person_id, body_id=body_id, reason="awarded")
    record(
        session,
        actor=actor,
        action=AwardAction.CREATED,
        entity_type="award",
        entity_id=award.id,
        body_id=body_id,
        after=snapshot(award),
    )
    return award


def award_on_record(
    session: Session,
    *,
    person_id: uuid.UUID,
    occupation_code: str,
    work_type: str,
    grade: GradeCode,
    statuses: tuple[AwardStatus, ...] = (AwardStatus.ACTIVE,),
) -> uuid.UUID | None:
    """The id of the person's award of this grade, occupation and work type in one of statuses, if any."""
    return session.exec(
        select(GradeAward.id).where(
            GradeAward.person_id == person_id,
            GradeAward.occupation_code == occupation_code,
            GradeAward.work_type == work_type,
            GradeAward.grade == grade,
            col(GradeAward.status).in_(statuses),
        )
    ).first()


def held_grades(session: Session, *, person_id: uuid.UUID, occupation_code: str) -> list[tuple[GradeCode, dt.date]]:
    """Return the active grades a person holds in an occupation, with the date each was awarded."""
    rows = session.exec(
        select(col(GradeAward.grade), col(GradeAward.awarded_on)).where(
            GradeAward.person_id == person_id,
            GradeAward.occupation_code == occupation_code,
            GradeAward.status == AwardStatus.ACTIVE,
        )
    ).all()
    return [(GradeCode(g), d) for g, d in rows]


def list_awards(
    session: Session,
    *,
    actor: Actor,
    person_id: uuid.UUID | None = None,
    body_id: uuid.UUID | None = None,
    occupation_code: str | None = None,
    grade: GradeCode | None = None,
    basis: AwardBasis | None = None,
    status: AwardStatus | None = None,
    limit: int = 200,
    offset: int = 0,
) -> Sequence[GradeAward]:
    """Return awards the actor may see: the regulator all; a body its own and its people's; a worker theirs."""
    query = select(GradeAward).where(access.rows(actor, GradeAward))
    for column, value in (
        (GradeAward.person_id, person_id),
        (GradeAward.body_id, body_id),
        (GradeAward.occupation_code, occupation_code),
        (GradeAward.grade, grade),
        (GradeAward.basis, basis),
        (GradeAward.status, status),
    ):
        if value is not None:
            query = query.where(col(column) == value)
    query = query.order_by(col(GradeAward.awarded_on).desc(), col(GradeAward.created_at).desc())
    return session.exec(query.limit(limit).offset(offset)).all()


def award_views(session: Session, *, actor: Actor, awards: Sequence[GradeAward]) -> list[AwardPublic]:
    """Present awards with names; holders' names are masked unless the actor may see them."""
    views = []
    names: dict[str, str] = {}
    ids = [a.id for a in awards if a.basis == AwardBasis.LEGACY]
    legacy = {
        row.award_id: row
        for row in (
            session.exec(select(LegacyCertificate).where(col(LegacyCertificate.award_id).in_(ids))).all() if ids else []
        )
    }
    for award in awards:
        person = session.get(Person, award.person_id)
        body = session.get(EvaluationBody, award.body_id) if award.body_id else None
        if award.occupation_code not in names:
            occupation = session.get(Occupation, award.occupation_code)
            names[award.occupation_code] = occupation.name_zh if occupation else ""
        assert person is not None
        info = grades.info(award.grade)
        original = legacy.get(award.id)
        views.append(
            AwardPublic(
                id=award.id,
                person_id=award.person_id,
                person_name=person.name if access.sees(session, actor, person) else mask_name(person.name),
                body_id=award.body_id,
                body_name=body.name if body else (original.issuing_authority if original else ""),
                occupation_code=award.occupation_code,
                occupation_name_zh=names[award.occupation_code],
                work_type=award.work_type,
                grade=award.grade,
                grade_zh=info.name_zh,
                national_level=info.national_level,
                awarded_on=award.awarded_on,
                basis=award.basis,
                basis_ref=award.basis_ref,
                status=award.status,
                status_zh=AWARD_STATUS_ZH[award.status],
                revocation_reason=award.revocation_reason,
                revoked_reason=award.revoked_reason,
                legacy=None
                if original is None
                else LegacyPublic(
                    family=original.family,
                    family_zh=FAMILY_ZH[original.family],
                    issuing_authority=original.issuing_authority,
                    original_number=original.original_number,
                    evidence=original.evidence,
                    recorded_by_body_id=original.recorded_by_body_id,
                    decision_note=original.decision_note,
                    decided_at=original.decided_at,
                ),
            )
        )
    return views


def get_award(session: Session, *, actor: Actor, award_id: uuid.UUID, lock: bool = False) -> GradeAward:
    """Return an award the actor may see (as in list_awards), optionally locked; otherwise AwardNotFound."""
    award = session.get(GradeAward, award_id)
    visible = award is not None and access.sees(session, actor, award)
    if not visible:
        raise AwardNotFound("等级记录不存在", "no such award", extra={"award_id": str(award_id)})
    if lock:
        award = get_for_update(session, GradeAward, award_id)
    assert award is not None
    return award


def revoke_award(
    session: Session, *, actor: Actor, award_id: uuid.UUID, reason: AwardRevocationReason, note: str
) -> GradeAward:
    """Revoke an award (final), audited; appointments resting on it end today.

    The regulator, or the admin of the body that awarded it (a legacy record: the regulator only). Call
    certificates.service.revoke_award to revoke the award's certificates in the same transaction.
    """
    award = get_award(session, actor=actor, award_id=award_id, lock=True)
    if award.body_id is None:
        access.require(actor, Power.REGULATE)
    else:
        access.require(actor, Power.MANAGE_BODY, body_id=award.body_id)

    def prepare(award: GradeAward) -> None:
        award.revocation_reason = reason
        award.revoked_reason = note

    apply_transition(
        session,
        award,
        table=AWARD_TRANSITIONS,
        target=AwardStatus.REVOKED,
        actor=actor,
        entity_type="award",
        body_id=award.body_id,
        reason=note,
        prepare=prepare,
        stamp=("status_changed_at",),
        after={"reason": reason},
        lock=False,  # get_award locked it
    )
    day = today()
    for appointment in session.exec(
        select(Appointment).where(
            Appointment.award_id == award.id,
            sa.or_(col(Appointment.ends_on).is_(None), col(Appointment.ends_on) > day),
        )
    ).all():
        ended = appointment.ends_on
        appointment.ends_on = max(day, appointment.starts_on)
        session.flush()
        record(
            session,
            actor=actor,
            action=AwardAction.APPOINTMENT_ENDED,
            entity_type="appointment",
            entity_id=appointment.id,
            body_id=appointment.body_id,
            before={"ends_on": ended},
            after={"ends_on": appointment.ends_on},
            reason=within(f"等级已撤销 / award revoked: {note}"),
        )
    return award


def create_appointment(session: Session, *, actor: Actor, data: AppointmentCreate) -> Appointment:
    """Appoint a holder to a post (评聘); they must hold an active award at or above the post's grade."""
    access.require(actor, Power.MANAGE_BODY, body_id=data.body_id)
    get_person(session, actor=actor, person_id=data.person_id)
    if data.ends_on is not None and data.ends_on < data.starts_on:
        raise InvalidInput(
            "聘期结束日期早于开始日期", "the appointment ends before it starts", extra={"field": "ends_on"}
        )
    held = session.exec(
        select(GradeAward).where(
            GradeAward.person_id == data.person_id,
            GradeAward.occupation_code == data.occupation_code,
            GradeAward.status == AwardStatus.ACTIVE,
        )
    ).all()
    best = max(held, key=lambda a: grades.ordinal(a.grade), default=None)
    decision = APPOINTMENT_RULES.evaluate(
        AppointmentFacts(post_grade=data.post_grade, highest_held=best.grade if best else None),
        jurisdiction="CN",
        draft_in_force=False,
    )
    if not decision.allowed or best is None:
        zh, en = decision.summary()
        raise AppointmentNotAllowed(zh, en, extra={"rules": decision.as_dict()["results"]})
    award = best
    appointment = Appointment(
        person_id=data.person_id,
        body_id=data.body_id,
        award_id=award.id,
        post_grade=data.post_grade,
        post_title=data.post_title,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        created_at=utcnow(),
    )
    session.add(appointment)
    session.flush()
    record(
        session,
        actor=actor,
        action=AwardAction.APPOINTMENT_CREATED,
        entity_type="appointment",
        entity_id=appointment.id,
        body_id=data.body_id,
        after=snapshot(appointment),
    )
    return appointment


def list_appointments(
    session: Session, *, actor: Actor, person_id: uuid.UUID | None = None, body_id: uuid.UUID | None = None
) -> list[AppointmentPublic]:
    """Return appointments the actor may see."""
    query = select(Appointment).where(access.rows(actor, Appointment))
    if person_id is not None:
        query = query.where(col(Appointment.person_id) == person_id)
    if body_id is not None:
        query = query.where(col(Appointment.body_id) == body_id)
    rows = session.exec(query.order_by(col(Appointment.starts_on).desc())).all()
    return [AppointmentPublic.model_validate(a, from_attributes=True) for a in rows]
