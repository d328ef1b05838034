"""`registry db backup` / `restore`: a round trip keeps every row and the audit chain, on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app as cli
from registry.backup import ToolMissing, backup, table_counts
from registry.db import get_engine, session_scope
from registry.settings import get_settings
from tests.factories import make_certificate


@pytest.fixture
def populated(committed_url: str) -> str:
    """The committed test database with certificates, people, bodies and their audit events."""
    if not committed_url.startswith("sqlite") and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore not on PATH (apt-get install postgresql-client): no PostgreSQL round trip")
    settings = get_settings()
    with session_scope(get_engine(committed_url)) as session:
        for _ in range(3):
            make_certificate(session, settings)
    return committed_url


def test_round_trip_keeps_every_row_and_the_audit_chain(
    populated: str, scratch_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "registry.backup"
    runner = CliRunner()
    made = runner.invoke(cli, ["db", "backup", str(archive)])
    assert made.exit_code == 0, made.output
    assert "backup written" in made.output
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600  # personal data: owner only
    before = table_counts(populated)
    assert before["certificate"] == 3
    assert before["audit_event"] > 3

    monkeypatch.setenv("REGISTRY_DATABASE_URL", scratch_url)
    get_settings.cache_clear()
    restored = runner.invoke(cli, ["db", "restore", str(archive)])
    assert restored.exit_code == 0, restored.output
    assert "audit chain intact" in restored.output
    assert table_counts(scratch_url) == before

    again = runner.invoke(cli, ["db", "restore", str(archive)])
    assert again.exit_code == 1
    assert "already has" in again.output
    assert "--force" in again.output
    forced = runner.invoke(cli, ["db", "restore", "--force", str(archive)])
    assert forced.exit_code == 0, forced.output
    assert table_counts(scratch_url) == before


def test_backup_never_overwrites_a_file_unless_forced(populated: str, tmp_path: Path) -> None:
    archive = tmp_path / "kept.backup"
    archive.write_bytes(b"an earlier backup")
    refused = CliRunner().invoke(cli, ["db", "backup", str(archive)])
    assert refused.exit_code == 1
    assert archive.read_bytes() == b"an earlier backup"
    assert CliRunner().invoke(cli, ["db", "backup", "--force", str(archive)]).exit_code == 0
    assert archive.read_bytes() != b"an earlier backup"


def test_a_file_that_is_not_a_backup_is_refused_before_anything_changes(
    populated: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scratch_url: str
) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("not a backup", encoding="utf-8")
    monkeypatch.setenv("REGISTRY_DATABASE_URL", scratch_url)
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["db", "restore", "--force", str(bogus)])
    assert result.exit_code == 1
    assert "not_a_backup" in result.output


def test_missing_pg_dump_is_named_with_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing on PATH
    with pytest.raises(ToolMissing) as missing:
        backup("postgresql+psycopg://postgres@127.0.0.1:5432/anything", tmp_path / "x.backup")
    assert "pg_dump not found on PATH" in missing.value.en
    assert "postgresql-client" in missing.value.en
    assert list(tmp_path.iterdir()) == []  # no backup, and no partial file either
