"""Background jobs: bulk issuance, export and import above the threshold run as jobs, owner-only, resumable."""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

import api.jobs
from api.app import create_app
from api.jobs import resume_unfinished, run_job
from registry.actor import Actor, Role
from registry.audit.service import verify_chain
from registry.db import make_engine, session_scope
from registry.jobs.models import Job, JobKind, JobStatus
from registry.jobs.service import create_job
from registry.settings import Settings
from tests.factories import han_number, login, make_user, valid_id
from tests.jobs_support import Issuable, job_settings, make_issuable, serials, wait_for

THRESHOLD = 3


@pytest.fixture
def engine_c(committed_url: str) -> Iterator[Engine]:
    engine = make_engine(committed_url)
    yield engine
    engine.dispose()


@pytest.fixture
def app_settings(committed_url: str, tmp_path: Path) -> Settings:
    return job_settings(committed_url, tmp_path, jobs_threshold=THRESHOLD, jobs_issue_chunk=2)


def _job(client: TestClient, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/jobs/{job_id}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _finished(client: TestClient, headers: dict[str, str], job_id: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def done() -> bool:
        seen.update(_job(client, headers, job_id))
        return seen["status"] in {"succeeded", "failed"}

    wait_for(done, timeout=60, what=f"job {job_id}")
    return seen


def test_bulk_issuance_and_export_run_as_jobs_visible_to_their_owner_only(
    engine_c: Engine, app_settings: Settings
) -> None:
    made = make_issuable(engine_c, app_settings, awards=7)
    with session_scope(engine_c) as s:
        regulator = make_user(s, app_settings, role=Role.REGULATOR)
    with TestClient(create_app(app_settings, engine=engine_c)) as client:
        admin = login(client, made.admin.username)
        body = {"award_ids": [str(a) for a in made.award_ids]}
        small = client.post("/api/v1/certificates/issue", json={"award_ids": body["award_ids"][:2]}, headers=admin)
        assert small.status_code == 200  # at or below the threshold: at once, as before
        queued = client.post("/api/v1/certificates/issue", json=body, headers={**admin, "Idempotency-Key": "k-1"})
        assert queued.status_code == 202, queued.text
        job_id = queued.json()["id"]
        assert queued.headers["Location"] == f"/api/v1/jobs/{job_id}"
        assert queued.json()["total"] == 7
        job = _finished(client, admin, job_id)
        assert job["status"] == "succeeded", job
        assert (job["done"], job["progress"]) == (7, 1.0)
        assert job["result"] == {"issued_count": 5, "already_issued_count": 2}
        again = client.post("/api/v1/certificates/issue", json=body, headers={**admin, "Idempotency-Key": "k-1"})
        assert (again.status_code, again.json()["id"]) == (202, job_id)  # the same job, not a second one
        assert serials(engine_c, made.body.id) == list(range(1, 8))

        other = login(client, regulator.username)
        assert client.get(f"/api/v1/jobs/{job_id}", headers=other).status_code == 404  # owner only, even regulator
        assert job_id not in client.get("/api/v1/jobs", headers=other).text
        assert job_id in client.get("/api/v1/jobs", headers=admin).text

        export = client.post(f"/api/v1/certificates/export?body_id={made.body.id}", headers=admin)
        assert export.status_code == 202, export.text
        export_job = _finished(client, admin, export.json()["id"])
        assert export_job["status"] == "succeeded", export_job
        assert export_job["result"]["certificates"] == 7
        assert client.get(export_job["file_url"], headers=other).status_code == 404
        download = client.get(export_job["file_url"], headers=admin)
        assert download.status_code == 200
        names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
        assert len([n for n in names if n.endswith(".pdf")]) == 7
        assert "manifest.csv" in names


def test_a_large_legacy_import_is_a_job_and_stays_all_or_nothing(engine_c: Engine, app_settings: Settings) -> None:
    with session_scope(engine_c) as s:
        regulator = make_user(s, app_settings, role=Role.REGULATOR)
    header = "id_number,name,occupation_code,grade,family,issuing_authority,original_number,awarded_on,evidence_ref\n"
    rows = [
        f"{valid_id()},旧证人{han_number(i)},6-18-02-04,senior,qualification,广东省职业技能鉴定指导中心,15440000000{i:05d},"
        "2018-06-30,扫描件\n"
        for i in range(5)
    ]
    with TestClient(create_app(app_settings, engine=engine_c)) as client:
        headers = login(client, regulator.username)
        bad = header + "".join(rows) + "x,坏行,6-18-02-04,senior,qualification,某机构,1544999,2018-06-30,扫描件\n"
        refused = client.post(
            "/api/v1/awards/legacy/upload", headers=headers, files={"file": ("l.csv", bad.encode(), "text/csv")}
        )
        assert refused.status_code == 202, refused.text
        failed = _finished(client, headers, refused.json()["id"])
        assert failed["status"] == "failed"
        assert failed["error"]["errors"], failed  # the bad row is named
        good = header + "".join(rows)
        accepted = client.post(
            "/api/v1/awards/legacy/upload", headers=headers, files={"file": ("l.csv", good.encode(), "text/csv")}
        )
        job = _finished(client, headers, accepted.json()["id"])
        assert job["status"] == "succeeded", job["error"]
        assert job["result"]["rows"] == 5


class _Killed(BaseException):
    """Stands for SIGKILL inside one process: nothing after it runs, no handler catches it."""


def test_a_job_killed_mid_way_resumes_from_its_last_committed_chunk(
    engine_c: Engine, app_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: Issuable = make_issuable(engine_c, app_settings, awards=5)
    actor = Actor(label=made.admin.username, role=Role.BODY_ADMIN, user_id=made.admin.id, body_id=made.body.id)
    with session_scope(engine_c) as s:
        job, _ = create_job(
            s,
            actor=actor,
            kind=JobKind.ISSUE_CERTIFICATES,
            params={"award_ids": [str(a) for a in made.award_ids], "on": "2026-11-21"},
            total=5,
        )
        job_id: uuid.UUID = job.id
    real_issue = api.jobs.issue_certificates
    calls = []

    def dies_on_second_chunk(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        outcome = real_issue(*args, **kwargs)
        if len(calls) == 2:
            raise _Killed  # after the chunk's work, before its transaction commits
        return outcome

    monkeypatch.setattr(api.jobs, "issue_certificates", dies_on_second_chunk)
    with pytest.raises(_Killed):
        run_job(engine_c, app_settings, job_id)
    with session_scope(engine_c) as s:
        stopped = s.get(Job, job_id)
        assert stopped is not None
        assert (stopped.status, stopped.done, stopped.attempts) == (JobStatus.RUNNING, 2, 1)
    assert serials(engine_c, made.body.id) == [1, 2]  # the second chunk left nothing behind

    monkeypatch.setattr(api.jobs, "issue_certificates", real_issue)
    assert resume_unfinished(engine_c, lambda i: run_job(engine_c, app_settings, i)) == [job_id]
    with session_scope(engine_c) as s:
        finished = s.get(Job, job_id)
        assert finished is not None
        assert (finished.status, finished.done, finished.attempts) == (JobStatus.SUCCEEDED, 5, 2)
        assert verify_chain(s).ok
    assert serials(engine_c, made.body.id) == [1, 2, 3, 4, 5]  # no serial skipped or repeated
    with engine_c.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM certificate")).scalar_one() == 5
    run_job(engine_c, app_settings, job_id)  # running a finished job again does nothing
    assert serials(engine_c, made.body.id) == [1, 2, 3, 4, 5]
