"""Who sees what and who may do what, through the services, for every role (characterisation of the policy).

Written before the inline checks moved into registry.access: each table is what the services answered then, so
the move is proven to change nothing. The HTTP walk over every route is tests/api/test_isolation.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from sqlalchemy.engine import Connection
from sqlmodel import Session

from assessment.batches import service as batches
from assessment.recognition.service import list_recognitions
from certificates import service as certificates
from certificates.models import CertificateStatus
from registry.actor import Actor, Role
from registry.audit.service import list_events
from registry.awards.service import get_award, list_appointments, list_awards
from registry.bodies.models import BodyUpdate, EvaluationBody
from registry.bodies.service import get_body, list_bodies, update_body
from registry.errors import DomainError
from registry.filings.service import get_filing, list_filings
from registry.people.service import get_person, sees_identity
from registry.settings import Settings
from tests.conftest import built_once, sharing_records
from tests.factories import assessor_actor, make_assessor, make_batch, make_body, make_certificate, make_filing

ACTORS = ("regulator", "system", "admin_a", "admin_b", "assessor", "supervisor", "outsider", "holder", "anonymous")


@dataclass
class World:
    body_a: EvaluationBody
    body_b: EvaluationBody
    certificate: Any
    batch: Any
    actors: dict[str, Actor]


# The records every table reads are built once for the module, in a transaction each test sees and none keeps.


_settings, _session = sharing_records()  # this module's settings and session fixtures


@pytest.fixture(scope="module")
def world(shared_connection: Connection, settings: Settings) -> World:
    return built_once(shared_connection, lambda s: _world(s, settings))


def _world(session: Session, settings: Settings) -> World:
    certificate = make_certificate(session, settings)
    body_a = session.get(EvaluationBody, certificate.body_id)
    assert body_a is not None
    body_b = make_body(session)
    make_filing(session, settings, body=body_b)
    batch = make_batch(session, settings, body=body_a)
    actors = {
        "regulator": Actor(label="reg", role=Role.REGULATOR, user_id=uuid.uuid4()),
        "system": Actor.system("tests"),
        "admin_a": Actor(label="a", role=Role.BODY_ADMIN, user_id=uuid.uuid4(), body_id=body_a.id),
        "admin_b": Actor(label="b", role=Role.BODY_ADMIN, user_id=uuid.uuid4(), body_id=body_b.id),
        "assessor": assessor_actor(batch.assessors[0]),
        "supervisor": assessor_actor(batch.supervisor),
        "outsider": assessor_actor(make_assessor(session, settings)),
        "holder": Actor(label="w", role=Role.WORKER, user_id=uuid.uuid4(), person_id=certificate.person_id),
        "anonymous": Actor.anonymous(),
    }
    return World(body_a, body_b, certificate, batch, actors)


def outcome(call: Callable[[], Any], wanted: Any = None) -> str:
    """'ok' / 'in' / 'out' (for lists: whether wanted is among the ids) or the refusal's error code."""
    try:
        result = call()
    except DomainError as error:
        return error.code
    if wanted is None:
        return "ok"
    ids: Iterable[Any] = (getattr(r, "seq", None) or getattr(r, "id", r) for r in result)
    return "in" if wanted in set(ids) else "out"


def table(world: World, call: Callable[[Actor], Any], wanted: Any = None) -> dict[str, str]:
    return {name: outcome(partial(call, world.actors[name]), wanted) for name in ACTORS}


def expect(**answers: str) -> dict[str, str]:
    return {name: answers[name] for name in ACTORS}


def undone(session: Session, action: Callable[[Actor], object]) -> Callable[[Actor], None]:
    """The action in a savepoint rolled back after it, so every actor of the table meets the same records."""

    def attempt(actor: Actor) -> None:
        with session.begin_nested() as nested:
            action(actor)
            nested.rollback()

    return attempt


class TestRecordsAndLists:
    def test_a_batch(self, session: Session, world: World) -> None:
        exam = world.batch.exam
        assert table(world, lambda a: batches.get_batch(session, actor=a, batch_id=exam.id)) == expect(
            regulator="ok",
            system="ok",
            admin_a="ok",
            admin_b="session_not_found",
            assessor="ok",
            supervisor="ok",
            outsider="session_not_found",
            holder="session_not_found",
            anonymous="session_not_found",
        )
        assert table(world, lambda a: batches.list_batches(session, actor=a), exam.id) == expect(
            regulator="in",
            system="in",
            admin_a="in",
            admin_b="out",
            assessor="in",
            supervisor="in",
            outsider="out",
            holder="permission_denied",
            anonymous="permission_denied",
        )

    def test_a_certificate(self, session: Session, world: World) -> None:
        number = world.certificate.number
        assert table(world, lambda a: certificates.get_certificate(session, actor=a, number=number)) == expect(
            regulator="ok",
            system="ok",
            admin_a="ok",
            admin_b="certificate_not_found",
            assessor="certificate_not_found",
            supervisor="certificate_not_found",
            outsider="certificate_not_found",
            holder="ok",
            anonymous="certificate_not_found",
        )
        listed = table(world, lambda a: certificates.list_certificates(session, actor=a), world.certificate.id)
        assert listed == expect(
            regulator="in",
            system="in",
            admin_a="in",
            admin_b="out",
            assessor="out",
            supervisor="out",
            outsider="out",
            holder="in",
            anonymous="out",
        )

    def test_an_award_and_appointments(self, session: Session, world: World) -> None:
        award_id = world.certificate.award_id
        assert table(world, lambda a: get_award(session, actor=a, award_id=award_id)) == expect(
            regulator="ok",
            system="ok",
            admin_a="ok",
            admin_b="award_not_found",
            assessor="award_not_found",
            supervisor="award_not_found",
            outsider="award_not_found",
            holder="ok",
            anonymous="award_not_found",
        )
        assert table(world, lambda a: list_awards(session, actor=a), award_id) == expect(
            regulator="in",
            system="in",
            admin_a="in",
            admin_b="out",
            assessor="out",
            supervisor="out",
            outsider="out",
            holder="in",
            anonymous="out",
        )
        everyone = expect(**dict.fromkeys(ACTORS, "ok"))
        assert table(world, lambda a: list_appointments(session, actor=a)) == everyone

    def test_a_filing_and_a_body(self, session: Session, world: World) -> None:
        filing = list_filings(session, actor=world.actors["system"], body_id=world.body_a.id)[0]
        assert table(world, lambda a: get_filing(session, actor=a, filing_id=filing.id)) == expect(
            regulator="ok",
            system="ok",
            admin_a="ok",
            admin_b="filing_not_found",
            assessor="filing_not_found",
            supervisor="filing_not_found",
            outsider="filing_not_found",
            holder="filing_not_found",
            anonymous="filing_not_found",
        )
        refused = dict.fromkeys(("assessor", "supervisor", "outsider", "holder", "anonymous"), "permission_denied")
        assert table(world, lambda a: list_filings(session, actor=a), filing.id) == expect(
            regulator="in", system="in", admin_a="in", admin_b="out", **refused
        )
        other = world.body_b.id
        assert table(world, lambda a: list_filings(session, actor=a, body_id=other), filing.id) == expect(
            regulator="out", system="out", admin_a="permission_denied", admin_b="out", **refused
        )
        assert table(world, lambda a: get_body(session, actor=a, body_id=world.body_a.id)) == expect(
            regulator="ok",
            system="ok",
            admin_a="ok",
            admin_b="body_not_found",
            assessor="body_not_found",
            supervisor="body_not_found",
            outsider="body_not_found",
            holder="body_not_found",
            anonymous="body_not_found",
        )
        assert table(world, lambda a: list_bodies(session, actor=a), world.body_a.id) == expect(
            regulator="in",
            system="in",
            admin_a="permission_denied",
            admin_b="permission_denied",
            **dict.fromkeys(("assessor", "supervisor", "outsider", "holder", "anonymous"), "permission_denied"),
        )

    def test_recognitions_and_the_audit_log(self, session: Session, world: World) -> None:
        assert table(world, lambda a: list_recognitions(session, actor=a)) == expect(
            regulator="ok",
            system="ok",
            admin_a="ok",
            admin_b="ok",
            **dict.fromkeys(("assessor", "supervisor", "outsider", "holder", "anonymous"), "permission_denied"),
        )
        created = [e.seq for e in list_events(session, actor=world.actors["system"], body_id=world.body_a.id)]
        assert table(world, lambda a: list_events(session, actor=a, body_id=world.body_a.id), created[0]) == expect(
            regulator="in",
            system="in",
            admin_a="in",
            admin_b="out",
            **dict.fromkeys(("assessor", "supervisor", "outsider", "holder", "anonymous"), "out"),
        )

    def test_a_person_and_their_identity(self, session: Session, world: World) -> None:
        person_id = world.certificate.person_id
        assert table(world, lambda a: get_person(session, actor=a, person_id=person_id)) == expect(
            regulator="ok",
            system="ok",
            admin_a="ok",
            admin_b="person_not_found",
            assessor="person_not_found",
            supervisor="person_not_found",
            outsider="person_not_found",
            holder="ok",
            anonymous="person_not_found",
        )
        person = get_person(session, actor=world.actors["system"], person_id=person_id)
        seen = {name: sees_identity(session, actor=world.actors[name], person=person) for name in ACTORS}
        assert seen == {name: name in {"regulator", "system", "admin_a", "holder"} for name in ACTORS}


class TestActions:
    def test_changing_a_certificate_status(self, session: Session, world: World) -> None:
        number = world.certificate.number
        suspend = undone(
            session,
            lambda a: certificates.set_status(
                session, actor=a, number=number, target=CertificateStatus.SUSPENDED, note="核查"
            ),
        )
        assert table(world, suspend) == expect(
            regulator="ok",
            system="ok",
            admin_a="ok",
            admin_b="certificate_not_found",
            assessor="certificate_not_found",
            supervisor="certificate_not_found",
            outsider="certificate_not_found",
            holder="permission_denied",
            anonymous="certificate_not_found",
        )

    def test_opening_a_batch_and_recording_scores(self, session: Session, world: World) -> None:
        exam = world.batch.exam
        cancel = undone(session, lambda a: batches.cancel_batch(session, actor=a, batch_id=exam.id, reason="场地"))
        assert table(world, cancel) == expect(
            regulator="ok",
            system="ok",
            admin_a="ok",
            admin_b="session_not_found",
            assessor="permission_denied",
            supervisor="permission_denied",
            outsider="session_not_found",
            holder="session_not_found",
            anonymous="session_not_found",
        )

    def test_editing_a_body(self, session: Session, world: World) -> None:
        rename = undone(
            session,
            lambda a: update_body(session, actor=a, body_id=world.body_a.id, data=BodyUpdate(name="改名后的机构")),
        )
        assert table(world, rename) == expect(
            regulator="ok",
            system="ok",
            admin_a="permission_denied",
            admin_b="body_not_found",
            **dict.fromkeys(("assessor", "supervisor", "outsider", "holder", "anonymous"), "body_not_found"),
        )


class TestOnePlace:
    def test_every_role_has_a_reach(self) -> None:
        from registry import access

        assert set(access.ROLE_REACH) == set(Role)

    def test_adding_a_role_is_one_entry_in_each_table(self) -> None:
        from registry import access

        assert set(access.ROLE_POWERS) == set(Role)
        for role in Role:
            access.powers(Actor(label="x", role=role))  # every role answers without a KeyError

    def test_nobody_scores_or_attests_a_batch_they_do_not_staff(self) -> None:
        from registry import access

        for actor in (Actor.system("tests"), Actor(label="r", role=Role.REGULATOR)):
            assert not access.allowed(actor, access.Power.SCORE, on_staff=False)
            assert not access.allowed(actor, access.Power.ATTEST, on_staff=False)

    def test_an_admin_tied_to_a_person_lists_their_own_certificate_from_another_body(
        self, session: Session, world: World
    ) -> None:
        admin = Actor(label="b", role=Role.BODY_ADMIN, body_id=world.body_b.id, person_id=world.certificate.person_id)
        listed = certificates.list_certificates(session, actor=admin)
        assert world.certificate.id in {c.id for c in listed}
        assert certificates.get_certificate(session, actor=admin, number=world.certificate.number).id == (
            world.certificate.id
        )
