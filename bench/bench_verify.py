"""Verification under load: wrk against `registry serve --workers N` on PostgreSQL, beside the stack's own ceiling.

One run: the volume loader fills a scratch database with BENCH_VERIFY_N filler certificates (default 1,000,000)
plus BENCH_VERIFY_TOKENS (default 3,000) issued by the issuing service; then, for 2 and for 1 worker processes,
wrk (2 threads, BENCH_VERIFY_SECONDS each, default 10) drives at each of BENCH_VERIFY_CONNECTIONS (default 8,32):

- the ceiling: a bare FastAPI `def` route with no database (bench/bare_app.py) on the same uvicorn set-up;
- GET /healthz (our code, one database round trip);
- GET /api/v1/verify/{token} and GET /v/{token}, each request a random one of the real tokens.

Reported per run: rps, p50/p90/p99 and errors (HTTP >= 400 and socket errors); the ratio verify / bare and the
JSON verification's p99 at 32 connections against the targets (DESIGN.md §9: >= 0.25, <= 50 ms); the 1 -> 2
worker scaling; the load average before and after (the machine may be shared: figures are only comparable
within one run). BENCH_VERIFY_WORKERS (default "2,1") picks the worker counts, BENCH_PORT the first of two ports.

BENCH_VERIFY_VOLUME_DIR=dir keeps the loaded volume for the next run (the load takes minutes): the first run
loads into a database named after BENCH_DB_PREFIX (default registry_bench) and writes its URL, keys and tokens
to dir; later runs with the same dir, BENCH_VERIFY_N and BENCH_VERIFY_TOKENS measure that database again.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.bare_app import BARE_PATH
from bench.common import BENCH_DB_PREFIX, bench_settings, create_database, postgres_available, prepare, scratch_database
from bench.volume import RealToken, VolumeReport, load_volume
from bench.wrk import pids_cpu, process_group_cpu, run_wrk, write_paths, wrk_binary
from registry import schema
from registry.clock import utcnow
from registry.settings import Settings

TARGET_RATIO = 0.25
TARGET_P99_MS = 50.0
TARGET_CONNECTIONS = 32
WARM_UP_SECONDS = 3.0
VERDICT_SAMPLE = 300
ROOT = Path(__file__).resolve().parent.parent
ENDPOINTS = ("bare", "healthz", "verify_json", "verify_page")


def _env_ints(name: str, default: str) -> list[int]:
    values = [int(v) for v in os.environ.get(name, default).split(",") if v.strip()]
    if not values or min(values) < 1:
        raise ValueError(f"{name} must be a comma-separated list of positive integers")
    return values


def _ports() -> tuple[int, int]:
    base = os.environ.get("BENCH_PORT")
    if base:
        return int(base), int(base) + 1
    ports = []
    for _ in range(2):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            ports.append(int(probe.getsockname()[1]))
    return ports[0], ports[1]


def _get(url: str, timeout: float = 5) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # a check, not load: stdlib suffices
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), error.read()


@contextmanager
def _server(
    command: Sequence[str], env: dict[str, str], ready_url: str, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server in its own process group, wait until ready_url answers 200, stop it afterwards."""
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log_file, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{command[0]} exited with {process.returncode}; see {log}:\n{log.read_text()[-3000:]}"
                )
            try:
                if _get(ready_url, timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{ready_url} did not answer within 90 s; see {log}")
            time.sleep(0.3)
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _registry_command(port: int, workers: int) -> list[str]:
    script = Path(sys.executable).with_name("registry")
    entry = [str(script)] if script.exists() else [sys.executable, "-c", "from api.cli import main; main()"]
    return [*entry, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--no-migrate"]


def _bare_command(port: int, workers: int) -> list[str]:
    return [sys.executable, "-m", "bench.bare_app", "--port", str(port), "--workers", str(workers)]


def _server_env(settings: Settings, port: int) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "REGISTRY_ENV": "development",
        "REGISTRY_DATABASE_URL": settings.database_url,
        "REGISTRY_KEY_DIR": str(settings.key_dir),
        "REGISTRY_SECRET_KEY": settings.secret_key.get_secret_value(),
        "REGISTRY_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }


def check_verdicts(base: str, tokens: Sequence[RealToken], sample: int = VERDICT_SAMPLE) -> dict[str, int]:
    """Verify a sample of tokens (every kind of verdict) one by one; raise when one gets the wrong verdict."""
    rng = random.Random(7)
    by_kind: dict[str, list[RealToken]] = {}
    for token in tokens:
        by_kind.setdefault(token.verdict, []).append(token)
    chosen = [t for group in by_kind.values() for t in group[:5]]
    chosen += rng.sample(list(tokens), min(sample, len(tokens)))
    checked: dict[str, int] = {}
    for token in chosen:
        status, body = _get(f"{base}/api/v1/verify/{token.token}")
        verdict = json.loads(body).get("verdict") if status == 200 else f"HTTP {status}"
        if verdict != token.verdict:
            raise RuntimeError(f"{token.number}: expected verdict {token.verdict}, the server said {verdict}")
        checked[verdict] = checked.get(verdict, 0) + 1
    page_status, page = _get(f"{base}/v/{chosen[0].token}")
    if page_status != 200 or b"<html" not in page.lower():
        raise RuntimeError(f"the verification page answered {page_status}")
    return dict(sorted(checked.items()))


class _DatabaseBackends:
    """The PostgreSQL server processes serving the benchmark database (their CPU is part of a request's cost)."""

    def __init__(self, url: str) -> None:
        import sqlalchemy as sa

        from registry.db import make_engine

        self._engine = make_engine(url, pool_size=1)
        self._database = sa.engine.make_url(url).database
        self._query = sa.text("SELECT pid FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid()")

    def pids(self) -> list[int]:
        """The backends connected now (the pools' connections, opened during the warm-up)."""
        with self._engine.connect() as conn:
            return [int(pid) for (pid,) in conn.execute(self._query, {"db": self._database})]

    def close(self) -> None:
        """Close the engine used to ask."""
        self._engine.dispose()


def _all_runs(runs: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every wrk run's figures in the results."""
    for result in runs.values():
        for name in ENDPOINTS:
            yield from result.get(name, {}).values()


def _measure_workers(
    workers: int,
    settings: Settings,
    paths: dict[str, Path],
    tokens: Sequence[RealToken],
    *,
    connections: Sequence[int],
    seconds: float,
    log_dir: Path,
    full: bool,
) -> dict[str, Any]:
    """Serve the bare app and the registry with this many workers; wrk each endpoint at each connection count."""
    bare_port, registry_port = _ports()
    bare_base, registry_base = f"http://127.0.0.1:{bare_port}", f"http://127.0.0.1:{registry_port}"
    env = _server_env(settings, registry_port)
    endpoints = list(ENDPOINTS if full else ENDPOINTS[:3])
    counts = connections if full else [max(connections)]
    runs: dict[str, dict[str, Any]] = {name: {} for name in endpoints}
    with (
        _server(_bare_command(bare_port, workers), env, f"{bare_base}{BARE_PATH}", log_dir / "bare.log") as bare,
        _server(
            _registry_command(registry_port, workers), env, f"{registry_base}/healthz", log_dir / "registry.log"
        ) as registry,
    ):
        checked = check_verdicts(registry_base, tokens)
        for name in ("verify_json", "verify_page"):  # connections, pools and caches warm, as in service
            if name in endpoints:
                run_wrk(registry_base, paths[name], connections=max(counts), seconds=WARM_UP_SECONDS)
        backends = _DatabaseBackends(settings.database_url)
        try:
            for count in counts:
                for name in endpoints:
                    server = bare if name == "bare" else registry
                    base = bare_base if name == "bare" else registry_base
                    print(f"  wrk {name} workers={workers} connections={count} ...", file=sys.stderr, flush=True)
                    load = round(os.getloadavg()[0], 2)
                    database = [] if name == "bare" else backends.pids()
                    cpu_before = process_group_cpu(server.pid), pids_cpu(database)
                    result = run_wrk(base, paths[name], connections=count, seconds=seconds)
                    cpu_after = process_group_cpu(server.pid), pids_cpu(database)
                    served = max(result.requests, 1)
                    runs[name][str(count)] = {
                        **result.as_dict(),
                        "server_cpu_ms_per_request": round((cpu_after[0] - cpu_before[0]) * 1000 / served, 3),
                        "database_cpu_ms_per_request": round((cpu_after[1] - cpu_before[1]) * 1000 / served, 3),
                        "load_1min_before": load,
                    }
        finally:
            backends.close()
        profile_dir = os.environ.get("BENCH_VERIFY_PROFILE")
        if profile_dir and full:
            runs["profile"] = _profile(registry, registry_base, paths["verify_json"], Path(profile_dir), settings)
    return {"workers": workers, "verdicts_checked": checked, **runs}


def _profile(
    server: subprocess.Popen[bytes], base: str, paths: Path, folder: Path, settings: Settings
) -> dict[str, Any]:
    """An extra, unmeasured verify run at 32 connections with py-spy on every worker (BENCH_VERIFY_PROFILE=dir).

    Writes py-spy's raw stacks (on-CPU, and with idle threads) and samples the database sessions' states, for
    finding where the time goes; py-spy (pip install py-spy) is not a project dependency.
    """
    import shutil
    import threading

    import sqlalchemy as sa

    from registry.db import make_engine

    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        raise RuntimeError("BENCH_VERIFY_PROFILE needs py-spy (pip install py-spy into the virtualenv)")
    folder.mkdir(parents=True, exist_ok=True)
    seconds = 12
    states: list[dict[str, int]] = []
    stop = threading.Event()
    engine = make_engine(settings.database_url, pool_size=1)
    database = sa.engine.make_url(settings.database_url).database

    def sample_sessions() -> None:
        with engine.connect() as conn:
            while not stop.wait(0.5):
                rows = conn.execute(
                    sa.text(
                        "SELECT coalesce(state, '?') || coalesce(':' || wait_event_type, ''), count(*) "
                        "FROM pg_stat_activity WHERE datname = :db AND pid <> pg_backend_pid() GROUP BY 1"
                    ),
                    {"db": database},
                ).all()
                states.append({str(k): int(v) for k, v in rows})
                conn.rollback()

    spies = [
        subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(server.pid),
                "--subprocesses",
                "--duration",
                str(seconds - 2),
                "--rate",
                "200",
                "--format",
                "raw",
                "--nonblocking",
                *extra,
                "--output",
                str(folder / name),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, extra in (("verify-cpu.txt", []), ("verify-idle.txt", ["--idle"]))
    ]
    sampler = threading.Thread(target=sample_sessions)
    sampler.start()
    try:
        result = run_wrk(base, paths, connections=TARGET_CONNECTIONS, seconds=seconds)
    finally:
        stop.set()
        sampler.join()
        engine.dispose()
        for spy_process in spies:
            spy_process.wait(timeout=60)
    peak = max(states, key=lambda s: sum(s.values()), default={})
    (folder / "sessions.json").write_text(json.dumps(states, indent=1), encoding="utf-8")
    return {"under_py_spy": result.as_dict(), "folder": str(folder), "database_sessions_at_peak": peak}


def _cpu_ms(run: dict[str, Any] | None) -> float | None:
    if not run or "server_cpu_ms_per_request" not in run:
        return None
    return round(run["server_cpu_ms_per_request"] + run.get("database_cpu_ms_per_request", 0.0), 3)


def _cpu_ratio(bare: dict[str, Any], run: dict[str, Any] | None) -> float | None:
    cost, ceiling = _cpu_ms(run), _cpu_ms(bare)
    return round(ceiling / cost, 3) if cost and ceiling else None


def _summary(runs: dict[str, Any], connections: Sequence[int]) -> dict[str, Any]:
    two = runs.get("workers_2") or next(iter(runs.values()))
    table = []
    for count in connections:
        key = str(count)
        bare, health = two["bare"].get(key), two["healthz"].get(key)
        verify, page = two["verify_json"].get(key), two.get("verify_page", {}).get(key)
        if not (bare and verify):
            continue
        table.append(
            {
                "connections": count,
                "bare_rps": bare["rps"],
                "healthz_rps": health["rps"] if health else None,
                "verify_json_rps": verify["rps"],
                "verify_page_rps": page["rps"] if page else None,
                "verify_over_bare": round(verify["rps"] / bare["rps"], 3),
                "page_over_bare": round(page["rps"] / bare["rps"], 3) if page else None,
                "verify_p50_ms": verify["p50_ms"],
                "verify_p99_ms": verify["p99_ms"],
                "page_p99_ms": page["p99_ms"] if page else None,
                "healthz_p99_ms": health["p99_ms"] if health else None,
                # CPU per request (ms): the server's processes, and for the registry the database's as well.
                "bare_cpu_ms": bare.get("server_cpu_ms_per_request"),
                "healthz_cpu_ms": _cpu_ms(health),
                "verify_json_cpu_ms": _cpu_ms(verify),
                "verify_page_cpu_ms": _cpu_ms(page),
                # what the ratio would be were the CPU the only limit: bare's CPU per request over verify's
                "verify_over_bare_cpu": _cpu_ratio(bare, verify),
                "page_over_bare_cpu": _cpu_ratio(bare, page),
            }
        )
    at_target = next((row for row in table if row["connections"] == TARGET_CONNECTIONS), table[-1] if table else None)
    errors = sum(run["errors"] for run in _all_runs(runs))
    scaling = {}
    if "workers_1" in runs and "workers_2" in runs:
        top = str(max(connections))
        for name in ("bare", "healthz", "verify_json"):
            one, two_ = runs["workers_1"][name].get(top), runs["workers_2"][name].get(top)
            if one and two_:
                scaling[name] = round(two_["rps"] / one["rps"], 2)
    summary: dict[str, Any] = {"table_workers_2": table, "scaling_1_to_2_workers": scaling, "errors": errors}
    if at_target:
        ratio, p99 = at_target["verify_over_bare"], at_target["verify_p99_ms"]
        summary |= {
            "connections_for_target": at_target["connections"],
            "verify_over_bare": ratio,
            "verify_p99_ms": p99,
            "target_ratio": TARGET_RATIO,
            "target_p99_ms": TARGET_P99_MS,
            "meets_ratio": ratio >= TARGET_RATIO,
            "meets_p99": p99 <= TARGET_P99_MS,
            "meets_target": ratio >= TARGET_RATIO and p99 <= TARGET_P99_MS and errors == 0,
        }
    return summary


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def _scratch_volume(n: int, real: int) -> Iterator[tuple[Settings, VolumeReport]]:
    """A scratch database loaded with the volume, dropped afterwards."""
    with scratch_database("postgresql") as url, tempfile.TemporaryDirectory(prefix="bench-keys-") as keys:
        settings = bench_settings(url, Path(keys))
        yield settings, load_volume(url, settings, certificates=n, real=real, progress=_say)


@contextmanager
def _kept_volume(folder: Path, n: int, real: int) -> Iterator[tuple[Settings, VolumeReport]]:
    """The volume kept in folder by an earlier run with the same sizes, or a new one loaded and kept there."""
    state_file = folder / "volume.json"
    if state_file.exists():
        state = json.loads(state_file.read_text(encoding="utf-8"))
        if (state["certificates"], state["real"]) == (n, real):
            url = state["database_url"]
            lines = (folder / "tokens.jsonl").read_text(encoding="utf-8").splitlines()
            tokens = [RealToken(d["token"], d.get("number", ""), d["verdict"]) for d in map(json.loads, lines)]
            report = VolumeReport(**{**state["report"], "tokens": tokens})
            _say(f"volume: reusing {url} ({report.certificates:,} certificates, loaded earlier)")
            schema.upgrade(url)  # the code may have moved on since the load
            yield bench_settings(url, folder / "keys"), report
            return
    folder.mkdir(parents=True, exist_ok=True)
    url = create_database(f"{BENCH_DB_PREFIX}_volume_{n}", replace=True)
    prepare(url)
    settings = bench_settings(url, folder / "keys")
    report = load_volume(url, settings, certificates=n, real=real, progress=_say)
    (folder / "tokens.jsonl").write_text(
        "".join(json.dumps(dataclasses.asdict(t)) + "\n" for t in report.tokens), encoding="utf-8"
    )
    fields = {f.name: getattr(report, f.name) for f in dataclasses.fields(report) if f.name != "tokens"}
    state = {"database_url": url, "certificates": n, "real": real, "report": fields}
    state_file.write_text(json.dumps(state, indent=1), encoding="utf-8")
    yield settings, report


def main() -> dict[str, Any]:
    """Load the volume, measure with wrk, report JSON."""
    if not postgres_available():
        return {"skipped": "no PostgreSQL at BENCH_PG_ADMIN_URL"}
    wrk_binary()  # fail early, saying how to install it, before minutes of loading
    n = int(os.environ.get("BENCH_VERIFY_N", "1000000"))
    real = min(int(os.environ.get("BENCH_VERIFY_TOKENS", "3000")), max(1, n // 2))
    seconds = float(os.environ.get("BENCH_VERIFY_SECONDS", "10"))
    connections = sorted(set(_env_ints("BENCH_VERIFY_CONNECTIONS", "8,32")))
    worker_counts = _env_ints("BENCH_VERIFY_WORKERS", "2,1")
    load_before = [round(x, 2) for x in os.getloadavg()]
    kept = os.environ.get("BENCH_VERIFY_VOLUME_DIR")
    volume_source = _kept_volume(Path(kept), n, real) if kept else _scratch_volume(n, real)
    with volume_source as (settings, volume), tempfile.TemporaryDirectory(prefix="bench-verify-") as folder:
        tmp = Path(folder)
        paths = {
            "bare": write_paths([BARE_PATH], tmp / "bare.txt"),
            "healthz": write_paths(["/healthz"], tmp / "healthz.txt"),
            "verify_json": write_paths([f"/api/v1/verify/{t.token}" for t in volume.tokens], tmp / "verify.txt"),
            "verify_page": write_paths([f"/v/{t.token}" for t in volume.tokens], tmp / "page.txt"),
        }
        load_measuring = [round(x, 2) for x in os.getloadavg()]
        runs = {
            f"workers_{w}": _measure_workers(
                w,
                settings,
                paths,
                volume.tokens,
                connections=connections,
                seconds=seconds,
                log_dir=tmp,
                full=w == worker_counts[0],
            )
            for w in worker_counts
        }
    return {
        "measured_at": utcnow().isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "load_average_before_load": load_before,
            "load_average_before_wrk": load_measuring,
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
        "load_generator": {"tool": "wrk", "threads": 2, "seconds_per_run": seconds, "timeout_s": 5},
        "volume": volume.as_dict(),
        "summary": _summary(runs, connections),
        "runs": runs,
    }
