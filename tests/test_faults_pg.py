"""Faults on PostgreSQL: real processes SIGKILLed mid bulk issuance, mid import and mid job; concurrent issuers.

After each kill: nothing half-done (a chunk, a request or an import is whole or absent), no serial repeated or
skipped, `registry audit verify` passes; the killed job resumes when a runner starts again. (SQLite's behaviour
under kills was shown earlier; these need a server that survives its clients: PostgreSQL.)
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from api.jobs import DramatiqQueue
from registry.actor import Actor, Role
from registry.db import make_engine, session_scope
from registry.jobs.models import Job, JobKind, JobStatus
from registry.jobs.service import create_job
from tests.factories import han_number, make_user, valid_id
from tests.jobs_support import job_settings, make_issuable, serials, wait_for

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def _unused_port() -> int:
    """A port nothing listens on now, from the OS (a fixed default collided with a stray server of another run)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


PORT = int(os.environ.get("REGISTRY_TEST_FAULT_PORT") or _unused_port())
REDIS_URL = os.environ.get("REGISTRY_TEST_REDIS_URL", "redis://127.0.0.1:6379/4")


@pytest.fixture
def pg_url(committed_url: str, is_postgres: bool) -> str:
    if not is_postgres:
        pytest.skip("kill tests need PostgreSQL (REGISTRY_TEST_DATABASE_URL); SQLite was shown to hold earlier")
    return committed_url


@pytest.fixture
def engine_pg(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


def _registry(*args: str) -> list[str]:
    return [sys.executable, "-c", "from api.cli import main; main()", *args]


@contextmanager
def _process(command: list[str], env: dict[str, str], log: Path, ready: str | None = None) -> Iterator[Any]:
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=out, start_new_session=True)
    try:
        if ready is not None:

            def answers() -> bool:
                assert process.poll() is None, log.read_text()[-3000:]
                try:
                    with urllib.request.urlopen(ready, timeout=1) as response:
                        return bool(response.status == 200)
                except OSError:
                    return False

            wait_for(answers, timeout=60, what=f"{command[3:5]} to answer")
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _kill(process: Any) -> None:
    os.killpg(process.pid, signal.SIGKILL)  # the server and every child, no clean-up
    process.wait()


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "REGISTRY_JOB_DIR": str(tmp / "jobs"),
        "REGISTRY_PUBLIC_URL": f"http://127.0.0.1:{PORT}",
        **extra,
    }


def _serve(env: dict[str, str], tmp: Path) -> Any:
    command = _registry("serve", "--no-migrate", "--port", str(PORT))
    return _process(command, env, tmp / "serve.log", ready=f"http://127.0.0.1:{PORT}/healthz")


def _post(path: str, body: bytes, headers: dict[str, str], timeout: float = 60) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return int(error.code), json.loads(error.read())


def _token(username: str) -> dict[str, str]:
    form = f"username={username}&password=correct+horse+battery".encode()
    status, body = _post("/api/v1/auth/token", form, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200, body
    return {"Authorization": f"Bearer {body['access_token']}"}


def _job(engine: Engine, job_id: uuid.UUID | str) -> Job:
    with session_scope(engine, readonly=True) as s:
        job = s.get(Job, uuid.UUID(str(job_id)))
        assert job is not None
        return job


def _audit_verifies(env: dict[str, str]) -> None:
    done = subprocess.run(_registry("audit", "verify"), env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql)).scalar_one())


def test_server_killed_mid_bulk_issuance_job_resumes_after_restart(engine_pg: Engine, tmp_path: Path) -> None:
    settings = job_settings(str(engine_pg.url.render_as_string(hide_password=False)), tmp_path)
    made = make_issuable(engine_pg, settings, awards=100)
    env = _env(tmp_path, REGISTRY_JOBS_THRESHOLD="10", REGISTRY_JOBS_ISSUE_CHUNK="2")
    body = json.dumps({"award_ids": [str(a) for a in made.award_ids]}).encode()
    with _serve(env, tmp_path) as server:
        headers = {**_token(made.admin.username), "Content-Type": "application/json"}
        status, queued = _post("/api/v1/certificates/issue", body, headers)
        assert status == 202, queued
        wait_for(lambda: _job(engine_pg, queued["id"]).done >= 20, what="20 awards issued")
        _kill(server)
    stopped = _job(engine_pg, queued["id"])
    assert stopped.status == JobStatus.RUNNING
    assert 20 <= stopped.done < 100
    issued = serials(engine_pg, made.body.id)
    assert issued == list(range(1, stopped.done + 1))  # exactly the committed chunks: nothing half-done
    _audit_verifies(env)

    with _serve(env, tmp_path):  # the restarted server resumes the job it finds running without a runner
        wait_for(lambda: _job(engine_pg, queued["id"]).status == JobStatus.SUCCEEDED, what="the job to finish")
    finished = _job(engine_pg, queued["id"])
    assert (finished.done, finished.attempts) == (100, 2)
    assert serials(engine_pg, made.body.id) == list(range(1, 101))
    _audit_verifies(env)


def test_server_killed_mid_synchronous_issuance_leaves_nothing(engine_pg: Engine, tmp_path: Path) -> None:
    settings = job_settings(str(engine_pg.url.render_as_string(hide_password=False)), tmp_path)
    made = make_issuable(engine_pg, settings, awards=200)
    env = _env(tmp_path, REGISTRY_JOBS_THRESHOLD="1000")
    body = json.dumps({"award_ids": [str(a) for a in made.award_ids]}).encode()
    with _serve(env, tmp_path) as server:
        headers = {**_token(made.admin.username), "Content-Type": "application/json"}
        sender = subprocess.Popen(  # the request, from another process, so this one can kill the server mid-way
            [
                sys.executable,
                "-c",
                _SEND,
                f"http://127.0.0.1:{PORT}/api/v1/certificates/issue",
                headers["Authorization"],
            ],
            stdin=subprocess.PIPE,
        )
        assert sender.stdin is not None
        sender.stdin.write(body)
        sender.stdin.close()
        deadline = time.monotonic() + 30
        while _count(engine_pg, _WRITING) == 0:  # the issuing transaction has locked or written rows
            assert time.monotonic() < deadline, "the issuing transaction never started"
            time.sleep(0.01)
        _kill(server)
        sender.wait(timeout=30)
    # One transaction: none of the 200 (or, had it committed just before the kill, all of them).
    assert serials(engine_pg, made.body.id) in ([], list(range(1, 201)))
    _audit_verifies(env)
    with _serve(env, tmp_path):
        headers = {**_token(made.admin.username), "Content-Type": "application/json"}
        status, _ = _post("/api/v1/certificates/issue", body, headers)
        assert status == 200
    assert serials(engine_pg, made.body.id) == list(range(1, 201))  # the rolled-back range was not lost
    _audit_verifies(env)


_SEND = """
import sys, urllib.request
request = urllib.request.Request(sys.argv[1], data=sys.stdin.buffer.read(), method="POST",
    headers={"Authorization": sys.argv[2], "Content-Type": "application/json"})
try:
    urllib.request.urlopen(request, timeout=60)
except Exception:
    pass
"""
_WRITING = (
    "SELECT count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL"
)


def test_server_killed_mid_import_job_leaves_nothing_and_the_import_completes_on_restart(
    engine_pg: Engine, tmp_path: Path
) -> None:
    settings = job_settings(str(engine_pg.url.render_as_string(hide_password=False)), tmp_path)
    with session_scope(engine_pg) as s:
        regulator = make_user(s, settings, role=Role.REGULATOR)
    header = "id_number,name,occupation_code,grade,family,issuing_authority,original_number,awarded_on,evidence_ref\n"
    rows = "".join(
        f"{valid_id()},旧证人{han_number(i)},6-18-02-04,senior,qualification,广东省职业技能鉴定指导中心,"
        f"15440000{i:08d},2018-06-30,扫描件\n"
        for i in range(300)
    )
    env = _env(tmp_path, REGISTRY_JOBS_THRESHOLD="10")
    boundary = "----registry-test"
    upload = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="legacy.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\n{header}{rows}\r\n--{boundary}--\r\n"
    ).encode()
    with _serve(env, tmp_path) as server:
        headers = {**_token(regulator.username), "Content-Type": f"multipart/form-data; boundary={boundary}"}
        status, queued = _post("/api/v1/awards/legacy/upload", upload, headers)
        assert status == 202, queued
        wait_for(lambda: _job(engine_pg, queued["id"]).status == JobStatus.RUNNING, what="the import to start")
        time.sleep(0.3)
        _kill(server)
    assert _job(engine_pg, queued["id"]).status == JobStatus.RUNNING
    assert _count(engine_pg, "SELECT count(*) FROM legacy_certificate") == 0  # all or nothing: nothing
    _audit_verifies(env)
    with _serve(env, tmp_path):
        wait_for(lambda: _job(engine_pg, queued["id"]).status == JobStatus.SUCCEEDED, what="the import to finish")
    assert _count(engine_pg, "SELECT count(*) FROM legacy_certificate") == 300
    _audit_verifies(env)


def test_a_killed_job_worker_s_job_resumes_on_another_worker(engine_pg: Engine, tmp_path: Path) -> None:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {REDIS_URL} (REGISTRY_TEST_REDIS_URL)")
    url = engine_pg.url.render_as_string(hide_password=False)
    settings = job_settings(url, tmp_path, jobs_broker_url=REDIS_URL, jobs_issue_chunk=2)
    made = make_issuable(engine_pg, settings, awards=100)
    actor = Actor(label=made.admin.username, role=Role.BODY_ADMIN, user_id=made.admin.id, body_id=made.body.id)
    with session_scope(engine_pg) as s:
        job, _ = create_job(
            s,
            actor=actor,
            kind=JobKind.ISSUE_CERTIFICATES,
            params={"award_ids": [str(a) for a in made.award_ids], "on": time.strftime("%Y-%m-%d")},
            total=100,
        )
    env = _env(tmp_path, REGISTRY_JOBS_BROKER_URL=REDIS_URL, REGISTRY_JOBS_ISSUE_CHUNK="2")
    worker = _registry("jobs", "worker")
    with _process(worker, env, tmp_path / "worker-1.log") as first:
        DramatiqQueue(settings).submit(job.id)
        wait_for(lambda: _job(engine_pg, job.id).done >= 20, what="the worker to issue 20")
        _kill(first)
    stopped = _job(engine_pg, job.id)
    assert stopped.status == JobStatus.RUNNING
    assert serials(engine_pg, made.body.id) == list(range(1, stopped.done + 1))
    with _process(worker, env, tmp_path / "worker-2.log"):
        wait_for(lambda: _job(engine_pg, job.id).status == JobStatus.SUCCEEDED, what="the job to resume and finish")
    assert _job(engine_pg, job.id).attempts >= 2
    assert serials(engine_pg, made.body.id) == list(range(1, 101))
    _audit_verifies(env)


_ISSUER = """
import sys, uuid
from registry.actor import Actor
from registry.db import make_engine, session_scope
from registry.settings import get_settings
from certificates.service import issue_certificates
engine = make_engine(get_settings().database_url)
ids = [uuid.UUID(i) for i in sys.argv[1:]]
for start in range(0, len(ids), 5):
    with session_scope(engine) as s:
        issue_certificates(
            s, actor=Actor.system("test-issuer"), award_ids=ids[start:start + 5], settings=get_settings()
        )
"""


def test_concurrent_issuers_in_several_processes_share_one_serial_range(engine_pg: Engine, tmp_path: Path) -> None:
    settings = job_settings(str(engine_pg.url.render_as_string(hide_password=False)), tmp_path)
    made = make_issuable(engine_pg, settings, awards=60)
    env = _env(tmp_path)
    parts = [made.award_ids[i::4] for i in range(4)]
    issuers = [subprocess.Popen([sys.executable, "-c", _ISSUER, *map(str, part)], env=env, cwd=ROOT) for part in parts]
    assert [p.wait(timeout=120) for p in issuers] == [0, 0, 0, 0]
    assert serials(engine_pg, made.body.id) == list(range(1, 61))  # no serial twice, none skipped
    _audit_verifies(env)
