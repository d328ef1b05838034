"""deploy/nginx.conf: it parses (`nginx -t`) and, in front of two API processes sharing Redis, replaces any
X-Forwarded-For a client sends, hands the request id through, and keeps tokens and addresses out of its log."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ops.conftest import LOOKUPS_PER_MINUTE
from tests.ops.servers import Server, free_port

CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "nginx.conf"


def _nginx() -> str:
    nginx = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None)
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install nginx-light): the example proxy config is not tried")
    return nginx


def _localised(upstreams: list[str], listen: int, tmp: Path) -> Path:
    """The shipped config with only its listen address, upstream addresses and log path changed."""
    text = CONFIG.read_text(encoding="utf-8")
    text, listens = re.subn(r"listen 80;", f"listen 127.0.0.1:{listen};", text)
    text, logs = re.subn(r"/var/log/nginx/registry\.access\.log", str(tmp / "access.log"), text)
    servers = "\n".join(f"        server {u} max_fails=3 fail_timeout=10s;" for u in upstreams)
    text, pools = re.subn(r"(        server 127\.0\.0\.1:800\d [^\n]*\n)+", servers + "\n", text)
    assert (listens, logs, pools) == (1, 1, 1), "deploy/nginx.conf changed shape: update this test"
    path = tmp / "nginx.conf"
    path.write_text(text, encoding="utf-8")
    return path


def _answers(server: Server) -> bool:
    try:
        return server.request("GET", "/healthz")[0] == 200
    except OSError:
        return False


def _globals(tmp: Path) -> list[str]:
    return ["-p", str(tmp), "-g", f"pid {tmp / 'nginx.pid'}; error_log {tmp / 'error.log'};"]


@pytest.fixture(scope="module")
def proxied(
    api_pair: list[Server], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[Server], Path]]:
    """nginx with the shipped config in front of the API pair."""
    nginx = _nginx()
    tmp = tmp_path_factory.mktemp("nginx")
    port = free_port(frozenset(int(s.base.rsplit(":", 1)[1]) for s in api_pair))
    config = _localised([s.base.removeprefix("http://") for s in api_pair], port, tmp)
    checked = subprocess.run(
        [nginx, "-t", "-c", str(config), *_globals(tmp)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr
    process = subprocess.Popen([nginx, "-c", str(config), *_globals(tmp), "-g", "daemon off;"])
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while not _answers(Server(base, tmp, tmp, process)):
            assert time.monotonic() < deadline, (tmp / "error.log").read_text()
            time.sleep(0.1)
        yield base, api_pair, tmp
    finally:
        process.send_signal(signal.SIGQUIT)  # graceful: workers finish, the access log is flushed
        process.wait(timeout=10)


def test_the_shipped_config_parses(tmp_path: Path) -> None:
    nginx = _nginx()
    config = _localised(["127.0.0.1:8001", "127.0.0.1:8002"], 8080, tmp_path)
    checked = subprocess.run(
        [nginx, "-t", "-c", str(config), *_globals(tmp_path)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr


def test_a_client_cannot_choose_the_address_its_budget_is_counted_against(
    proxied: tuple[str, list[Server], Path],
) -> None:
    base, servers, tmp = proxied
    front = Server(base, tmp, tmp, servers[0].process)
    body = {"number": "Y000044999999269000001", "name": "张三"}
    statuses = [
        front.request("POST", "/api/v1/verify/lookup", json_body=body, headers={"X-Forwarded-For": f"10.9.8.{i}"})[0]
        for i in range(5)
    ]
    # Five spoofed addresses, one real client (nginx's peer, 127.0.0.1): one budget, spread over both processes.
    assert statuses == [404] * LOOKUPS_PER_MINUTE + [429] * (5 - LOOKUPS_PER_MINUTE)


def test_the_request_id_runs_from_nginx_through_the_api_and_nothing_private_is_logged(
    proxied: tuple[str, list[Server], Path],
) -> None:
    base, servers, tmp = proxied
    front = Server(base, tmp, tmp, servers[0].process)
    token = "eyJhbGciOiJFUzI1NiJ9.not-a-real-token.x"
    status, headers, _ = front.request("GET", f"/api/v1/verify/{token}", headers={"X-Forwarded-For": "10.9.8.7"})
    assert status == 200
    rid = headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", rid)  # nginx's $request_id, echoed by the API
    for _ in range(100):  # both logs are written just after the response (the API's from a queue)
        api_logs = "".join(s.log.read_text(encoding="utf-8") for s in servers)
        nginx_log = (tmp / "access.log").read_text(encoding="utf-8")
        if rid in api_logs and rid in nginx_log:
            break
        time.sleep(0.05)
    assert f'"request_id": "{rid}"' in api_logs
    assert rid in nginx_log
    for private in (token, "not-a-real-token", "10.9.8.7", "127.0.0.1 -"):
        assert private not in nginx_log + api_logs
