"""SQLite under concurrent writers: a writer that cannot get the lock in time answers "busy, retry" — 503 with
Retry-After from the API, exit 75 (EX_TEMPFAIL) from the CLI — and nothing is half-written."""

from __future__ import annotations

import os
import sqlite3
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from api.cli import EXIT_BUSY
from tests.ops.servers import REGISTRY, Server, serve_many

BUSY_ENV = {"REGISTRY_SQLITE_BUSY_TIMEOUT_MS": "20", "REGISTRY_LOGIN_RATE_PER_MINUTE": "1000"}
SQLITE_ONLY = "SQLite only: PostgreSQL writers wait on row locks, they are never refused as busy"


@pytest.fixture(scope="module")
def servers(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Server]]:
    """Two API processes on the SQLite test database whose writers wait at most 20 ms for the lock."""
    if not database_url.startswith("sqlite"):
        pytest.skip(SQLITE_ONLY)
    env = {
        **BUSY_ENV,
        "REGISTRY_DATABASE_URL": database_url,
        "REGISTRY_ARGON2_TIME_COST": "1",
        "REGISTRY_ARGON2_MEMORY_KIB": "64",
    }
    with serve_many([env, env], tmp_path_factory.mktemp("busy")) as running:
        yield running


@pytest.fixture
def sqlite_file(committed_url: str) -> str:
    if not committed_url.startswith("sqlite"):
        pytest.skip(SQLITE_ONLY)
    database = sa.engine.make_url(committed_url).database
    assert database
    return database


@contextmanager
def write_lock(path: str) -> Iterator[None]:
    """Hold SQLite's write lock from another connection, the way a long bulk import would."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_the_api_answers_busy_retry_while_another_writer_holds_the_lock(
    servers: list[Server], sqlite_file: str
) -> None:
    server, form = servers[0], {"username": "someone", "password": "wrong-password-1"}
    with write_lock(sqlite_file):
        status, headers, body = server.request("POST", "/api/v1/auth/token", form=form)
        assert server.request("GET", "/healthz")[0] == 200  # readers go on beside the writer (WAL)
    assert status == 503, body
    assert headers["retry-after"] == "1"
    assert b'"database_busy"' in body
    assert server.request("POST", "/api/v1/auth/token", form=form)[0] == 401  # the retry goes through
    with sqlite3.connect(sqlite_file) as check:
        assert check.execute("SELECT failures FROM login_throttle WHERE username = 'someone'").fetchall() == [(1,)]


def test_the_cli_exits_75_with_a_clear_message_and_changes_nothing(sqlite_file: str) -> None:
    command = [*REGISTRY, "users", "create", "--username", "busy-admin"]
    env = {"REGISTRY_NEW_PASSWORD": "a-long-enough-password", **BUSY_ENV}
    with write_lock(sqlite_file):
        done = subprocess.run(command, env={**os.environ, **env}, capture_output=True, text=True, check=False)
    assert done.returncode == EXIT_BUSY, done.stderr
    assert "database busy" in done.stderr
    assert "Traceback" not in done.stderr
    with sqlite3.connect(sqlite_file) as check:
        assert check.execute("SELECT count(*) FROM user_account WHERE username = 'busy-admin'").fetchone() == (0,)


def test_concurrent_writers_in_two_processes_never_half_write(servers: list[Server], sqlite_file: str) -> None:
    """Two API processes, eight clients, 48 failed logins under distinct names, each a write: every answer is
    401 (its failure committed) or 503 (nothing committed); the file stays intact and the counts agree."""

    def attempt(i: int) -> tuple[str, int]:
        name = f"writer-{i:03d}"
        form = {"username": name, "password": "wrong-password-1"}
        return name, servers[i % 2].request("POST", "/api/v1/auth/token", form=form)[0]

    with ThreadPoolExecutor(8) as pool:
        answers = dict(pool.map(attempt, range(48)))
    assert set(answers.values()) <= {401, 503}, answers
    with sqlite3.connect(sqlite_file) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        stored = dict(check.execute("SELECT username, failures FROM login_throttle WHERE username LIKE 'writer-%'"))
    assert stored == {name: 1 for name, status in answers.items() if status == 401}
