"""Accounts: who may create them, how passwords are kept, how logins are checked and throttled."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from registry.accounts.models import LoginThrottle, UserCreate
from registry.accounts.service import UsernameTaken, authenticate, create_user
from registry.actor import Actor, Role
from registry.audit.models import AuditEvent
from registry.errors import InvalidInput, PermissionDenied
from registry.settings import Settings
from tests.factories import PASSWORD, make_body, make_person, make_user


class TestCreateUser:
    def test_password_is_stored_as_argon2id(self, session: Session, settings: Settings) -> None:
        user = make_user(session, settings)
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash

    def test_creation_is_audited_without_the_hash(self, session: Session, settings: Settings) -> None:
        user = make_user(session, settings)
        event = session.exec(select(AuditEvent).where(AuditEvent.entity_id == str(user.id))).one()
        assert event.action == "user.created"
        assert event.after is not None
        assert "password_hash" not in event.after

    def test_a_body_admin_opens_only_admin_accounts_of_its_own_body(self, session: Session, settings: Settings) -> None:
        body, other = make_body(session), make_body(session)
        admin = Actor(label="a", role=Role.BODY_ADMIN, body_id=body.id)
        colleague = create_user(
            session,
            actor=admin,
            settings=settings,
            data=UserCreate(username="colleague", role=Role.BODY_ADMIN, body_id=body.id, password=PASSWORD),
        )
        assert colleague.body_id == body.id
        refused = [
            UserCreate(username="intruder", role=Role.BODY_ADMIN, body_id=other.id, password=PASSWORD),
            UserCreate(username="boss", role=Role.REGULATOR, password=PASSWORD),
            UserCreate(
                username="worker", role=Role.WORKER, person_id=make_person(session, settings).id, password=PASSWORD
            ),
        ]
        for data in refused:
            with pytest.raises(PermissionDenied):
                create_user(session, actor=admin, data=data, settings=settings)
        worker = Actor(label="w", role=Role.WORKER)
        with pytest.raises(PermissionDenied):
            create_user(session, actor=worker, data=refused[0], settings=settings)

    def test_body_admin_needs_a_body(self, session: Session, settings: Settings) -> None:
        with pytest.raises(InvalidInput, match="body_id"):
            make_user(session, settings, role=Role.BODY_ADMIN)

    def test_usernames_are_unique(self, session: Session, settings: Settings) -> None:
        make_user(session, settings, username="duplicate")
        with pytest.raises(UsernameTaken):
            make_user(session, settings, username="duplicate")

    def test_password_may_not_equal_username(self, session: Session, settings: Settings) -> None:
        with pytest.raises(InvalidInput, match="password"):
            make_user(session, settings, username="samesame1234", password="samesame1234")


class TestAuthenticate:
    def test_right_password_logs_in(self, session: Session, settings: Settings) -> None:
        user = make_user(session, settings)
        outcome = authenticate(session, username=user.username.upper(), password=PASSWORD, settings=settings)
        assert outcome.user is not None
        assert outcome.user.id == user.id

    def test_wrong_password_fails(self, session: Session, settings: Settings) -> None:
        user = make_user(session, settings)
        assert authenticate(session, username=user.username, password="wrong", settings=settings).user is None

    def test_unknown_user_is_throttled_like_a_known_one(self, session: Session, settings: Settings) -> None:
        authenticate(session, username="nobody-here", password="x", settings=settings)
        throttle = session.get(LoginThrottle, "nobody-here")
        assert throttle is not None
        assert throttle.failures == 1

    def test_repeated_failures_lock_the_name_even_for_the_right_password(
        self, session: Session, settings: Settings
    ) -> None:
        user = make_user(session, settings)
        outcomes = [
            authenticate(session, username=user.username, password="wrong", settings=settings)
            for _ in range(settings.login_max_failures)
        ]
        assert outcomes[-1].locked
        locked = authenticate(session, username=user.username, password=PASSWORD, settings=settings)
        assert locked.user is None
        assert locked.locked
        assert locked.retry_after_seconds > 0

    def test_lock_expires(self, session: Session, settings: Settings) -> None:
        user = make_user(session, settings)
        for _ in range(settings.login_max_failures):
            authenticate(session, username=user.username, password="wrong", settings=settings)
        throttle = session.get(LoginThrottle, user.username)
        assert throttle is not None
        assert throttle.locked_until is not None
        throttle.locked_until -= dt.timedelta(hours=1)
        assert authenticate(session, username=user.username, password=PASSWORD, settings=settings).user is not None

    def test_success_clears_the_failure_count(self, session: Session, settings: Settings) -> None:
        user = make_user(session, settings)
        authenticate(session, username=user.username, password="wrong", settings=settings)
        authenticate(session, username=user.username, password=PASSWORD, settings=settings)
        assert session.get(LoginThrottle, user.username) is None

    def test_disabled_accounts_cannot_log_in(self, session: Session, settings: Settings) -> None:
        user = make_user(session, settings)
        user.is_active = False
        assert authenticate(session, username=user.username, password=PASSWORD, settings=settings).user is None


class TestBodyAccess:
    def test_only_body_admins_name_a_body(self, session: Session, settings: Settings) -> None:
        body = make_body(session)
        with pytest.raises(InvalidInput, match="body_admin"):
            make_user(session, settings, role=Role.REGULATOR, body=body)

    def test_a_worker_with_a_body_id_does_not_see_the_body(self) -> None:
        import uuid

        body_id = uuid.uuid4()
        assert not Actor(label="w", role=Role.WORKER, body_id=body_id).sees_body(body_id)
        assert Actor(label="a", role=Role.BODY_ADMIN, body_id=body_id).sees_body(body_id)
