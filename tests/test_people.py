"""People: ID numbers encrypted at rest, found by keyed hash, shown in full only to those entitled."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from registry.actor import Actor, Role
from registry.audit.models import AuditEvent
from registry.people.models import IdType, Person, PersonCreate
from registry.people.service import InvalidIdNumber, find_person, get_person, person_view, register_person
from registry.settings import Settings
from tests.factories import SYSTEM, make_body, make_person, valid_id


class TestRegister:
    def test_id_number_is_not_stored_in_clear(self, session: Session, settings: Settings) -> None:
        number = valid_id()
        person = make_person(session, settings, id_number=number)
        table = Person.__table__  # type: ignore[attr-defined]
        row = session.execute(sa.select(table).where(table.c.id == person.id)).mappings().one()
        assert all(number not in str(value) for value in row.values())
        assert person.id_masked == number[:4] + "*" * 10 + number[-4:]

    def test_same_identity_is_one_person(self, session: Session, settings: Settings) -> None:
        number = valid_id()
        first = make_person(session, settings, id_number=number, name="李四")
        again, created = register_person(
            session, actor=SYSTEM, data=PersonCreate(name="李四", id_number=number.lower()), settings=settings
        )
        assert (again.id, created) == (first.id, False)
        assert find_person(session, settings=settings, id_type=IdType.RESIDENT_ID, id_number=number) == first

    def test_same_identity_under_another_name_is_refused(self, session: Session, settings: Settings) -> None:
        number = valid_id()
        make_person(session, settings, id_number=number, name="李四")
        with pytest.raises(Exception, match="different name"):
            register_person(session, actor=SYSTEM, data=PersonCreate(name="张三", id_number=number), settings=settings)

    def test_invalid_resident_id_is_refused(self, session: Session, settings: Settings) -> None:
        good = valid_id()
        bad = good[:-1] + ("0" if good[-1] != "0" else "1")
        with pytest.raises(InvalidIdNumber) as refused:
            make_person(session, settings, id_number=bad)
        assert refused.value.extra["field"] == "id_number"

    def test_birth_date_is_read_from_the_id(self, session: Session, settings: Settings) -> None:
        person = make_person(session, settings, id_number=valid_id(birth=dt.date(1991, 7, 9)))
        assert person.birth_on == dt.date(1991, 7, 9)

    def test_audit_never_holds_the_number(self, session: Session, settings: Settings) -> None:
        number = valid_id()
        person = make_person(session, settings, id_number=number)
        events = session.exec(select(AuditEvent).where(AuditEvent.entity_id == str(person.id))).all()
        assert events
        assert all(number not in str(e.after) for e in events)


class TestWhoSeesWhat:
    def test_employer_sees_the_full_number_others_do_not(self, session: Session, settings: Settings) -> None:
        employer, other = make_body(session), make_body(session)
        number = valid_id()
        person = make_person(session, settings, employer=employer, id_number=number, name="赵小红")
        mine = Actor(label="m", role=Role.BODY_ADMIN, body_id=employer.id)
        theirs = Actor(label="t", role=Role.BODY_ADMIN, body_id=other.id)
        assert person_view(session, actor=mine, person=person, settings=settings).id_number == number
        with pytest.raises(Exception, match="no such person"):
            get_person(session, actor=theirs, person_id=person.id)

    def test_masked_view_hides_number_name_and_birth(self, session: Session, settings: Settings) -> None:
        person = make_person(session, settings, name="赵小红")
        stranger = Actor(label="s", role=Role.BODY_ADMIN, body_id=make_body(session).id)
        view = person_view(session, actor=stranger, person=person, settings=settings)
        assert (view.id_number, view.name, view.birth_on) == (None, "赵*红", None)

    def test_the_worker_sees_their_own_number(self, session: Session, settings: Settings) -> None:
        number = valid_id()
        person = make_person(session, settings, id_number=number)
        worker = Actor(label="w", role=Role.WORKER, person_id=person.id)
        assert person_view(session, actor=worker, person=person, settings=settings).id_number == number
