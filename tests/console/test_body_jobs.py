"""A batch upload of more rows than REGISTRY_JOBS_THRESHOLD runs as a job: the admin follows it on a progress page;
a bad row fails the job naming the row (nothing stored), the fixed file enrols every candidate."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import func, select

from api.app import create_app
from assessment.batches.models import Candidate
from registry.actor import Role
from registry.clock import today
from registry.db import make_engine, session_scope
from registry.grades import GradeCode
from registry.jobs.models import Job, JobKind, JobStatus
from registry.settings import Settings
from tests.console.support import csrf_from, page_login
from tests.factories import make_batch, make_body, make_filing, make_user, valid_id
from tests.jobs_support import job_settings, wait_for


@pytest.fixture
def engine_c(committed_url: str) -> Iterator[Engine]:
    engine = make_engine(committed_url)
    yield engine
    engine.dispose()


FINISHED = {JobStatus.SUCCEEDED, JobStatus.FAILED}


def _job(engine: Engine, job_id: str) -> Job:
    with session_scope(engine, readonly=True) as s:
        job = s.get(Job, uuid.UUID(job_id))
        assert job is not None
        return job


def test_a_large_candidate_upload_runs_as_a_job_all_or_nothing(
    engine_c: Engine, committed_url: str, tmp_path: Path
) -> None:
    settings: Settings = job_settings(committed_url, tmp_path, jobs_threshold=2)
    with session_scope(engine_c) as s:
        body = make_body(s)
        make_filing(
            s, settings, body=body, starts_on=today() - dt.timedelta(days=30), ends_on=today() + dt.timedelta(days=900)
        )
        batch = make_batch(s, settings, body=body, grade=GradeCode.JUNIOR, assessors=2, open_it=False, exam_on=today())
        admin = make_user(s, settings, role=Role.BODY_ADMIN, body=body)
        batch_id, uscc = batch.exam.id, body.uscc
    ids = [valid_id(), valid_id(), valid_id()]
    broken = ids[2][:-1] + ("0" if ids[2][-1] != "0" else "1")

    def table(numbers: list[str]) -> bytes:
        rows = "".join(f"王小{n},{i},{uscc}\n" for n, i in zip("一二三", numbers, strict=True))
        return ("name,id_number,employer_uscc\n" + rows).encode()

    with TestClient(create_app(settings, engine=engine_c), base_url="https://testserver") as client:
        page_login(client, admin.username)
        url = f"/console/body/batches/{batch_id}"
        token = csrf_from(client.get(url).text)
        outcomes = []
        for numbers in ([ids[0], ids[1], broken], ids):
            queued = client.post(
                f"{url}/upload/candidates",
                data={"csrf_token": token},
                files={"file": ("candidates.csv", table(numbers), "text/csv")},
                follow_redirects=False,
            )
            assert queued.status_code == 303, queued.text
            job_id = queued.headers["location"].rsplit("/", 1)[1]
            wait_for(lambda job_id=job_id: _job(engine_c, job_id).status in FINISHED, what=f"job {job_id}")
            job = _job(engine_c, job_id)
            assert job.kind == JobKind.ENROL_CANDIDATES
            page = client.get(queued.headers["location"])
            assert page.status_code == 200
            outcomes.append((job, page.text))
        (failed, failed_page), (done, _) = outcomes
        assert failed.status == JobStatus.FAILED and failed.error is not None
        assert [e["line"] for e in failed.error["errors"]] == [4]
        assert re.search(r'<tr class="bad"><td>4</td>', failed_page) and "校验位" in failed_page
        assert done.status == JobStatus.SUCCEEDED and done.result == {"rows": 3, "created": 3}
    with session_scope(engine_c, readonly=True) as s:
        assert s.exec(select(func.count()).select_from(Candidate).where(Candidate.session_id == batch_id)).one() == 3
