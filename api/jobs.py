"""Run bulk jobs: what each kind does, and the queue that runs them.

The embedded default (no REGISTRY_JOBS_BROKER_URL) runs jobs in a thread of the API process, so `make run` needs
no other service; with a Redis URL, jobs go to a dramatiq queue and `registry jobs worker` runs them in other
processes. Either way the job row holds the truth (registry.jobs): a message carries only the job's id; a run
takes the job's lease (a PostgreSQL advisory lock held on its own connection, released by the server when the
process dies), so two runners never run one job at once, and a run killed at any point is resumed from the
progress its last committed transaction recorded.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from assessment.batches import service as batches
from assessment.batches.imports import RESULT_COLUMNS, RESULT_OPTIONAL, import_results
from certificates.export import zip_stream
from certificates.models import CertificateStatus
from certificates.service import ExportFilter, export_entries, issue_certificates
from registry.awards import legacy
from registry.db import session_scope
from registry.errors import DomainError
from registry.grades import GradeCode
from registry.jobs import service as jobs
from registry.jobs.models import Job, JobKind, JobStatus
from registry.settings import Settings
from registry.tabular import read_table

log = logging.getLogger("registry.jobs")
EXPORT_PROGRESS_EVERY = 50
QUEUE_NAME = "registry-jobs"

_local_leases: set[uuid.UUID] = set()
_local_lock = threading.Lock()


def job_file(settings: Settings, job_id: uuid.UUID, suffix: str) -> Path:
    """Where a job keeps its file (an import's upload, an export's ZIP)."""
    return settings.job_dir / f"{job_id}{suffix}"


@contextmanager
def lease(engine: Engine, job_id: uuid.UUID) -> Iterator[bool]:
    """Hold the job's lease while the block runs; yields False when another runner holds it."""
    if engine.dialect.name != "postgresql":  # SQLite: one process (the embedded runner), so a lock in memory
        with _local_lock:
            held = job_id not in _local_leases
            _local_leases.add(job_id)
        try:
            yield held
        finally:
            if held:
                with _local_lock:
                    _local_leases.discard(job_id)
        return
    key = int.from_bytes(job_id.bytes[:8], "big", signed=True)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        held = bool(conn.execute(sa.select(sa.func.pg_try_advisory_lock(key))).scalar_one())
        try:
            yield held
        finally:
            if held:
                conn.execute(sa.select(sa.func.pg_advisory_unlock(key)))


def run_job(engine: Engine, settings: Settings, job_id: uuid.UUID) -> None:
    """Run (or resume) a job to its end; a no-op when it is finished or another runner has it."""
    with lease(engine, job_id) as held:
        if not held:
            return
        with session_scope(engine) as s:
            job = s.get(Job, job_id)
            if job is None or job.status in {JobStatus.SUCCEEDED, JobStatus.FAILED}:
                return
            jobs.start(s, job)
            kind = job.kind
        try:
            HANDLERS[kind](engine, settings, job_id)
        except DomainError as error:
            with session_scope(engine) as s:
                failed = s.get(Job, job_id)
                assert failed is not None
                jobs.fail(s, failed, error)
            log.info("job %s refused: %s", job_id, error.code)


def _load(engine: Engine, job_id: uuid.UUID) -> Job:
    with session_scope(engine, readonly=True) as s:
        job = s.get(Job, job_id)
        assert job is not None
        return job


def _issue(engine: Engine, settings: Settings, job_id: uuid.UUID) -> None:
    """Issue in chunks, each chunk and its progress in one transaction; a resumed run starts after the last one."""
    job = _load(engine, job_id)
    actor = jobs.actor_of(job)
    ids = [uuid.UUID(i) for i in job.params["award_ids"]]
    on = dt.date.fromisoformat(job.params["on"])
    result: dict[str, Any] = job.result or {"issued_count": 0, "already_issued_count": 0}
    size = settings.jobs_issue_chunk  # each chunk all or nothing, with its progress
    for start in range(job.done, len(ids), size):
        chunk = ids[start : start + size]
        with session_scope(engine) as s:
            outcome = issue_certificates(s, actor=actor, award_ids=chunk, settings=settings, on=on)
            result = {
                "issued_count": result["issued_count"] + len(outcome.issued),
                "already_issued_count": result["already_issued_count"] + len(outcome.already_issued),
            }
            current = s.get(Job, job_id)
            assert current is not None
            jobs.advance(s, current, done=start + len(chunk), result=result)
    with session_scope(engine) as s:
        current = s.get(Job, job_id)
        assert current is not None
        jobs.succeed(s, current, result=result)


def _export(engine: Engine, settings: Settings, job_id: uuid.UUID) -> None:
    """Write the ZIP to a temporary file, then move it into place; a resumed run writes it again from the start."""
    job = _load(engine, job_id)
    actor = jobs.actor_of(job)
    p = job.params
    only = ExportFilter(
        uuid.UUID(p["body_id"]) if p.get("body_id") else None,
        CertificateStatus(p["status"]) if p.get("status") else None,
        p.get("occupation_code"),
        GradeCode(p["grade"]) if p.get("grade") else None,
    )
    target = job_file(settings, job_id, ".zip")
    partial = target.with_suffix(".zip.part")
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0

    def counted() -> Iterator[tuple[str, bytes]]:
        nonlocal written
        for name, data in export_entries(
            lambda: session_scope(engine, readonly=True), actor=actor, only=only, settings=settings
        ):
            yield name, data
            if name.endswith(".pdf"):
                written += 1
                if written % EXPORT_PROGRESS_EVERY == 0:
                    with session_scope(engine) as s:
                        current = s.get(Job, job_id)
                        assert current is not None
                        jobs.advance(s, current, done=written)

    with partial.open("wb") as out:
        for piece in zip_stream(counted()):
            out.write(piece)
        out.flush()
        os.fsync(out.fileno())
    os.replace(partial, target)
    with session_scope(engine) as s:
        current = s.get(Job, job_id)
        assert current is not None
        current.total = written
        jobs.succeed(s, current, result={"certificates": written, "bytes": target.stat().st_size})


def _import_legacy(engine: Engine, settings: Settings, job_id: uuid.UUID) -> None:
    """The whole file in one transaction with the job's success: a killed run left nothing, and runs again."""
    job = _load(engine, job_id)
    actor = jobs.actor_of(job)
    data = job_file(settings, job_id, ".upload").read_bytes()
    rows = read_table(
        data, filename=job.params["filename"], required=legacy.LEGACY_COLUMNS, optional=legacy.LEGACY_OPTIONAL
    )
    with session_scope(engine) as s:
        done = 0

        def progress(n: int) -> None:
            nonlocal done
            done += n

        summary = legacy.import_legacy(s, actor=actor, rows=rows, settings=settings, progress=progress)
        current = s.get(Job, job_id)
        assert current is not None
        current.total = summary.rows
        jobs.succeed(s, current, result={"rows": summary.rows, "active": summary.active, "pending": summary.pending})


def _batch_upload(engine: Engine, settings: Settings, job_id: uuid.UUID) -> None:
    """A batch's candidate or results upload: the whole file in one transaction with the job's success, all or
    nothing like the upload answered at once (a refusal names every bad row in the job's error)."""
    job = _load(engine, job_id)
    actor = jobs.actor_of(job)
    data = job_file(settings, job_id, ".upload").read_bytes()
    batch_id = uuid.UUID(job.params["batch_id"])
    filename = job.params["filename"]
    with session_scope(engine) as s:
        if job.kind == JobKind.ENROL_CANDIDATES:
            rows = read_table(data, filename=filename, required=batches.ENROL_COLUMNS, optional=batches.ENROL_OPTIONAL)
            created = batches.enrol_rows(s, actor=actor, batch_id=batch_id, rows=rows, settings=settings)
            result = {"rows": len(rows), "created": len(created)}
        else:
            rows = read_table(data, filename=filename, required=RESULT_COLUMNS, optional=RESULT_OPTIONAL)
            summary = import_results(s, actor=actor, batch_id=batch_id, rows=rows, settings=settings)
            result = {"rows": summary.rows, "enrolled": summary.enrolled, "scores": summary.scores}
        current = s.get(Job, job_id)
        assert current is not None
        current.total = current.done = len(rows)
        jobs.succeed(s, current, result=result)


HANDLERS: dict[JobKind, Callable[[Engine, Settings, uuid.UUID], None]] = {
    JobKind.ISSUE_CERTIFICATES: _issue,
    JobKind.EXPORT_CERTIFICATES: _export,
    JobKind.IMPORT_LEGACY_AWARDS: _import_legacy,
    JobKind.ENROL_CANDIDATES: _batch_upload,
    JobKind.IMPORT_RESULTS: _batch_upload,
}


def resume_unfinished(engine: Engine, submit: Callable[[uuid.UUID], None], *, queued: bool = True) -> list[uuid.UUID]:
    """Submit every running job nobody holds the lease of (its runner died) and, with queued, every queued one
    (a process may have died between committing a job and sending it). A job sent twice runs once."""
    with session_scope(engine, readonly=True) as s:
        pending = jobs.unfinished_jobs(s, queued=queued)
    orphans = []
    for job_id in pending:
        with lease(engine, job_id) as free:
            if free:
                orphans.append(job_id)
    for job_id in orphans:
        submit(job_id)
    return orphans


# ------------------------------------------------------------------------------------------ queues


class JobQueue(Protocol):
    """Where a new job's id goes once the transaction that created it has committed."""

    def submit(self, job_id: uuid.UUID) -> None: ...


class EmbeddedQueue:
    """One thread in this process runs jobs one after another (the default: `make run` needs no broker)."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine, self.settings = engine, settings
        self._queue: queue.SimpleQueue[uuid.UUID] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, job_id: uuid.UUID) -> None:
        """Queue the job; the thread starts with the first one."""
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="registry-jobs", daemon=True)
                self._thread.start()
        self._queue.put(job_id)

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            try:
                run_job(self.engine, self.settings, job_id)
            except Exception:  # the job stays running; a restart resumes it
                log.exception("job %s stopped; it resumes when the process restarts", job_id)


class DramatiqQueue:
    """Jobs on a dramatiq queue in Redis; `registry jobs worker` processes run them."""

    def __init__(self, settings: Settings) -> None:
        self.actor = dramatiq_actor(settings)

    def submit(self, job_id: uuid.UUID) -> None:
        """Send the job's id to the queue."""
        self.actor.send(str(job_id))


_actors: dict[str, Any] = {}


def dramatiq_actor(settings: Settings) -> Any:
    """The dramatiq actor that runs a job by id, on a Redis broker at settings.jobs_broker_url (one per URL).

    Messages are acknowledged only when run_job returns (dramatiq acks late): a message whose worker died is
    given to another worker once the dead one's heartbeat expires (jobs_heartbeat_seconds); the job's own
    progress makes that run a resumption.
    """
    url = settings.jobs_broker_url
    assert url is not None
    if url not in _actors:
        import dramatiq
        from dramatiq.brokers.redis import RedisBroker

        broker = RedisBroker(  # type: ignore[no-untyped-call]
            url=url,
            namespace="registry-jobs",
            heartbeat_timeout=int(settings.jobs_heartbeat_seconds * 1000),
            maintenance_chance=100_000,  # of a million commands: expired workers' messages come back soon
        )
        dramatiq.set_broker(broker)

        def run_job_message(job_id: str) -> None:
            from registry.db import get_engine

            run_job(get_engine(settings.database_url, 4), settings, uuid.UUID(job_id))

        _actors[url] = dramatiq.actor(
            actor_name="run_job", queue_name=QUEUE_NAME, broker=broker, max_retries=20, time_limit=24 * 3600 * 1000
        )(run_job_message)
    return _actors[url]


def make_queue(engine: Engine, settings: Settings) -> JobQueue:
    """The queue the settings ask for: dramatiq on Redis, or the embedded thread."""
    if settings.jobs_broker_url:
        return DramatiqQueue(settings)
    return EmbeddedQueue(engine, settings)
