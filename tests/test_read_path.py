"""The verification read path: one statement per verification, no pre-ping, and still correct after the database
dropped its connections (a restart, a failover): the read is retried once on a fresh connection."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

import registry.db
from api.app import served_app
from certificates.verification import RECORD_STATEMENT, Started, record_sql, start_online, verify_online
from registry.db import DriverReads, PooledReads, Reads, make_engine, session_scope
from registry.settings import Settings, get_settings
from tests.factories import make_certificate


def _verdict(reads: Reads, token: str, settings: Settings) -> str:
    return reads.run(lambda conn: verify_online(conn, token=token, settings=settings)).verdict.value


def _backend_pids(reads: Reads) -> list[int]:
    return reads.run(lambda conn: [conn.connection.driver_connection.info.backend_pid])  # type: ignore[union-attr]


def _terminate(admin: Engine, pids: list[int]) -> None:
    with admin.connect() as conn:
        for pid in pids:
            conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        conn.commit()


@pytest.fixture
def pg_reads(committed_url: str, is_postgres: bool) -> Reads:
    if not is_postgres:
        pytest.skip("connection loss is a PostgreSQL matter (SQLite opens a file)")
    return Reads(make_engine(committed_url, pool_size=1))


def test_a_read_on_a_connection_the_server_dropped_is_retried_once(pg_reads: Reads, committed_url: str) -> None:
    settings = get_settings()
    engine = make_engine(committed_url)
    with session_scope(engine) as s:
        token = make_certificate(s, settings).token
    assert _verdict(pg_reads, token, settings) == "valid"
    _terminate(engine, _backend_pids(pg_reads))  # the pooled connection is now dead; no pre-ping will notice
    assert _verdict(pg_reads, token, settings) == "valid"
    engine.dispose()


def test_an_idle_connection_is_pinged_and_replaced_before_use(
    pg_reads: Reads, committed_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(committed_url)
    before = _backend_pids(pg_reads)
    _terminate(engine, before)
    monkeypatch.setattr(registry.db, "IDLE_PING_SECONDS", 0.0)  # every checkout counts as idle
    after = _backend_pids(pg_reads)  # no error: the ping found it dead and the pool opened a new one
    assert after != before
    engine.dispose()


def test_verification_is_one_round_trip(committed_url: str, tmp_path: Path) -> None:
    """PostgreSQL: libpq's protocol trace of one verification shows one round trip (no ping, BEGIN or COMMIT)."""
    settings = get_settings()
    engine = make_engine(committed_url, pool_size=1)
    with session_scope(engine) as s:
        token = make_certificate(s, settings).token
    reads = Reads(engine)
    for _ in range(6):  # warm: psycopg prepares the statement on the server after five uses
        _verdict(reads, token, settings)
    if engine.dialect.name != "postgresql":  # SQLite: a deferred BEGIN (no lock until the read), one SELECT
        statements: list[str] = []
        sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2].split()[0]))
        _verdict(reads, token, settings)
        assert statements == ["BEGIN", "SELECT"]
        return
    raw = reads.run(lambda conn: conn.connection.driver_connection)
    trace = tmp_path / "libpq.trace"
    with trace.open("wb") as out:
        raw.pgconn.trace(out.fileno())
        try:
            assert _verdict(reads, token, settings) == "valid"
        finally:
            raw.pgconn.untrace()
    sent = [line.split("\t")[3] for line in trace.read_text().splitlines() if line.split("\t")[1] == "F"]
    assert sent.count("Sync") + sent.count("Query") == 1, sent
    engine.dispose()


@pytest.fixture
def driver(committed_url: str, is_postgres: bool) -> Iterator[DriverReads]:
    if not is_postgres:
        pytest.skip("the driver reads are PostgreSQL's (SQLite reads run on SQLAlchemy connections)")
    reads = DriverReads(committed_url, size=1)
    try:
        yield reads
    finally:
        reads.close()


def _driver_verdict(driver: DriverReads, token: str, settings: Settings, dialect: sa.Dialect) -> str:
    started = start_online(token, settings)
    assert isinstance(started, Started)
    row = driver.fetchone(record_sql(dialect, RECORD_STATEMENT), {"number": started.number})
    return started.judge(row).verdict.value


def _driver_pid(driver: DriverReads) -> int:
    return int(driver.fetchone("SELECT pg_backend_pid()", {})[0])


def test_a_driver_read_is_one_round_trip(driver: DriverReads, committed_url: str, tmp_path: Path) -> None:
    """The served app's verification read (registry.db.DriverReads): one round trip, as through SQLAlchemy."""
    settings = get_settings()
    engine = make_engine(committed_url)
    with session_scope(engine) as s:
        token = make_certificate(s, settings).token
    for _ in range(6):  # warm: psycopg prepares the statement on the server after five uses
        assert _driver_verdict(driver, token, settings, engine.dialect) == "valid"
    (conn, _cursor, _opened) = driver.primary.idle[0]
    trace = tmp_path / "libpq.trace"
    with trace.open("wb") as out:
        conn.pgconn.trace(out.fileno())
        try:
            assert _driver_verdict(driver, token, settings, engine.dialect) == "valid"
        finally:
            conn.pgconn.untrace()
    sent = [line.split("\t")[3] for line in trace.read_text().splitlines() if line.split("\t")[1] == "F"]
    assert sent.count("Sync") + sent.count("Query") == 1, sent
    assert len(driver.primary.idle) == 1  # the same connection, put back
    engine.dispose()


def test_a_driver_read_on_a_connection_the_server_dropped_is_retried_once(
    driver: DriverReads, committed_url: str
) -> None:
    engine = make_engine(committed_url)
    before = _driver_pid(driver)
    _terminate(engine, [before])  # the idle connection is now dead
    assert _driver_pid(driver) != before
    engine.dispose()


def test_a_failed_statement_is_a_sqlalchemy_error_and_the_connection_is_kept(driver: DriverReads) -> None:
    before = _driver_pid(driver)
    with pytest.raises(sa.exc.ProgrammingError) as raised:
        driver.fetchone("SELECT * FROM no_such_table WHERE x = %(number)s", {"number": "S0001"})
    assert not raised.value.connection_invalidated
    assert "S0001" not in str(raised.value)  # parameters are never shown (personal data may be bound)
    assert _driver_pid(driver) == before


def test_a_database_that_went_away_is_a_sqlalchemy_operational_error(committed_url: str, is_postgres: bool) -> None:
    if not is_postgres:
        pytest.skip("the driver reads are PostgreSQL's")
    url = sa.engine.make_url(committed_url).set(port=1).render_as_string(hide_password=False)  # nothing listens
    reads = DriverReads(url)
    with pytest.raises(sa.exc.OperationalError) as raised:
        reads.fetchone("SELECT 1", {})
    assert raised.value.connection_invalidated
    reads.close()


def test_at_most_size_idle_connections_are_kept(driver: DriverReads) -> None:
    started = threading.Barrier(2)

    def read() -> None:
        started.wait()
        driver.fetchone("SELECT pg_sleep(0.2)", {})

    threads = [threading.Thread(target=read) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(driver.primary.idle) == 1  # two were open at once; size=1 keeps one


def test_a_closed_driver_keeps_no_connection(driver: DriverReads) -> None:
    _driver_pid(driver)
    (conn, _cursor, _opened) = driver.primary.idle[0]
    driver.close()
    assert driver.primary.idle == []
    assert conn.closed


@dataclass
class Pool:
    """The async pool `registry serve` verifies through (one connection), on an event loop of its own."""

    reads: PooledReads
    loop: asyncio.AbstractEventLoop

    def backend_pid(self) -> int:
        return int(self.loop.run_until_complete(self.reads.fetchone("SELECT pg_backend_pid()", {}))[0])


@pytest.fixture
def pool(committed_url: str, is_postgres: bool) -> Iterator[Pool]:
    if not is_postgres:
        pytest.skip("the async pool is PostgreSQL's (SQLite reads run in worker threads)")
    loop = asyncio.new_event_loop()
    reads = PooledReads(committed_url, size=1)
    loop.run_until_complete(reads.open())
    try:
        yield Pool(reads, loop)
    finally:
        loop.run_until_complete(reads.close())
        loop.close()


def test_the_async_pool_reads_again_after_the_server_dropped_its_connection(pool: Pool, committed_url: str) -> None:
    engine = make_engine(committed_url)
    before = pool.backend_pid()
    _terminate(engine, [before])  # used a moment ago, so not pinged: the read fails, and is retried once
    assert pool.backend_pid() != before
    engine.dispose()


async def _one_attempt(_self: PooledReads, pool: Any, sql: str, params: dict[str, Any]) -> Any:
    async with pool.connection() as conn:
        return await (await conn.execute(sql, params)).fetchone()


def test_the_async_pool_pings_a_connection_that_sat_idle(
    pool: Pool, committed_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(committed_url)
    before = pool.backend_pid()
    _terminate(engine, [before])
    monkeypatch.setattr(registry.db, "IDLE_PING_SECONDS", 0.0)  # every checkout counts as idle
    monkeypatch.setattr(PooledReads, "_once", _one_attempt)  # no retry: only the ping can replace the dead one
    assert pool.backend_pid() != before
    engine.dispose()


@pytest.mark.parametrize(("setting", "pooled"), [(None, False), ("true", True)])
def test_the_served_app_verifies_through_the_async_pool_when_told_to(
    committed_url: str, is_postgres: bool, monkeypatch: pytest.MonkeyPatch, setting: str | None, pooled: bool
) -> None:
    if setting is not None:
        monkeypatch.setenv("REGISTRY_ASYNC_READS", setting)
    get_settings.cache_clear()
    settings = get_settings()
    with session_scope(make_engine(committed_url)) as s:
        token = make_certificate(s, settings).token
    app = served_app()
    with TestClient(app) as client:
        assert (app.state.reads.pooled is not None) == (pooled and is_postgres)
        assert (app.state.reads.driver is not None) == (not pooled and is_postgres)
        assert client.get(f"/api/v1/verify/{token}").json()["verdict"] == "valid"
        assert client.get("/healthz").json() == {"status": "ok", "database": "postgresql" if is_postgres else "sqlite"}
    gc.unfreeze()  # served_app froze the test process's heap
    get_settings.cache_clear()


def test_the_served_json_answer_reads_on_the_event_loop_and_the_page_in_a_thread(
    committed_url: str, is_postgres: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: the JSON answer's one read blocks the event loop (cheaper than the thread hop); the page, with
    its template to render, keeps its read in a worker thread. SQLite: both in worker threads."""
    import api.routers.verify

    hops: list[str] = []
    original = api.routers.verify.run_in_threadpool

    async def counted(func: Any, *args: Any, **kwargs: Any) -> Any:
        hops.append(func.__name__)
        return await original(func, *args, **kwargs)

    monkeypatch.setattr(api.routers.verify, "run_in_threadpool", counted)
    get_settings.cache_clear()
    settings = get_settings()
    with session_scope(make_engine(committed_url)) as s:
        token = make_certificate(s, settings).token
    app = served_app()
    with TestClient(app) as client:
        assert client.get(f"/api/v1/verify/{token}").json()["verdict"] == "valid"
        assert hops == ([] if is_postgres else ["_row_blocking"])
        assert 'data-verdict="valid"' in client.get(f"/v/{token}").text
        assert hops[-1] == "_row_blocking"
    gc.unfreeze()  # served_app froze the test process's heap
    get_settings.cache_clear()


def test_a_lifespan_inside_another_hands_back_the_outer_driver(committed_url: str, is_postgres: bool) -> None:
    """The fuzz run starts the app's lifespan again inside the test client's: each closes its own connections."""
    if not is_postgres:
        pytest.skip("the driver reads are PostgreSQL's")
    from api.app import create_app

    get_settings.cache_clear()
    app = create_app(get_settings())
    with TestClient(app):
        outer = app.state.reads.driver
        assert outer is not None
        with TestClient(app):
            assert app.state.reads.driver not in (None, outer)
        assert app.state.reads.driver is outer
    assert app.state.reads.driver is None
    get_settings.cache_clear()
