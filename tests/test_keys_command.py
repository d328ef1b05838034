"""`registry keys …`: files in the key directory, rotation, a JWKS without private material."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from api.cli import app as cli


def test_generate_rotate_list_export(committed_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["keys", "generate"])
    assert first.exit_code == 0, first.output
    assert runner.invoke(cli, ["keys", "generate"]).exit_code == 1  # one active key at a time
    assert runner.invoke(cli, ["keys", "rotate"]).exit_code == 0
    listing = runner.invoke(cli, ["keys", "list"]).output
    assert "retired" in listing
    assert "active" in listing
    out = tmp_path / "jwks.json"
    assert runner.invoke(cli, ["keys", "export-jwks", "--out", str(out)]).exit_code == 0
    keys = json.loads(out.read_text(encoding="utf-8"))["keys"]
    assert len(keys) == 2
    assert all("d" not in k for k in keys)
