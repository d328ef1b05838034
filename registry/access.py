"""One access policy: which rows of a model an actor may see, and what an actor may do to a record.

Two tables hold every role's rights: ROLE_REACH (whose records a role sees) and ROLE_POWERS (what it may do).
A model declares once how its rows belong to bodies, people and batches (`register`); then
- `rows(actor, Model)` is the query filter of the rows the actor may see (lists),
- `sees(session, actor, row)` answers the same for one row (a record the actor may not see is "not found"),
- `require(actor, power, ...)` refuses, with the domain error of that power, what the actor may not do.
Adding a role is one entry in each table here, plus the walk over every route in tests/api/test_isolation.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, SQLModel, col, select

from registry.actor import Actor, Role
from registry.errors import DomainError, PermissionDenied


class Reach(StrEnum):
    """Whose records an actor sees."""

    EVERYTHING = "everything"  # the regulator (and the command line)
    OWN_BODY = "own_body"  # a body's admins: the body's records, and people linked to the body where a model says so
    STAFFED_BATCHES = "staffed_batches"  # assessors and supervisors: the batches they staff
    OWN_PERSON = "own_person"  # an account tied to a person: that person's own records


class Power(StrEnum):
    """What an actor may do."""

    REGULATE = "regulate"  # the regulator's own acts: bodies, filings' decisions, accounts, sanctions
    MANAGE_BODY = "manage_body"  # act on a body's business (its filings, batches, certificates) — that body only
    KEEP_RECORDS = "keep_records"  # register people and record legacy certificates
    SCORE = "score"  # record scores in a batch one assesses
    ATTEST = "attest"  # attest a batch one supervises
    CORRECT_SCORE = "correct_score"  # correct a locked score: one's own, or any of one's body's batches


ROLE_REACH: Mapping[Role, frozenset[Reach]] = {
    Role.REGULATOR: frozenset({Reach.EVERYTHING}),
    Role.BODY_ADMIN: frozenset({Reach.OWN_BODY}),
    Role.ASSESSOR: frozenset({Reach.STAFFED_BATCHES, Reach.OWN_PERSON}),
    Role.SUPERVISOR: frozenset({Reach.STAFFED_BATCHES, Reach.OWN_PERSON}),
    Role.WORKER: frozenset({Reach.OWN_PERSON}),
}
ROLE_POWERS: Mapping[Role, frozenset[Power]] = {
    Role.REGULATOR: frozenset({Power.REGULATE, Power.MANAGE_BODY, Power.KEEP_RECORDS, Power.CORRECT_SCORE}),
    Role.BODY_ADMIN: frozenset({Power.MANAGE_BODY, Power.KEEP_RECORDS, Power.CORRECT_SCORE}),
    Role.ASSESSOR: frozenset({Power.SCORE, Power.CORRECT_SCORE}),
    Role.SUPERVISOR: frozenset({Power.ATTEST}),
    Role.WORKER: frozenset(),
}


def reach(actor: Actor) -> frozenset[Reach]:
    """What the actor's role reaches; the command line reaches everything, the public nothing by this policy.

    An account tied to a person always sees that person's own records, and staffing needs an assessor's card.
    """
    if actor.is_system:
        return frozenset({Reach.EVERYTHING})
    granted = set(ROLE_REACH.get(actor.role, frozenset())) if actor.role is not None else set()
    if actor.person_id is not None:
        granted.add(Reach.OWN_PERSON)
    if actor.assessor_id is None:
        granted.discard(Reach.STAFFED_BATCHES)
    if actor.body_id is None:
        granted.discard(Reach.OWN_BODY)
    return frozenset(granted)


def powers(actor: Actor) -> frozenset[Power]:
    """What the actor's role may do (the command line: everything)."""
    if actor.is_system:
        return frozenset(Power)
    return ROLE_POWERS.get(actor.role, frozenset()) if actor.role is not None else frozenset()


def may(actor: Actor, power: Power) -> bool:
    """Whether the actor's role holds power at all (records aside)."""
    return power in powers(actor)


# ---------------------------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class Ownership:
    """How a model's rows belong to bodies, people and batches (each None where they do not)."""

    body: Any = None  # column of the owning body
    person: Any = None  # column of the person the row is about
    linked_people: bool = False  # a body's admins also see rows of people linked to the body (PersonBodyLink)
    staffed: Callable[[Actor], ColumnElement[bool]] | None = None  # rows of the batches the actor staffs
    refuse_list: Callable[[], DomainError] | None = None  # an actor it reaches in no way is refused, not shown []


_OWNERSHIP: dict[type[SQLModel], Ownership] = {}


def register(model: type[SQLModel], ownership: Ownership) -> None:
    """Declare how model's rows are owned (once, next to the model's service)."""
    _OWNERSHIP[model] = ownership


def ownership(model: type[SQLModel]) -> Ownership:
    """The registered ownership of model (KeyError for a model nobody registered)."""
    return _OWNERSHIP[model]


def _linked(person_column: Any, body_id: uuid.UUID) -> ColumnElement[bool]:
    from registry.people.models import PersonBodyLink

    mine = select(PersonBodyLink.person_id).where(PersonBodyLink.body_id == body_id)
    return col(person_column).in_(mine)


def rows(actor: Actor, model: type[SQLModel]) -> ColumnElement[bool]:
    """The WHERE clause of model's rows the actor may see (false, or the model's refusal, when none)."""
    owned = ownership(model)
    granted = reach(actor)
    if Reach.EVERYTHING in granted:
        return sa.true()
    clauses: list[ColumnElement[bool]] = []
    if Reach.OWN_BODY in granted and actor.body_id is not None:
        if owned.body is not None:
            clauses.append(col(owned.body) == actor.body_id)
        if owned.linked_people and owned.person is not None:
            clauses.append(_linked(owned.person, actor.body_id))
    if Reach.STAFFED_BATCHES in granted and owned.staffed is not None:
        clauses.append(owned.staffed(actor))
    if Reach.OWN_PERSON in granted and owned.person is not None:
        clauses.append(col(owned.person) == actor.person_id)
    if clauses:
        return sa.or_(*clauses)
    if owned.refuse_list is not None:
        raise owned.refuse_list()
    return sa.false()


def sees(session: Session, actor: Actor, row: SQLModel) -> bool:
    """Whether the actor may see this row (the same rule as rows(), for one record)."""
    model = type(row)
    owned = ownership(model)
    granted = reach(actor)
    if Reach.EVERYTHING in granted:
        return True
    body_id = getattr(row, owned.body.key) if owned.body is not None else None
    person_id = getattr(row, owned.person.key) if owned.person is not None else None
    if Reach.OWN_BODY in granted and actor.body_id is not None:
        if body_id is not None and body_id == actor.body_id:
            return True
        if owned.linked_people and person_id is not None and _is_linked(session, person_id, actor.body_id):
            return True
    if Reach.OWN_PERSON in granted and person_id is not None and person_id == actor.person_id:
        return True
    if Reach.STAFFED_BATCHES in granted and owned.staffed is not None:
        (pk,) = sa.inspect(model).primary_key
        found = session.exec(select(pk).where(pk == getattr(row, pk.key), owned.staffed(actor))).first()
        return found is not None
    return False


def _is_linked(session: Session, person_id: uuid.UUID, body_id: uuid.UUID) -> bool:
    from registry.people.models import PersonBodyLink

    found = session.exec(
        select(PersonBodyLink.id).where(PersonBodyLink.person_id == person_id, PersonBodyLink.body_id == body_id)
    ).first()
    return found is not None


def reaches_body(actor: Actor, body_id: uuid.UUID | None) -> bool:
    """Whether the actor sees records of body_id as such: the regulator, or an admin of that very body."""
    granted = reach(actor)
    return Reach.EVERYTHING in granted or (
        Reach.OWN_BODY in granted and body_id is not None and actor.body_id == body_id
    )


def narrowed(actor: Actor, column: Any, value: Any) -> ColumnElement[bool]:
    """A filter the regulator may narrow a list by (one body); others see their own rows whatever they ask."""
    if value is None or Reach.EVERYTHING not in reach(actor):
        return sa.true()
    clause: ColumnElement[bool] = col(column) == value
    return clause


# ---------------------------------------------------------------------------------------------- acts


def _roles_holding(power: Power) -> str:
    return ", ".join(role.value for role in Role if power in ROLE_POWERS[role])


REFUSALS: Mapping[Power, tuple[str, str]] = {
    Power.REGULATE: ("仅人社监管部门可执行此操作", "only the regulator may do this"),
    Power.MANAGE_BODY: ("无权操作其他评价机构的数据", "you may not act on another evaluation body's data"),
    Power.KEEP_RECORDS: (
        f"需要以下角色之一：{_roles_holding(Power.KEEP_RECORDS)}",
        f"needs one of the roles: {_roles_holding(Power.KEEP_RECORDS)}",
    ),
    Power.SCORE: ("只有本批次的考评员可以录入分数", "only this batch's assessors may record scores"),
    Power.ATTEST: ("只有本批次的质量督导员可以签署", "only this batch's supervisor may attest"),
    Power.CORRECT_SCORE: (
        "只有评分的考评员或本机构可以更正分数",
        "only the scoring assessor or the body may correct",
    ),
}


def allowed(
    actor: Actor,
    power: Power,
    *,
    body_id: uuid.UUID | None = None,
    on_staff: bool | None = None,
    own: bool | None = None,
) -> bool:
    """Whether the actor may use power here.

    body_id: the body whose business it is (MANAGE_BODY, CORRECT_SCORE); on_staff: whether the actor is on the
    batch's staff in the role the power needs (SCORE, ATTEST); own: whether the record is the actor's own work
    (CORRECT_SCORE: the score is theirs).
    """
    if power not in powers(actor):
        return False
    if power in {Power.SCORE, Power.ATTEST}:
        return bool(on_staff)  # nobody, the regulator included, scores or attests a batch they do not staff
    if Reach.EVERYTHING in reach(actor):
        return True
    if power == Power.MANAGE_BODY:
        return body_id is not None and actor.body_id == body_id
    if power == Power.CORRECT_SCORE:
        own_body = Reach.OWN_BODY in reach(actor) and body_id is not None and actor.body_id == body_id
        return bool(own) or own_body
    return True


def refusal(power: Power) -> PermissionDenied:
    """The error refusing power."""
    zh, en = REFUSALS[power]
    return PermissionDenied(zh, en)


def require(
    actor: Actor,
    power: Power,
    *,
    body_id: uuid.UUID | None = None,
    on_staff: bool | None = None,
    own: bool | None = None,
) -> None:
    """Refuse (PermissionDenied with the power's message) unless allowed(...)."""
    if not allowed(actor, power, body_id=body_id, on_staff=on_staff, own=own):
        raise refusal(power)
