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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REGISTRY = (sys.executable, "-c", "from api.cli import main; main()")  # the console script, whatever the venv


def free_port(taken: frozenset[int] = frozenset()) -> int:
    """A port from REGISTRY_TEST_PORTS that nothing listens on (and not among taken)."""
    first, last = (int(p) for p in os.environ.get("REGISTRY_TEST_PORTS", "8130-8139").split("-"))
    for port in sorted(set(range(first, last + 1)) - taken):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail(f"no free port in {first}-{last} (REGISTRY_TEST_PORTS)")


@dataclass
class Server:
    """A running server: its base URL, its log (stderr) and its standard output (the start-up banner)."""

    base: str
    log: Path
    out: Path
    process: subprocess.Popen[bytes]
    env: Mapping[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """One request: (status, lower-cased headers, body); error statuses are answers, not exceptions."""
        data, sent = None, dict(headers or {})
        if json_body is not None:
            data, sent["Content-Type"] = json.dumps(json_body).encode(), "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, _lower(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, _lower(error.headers), error.read()


def _die_with_parent() -> None:
    """Linux: the server gets SIGTERM when the test process dies, so a killed run leaves no server behind."""
    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


@contextmanager
def serve(env: Mapping[str, str], tmp: Path, *, name: str = "server") -> Iterator[Server]:
    """Start `registry serve --no-migrate` with env on top of os.environ; stop it (SIGTERM, then SIGKILL) after."""
    with serve_many([env], tmp, name=name) as (server,):
        yield server


@contextmanager
def serve_many(
    envs: list[Mapping[str, str]], tmp: Path, *, name: str = "server", args: tuple[str, ...] = ()
) -> Iterator[list[Server]]:
    """Start one server per env at once (start-up is import-bound: in parallel it costs one start, not n)."""
    servers: list[Server] = []
    try:
        for env in envs:
            port = free_port(frozenset(int(s.base.rsplit(":", 1)[1]) for s in servers))
            log, banner = tmp / f"{name}-{port}.log", tmp / f"{name}-{port}.out"
            with log.open("wb") as err, banner.open("wb") as out:
                process = subprocess.Popen(
                    [*REGISTRY, "serve", "--no-migrate", "--port", str(port), *args],
                    env={**os.environ, **env},
                    stdout=out,
                    stderr=err,
                    preexec_fn=_die_with_parent,  # noqa: PLW1509 - prctl only, before exec
                )
            servers.append(Server(f"http://127.0.0.1:{port}", log, banner, process, env))
        for server in servers:
            _wait_ready(server)
        yield servers
    finally:
        for server in servers:
            server.process.send_signal(signal.SIGTERM)
        for server in servers:
            try:
                server.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.process.kill()
                server.process.wait()


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + 60
    while True:
        if server.process.poll() is not None:
            pytest.fail(f"server exited {server.process.returncode}: {server.log.read_text(errors='replace')[-2000:]}")
        try:
            if server.request("GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"server did not start: {server.log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.1)


def redis_url_or_skip() -> str:
    """The test Redis (REGISTRY_TEST_REDIS_URL, default DB 3 on the machine's Redis), or skip saying why."""
    import redis

    url = os.environ.get("REGISTRY_TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis not reachable at {url} ({error.__class__.__name__}): shared limits need it (CI has it)")
    return url
