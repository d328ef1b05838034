"""`registry serve`: the options reach uvicorn (worker processes for the scale-out set-up and the benchmark)."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from api.cli import app as cli


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


def test_workers_are_passed_to_uvicorn(uvicorn_calls: list[tuple[tuple[Any, ...], dict[str, Any]]]) -> None:
    result = CliRunner().invoke(cli, ["serve", "--no-migrate", "--port", "8139", "--workers", "2"])
    assert result.exit_code == 0, result.output
    ((args, kwargs),) = uvicorn_calls
    assert args == ("api.app:served_app",)
    assert kwargs["factory"] is True
    assert kwargs["workers"] == 2
    assert kwargs["port"] == 8139
    assert kwargs["host"] == "127.0.0.1"


def test_one_worker_by_default(uvicorn_calls: list[tuple[tuple[Any, ...], dict[str, Any]]]) -> None:
    assert CliRunner().invoke(cli, ["serve", "--no-migrate"]).exit_code == 0
    assert uvicorn_calls[0][1]["workers"] == 1


def test_zero_workers_are_refused(uvicorn_calls: list[tuple[tuple[Any, ...], dict[str, Any]]]) -> None:
    result = CliRunner().invoke(cli, ["serve", "--no-migrate", "--workers", "0"])
    assert result.exit_code == 2
    assert "workers" in result.output
    assert uvicorn_calls == []
