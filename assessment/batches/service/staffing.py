"""Staffing a batch: who is on its staff, and the checks that the assessors and the supervisor qualify."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlmodel import Session, select

from assessment.assessors.models import AssessorKind
from assessment.assessors.service import check_qualified, get_assessor
from assessment.batches.models import (
    ExamSession,
    SessionCreate,
    SessionStaff,
    StaffRole,
)
from registry import access, grades
from registry.access import Power
from registry.actor import Actor
from registry.errors import InvalidInput
from registry.grades import GradeCode
from registry.settings import Settings


def staff_of(session: Session, batch_id: uuid.UUID) -> Sequence[SessionStaff]:
    return session.exec(select(SessionStaff).where(SessionStaff.session_id == batch_id)).all()


def is_staff(session: Session, actor: Actor, batch_id: uuid.UUID, role: StaffRole | None = None) -> bool:
    if actor.assessor_id is None:
        return False
    return any(
        s.assessor_id == actor.assessor_id and (role is None or s.role == role) for s in staff_of(session, batch_id)
    )


def staff_assessor(session: Session, actor: Actor, exam: ExamSession) -> uuid.UUID:
    access.require(actor, Power.SCORE, on_staff=is_staff(session, actor, exam.id, StaffRole.ASSESSOR))
    assert actor.assessor_id is not None
    return actor.assessor_id


def check_staff(session: Session, data: SessionCreate, settings: Settings) -> list[uuid.UUID]:
    """Check a planned batch's staff: enough assessors for the grade, a separate supervisor, all qualified."""
    needed = (
        settings.assessors_min_high if grades.at_least(data.grade, GradeCode.TECHNICIAN) else settings.assessors_min_low
    )
    assessor_ids = list(dict.fromkeys(data.assessor_ids))
    if len(assessor_ids) < needed:
        raise InvalidInput(
            f"{grades.info(data.grade).name_zh}考核至少需要{needed}名考评员，现有{len(assessor_ids)}名",
            f"{data.grade.value} needs at least {needed} assessors, got {len(assessor_ids)}",
            extra={"field": "assessor_ids", "needed": needed},
        )
    if data.supervisor_id in assessor_ids:
        raise InvalidInput(
            "质量督导员不能同时担任考评员", "the supervisor may not also assess", extra={"field": "supervisor_id"}
        )
    for assessor_id in assessor_ids:
        check_qualified(
            session,
            get_assessor(session, assessor_id),
            kind=AssessorKind.ASSESSOR,
            occupation_code=data.occupation_code,
            grade=data.grade,
            on=data.exam_on,
        )
    check_qualified(
        session,
        get_assessor(session, data.supervisor_id),
        kind=AssessorKind.SUPERVISOR,
        occupation_code=data.occupation_code,
        grade=data.grade,
        on=data.exam_on,
    )
    return assessor_ids


def add_staff(session: Session, exam: ExamSession, assessor_ids: Sequence[uuid.UUID], supervisor_id: uuid.UUID) -> None:
    """Put the assessors and the supervisor on the batch's staff."""
    for assessor_id in assessor_ids:
        session.add(SessionStaff(session_id=exam.id, assessor_id=assessor_id, role=StaffRole.ASSESSOR))
    session.add(SessionStaff(session_id=exam.id, assessor_id=supervisor_id, role=StaffRole.SUPERVISOR))
