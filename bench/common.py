"""Shared benchmark set-up: scratch databases (SQLite file, PostgreSQL database) migrated and loaded."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from registry import pii, schema
from registry.catalogue.loader import load_reference_data
from registry.db import make_engine, session_scope
from registry.settings import Settings

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
# Databases the benchmarks create are named <prefix>_…: a shared server keeps each user's apart.
BENCH_DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "registry_bench")


def postgres_available() -> bool:
    """Whether the local PostgreSQL answers."""
    try:
        engine = make_engine(PG_ADMIN)
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


@contextmanager
def scratch_database(kind: str, *, admin_url: str = PG_ADMIN) -> Iterator[str]:
    """A fresh, migrated database with reference data (PostgreSQL: registry_bench_*); dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            prepare(url)
            yield url
        return
    name = f"{BENCH_DB_PREFIX}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = create_database(name, admin_url=admin_url)
    admin = make_engine(admin_url)
    try:
        prepare(url)
        yield url
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def create_database(name: str, *, admin_url: str = PG_ADMIN, replace: bool = False) -> str:
    """Create the PostgreSQL database name (dropping one of that name first when replace); return its URL."""
    admin = make_engine(admin_url)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if replace:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()
    return sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def prepare(url: str) -> None:
    """Migrate url to the newest schema and load the shipped reference data."""
    schema.upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as session:
        load_reference_data(session)
    engine.dispose()


def bench_settings(url: str, key_dir: Path) -> Settings:
    """Development settings for a benchmark database (cheap password hashing: set-up is not what is measured)."""
    return Settings(
        env="development",
        database_url=url,
        key_dir=key_dir,
        public_url="https://registry.example.gov.cn",
        argon2_time_cost=1,
        argon2_memory_kib=64,
    )


def person_rows(settings: Settings, n: int, *, start: int = 0) -> list[dict[str, object]]:
    """n person rows for a bulk insert (fictional identities, real encryption and look-up hashes)."""
    now = dt.datetime.now(dt.UTC)
    rows = []
    for i in range(start, start + n):
        number = f"4406061990{i:08d}"[:18]
        rows.append(
            {
                "id": uuid.uuid4(),
                "name": f"工人{i}",
                "id_type": "resident_id",
                "id_number_enc": pii.encrypt(settings, number, context="resident_id"),
                "id_number_hmac": pii.lookup_hash(settings, "resident_id", number),
                "id_masked": number[:4] + "*" * 10 + number[-4:],
                "birth_on": None,
                "holder_binding": None,
                "created_by_body_id": None,
                "created_at": now,
            }
        )
    return rows
