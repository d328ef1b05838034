"""Real API servers for operations tests: `registry serve` in a subprocess on a free port, its log in a file.

Ports come from REGISTRY_TEST_PORTS ("first-last", default 8130-8139) so parallel developers' suites on one
machine stay apart; a port is used only when nothing listens on it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


def free_port() -> int:
    """A port from REGISTRY_TEST_PORTS that nothing listens on."""
    first, last = (int(p) for p in os.environ.get("REGISTRY_TEST_PORTS", "8130-8139").split("-"))
    for port in range(first, last + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail(f"no free port in {first}-{last} (REGISTRY_TEST_PORTS)")


@dataclass
class Server:
    """A running server: its base URL and log file."""

    base: str
    log: Path
    process: subprocess.Popen[bytes]

    def request(
        self, method: str, path: str, *, json_body: Any = None, form: Mapping[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """One request: (status, headers, body); error statuses are answers, not exceptions."""
        data, headers = None, {}
        if json_body is not None:
            data, headers = json.dumps(json_body).encode(), {"Content-Type": "application/json"}
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()


@contextmanager
def serve(env: Mapping[str, str], tmp: Path, *, name: str = "server") -> Iterator[Server]:
    """Start `registry serve --no-migrate` with env on top of os.environ; stop it (SIGTERM, then SIGKILL) after."""
    port = free_port()
    log = tmp / f"{name}-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", "from api.cli import main; main()", "serve", "--no-migrate", "--port", str(port)],
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(f"http://127.0.0.1:{port}", log, process)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"server exited {process.returncode}: {log.read_text(errors='replace')[-2000:]}")
            try:
                if server.request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def redis_url_or_skip() -> str:
    """The test Redis (REGISTRY_TEST_REDIS_URL, default DB 3 on the machine's Redis), or skip saying why."""
    import redis

    url = os.environ.get("REGISTRY_TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis not reachable at {url} ({error.__class__.__name__}): shared-limit tests need it (CI has it)")
    return url
