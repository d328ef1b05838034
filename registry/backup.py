"""Backups of the registry database and their restore: SQLite via its online backup API, PostgreSQL via
pg_dump / pg_restore in the custom archive format (found on PATH).

A backup is consistent while the service runs: SQLite's backup API copies one snapshot page by page under a read
lock (writers go on under WAL); pg_dump reads in one repeatable-read transaction. Backups hold personal data
(encrypted ID numbers, names): files are written owner-only (0600) and never over an existing file.
A restore refuses a target that already has tables unless forced, and checks the archive before touching it.
The signing keys are files (REGISTRY_KEY_DIR), not in the database: back them up separately (README, Operations).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from registry.db import is_sqlite_url, make_engine
from registry.errors import Conflict, InvalidInput

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
TOOL_TIMEOUT_SECONDS = 6 * 3600


class BackupFailed(Conflict):
    """A backup or restore could not be done; nothing was changed."""

    code = "backup_failed"


class ToolMissing(BackupFailed):
    """pg_dump / pg_restore is not on PATH."""

    code = "backup_tool_missing"


class TargetNotEmpty(Conflict):
    """The database to restore into already has tables (pass --force to replace them)."""

    code = "restore_target_not_empty"


class NotABackup(InvalidInput):
    """The file is not a backup of this database kind."""

    code = "not_a_backup"


@dataclass(frozen=True)
class BackupReport:
    """What was written or restored: the file, its size, how long it took."""

    path: Path
    size_bytes: int
    seconds: float
    kind: str  # sqlite | postgresql


def table_counts(url: str) -> dict[str, int]:
    """Rows per table of the database at url (every table, reference data included)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            names = sorted(sa.inspect(conn).get_table_names())
            return {
                name: int(conn.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one())
                for name in names
            }
    finally:
        engine.dispose()


def backup(url: str, path: Path, *, force: bool = False) -> BackupReport:
    """Write a consistent backup of the database at url to path (refused over an existing file unless forced)."""
    if path.exists() and not force:
        raise BackupFailed(
            f"{path} 已存在，未覆盖（如需覆盖请加 --force）", f"{path} exists; not overwritten (use --force)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    started = time.perf_counter()
    kind = "sqlite" if is_sqlite_url(url) else "postgresql"
    try:
        if kind == "sqlite":
            source = _sqlite_path(url)
            if not source.exists():
                raise BackupFailed(f"数据库文件 {source} 不存在", f"database file {source} does not exist")
            _create_private(partial)
            with _sqlite(source) as src, _sqlite(partial) as dest:
                src.backup(dest)
        else:
            _create_private(partial)
            _run_tool("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"], url)
    except BaseException:
        partial.unlink(missing_ok=True)  # a failed backup leaves nothing that could pass for one
        raise
    partial.replace(path)
    return BackupReport(path, path.stat().st_size, time.perf_counter() - started, kind)


def restore(url: str, path: Path, *, force: bool = False) -> BackupReport:
    """Restore the backup at path into the database at url; refused when it has tables unless forced."""
    if not path.is_file():
        raise BackupFailed(f"备份文件 {path} 不存在", f"backup file {path} does not exist")
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    sqlite_target = is_sqlite_url(url)
    expected, name = (SQLITE_MAGIC, "SQLite") if sqlite_target else (PG_MAGIC, "pg_dump custom-format")
    if not head.startswith(expected):
        raise NotABackup(
            f"{path} 不是{name}备份，不能恢复到此数据库", f"{path} is not a {name} backup for this database"
        )
    tables = _tables(url)
    if tables and not force:
        raise TargetNotEmpty(
            f"目标数据库已有 {len(tables)} 张表，未恢复（确认覆盖请加 --force）",
            f"the target database already has {len(tables)} tables; nothing restored (use --force to replace it)",
        )
    started = time.perf_counter()
    if sqlite_target:
        with _sqlite(path) as src:
            if src.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise NotABackup(f"{path} 已损坏", f"{path} is damaged (quick_check failed)")
            target = _sqlite_path(url)
            target.parent.mkdir(parents=True, exist_ok=True)
            with _sqlite(target) as dest:
                src.backup(dest)  # replaces every page of the target, under its write lock
    else:
        _run_tool("pg_restore", ["--list", str(path)], None)  # a readable archive, before anything is dropped
        options = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
        if tables:
            options += ["--clean", "--if-exists"]
        _run_tool("pg_restore", [*options, "--dbname", _libpq_url(url, with_password=False), str(path)], url)
    return BackupReport(
        path, path.stat().st_size, time.perf_counter() - started, "sqlite" if sqlite_target else "postgresql"
    )


def _tables(url: str) -> list[str]:
    if is_sqlite_url(url) and not _sqlite_path(url).exists():
        return []
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()


def _sqlite_path(url: str) -> Path:
    database = sa.engine.make_url(url).database
    if not database or database == ":memory:":
        raise BackupFailed("内存数据库无法备份", "an in-memory database cannot be backed up or restored")
    return Path(database)


class _sqlite:  # noqa: N801 - used like a function: with _sqlite(path) as conn
    """A plain sqlite3 connection, closed on exit (sqlite3's own context manager only commits)."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=30)

    def __enter__(self) -> sqlite3.Connection:
        return self.conn

    def __exit__(self, *_: object) -> None:
        self.conn.close()


def _create_private(path: Path) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))


def _libpq_url(url: str, *, with_password: bool) -> str:
    parsed = sa.engine.make_url(url).set(drivername="postgresql")
    if not with_password:
        parsed = parsed.set(password=None)
    return parsed.render_as_string(hide_password=False)


def _run_tool(tool: str, args: list[str], url: str | None) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise ToolMissing(
            f"找不到 {tool}：请安装 PostgreSQL 客户端（apt-get install postgresql-client），并确保其在 PATH 中",
            f"{tool} not found on PATH: install the PostgreSQL client tools (apt-get install postgresql-client), "
            "the same major version as the server or newer",
        )
    env = dict(os.environ)
    if url is not None:
        password = sa.engine.make_url(url).password
        if password:
            env["PGPASSWORD"] = str(password)  # never on the command line, where `ps` shows it
        if tool == "pg_dump":
            args = [*args, _libpq_url(url, with_password=False)]
    done = subprocess.run(  # noqa: S603 - a fixed tool found on PATH, arguments we built
        [executable, *args], env=env, capture_output=True, text=True, timeout=TOOL_TIMEOUT_SECONDS, check=False
    )
    if done.returncode != 0:
        detail = " ".join(done.stderr.strip().splitlines()[-3:])[:500]
        raise BackupFailed(
            f"{tool} 失败（退出码 {done.returncode}）：{detail}", f"{tool} failed ({done.returncode}): {detail}"
        )
