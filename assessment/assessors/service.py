"""Issue assessor and supervisor cards (regulator), suspend, reinstate or revoke them, list them, and check one
against a batch."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlmodel import Session, col, select

from assessment.assessors.models import (
    Assessor,
    AssessorAction,
    AssessorCreate,
    AssessorKind,
    AssessorOccupation,
    AssessorPublic,
    AssessorStatus,
)
from registry import access, grades
from registry.access import Power
from registry.accounts.models import AccountIn, UserAccount, UserCreate
from registry.accounts.service import add_account
from registry.actor import Actor, Role
from registry.audit.service import record, snapshot
from registry.bodies.service import get_body
from registry.catalogue.service import get_occupation
from registry.clock import utcnow
from registry.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from registry.grades import GradeCode
from registry.people.models import Person
from registry.people.service import get_person, link_person
from registry.settings import Settings
from registry.transitions import TransitionTable, apply_transition
from registry.validators import mask_name

# A suspended card serves on no batch until reinstated; a revoked card is finished (a new card is issued instead).
ASSESSOR_TRANSITIONS = TransitionTable(
    "考评证卡 assessor card",
    {
        AssessorStatus.ACTIVE: {AssessorStatus.SUSPENDED, AssessorStatus.REVOKED},
        AssessorStatus.SUSPENDED: {AssessorStatus.ACTIVE, AssessorStatus.REVOKED},
    },
    actions={
        AssessorStatus.SUSPENDED: AssessorAction.SUSPENDED,
        AssessorStatus.ACTIVE: AssessorAction.REINSTATED,
        AssessorStatus.REVOKED: AssessorAction.REVOKED,
    },
)


class AssessorNotFound(NotFound):
    """No such assessor."""

    code = "assessor_not_found"


class CardNumberTaken(Conflict):
    """Another assessor holds this card number."""

    code = "card_number_taken"


class AssessorNotQualified(RuleViolation):
    """An assessor may not serve on this batch."""

    code = "assessor_not_qualified"


def _require_may_issue(actor: Actor, data: AssessorCreate) -> None:
    """The regulator issues any card; a body's admin only assessor cards of its own body (supervisors — the
    external quality supervisors — remain the regulator's)."""
    if access.may(actor, Power.REGULATE):
        return
    if data.kind != AssessorKind.ASSESSOR:
        raise PermissionDenied(
            "质量督导员证卡由人社监管部门颁发", "supervisor cards are issued by the regulator", extra={"field": "kind"}
        )
    if data.body_id is None:
        raise PermissionDenied(
            "评价机构只能为本机构考评员颁发证卡",
            "a body issues cards only to its own assessors",
            extra={"field": "body_id"},
        )
    access.require(actor, Power.MANAGE_BODY, body_id=data.body_id)


def register_assessor(session: Session, *, actor: Actor, data: AssessorCreate) -> Assessor:
    """Issue a card: the regulator any; a body's admin an assessor card of its own body, to a person it deals with.

    Occupations, highest grade they may assess, the grade they hold, validity. The regulator sees every card.
    """
    _require_may_issue(actor, data)
    get_person(session, actor=actor, person_id=data.person_id)
    if data.body_id is not None:
        get_body(session, actor=actor, body_id=data.body_id)
    for code in data.occupations:
        get_occupation(session, code)
    if session.exec(select(Assessor.id).where(Assessor.card_number == data.card_number)).first() is not None:
        raise CardNumberTaken(
            f"证卡号 {data.card_number} 已被使用", f"card {data.card_number} is taken", extra={"field": "card_number"}
        )
    assessor = Assessor(**data.model_dump(exclude={"occupations"}), created_at=utcnow())
    session.add(assessor)
    session.flush()
    for code in sorted(set(data.occupations)):
        session.add(AssessorOccupation(assessor_id=assessor.id, occupation_code=code))
    session.flush()
    record(
        session,
        actor=actor,
        action=AssessorAction.CREATED,
        entity_type="assessor",
        entity_id=assessor.id,
        body_id=assessor.body_id,
        after={**snapshot(assessor), "occupations": sorted(set(data.occupations))},
    )
    return assessor


def get_assessor(session: Session, assessor_id: uuid.UUID) -> Assessor:
    """Return an assessor by id."""
    assessor = session.get(Assessor, assessor_id)
    if assessor is None:
        raise AssessorNotFound("考评人员不存在", "no such assessor", extra={"assessor_id": str(assessor_id)})
    return assessor


def cards_of_body(session: Session, *, actor: Actor, body_id: uuid.UUID) -> Sequence[Assessor]:
    """Every card of a body's own assessors, whatever its status (the body's admins and the regulator)."""
    access.require(actor, Power.MANAGE_BODY, body_id=body_id)
    return session.exec(select(Assessor).where(Assessor.body_id == body_id).order_by(col(Assessor.card_number))).all()


def card_accounts(session: Session, *, actor: Actor, body_id: uuid.UUID) -> dict[uuid.UUID, UserAccount]:
    """The logins of a body's card holders, by card id (assessor accounts tied to the card's person)."""
    cards = cards_of_body(session, actor=actor, body_id=body_id)
    by_person = {card.person_id: card.id for card in cards}
    if not by_person:
        return {}
    accounts = session.exec(
        select(UserAccount).where(UserAccount.role == Role.ASSESSOR, col(UserAccount.person_id).in_(list(by_person)))
    ).all()
    return {by_person[a.person_id]: a for a in accounts if a.person_id is not None}


def open_card_account(
    session: Session, *, actor: Actor, assessor_id: uuid.UUID, account: AccountIn, settings: Settings
) -> UserAccount:
    """Open the login of one of the body's own assessors (the card's holder, role assessor)."""
    card = get_assessor(session, assessor_id)
    if card.body_id is None or not access.allowed(actor, Power.MANAGE_BODY, body_id=card.body_id):
        raise AssessorNotFound("考评人员不存在", "no such assessor", extra={"assessor_id": str(assessor_id)})
    if card.kind != AssessorKind.ASSESSOR:
        raise PermissionDenied(
            "质量督导员账号由人社监管部门开设",
            "supervisor accounts are opened by the regulator",
            extra={"field": "kind"},
        )
    link_person(session, person_id=card.person_id, body_id=card.body_id, reason="assessor card")  # its own staff
    data = UserCreate(
        username=account.username,
        display_name=account.display_name,
        password=account.password,
        role=Role.ASSESSOR,
        person_id=card.person_id,
    )
    return add_account(session, actor=actor, data=data, settings=settings)


def assessor_for_person(session: Session, person_id: uuid.UUID) -> Assessor | None:
    """Return the active card of a person, if they hold one."""
    return session.exec(
        select(Assessor).where(Assessor.person_id == person_id, Assessor.status == AssessorStatus.ACTIVE)
    ).first()


def occupations_of(session: Session, assessor_id: uuid.UUID) -> list[str]:
    """Return the occupations an assessor is qualified for."""
    return list(
        session.exec(
            select(AssessorOccupation.occupation_code).where(AssessorOccupation.assessor_id == assessor_id)
        ).all()
    )


def list_assessors(
    session: Session, *, occupation_code: str | None = None, kind: AssessorKind | None = None
) -> Sequence[Assessor]:
    """Return active cards, optionally for one occupation or kind (every body may see them, to staff batches)."""
    query = select(Assessor).where(Assessor.status == AssessorStatus.ACTIVE)
    if occupation_code is not None:
        qualified = select(AssessorOccupation.assessor_id).where(AssessorOccupation.occupation_code == occupation_code)
        query = query.where(col(Assessor.id).in_(qualified))
    if kind is not None:
        query = query.where(Assessor.kind == kind)
    return session.exec(query.order_by(col(Assessor.card_number))).all()


def assessor_view(session: Session, assessor: Assessor) -> AssessorPublic:
    """Present an assessor with a masked name."""
    person = session.get(Person, assessor.person_id)
    assert person is not None
    return AssessorPublic(
        **assessor.model_dump(exclude={"created_at"}),
        name_masked=mask_name(person.name),
        occupations=occupations_of(session, assessor.id),
    )


def list_cards(
    session: Session,
    *,
    actor: Actor,
    body_id: uuid.UUID | None = None,
    kind: AssessorKind | None = None,
    status: AssessorStatus | None = None,
    external: bool = False,
    limit: int = 500,
) -> Sequence[Assessor]:
    """Every card whatever its status (regulator): one body's, or the external ones (no body: the regulator's
    quality supervisors and independent assessors)."""
    access.require(actor, Power.REGULATE)
    query = select(Assessor)
    if body_id is not None:
        query = query.where(Assessor.body_id == body_id)
    if external:
        query = query.where(col(Assessor.body_id).is_(None))
    if kind is not None:
        query = query.where(Assessor.kind == kind)
    if status is not None:
        query = query.where(Assessor.status == status)
    return session.exec(query.order_by(col(Assessor.card_number)).limit(limit)).all()


def set_assessor_status(
    session: Session, *, actor: Actor, assessor_id: uuid.UUID, status: AssessorStatus, reason: str
) -> Assessor:
    """Suspend, reinstate or revoke (final) a card, with the reason on the audit record (regulator).

    A suspended or revoked card is refused by check_qualified, so it can be named on no new batch and can record
    no score in a batch it already staffs.
    """
    access.require(actor, Power.REGULATE)
    assessor = get_assessor(session, assessor_id)
    return apply_transition(
        session,
        assessor,
        table=ASSESSOR_TRANSITIONS,
        target=status,
        actor=actor,
        entity_type="assessor",
        body_id=assessor.body_id,
        reason=reason,
        stamp=(),
    )


def check_qualified(
    session: Session, assessor: Assessor, *, kind: AssessorKind, occupation_code: str, grade: GradeCode, on: dt.date
) -> None:
    """Refuse unless the card is active and valid on the day, of the right kind, for the occupation and grade."""
    label = assessor.card_number
    problems_zh, problems_en = [], []
    if assessor.kind != kind:
        problems_zh.append(f"证卡类型为{assessor.kind.value}")
        problems_en.append(f"the card is a {assessor.kind.value} card")
    if assessor.status != AssessorStatus.ACTIVE:
        problems_zh.append(f"证卡状态为{assessor.status.value}")
        problems_en.append(f"the card is {assessor.status.value}")
    if not assessor.valid_from <= on <= assessor.valid_to:
        problems_zh.append("考核日期不在证卡有效期内")
        problems_en.append("the exam date is outside the card's validity")
    if kind == AssessorKind.ASSESSOR:
        if occupation_code not in occupations_of(session, assessor.id):
            problems_zh.append(f"未取得 {occupation_code} 的考评资格")
            problems_en.append(f"not qualified for {occupation_code}")
        if grades.ordinal(grade) > grades.ordinal(assessor.max_grade):
            problems_zh.append(f"最高只能考评{grades.info(assessor.max_grade).name_zh}")
            problems_en.append(f"may assess up to {assessor.max_grade.value}")
        if grades.ordinal(grade) > grades.ordinal(assessor.held_grade):
            problems_zh.append(f"本人等级{grades.info(assessor.held_grade).name_zh}低于考评等级")
            problems_en.append(f"holds {assessor.held_grade.value}, below the grade assessed")
    if problems_zh:
        raise AssessorNotQualified(
            f"考评人员 {label} 不符合条件：" + "；".join(problems_zh),
            f"assessor {label} is not qualified: " + "; ".join(problems_en),
            extra={"assessor_id": str(assessor.id), "card_number": label},
        )
