"""Schema-driven fuzz run (schemathesis) over every operation of the OpenAPI document, on this suite's database.

Every generated case — valid and deliberately invalid data, NUL bytes, huge numbers, nulls, odd strings — is
sent anonymously, as the regulator and as a body admin, against a committed world with real records (a body with
filings, a batch with a candidate, a recognition, a certificate, a pending legacy award); path ids are those
records' ids three times in four. Each operation's cases run in one rolled-back transaction. The bar: no server
error, and every status, content type and body is one the OpenAPI document describes.

REGISTRY_FUZZ_EXAMPLES (default 12) bounds the generated cases per operation and generation mode; the boundary
cases of schemathesis' coverage phase come on top. The counts are printed at the end of the module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.engine import Engine

from api.app import create_app
from api.security import create_access_token
from assessment.batches.models import EnrolIn
from assessment.batches.service import enrol
from assessment.recognition.models import Evidence, Path, RecognitionIn, Trigger
from assessment.recognition.service import apply_for_recognition
from certificates.sharing import ShareLinkIn, create_link
from registry.actor import Actor, Role
from registry.awards.legacy import record_legacy_award
from registry.bodies.models import BodyKind
from registry.clock import today
from registry.db import session_scope
from registry.grades import GradeCode
from registry.settings import Settings
from tests.conftest import TEST_SECRET, ClientFactory, wipe_data
from tests.factories import (
    SYSTEM,
    ensure_signing_key,
    legacy_data,
    make_batch,
    make_body,
    make_certificate,
    make_filing,
    make_person,
    make_user,
    scope_line,
)

EXAMPLES = int(os.environ.get("REGISTRY_FUZZ_EXAMPLES", "12"))
SEED = int(os.environ.get("REGISTRY_FUZZ_SEED", "20261121"))
CALLERS = ("anonymous", "regulator", "body_admin")
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": EXAMPLES, "database": "none"},
        "phases": {"stateful": {"enabled": False}},
    }
)
# The document of the app under test (built without a database: only its OpenAPI matters here).
schema = schemathesis.openapi.from_dict(create_app(Settings(database_url="sqlite://")).openapi(), config=CONFIG)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
COUNTS: Counter[str] = Counter()
OPERATIONS: set[str] = set()
STATUSES: set[int] = set()


@dataclass
class FuzzWorld:
    """Ids of committed records for path parameters, and a bearer header per caller."""

    ids: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def fuzz_settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Test settings with the public limits lifted, so cases reach the code behind them."""
    return Settings(
        env="development",
        database_url=database_url,
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        key_dir=tmp_path_factory.mktemp("fuzz-keys"),
        public_url="https://registry.test",
        argon2_time_cost=1,
        argon2_memory_kib=64,
        lookup_rate_per_minute=1_000_000,
        holder_checks_per_day=1000,
        publicity_days=0,
    )


@pytest.fixture(scope="module")
def fuzz_world(engine: Engine, database_url: str, fuzz_settings: Settings) -> Iterator[FuzzWorld]:
    """A committed world to aim at (wiped when the module ends)."""
    s = fuzz_settings
    world = FuzzWorld()
    with session_scope(engine) as session:
        ensure_signing_key(s)
        regulator = make_user(session, s, role=Role.REGULATOR)
        body = make_body(session, kind=BodyKind.CHAIN_BODY, is_large=True)
        admin = make_user(session, s, role=Role.BODY_ADMIN, body=body)
        window = {"starts_on": today() - dt.timedelta(days=30), "ends_on": today() + dt.timedelta(days=900)}
        filing = make_filing(session, s, body=body, lines=[scope_line(direct_recognition=True)], **window)
        draft = make_filing(session, s, body=body, submit=False)
        batch = make_batch(session, s, body=body, grade=GradeCode.JUNIOR, assessors=2, exam_on=today())
        person = make_person(session, s, employer=body)
        candidate = enrol(session, actor=SYSTEM, batch_id=batch.exam.id, data=EnrolIn(person_id=person.id), settings=s)
        recognition = apply_for_recognition(
            session,
            actor=SYSTEM,
            settings=s,
            data=RecognitionIn(
                body_id=body.id,
                person_id=person.id,
                occupation_code="6-18-02-04",
                target_grade=GradeCode.JUNIOR,
                path=Path.DR_E,
                triggers=[Trigger.T6],
                evidence=[Evidence(kind="业绩材料", ref="材料-1")],
            ),
        )
        certificate = make_certificate(session, s, body=body, grade=GradeCode.SENIOR)
        link, share_code, _ = create_link(
            session, actor=SYSTEM, number=certificate.number, data=ShareLinkIn(purpose="应聘", days=30), settings=s
        )
        admin_actor = Actor(label="fuzz-admin", role=Role.BODY_ADMIN, user_id=admin.id, body_id=body.id)
        pending, _ = record_legacy_award(session, actor=admin_actor, data=legacy_data(person, grade=GradeCode.JUNIOR))
        world.ids = {
            "body_id": [str(body.id)],
            "filing_id": [str(filing.id), str(draft.id)],
            "session_id": [str(batch.exam.id)],
            "candidate_id": [str(candidate.id)],
            "person_id": [str(person.id)],
            "assessor_id": [str(batch.assessors[0].id), str(batch.supervisor.id)],
            "recognition_id": [str(recognition.id)],
            "award_id": [str(certificate.award_id), str(pending.id)],
            "number": [certificate.number],
            "token": [certificate.token],
            "code": ["6-18-02-04", "44", share_code],
            "link_id": [str(link.id)],
            "list_number": ["1"],
        }
        world.headers = {
            "anonymous": {},
            "regulator": {"Authorization": f"Bearer {create_access_token(regulator, s)[0]}"},
            "body_admin": {"Authorization": f"Bearer {create_access_token(admin, s)[0]}"},
        }
    yield world
    wipe_data(database_url)


@pytest.fixture
def fuzz_app(client_for: ClientFactory, fuzz_settings: Settings, fuzz_world: FuzzWorld) -> Any:
    """The app of one operation's run: its requests share one transaction, rolled back afterwards."""
    return client_for(fuzz_settings).app


def summary() -> str:
    """The run's counts, printed at the end of the session (tests/conftest.py)."""
    statuses = ", ".join(f"{code}: {COUNTS[f'status {code}']}" for code in sorted(STATUSES))
    return (
        f"fuzz run: {len(OPERATIONS)} operations, {COUNTS['cases']} cases, {COUNTS['requests']} requests "
        f"({', '.join(CALLERS)}), {COUNTS['failures']} failures; {EXAMPLES} examples per operation and mode; "
        f"statuses {statuses}"
    )


def _aim(case: Any, world: FuzzWorld) -> None:
    """Point path parameters at real records three times in four (chosen from the generated value)."""
    for name, value in list((case.path_parameters or {}).items()):
        known = world.ids.get(name)
        digest = hashlib.sha256(repr(value).encode()).digest()
        if known and digest[0] % 4:
            case.path_parameters[name] = known[digest[1] % len(known)]


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow], deadline=None)
def test_every_operation_answers_as_documented(case: Any, fuzz_app: Any, fuzz_world: FuzzWorld) -> None:
    _aim(case, fuzz_world)
    OPERATIONS.add(case.operation.label)
    COUNTS["cases"] += 1
    for caller in CALLERS:
        COUNTS["requests"] += 1
        try:
            response = case.call(app=fuzz_app, headers=fuzz_world.headers[caller])
            STATUSES.add(response.status_code)
            COUNTS[f"status {response.status_code}"] += 1
            case.validate_response(response, checks=CHECKS)
        except BaseException:
            COUNTS["failures"] += 1
            raise


def test_the_run_covered_every_operation() -> None:
    if not OPERATIONS:
        pytest.skip("the fuzz run was deselected")
    documented = {op.label for op in (r.ok() for r in schema.get_all_operations())}
    assert documented == OPERATIONS
    assert COUNTS["failures"] == 0
