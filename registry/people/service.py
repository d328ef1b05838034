"""Register people (de-duplicated by keyed hash), record employment, decide who sees the ID number."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Sequence

from sqlmodel import Session, col, select

from registry import access, pii
from registry.access import Power
from registry.actor import Actor
from registry.audit.service import record, snapshot
from registry.bodies.models import EvaluationBody
from registry.bodies.service import normalise_uscc
from registry.clock import today, utcnow
from registry.errors import InvalidInput, NotFound
from registry.people.models import (
    Employment,
    EmploymentIn,
    EmploymentPublic,
    IdType,
    Person,
    PersonAction,
    PersonBodyLink,
    PersonCreate,
    PersonPublic,
)
from registry.settings import Settings
from registry.text import normalise
from registry.validators import check_resident_id, mask_id, mask_name, resident_id_birth_date

OTHER_ID_PATTERN = re.compile(r"^[A-Z0-9]{5,20}$")


class PersonNotFound(NotFound):
    """No such person, or not one the actor may see."""

    code = "person_not_found"


class InvalidIdNumber(InvalidInput):
    """The identity number fails its check."""

    code = "invalid_id_number"


def normalise_id(id_type: IdType, id_number: str, *, field: str = "id_number") -> str:
    """Upper-case and check an identity number (GB 11643 for 居民身份证), or refuse naming the field."""
    # NFKC first: digits and letters typed full-width (１２３Ｘ, a Chinese keyboard's default) are the same number,
    # so they reach the same look-up hash instead of registering the person a second time.
    value = re.sub(r"\s+", "", unicodedata.normalize("NFKC", id_number)).upper()
    if id_type == IdType.RESIDENT_ID:
        problem = check_resident_id(value, today=today())
        if problem is not None:
            raise InvalidIdNumber(f"{field}：{problem.zh}", f"{field}: {problem.en}", extra={"field": field})
        return value
    if not OTHER_ID_PATTERN.match(value):
        raise InvalidIdNumber(
            f"{field}：证件号码应为5-20位字母或数字", f"{field}: 5-20 letters or digits", extra={"field": field}
        )
    return value


def find_person(session: Session, *, settings: Settings, id_type: IdType, id_number: str) -> Person | None:
    """Return the person with this identity, if registered (by keyed hash; the number is never queried)."""
    digest = pii.lookup_hash(settings, id_type.value, normalise_id(id_type, id_number))
    return session.exec(select(Person).where(Person.id_type == id_type, Person.id_number_hmac == digest)).first()


def link_person(session: Session, *, person_id: uuid.UUID, body_id: uuid.UUID, reason: str) -> None:
    """Record that a body deals with a person (idempotent); such bodies see the person unmasked."""
    exists = session.exec(
        select(PersonBodyLink.id).where(PersonBodyLink.person_id == person_id, PersonBodyLink.body_id == body_id)
    ).first()
    if exists is None:
        session.add(PersonBodyLink(person_id=person_id, body_id=body_id, reason=reason, created_at=utcnow()))
        session.flush()


def is_linked(session: Session, *, person_id: uuid.UUID, body_id: uuid.UUID | None) -> bool:
    """Whether body_id has a link to the person."""
    if body_id is None:
        return False
    return (
        session.exec(
            select(PersonBodyLink.id).where(PersonBodyLink.person_id == person_id, PersonBodyLink.body_id == body_id)
        ).first()
        is not None
    )


def sees_identity(session: Session, *, actor: Actor, person: Person) -> bool:
    """Whether the actor may see the person's full ID number: the regulator, their bodies, themselves."""
    return access.sees(session, actor, person)


def register_person(session: Session, *, actor: Actor, data: PersonCreate, settings: Settings) -> tuple[Person, bool]:
    """Register a person, or return the one already registered with this identity; link the actor's body."""
    access.require(actor, Power.KEEP_RECORDS)
    number = normalise_id(data.id_type, data.id_number)
    existing = find_person(session, settings=settings, id_type=data.id_type, id_number=number)
    created = existing is None
    if existing is None:
        person = Person(
            name=data.name,
            id_type=data.id_type,
            id_number_enc=pii.encrypt(settings, number, context=data.id_type.value),
            id_number_hmac=pii.lookup_hash(settings, data.id_type.value, number),
            id_masked=mask_id(data.id_type.value, number),
            birth_on=resident_id_birth_date(number) if data.id_type == IdType.RESIDENT_ID else None,
            created_by_body_id=actor.body_id,
            created_at=utcnow(),
        )
        session.add(person)
        session.flush()
        record(
            session,
            actor=actor,
            action=PersonAction.CREATED,
            entity_type="person",
            entity_id=person.id,
            body_id=actor.body_id,
            # No ID-derived data on the permanent record (the regulator opens the person for the number): the
            # staff mask plus a birth date left ~9 candidates for the whole number.
            after=snapshot(person, fields=("name", "id_type")),
        )
    else:
        person = existing
        # Compared in normal form, never rewritten: a record registered before names were normalised keeps
        # its stored name; a name that differs only in Unicode composition is the same name.
        if normalise(person.name) != data.name:
            raise InvalidInput(
                "该证件号码已登记，但姓名不一致",
                "this identity is registered under a different name",
                extra={"field": "name"},
            )
    if actor.body_id is not None:
        link_person(session, person_id=person.id, body_id=actor.body_id, reason="registered")
    if data.employment is not None:
        add_employment(session, actor=actor, person_id=person.id, data=data.employment)
    return person, created


def get_person(session: Session, *, actor: Actor, person_id: uuid.UUID) -> Person:
    """Return a person the actor may see (regulator, linked bodies, the person themself)."""
    person = session.get(Person, person_id)
    if person is None or not access.sees(session, actor, person):
        raise PersonNotFound("人员不存在", "no such person", extra={"person_id": str(person_id)})
    return person


def add_employment(session: Session, *, actor: Actor, person_id: uuid.UUID, data: EmploymentIn) -> Employment:
    """Record who employs a person; a registered employer body is linked and may then see them."""
    get_person(session, actor=actor, person_id=person_id)
    uscc = normalise_uscc(data.employer_uscc, field="employer_uscc")
    if data.ends_on is not None and data.ends_on < data.starts_on:
        raise InvalidInput("雇佣结束日期早于开始日期", "employment ends before it starts", extra={"field": "ends_on"})
    employer = session.exec(select(EvaluationBody).where(EvaluationBody.uscc == uscc)).first()
    employment = Employment(
        person_id=person_id,
        employer_uscc=uscc,
        employer_name=data.employer_name,
        employer_body_id=employer.id if employer else None,
        dispatched=data.dispatched,
        agency_name=data.agency_name,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        created_at=utcnow(),
    )
    session.add(employment)
    session.flush()
    if employer is not None:
        link_person(session, person_id=person_id, body_id=employer.id, reason="employer")
    record(
        session,
        actor=actor,
        action=PersonAction.EMPLOYMENT_ADDED,
        entity_type="person",
        entity_id=person_id,
        body_id=actor.body_id,
        after=snapshot(employment),
    )
    return employment


def employments(session: Session, person_id: uuid.UUID) -> Sequence[Employment]:
    """Return a person's employments, newest first."""
    return session.exec(
        select(Employment).where(Employment.person_id == person_id).order_by(col(Employment.starts_on).desc())
    ).all()


def person_view(session: Session, *, actor: Actor, person: Person, settings: Settings) -> PersonPublic:
    """Present a person, with the full ID number only to those who may see it."""
    full = sees_identity(session, actor=actor, person=person)
    return PersonPublic(
        id=person.id,
        name=person.name if full else mask_name(person.name),
        name_masked=mask_name(person.name),
        id_type=person.id_type,
        id_number=pii.decrypt(settings, person.id_number_enc, context=person.id_type.value) if full else None,
        id_masked=person.id_masked,
        birth_on=person.birth_on if full else None,
        employments=[EmploymentPublic.model_validate(e, from_attributes=True) for e in employments(session, person.id)]
        if full
        else [],
    )
