"""Create accounts and authenticate logins; imports argon2-cffi for password hashing."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from registry import access
from registry.access import Power
from registry.accounts.models import LoginThrottle, UserAccount, UserAction, UserCreate
from registry.actor import Actor, Role
from registry.audit.service import record, snapshot
from registry.bodies.service import get_body
from registry.clock import utcnow
from registry.db import get_for_update, insert_if_absent
from registry.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from registry.people.models import Person
from registry.people.service import get_person
from registry.settings import Settings


class UsernameTaken(Conflict):
    """Another account has this username."""

    code = "username_taken"


class AccountAlreadyClaimed(Conflict):
    """The person already has an account: log in with it."""

    code = "account_already_claimed"


class UserNotFound(NotFound):
    """No such account."""

    code = "user_not_found"


@lru_cache(maxsize=4)
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def password_hasher(settings: Settings) -> PasswordHasher:
    """Return the argon2id hasher configured by settings."""
    return _hasher(settings.argon2_time_cost, settings.argon2_memory_kib)


@lru_cache(maxsize=4)
def _dummy_hash(time_cost: int, memory_kib: int) -> str:
    return _hasher(time_cost, memory_kib).hash("not-a-real-password-for-timing")


def create_user(session: Session, *, actor: Actor, data: UserCreate, settings: Settings) -> UserAccount:
    """Create an account: the regulator (or the command line) any; a body's admin another admin of its own body.

    (A body's admin opens its own assessors' logins through assessment.assessors.service.open_card_account.)
    """
    if not access.may(actor, Power.REGULATE):
        if data.role != Role.BODY_ADMIN:
            raise PermissionDenied(
                "评价机构只能开设本机构管理员账号（考评员账号在其证卡处开设）",
                "a body opens only its own admins' accounts here (an assessor's login is opened from their card)",
                extra={"field": "role"},
            )
        access.require(actor, Power.MANAGE_BODY, body_id=data.body_id)
    return add_account(session, actor=actor, data=data, settings=settings)


def add_account(session: Session, *, actor: Actor, data: UserCreate, settings: Settings) -> UserAccount:
    """Check and insert an account whose creation the caller has authorised (create_user, open_card_account)."""
    if data.role == Role.BODY_ADMIN and data.body_id is None:
        raise InvalidInput(
            "评价机构管理员必须指定所属机构 body_id", "a body_admin needs body_id", extra={"field": "body_id"}
        )
    if data.role != Role.BODY_ADMIN and data.body_id is not None:
        raise InvalidInput(
            "只有评价机构管理员账号可以关联机构 body_id",
            f"only body_admin accounts name a body, not {data.role.value}",
            extra={"field": "body_id"},
        )
    if data.role in {Role.WORKER, Role.ASSESSOR, Role.SUPERVISOR} and data.person_id is None:
        raise InvalidInput(
            "持证人、考评员和督导员账号须关联人员 person_id",
            f"a {data.role.value} account needs person_id",
            extra={"field": "person_id"},
        )
    refuse_weak_password(data.username, data.password)
    refuse_taken_username(session, data.username)
    if data.body_id is not None:
        get_body(session, actor=actor, body_id=data.body_id)
    if data.person_id is not None:
        get_person(session, actor=actor, person_id=data.person_id)
    now = utcnow()
    user = UserAccount(
        username=data.username,
        display_name=data.display_name,
        role=data.role,
        body_id=data.body_id,
        person_id=data.person_id,
        password_hash=password_hasher(settings).hash(data.password),
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    session.flush()
    record(
        session,
        actor=actor,
        action=UserAction.CREATED,
        entity_type="user",
        entity_id=user.id,
        body_id=user.body_id,
        after=snapshot(user),
    )
    return user


def refuse_weak_password(username: str, password: str) -> None:
    """The password policy beyond its length (10–128, checked by the models): not the username itself."""
    if password.lower() == username.lower():
        raise InvalidInput(
            "密码不能与用户名相同", "the password may not equal the username", extra={"field": "password"}
        )


def refuse_taken_username(session: Session, username: str) -> None:
    """Refuse a username another account has."""
    if session.exec(select(UserAccount.id).where(UserAccount.username == username)).first():
        raise UsernameTaken(f"用户名 {username} 已被使用", f"username {username} is taken", extra={"field": "username"})


def create_claimed_account(
    session: Session, *, person_id: uuid.UUID, username: str, password: str, settings: Settings
) -> UserAccount:
    """Create the worker account of a person who has just proved to be themselves (certificates.claim only).

    One account per person: a second claim is refused, naming the rule. The person's row is locked first, so two
    claims racing for the same person cannot both pass the check. The audit event holds the username, role and
    person record id — no name, no ID number, nothing typed to prove the claim.
    """
    refuse_weak_password(username, password)
    get_for_update(session, Person, person_id)
    if session.exec(select(UserAccount.id).where(UserAccount.person_id == person_id)).first() is not None:
        raise AccountAlreadyClaimed(
            "此持证人已有账号，请直接登录；忘记密码请联系发证机构或人社部门重置",
            "this holder already has an account: log in with it; if the password is lost, ask the issuing body "
            "or the regulator to reset it",
        )
    refuse_taken_username(session, username)
    now = utcnow()
    user = UserAccount(
        username=username,
        display_name="",
        role=Role.WORKER,
        person_id=person_id,
        password_hash=password_hasher(settings).hash(password),
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    session.flush()
    record(
        session,
        actor=Actor(label=username, role=Role.WORKER, user_id=user.id, person_id=person_id),
        action=UserAction.CLAIMED,
        entity_type="user",
        entity_id=user.id,
        after={"username": username, "role": Role.WORKER.value, "person_id": person_id},
    )
    return user


def get_user(session: Session, user_id: uuid.UUID) -> UserAccount:
    """Return an account by id."""
    user = session.get(UserAccount, user_id)
    if user is None:
        raise UserNotFound("账号不存在", "no such account")
    return user


def body_admins(session: Session, *, actor: Actor, body_id: uuid.UUID) -> Sequence[UserAccount]:
    """The admin accounts of a body (its admins and the regulator)."""
    access.require(actor, Power.MANAGE_BODY, body_id=body_id)
    return session.exec(
        select(UserAccount).where(UserAccount.body_id == body_id).order_by(col(UserAccount.username))
    ).all()


def list_users(session: Session, *, actor: Actor) -> Sequence[UserAccount]:
    """Return every account (regulator only)."""
    access.require(actor, Power.REGULATE)
    return session.exec(select(UserAccount).order_by(col(UserAccount.username))).all()


@dataclass(frozen=True)
class LoginOutcome:
    """The result of a login attempt; failures carry no hint whether the username exists."""

    user: UserAccount | None
    locked: bool = False
    retry_after_seconds: int = 0


def authenticate(session: Session, *, username: str, password: str, settings: Settings) -> LoginOutcome:
    """Check a username and password; count failures per username and lock after too many.

    The caller commits either way, so failure counts persist. Unknown usernames are hashed against a dummy
    and throttled like real ones, so timing and lock-outs reveal nothing about which accounts exist.
    """
    name = username.strip().lower()[:64]
    now = utcnow()
    throttle = _locked_throttle(session, name)
    if throttle is not None and throttle.locked_until is not None and throttle.locked_until > now:
        return LoginOutcome(None, locked=True, retry_after_seconds=_seconds_until(throttle.locked_until, now))
    user = session.exec(select(UserAccount).where(UserAccount.username == name)).first()
    hasher = password_hasher(settings)
    ok = False
    try:
        ok = hasher.verify(
            user.password_hash if user else _dummy_hash(settings.argon2_time_cost, settings.argon2_memory_kib), password
        )
    except (VerificationError, InvalidHashError):
        ok = False
    if ok and user is not None and user.is_active:
        if throttle is not None:
            session.delete(throttle)
        user.last_login_at = now
        if hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hasher.hash(password)
        session.flush()
        return LoginOutcome(user)
    if throttle is None:
        insert_if_absent(session, LoginThrottle, {"username": name, "failures": 0})
        throttle = _locked_throttle(session, name)
        assert throttle is not None
    throttle.failures += 1
    throttle.last_failure_at = now
    if throttle.failures >= settings.login_max_failures:
        throttle.locked_until = now + dt.timedelta(minutes=settings.login_lockout_minutes)
        throttle.failures = 0
        session.flush()
        return LoginOutcome(None, locked=True, retry_after_seconds=settings.login_lockout_minutes * 60)
    session.flush()
    return LoginOutcome(None)


def _locked_throttle(session: Session, name: str) -> LoginThrottle | None:
    statement = (
        select(LoginThrottle)
        .where(LoginThrottle.username == name)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return session.exec(statement).first()


def _seconds_until(moment: dt.datetime, now: dt.datetime) -> int:
    return max(1, int((moment - now).total_seconds()))
