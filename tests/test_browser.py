"""The verification page in a real headless browser (Chromium), served by a live server.

Skipped with the reason shown when Chromium is not installed (Debian: apt-get install chromium).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from api.app import create_app
from registry.db import make_engine, session_scope
from registry.settings import get_settings
from tests.factories import make_certificate

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=390,1100",
]


@pytest.fixture
def live_server(committed_url: str) -> Iterator[str]:
    """The app on a free local port, with its own sessions on the committed test database."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(get_settings()), host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _chromium(tmp_path: Path, *args: str) -> str:
    assert CHROMIUM is not None
    result = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result.stdout


def test_phone_sees_the_verdict_and_masked_fields(live_server: str, committed_url: str, tmp_path: Path) -> None:
    settings = get_settings()
    engine = make_engine(committed_url)
    with session_scope(engine) as session:
        certificate = make_certificate(session, settings)
        token, number = certificate.token, certificate.number
    engine.dispose()
    dom = _chromium(tmp_path, "--dump-dom", f"{live_server}/v/{token}")
    assert 'data-verdict="valid"' in dom
    assert "真实有效" in dom
    assert number in dom
    shot = tmp_path / "page.png"
    _chromium(tmp_path, f"--screenshot={shot}", f"{live_server}/v/{token}")
    assert shot.stat().st_size > 10_000
