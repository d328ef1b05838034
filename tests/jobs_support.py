"""Shared set-up for the job and fault tests: a body with an approved filing, its admin, awards to issue."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from certificates.models import Certificate
from registry.accounts.models import UserAccount
from registry.actor import Role
from registry.awards.models import AwardBasis
from registry.awards.service import create_award
from registry.bodies.models import EvaluationBody
from registry.clock import today
from registry.db import session_scope
from registry.grades import GradeCode
from registry.settings import Settings
from tests.conftest import TEST_SECRET
from tests.factories import SYSTEM, ensure_signing_key, make_body, make_filing, make_person, make_user


@dataclass
class Issuable:
    body: EvaluationBody
    admin: UserAccount
    award_ids: list[uuid.UUID]


def job_settings(url: str, tmp: Path, **overrides: object) -> Settings:
    """Settings for job tests against a committed database (the committed_url fixture's environment)."""
    return Settings(
        env="development",
        database_url=url,
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        key_dir=tmp / "keys",
        job_dir=tmp / "jobs",
        public_url="https://registry.test",
        argon2_time_cost=1,
        argon2_memory_kib=64,
        **overrides,  # type: ignore[arg-type]
    )


def make_issuable(engine: Engine, settings: Settings, awards: int) -> Issuable:
    """Commit a body with an approved filing, its admin and `awards` active awards without certificates."""
    ensure_signing_key(settings)
    with session_scope(engine) as s:
        body = make_body(s)
        make_filing(
            s, settings, body=body, starts_on=today() - dt.timedelta(days=365), ends_on=today() + dt.timedelta(days=900)
        )
        admin = make_user(s, settings, role=Role.BODY_ADMIN, body=body)
        ids = []
        for _ in range(awards):
            person = make_person(s, settings, employer=body)
            award = create_award(
                s,
                actor=SYSTEM,
                person_id=person.id,
                body_id=body.id,
                occupation_code="6-18-02-04",
                grade=GradeCode.SENIOR,
                basis=AwardBasis.EXAM,
                basis_ref=None,
                awarded_on=today(),
            )
            ids.append(award.id)
    return Issuable(body, admin, ids)


def serials(engine: Engine, body_id: uuid.UUID) -> list[int]:
    """The serial part (last six digits) of every certificate number of a body, sorted."""
    with engine.connect() as conn:
        numbers = conn.execute(sa.select(Certificate.number).where(Certificate.body_id == body_id)).scalars().all()
    return sorted(int(n[-6:]) for n in numbers)


def wait_for(predicate: Callable[[], bool], *, timeout: float = 60, what: str = "condition") -> None:
    """Poll until predicate() holds; fail naming what was awaited."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)
