"""Backup round trip (`registry db backup` / `restore`): time and size for the demo registry on SQLite and
PostgreSQL, and for a volume-loaded PostgreSQL registry (BENCH_BACKUP_N certificates, default 100,000).

Each round trip backs up a scratch database, restores it into a second, empty one, and checks that every table
has the same row count and the audit chain verifies in the copy. No target in DESIGN.md: the figures are for
operators planning backup windows (README, Operations).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import bench_settings, postgres_available, scratch_database
from certificates import signing
from registry.audit.service import verify_chain
from registry.backup import backup, restore, table_counts
from registry.clock import utcnow
from registry.db import make_engine, session_scope


def _round_trip(url: str, empty_url: str, folder: Path) -> dict[str, Any]:
    archive = folder / "registry.backup"
    counts = table_counts(url)
    made = backup(url, archive)
    back = restore(empty_url, archive)
    restored = table_counts(empty_url)
    engine = make_engine(empty_url)
    with session_scope(engine, readonly=True) as session:
        chain = verify_chain(session)
    engine.dispose()
    return {
        "rows": sum(counts.values()),
        "certificates": counts.get("certificate", 0),
        "audit_events": counts.get("audit_event", 0),
        "backup_seconds": round(made.seconds, 2),
        "restore_seconds": round(back.seconds, 2),
        "size_mib": round(made.size_bytes / 1024 / 1024, 2),
        "same_row_counts": restored == counts,
        "audit_chain_ok": chain.ok,
    }


def _demo(url: str, folder: Path) -> None:
    from api.demo import load_demo
    from assessment.recognition.service import load_competition_defaults

    signing.ensure_key(folder / "keys", now=utcnow())
    engine = make_engine(url)
    with session_scope(engine) as session:  # what `registry demo` does after `registry db upgrade`
        load_competition_defaults(session)
        load_demo(session, bench_settings(url, folder / "keys"))
    engine.dispose()


def _empty(kind: str, folder: Path) -> Any:
    """A second, EMPTY database to restore into (no tables: restore refuses a populated one)."""
    if kind == "sqlite":
        return _Plain(f"sqlite:///{folder / 'restored.db'}")
    return scratch_database("postgresql")


class _Plain:
    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> str:
        return self.url

    def __exit__(self, *_: object) -> None:
        return None


def _emptied(url: str) -> str:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()
    return url


def main() -> dict[str, Any]:
    """Round trips for the demo registry (both databases) and a volume registry (PostgreSQL)."""
    results: dict[str, Any] = {}
    kinds = ["sqlite"]
    if not postgres_available():
        results["postgresql"] = "skipped: no PostgreSQL at BENCH_PG_ADMIN_URL"
    elif shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        results["postgresql"] = "skipped: pg_dump/pg_restore not on PATH (apt-get install postgresql-client)"
    else:
        kinds.append("postgresql")
    for kind in kinds:
        with tempfile.TemporaryDirectory() as tmp, scratch_database(kind) as url, _empty(kind, Path(tmp)) as target:
            folder = Path(tmp)
            _demo(url, folder)
            results[f"demo_{kind}"] = _round_trip(url, target if kind == "sqlite" else _emptied(target), folder)
    if "postgresql" in kinds:
        from bench.volume import load_volume

        n = int(os.environ.get("BENCH_BACKUP_N", "100000"))
        with tempfile.TemporaryDirectory() as tmp, scratch_database("postgresql") as url:
            folder = Path(tmp)
            started = time.perf_counter()
            load_volume(url, bench_settings(url, folder / "keys"), certificates=n, real=0)
            loaded = time.perf_counter() - started
            with scratch_database("postgresql") as target:
                results["volume_postgresql"] = {
                    **_round_trip(url, _emptied(target), folder),
                    "load_seconds": round(loaded, 1),
                }
    return results
