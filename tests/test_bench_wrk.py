"""The wrk driver of the verification benchmark: reading wrk's figures, and a real run when wrk is installed."""

from __future__ import annotations

import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.wrk import WrkFailed, WrkMissing, parse_wrk_output, run_wrk, write_paths, wrk_binary

# What wrk 4.1 prints with bench/rotate.lua (its own summary, then the script's JSON line).
SAMPLE = """Running 10s test @ http://127.0.0.1:8131
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    36.61ms   80.01ms 598.20ms   93.37%
    Req/Sec   437.80     98.73   680.00     71.50%
  8741 requests in 10.00s, 12.51MB read
  Non-2xx or 3xx responses: 3
  Socket errors: connect 0, read 1, write 0, timeout 2
Requests/sec:    874.02
Transfer/sec:      1.25MB
WRK_JSON {"duration_us":10001000,"requests":8741,"bytes":13117440,"connect_errors":0,"read_errors":1,\
"write_errors":0,"status_errors":3,"timeouts":2,"p50_us":26012,"p90_us":61000,"p99_us":598204,\
"mean_us":36610.5,"max_us":598204}
"""


def test_figures_are_read_from_the_script_line() -> None:
    result = parse_wrk_output(SAMPLE, connections=32)
    assert result.requests == 8741
    assert result.rps == pytest.approx(874.0, abs=0.1)
    assert result.p50_ms == pytest.approx(26.012)
    assert result.p99_ms == pytest.approx(598.204)
    assert result.http_errors == 3
    assert result.socket_errors == 3  # read 1 + timeouts 2
    assert result.errors == 6
    figures = result.as_dict()
    assert figures["rps"] == 874
    assert figures["connections"] == 32


def test_output_without_the_script_line_is_an_error() -> None:
    with pytest.raises(WrkFailed, match="WRK_JSON"):
        parse_wrk_output(SAMPLE.split("WRK_JSON", maxsplit=1)[0], connections=32)


def test_a_malformed_script_line_is_an_error() -> None:
    with pytest.raises(WrkFailed, match="malformed"):
        parse_wrk_output('WRK_JSON {"requests": 5}\n', connections=8)


def test_paths_must_be_absolute_single_lines(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="start with /"):
        write_paths(["/ok", "relative"], tmp_path / "p.txt")
    with pytest.raises(ValueError, match="newline"):
        write_paths(["/a\n/b"], tmp_path / "p.txt")
    assert write_paths(["/a", "/b"], tmp_path / "p.txt").read_text() == "/a\n/b\n"


def test_a_missing_wrk_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("BENCH_WRK", raising=False)
    with pytest.raises(WrkMissing, match="apt-get install wrk"):
        wrk_binary()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: set[str] = set()  # noqa: RUF012 - shared by the handler threads of one test

    def do_GET(self) -> None:
        type(self).seen.add(self.path)
        status = 404 if self.path == "/missing" else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_args: object) -> None:
        return


@pytest.fixture
def tiny_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_wrk_rotates_over_the_paths_and_counts_http_errors(tiny_server: str, tmp_path: Path) -> None:
    _Handler.seen = set()
    paths = write_paths(["/a", "/b", "/c", "/missing"], tmp_path / "paths.txt")
    result = run_wrk(tiny_server, paths, connections=2, seconds=1)
    assert result.requests > 20
    assert _Handler.seen == {"/a", "/b", "/c", "/missing"}
    assert 0 < result.http_errors < result.requests  # about a quarter answered 404
    assert result.socket_errors == 0
    assert result.p50_ms <= result.p99_ms
