"""REGISTRY_READ_DATABASE_URL: verification reads go to the replica (a second database stands in for one).

The replica here is a copy of the primary taken at one moment; later changes on the primary by "another process"
(an engine the app does not track) stand for what a real replica has not replayed yet.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from api.app import create_app
from api.metadata import load_all_models
from certificates.models import CertificateStatus, RevocationReason
from certificates.service import set_status
from registry import schema
from registry.db import make_engine, session_scope
from registry.settings import Settings
from tests.conftest import TEST_SECRET
from tests.factories import SYSTEM, make_certificate

FALLBACK_SECONDS = 0.5


def _copy(source: Engine, target: Engine) -> None:
    """Make target hold exactly source's rows (the replica catching up)."""
    tables = [t for t in load_all_models().sorted_tables if t.name != "alembic_version"]
    with source.connect() as src, target.begin() as dst:
        for table in reversed(tables):
            dst.execute(sa.delete(table))
        for table in tables:
            rows = [dict(r) for r in src.execute(sa.select(table)).mappings()]
            if rows:
                dst.execute(sa.insert(table), rows)


@pytest.fixture(params=["threads", "driver", "pooled"])
def primary_and_replica(
    request: pytest.FixtureRequest, committed_url: str, scratch_url: str, tmp_path: Path, is_postgres: bool
) -> Iterator[dict[str, Any]]:
    """The app reading from a replica: in worker threads on SQLAlchemy connections, and (PostgreSQL) straight
    through psycopg as `registry serve` does, and on the async pool as with REGISTRY_ASYNC_READS."""
    pooled, driver = request.param == "pooled", request.param == "driver"
    if (pooled or driver) and not is_postgres:
        pytest.skip("the driver reads and the async pool are PostgreSQL's (SQLite reads run in worker threads)")
    settings = Settings(
        env="development",
        database_url=committed_url,
        read_database_url=scratch_url,
        read_fallback_seconds=FALLBACK_SECONDS,
        secret_key=TEST_SECRET,  # type: ignore[arg-type]
        key_dir=tmp_path / "keys",
        public_url="https://registry.test",
        argon2_time_cost=1,
        argon2_memory_kib=64,
    )
    schema.upgrade(scratch_url)
    other_process = make_engine(committed_url)  # writes the app does not see itself make
    with session_scope(other_process) as s:
        first = make_certificate(s, settings)
    replica = make_engine(scratch_url)
    _copy(other_process, replica)
    app_engine = make_engine(committed_url)
    app = create_app(settings, engine=app_engine, read_engine=replica, pooled_reads=pooled, driver_reads=driver)
    with TestClient(app) as client:
        assert (app.state.reads.pooled is not None) == pooled
        assert (app.state.reads.driver is not None) == driver
        yield {"client": client, "settings": settings, "other": other_process, "app": app_engine, "first": first}
    for engine in (other_process, replica, app_engine):
        engine.dispose()


def _verdict(client: TestClient, token: str) -> str:
    response = client.get(f"/api/v1/verify/{token}")
    assert response.status_code == 200
    return str(response.json()["verdict"])


def test_reads_go_to_the_replica_and_this_process_sees_its_own_revocation_at_once(
    primary_and_replica: dict[str, Any],
) -> None:
    client, first = primary_and_replica["client"], primary_and_replica["first"]
    time.sleep(FALLBACK_SECONDS)  # the app's start-up wrote nothing; be past any window anyway
    with session_scope(primary_and_replica["other"]) as s:  # another process suspends; not replayed yet
        set_status(s, actor=SYSTEM, number=first.number, target=CertificateStatus.SUSPENDED, note="复核")
    assert _verdict(client, first.token) == "valid"  # what the replica holds: the stated staleness
    assert client.get(f"/v/{first.token}").status_code == 200

    with session_scope(primary_and_replica["app"]) as s:  # this process revokes
        set_status(
            s,
            actor=SYSTEM,
            number=first.number,
            target=CertificateStatus.REVOKED,
            note="撤销",
            reason=RevocationReason.ISSUED_IN_ERROR,
        )
    assert _verdict(client, first.token) == "revoked"  # at once: reads fall back to the primary
    time.sleep(FALLBACK_SECONDS + 0.1)
    assert _verdict(client, first.token) == "valid"  # the window is over: the lagging replica answers again


def test_a_certificate_the_replica_does_not_have_yet_is_read_from_the_primary(
    primary_and_replica: dict[str, Any],
) -> None:
    with session_scope(primary_and_replica["other"]) as s:
        newer = make_certificate(s, primary_and_replica["settings"])
    time.sleep(FALLBACK_SECONDS)
    assert _verdict(primary_and_replica["client"], newer.token) == "valid"
    assert 'data-basis="exam"' in primary_and_replica["client"].get(f"/v/{newer.token}").text
    assert _verdict(primary_and_replica["client"], "not-a-token") == "invalid"
