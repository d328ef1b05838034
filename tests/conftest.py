"""Test harness: one database built by migrations per run, each test inside a transaction that is rolled back.

REGISTRY_TEST_DATABASE_URL selects PostgreSQL (the database is emptied and migrated at the start);
without it a temporary SQLite file is used. Tests that must really commit (CLI, concurrency) use the
`committed_url` fixture, which wipes non-reference data afterwards.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from api.app import create_app
from api.deps import get_read_session, get_session, get_session_factory
from api.metadata import load_all_models
from assessment.recognition.service import load_competition_defaults
from registry import schema
from registry.audit.models import AuditHead
from registry.catalogue.loader import SHIPPED_OCCUPATION_SOURCE, load_reference_data
from registry.catalogue.models import Occupation
from registry.db import Reads, is_sqlite_url, make_engine, session_scope
from registry.settings import Settings, get_settings

REFERENCE_TABLES = frozenset(
    {
        "grade",
        "occupation",
        "province",
        "city",
        "education_level",
        "professional_title",
        "equivalence",
        "alembic_version",
    }
)
T = TypeVar("T")
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def _empty_postgres(url: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP SCHEMA public CASCADE")
            conn.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Return the URL of the migrated test database (with reference data)."""
    url = os.environ.get("REGISTRY_TEST_DATABASE_URL")
    if url:
        _empty_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'registry-test.db'}"
    schema.upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as session:
        load_reference_data(session)
        load_competition_defaults(session)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The engine of the test database."""
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def is_postgres(database_url: str) -> bool:
    """Whether the suite runs on PostgreSQL."""
    return not is_sqlite_url(database_url)


@pytest.fixture
def scratch_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as the test database."""
    if is_sqlite_url(database_url):
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    url = sa.engine.make_url(database_url)
    name = f"{url.database}_scratch"
    admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def settings_for(database_url: str, key_dir: Path) -> Settings:
    """Settings for tests: development, the test database, a private key directory."""
    return Settings(
        env="development",
        database_url=database_url,
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        key_dir=key_dir,
        public_url="https://registry.test",
        argon2_time_cost=1,  # fast hashing in tests; production refuses costs this low
        argon2_memory_kib=64,
    )


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings for one test: development, the test database, a private key directory."""
    return settings_for(database_url, tmp_path / "keys")


def session_in(connection: Connection) -> Session:
    """A session joining the connection's transaction: its commits become savepoints."""
    return Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back after the test; commits become savepoints."""
    connection = engine.connect()
    outer = connection.begin()
    session = session_in(connection)
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


# --- records shared by a module's tests ------------------------------------------------------------------------
# A module whose tests all read the same expensive records builds them once: it declares
#   _settings, _session = sharing_records()   (its `settings` and `session` fixtures), and a module-scoped
#   `world` fixture returning built_once(shared_connection, lambda s: <build>(s, settings)).
# The records live in the module's transaction (rolled back after its last test); each test runs in a savepoint
# of it, rolled back after the test, so no test sees another's changes.


@pytest.fixture(scope="module")
def module_settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings shared by a module's tests: one key directory, so records built once stay verifiable."""
    return settings_for(database_url, tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def shared_connection(engine: Engine) -> Iterator[Connection]:
    """A connection whose transaction holds a module's shared records; rolled back after the module."""
    connection = engine.connect()
    outer = connection.begin()
    try:
        yield connection
    finally:
        outer.rollback()
        connection.close()


def built_once(connection: Connection, build: Callable[[Session], T]) -> T:
    """Build a module's shared records in its transaction (committed into it, outside every test's savepoint)."""
    with session_in(connection) as builder:
        built = build(builder)
        builder.commit()
    return built


def sharing_records() -> tuple[Any, Any]:
    """A module's `settings` (module-scoped) and `session` (on its shared records) fixtures, to assign at its top."""

    @pytest.fixture(scope="module", name="settings")
    def module_settings_fixture(module_settings: Settings) -> Settings:
        return module_settings

    @pytest.fixture(name="session")
    def shared_session_fixture(shared_session: Session) -> Session:
        return shared_session

    return module_settings_fixture, shared_session_fixture


@pytest.fixture
def shared_session(shared_connection: Connection, request: pytest.FixtureRequest) -> Iterator[Session]:
    """A test's session on the module's shared records, in a savepoint rolled back after the test."""
    if "world" in request.fixturenames:
        request.getfixturevalue("world")  # the shared records are built before this test's savepoint opens
    savepoint = shared_connection.begin_nested()
    session = session_in(shared_connection)
    try:
        yield session
    finally:
        session.close()
        if savepoint.is_active:
            savepoint.rollback()


ClientFactory = Callable[[Settings], TestClient]


class SessionReads(Reads):
    """Reads inside the test's session (its transaction is rolled back after the test)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def run(self, work: Callable[[Any], T], *, primary: bool = False, again_on_primary: Any = None) -> T:
        del primary, again_on_primary
        return work(self.session.connection())


@pytest.fixture
def client_for(engine: Engine, session: Session) -> Iterator[ClientFactory]:
    """Make API clients (for given settings) whose requests run in the test's session, rolled back after."""
    opened: list[TestClient] = []

    def _session_override() -> Iterator[Session]:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise

    def make(settings: Settings) -> TestClient:
        app = create_app(settings, engine=engine)
        app.dependency_overrides[get_session] = _session_override
        app.dependency_overrides[get_read_session] = _session_override
        app.dependency_overrides[get_session_factory] = lambda: lambda: nullcontext(session)
        test_client = TestClient(app, raise_server_exceptions=False)
        test_client.__enter__()
        app.state.reads = SessionReads(session)  # what get_reads hands out (and the hot routes read: api.hot)
        opened.append(test_client)
        return test_client

    yield make
    for test_client in opened:
        test_client.__exit__(None, None, None)


@pytest.fixture
def client(settings: Settings, client_for: ClientFactory) -> TestClient:
    """An API client whose requests run in the test's session, so the test sees (and rolls back) their work."""
    return client_for(settings)


def wipe_data(url: str) -> None:
    """Delete every row outside the reference tables and reload the reference data."""
    metadata = load_all_models()
    engine = make_engine(url)
    try:
        with session_scope(engine) as s:
            for table in reversed(metadata.sorted_tables):
                if table.name not in REFERENCE_TABLES:
                    s.execute(sa.delete(table))
            s.execute(sa.delete(Occupation).where(Occupation.source != SHIPPED_OCCUPATION_SOURCE))  # type: ignore[arg-type]
            s.add(AuditHead())
            load_reference_data(s)
            load_competition_defaults(s)
    finally:
        engine.dispose()


@pytest.fixture
def committed_url(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """The test database for tests that really commit; REGISTRY_* env points at it; data is wiped after."""
    monkeypatch.setenv("REGISTRY_DATABASE_URL", database_url)
    monkeypatch.setenv("REGISTRY_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("REGISTRY_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("REGISTRY_PUBLIC_URL", "https://registry.test")
    monkeypatch.setenv("REGISTRY_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("REGISTRY_ARGON2_MEMORY_KIB", "64")
    get_settings.cache_clear()
    try:
        yield database_url
    finally:
        get_settings.cache_clear()
        wipe_data(database_url)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the fuzz run's counts (operations, cases, failures) when it ran."""
    fuzz = sys.modules.get("tests.api.test_fuzz")
    if fuzz is not None and fuzz.OPERATIONS:
        terminalreporter.write_line(fuzz.summary())
