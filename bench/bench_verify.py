"""Verification speed on a live server over PostgreSQL holding BENCH_VERIFY_N certificates (default 1,000,000).

Reports the median and p95 latency of the QR landing page (/v/{token}) and the JSON endpoint, and the JSON
endpoint's throughput against the same server's /healthz (which also answers from the database).
Target (DESIGN.md §9): JSON verification throughput ≥ 50% of /healthz throughput.
"""

from __future__ import annotations

import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bench.bench_issue import _setup
from bench.common import bench_settings, postgres_available, scratch_database
from certificates import signing
from certificates.models import Certificate
from certificates.service import issue_certificates
from registry.actor import Actor
from registry.clock import utcnow
from registry.db import make_engine, session_scope

SYSTEM = Actor.system("bench")
TARGET_RATIO = 0.5
FILLER_SQL = """
INSERT INTO person (id, name, id_type, id_number_enc, id_number_hmac, id_masked, created_at)
SELECT md5('p' || g)::uuid, '工人' || g, 'resident_id', 'x', md5('h' || g) || md5('i' || g), '4406**********0000', now()
FROM generate_series(1, :n) AS g;
INSERT INTO grade_award (id, person_id, body_id, filing_id, occupation_code, work_type, grade, awarded_on, basis,
                         status, created_at)
SELECT md5('a' || g)::uuid, md5('p' || g)::uuid, :body, :filing, '6-18-02-04', '', 'senior', current_date, 'exam',
       'active', now()
FROM generate_series(1, :n) AS g;
INSERT INTO certificate (id, number, award_id, person_id, body_id, occupation_code, work_type, grade, issued_on,
                         print_serial, kid, token, status, created_at)
SELECT md5('c' || g)::uuid, 'Y000044000998' || lpad(((g / 999999) % 100)::text, 2, '0') || '3'
       || lpad((g % 999999 + 1)::text, 6, '0'), md5('a' || g)::uuid, md5('p' || g)::uuid, :body, '6-18-02-04', '',
       'senior', current_date, 1, 'filler', 'filler', 'valid', now()
FROM generate_series(1, :n) AS g;
ANALYZE;
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(url: str, key_dir: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "REGISTRY_DATABASE_URL": url,
        "REGISTRY_KEY_DIR": key_dir,
        "REGISTRY_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "api.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "2",
        "--log-level",
        "warning",
        "--no-access-log",
        "--no-proxy-headers",  # as `registry serve` runs it: only REGISTRY_FORWARDED_ALLOW_IPS names clients
    ]
    server = subprocess.Popen(command, env=env)
    for _ in range(100):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("server did not start")


def _latency(client: httpx.Client, urls: list[str]) -> dict[str, float]:
    timings = []
    for url in urls:
        start = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    timings.sort()
    return {"median_ms": round(statistics.median(timings), 2), "p95_ms": round(timings[int(len(timings) * 0.95)], 2)}


def _throughput(base: str, paths: list[str], seconds: float, threads: int = 8) -> float:
    done = [0] * threads
    stop = time.perf_counter() + seconds

    def worker(index: int) -> None:
        with httpx.Client(base_url=base, timeout=10) as client:
            while time.perf_counter() < stop:
                client.get(random.choice(paths))
                done[index] += 1

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(done) / seconds


def main() -> dict[str, Any]:
    """Fill PostgreSQL, start the server, measure latencies and throughput."""
    if not postgres_available():
        return {"skipped": "no PostgreSQL at BENCH_PG_ADMIN_URL"}
    n = int(os.environ.get("BENCH_VERIFY_N", "1000000"))
    seconds = float(os.environ.get("BENCH_VERIFY_SECONDS", "8"))
    with scratch_database("postgresql") as url, tempfile.TemporaryDirectory() as keys:
        settings = bench_settings(url, Path(keys))
        signing.generate_key(settings.key_dir, now=utcnow())
        real = _setup(url, settings, 300)
        engine = make_engine(url)
        with session_scope(engine) as s:
            issue_certificates(s, actor=SYSTEM, award_ids=real, settings=settings)
            award = s.execute(sa.text("SELECT body_id, filing_id FROM grade_award LIMIT 1")).one()
        start = time.perf_counter()
        with engine.begin() as conn:
            for statement in filter(str.strip, FILLER_SQL.split(";")):
                conn.execute(sa.text(statement), {"n": n, "body": award.body_id, "filing": award.filing_id})
        fill_seconds = time.perf_counter() - start
        with session_scope(engine) as s:
            total = s.execute(sa.select(sa.func.count()).select_from(Certificate)).scalar_one()
            tokens = list(s.execute(sa.select(Certificate.token).where(Certificate.kid != "filler")).scalars())
        engine.dispose()
        port = _free_port()
        server = _serve(url, keys, port)
        try:
            base = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=base, timeout=10) as client:
                for token in tokens[:20]:
                    assert client.get(f"/api/v1/verify/{token}").json()["verdict"] == "valid"
                page = _latency(client, [f"/v/{t}" for t in tokens])
                api = _latency(client, [f"/api/v1/verify/{t}" for t in tokens])
                health = _latency(client, ["/healthz"] * len(tokens))
            healthz_rps = _throughput(base, ["/healthz"], seconds)
            verify_rps = _throughput(base, [f"/api/v1/verify/{t}" for t in tokens], seconds)
        finally:
            server.terminate()
            server.wait(timeout=20)
    ratio = verify_rps / healthz_rps
    return {
        "certificates_in_database": total,
        "fill_seconds": round(fill_seconds, 1),
        "page_latency": page,
        "json_latency": api,
        "healthz_latency": health,
        "healthz_requests_per_s": round(healthz_rps),
        "json_verify_requests_per_s": round(verify_rps),
        "ratio": round(ratio, 2),
        "target_ratio": TARGET_RATIO,
        "meets_target": ratio >= TARGET_RATIO,
        "measured_on": utcnow().date().isoformat(),
    }
