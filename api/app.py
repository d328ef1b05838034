"""The FastAPI app factory: settings and engine in, routers and error handlers wired, nothing at import time."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api import console
from api.docs import install_docs
from api.errors import install_error_handlers
from api.guard import TextGuard
from api.jobs import JobQueue, make_queue, resume_unfinished
from api.logs import RequestLog, configure_logging
from api.openapi import install_openapi
from api.ratelimit import ClientLimits
from api.routers import (
    assessors,
    audit,
    auth,
    awards,
    bodies,
    catalogue,
    certificates,
    credentials,
    filings,
    health,
    jobs,
    people,
    recognitions,
    regulator,
    rules,
    sessions,
    verify,
)
from registry.db import DriverReads, PooledReads, Reads, get_engine, session_scope
from registry.settings import Settings, get_settings
from regulator.verification_log import VerificationLog

DESCRIPTION = """
新八级工职业技能等级登记系统 — the registry of China's New Eight-Level vocational skill grades
(学徒工 … 首席技师): reference catalogue, equivalence look-ups (比照), filings, assessment, certificates and
their verification.

Errors are always `{"error": code, "detail": "中文 / English", "detail_zh", "detail_en", …}` (schema ErrorOut;
a 422 adds `fields`, schema ValidationErrorOut), and every operation lists the error statuses it can answer.
"""


@asynccontextmanager
async def _verification_flusher(app: FastAPI, *, enabled: bool) -> AsyncIterator[None]:
    """Write this process's buffered verification events from a background thread while the app runs."""
    log: VerificationLog = app.state.verification_log
    if enabled:
        log.start(lambda: session_scope(app.state.engine))
    try:
        yield
    finally:
        if enabled:
            await anyio.to_thread.run_sync(lambda: log.stop(lambda: session_scope(app.state.engine)))


@asynccontextmanager
async def _pooled_reads(reads: Reads, settings: Settings, *, enabled: bool) -> AsyncIterator[None]:
    """Open psycopg's async pool for the verification reads while the app runs (PostgreSQL only)."""
    if not enabled or reads.primary.dialect.name != "postgresql":
        yield
        return
    reads.pooled = PooledReads(
        reads.primary.url.render_as_string(hide_password=False),
        reads.replica.url.render_as_string(hide_password=False) if reads.replica is not None else None,
        size=settings.threads,
        fallback_seconds=reads.fallback_seconds,
    )
    await reads.pooled.open()
    try:
        yield
    finally:
        pooled, reads.pooled = reads.pooled, None
        await pooled.close()


@asynccontextmanager
async def _driver_reads(reads: Reads, settings: Settings, *, enabled: bool) -> AsyncIterator[None]:
    """Verification reads straight through psycopg while the app runs (PostgreSQL only; registry.db.DriverReads)."""
    if not enabled or reads.pooled is not None or reads.primary.dialect.name != "postgresql":
        yield
        return
    driver = DriverReads(
        reads.primary.url.render_as_string(hide_password=False),
        reads.replica.url.render_as_string(hide_password=False) if reads.replica is not None else None,
        size=settings.threads,
        fallback_seconds=reads.fallback_seconds,
    )
    outer, reads.driver = reads.driver, driver
    try:
        yield
    finally:
        if reads.driver is driver:  # lifespans may nest (a test client inside another): hand back the outer one's
            reads.driver = outer
        await anyio.to_thread.run_sync(driver.close)


def create_app(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    read_engine: Engine | None = None,
    resume_jobs: bool = False,
    flush_verifications: bool = False,
    pooled_reads: bool = False,
    driver_reads: bool = True,
) -> FastAPI:
    """Build the application for these settings (default: the environment) and engines (default: the settings').

    resume_jobs: hand unfinished jobs nobody runs to the queue at start-up (the served app does; see served_app).
    flush_verifications: write the buffered verification events from a background thread while the app runs
    (the served app does; tests and embedders call app.state.verification_log.flush themselves).
    pooled_reads: on PostgreSQL, verification reads run on the event loop through psycopg's async pool, opened
    and closed with the app (the served app does); otherwise they run in the worker threads like every sync route,
    and with driver_reads (the default) on PostgreSQL straight through psycopg (registry.db.DriverReads) while the
    app runs.
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Sync routes run in this many threads, each with a pooled connection of its own (make_engine).
        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
        if resume_jobs:
            await anyio.to_thread.run_sync(lambda: resume_unfinished(app.state.engine, job_queue(settings).submit))
        # The Reads the app was built with (a test may hand app.state another one after start-up).
        async with (
            _pooled_reads(reads, settings, enabled=pooled_reads),
            _driver_reads(reads, settings, enabled=driver_reads),
            _verification_flusher(app, enabled=flush_verifications),
        ):
            yield

    app = FastAPI(
        lifespan=lifespan,
        title="新八级工 Registry",
        version="0.1.0",
        description=DESCRIPTION,
        docs_url=None,  # api.docs serves /docs and /redoc with local assets (no CDN)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.engine = engine or get_engine(
        settings.database_url, settings.threads, busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    replica = read_engine
    if replica is None and settings.read_database_url:
        replica = get_engine(settings.read_database_url, settings.threads)
    reads = Reads(app.state.engine, replica, fallback_seconds=settings.read_fallback_seconds)
    app.state.reads = reads
    app.state.limits = ClientLimits(settings)
    app.state.verification_log = VerificationLog(settings)
    configure_logging(settings.log_format)
    queues: list[JobQueue] = []

    def job_queue(_settings: Settings) -> JobQueue:
        if not queues:  # made on first use: most processes never queue a job
            queues.append(make_queue(app.state.engine, settings))
        return queues[0]

    app.state.job_queue = job_queue
    install_error_handlers(app)
    app.add_middleware(TextGuard)
    if settings.forwarded_allow_ips:
        # Only a listed proxy may name the client (X-Forwarded-For, right-most untrusted address): the per-client
        # rate limits count against request.client. `registry serve` turns uvicorn's own handling off so this is
        # the one place it happens, whatever server runs the app.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    app.add_middleware(RequestLog)  # outermost: times and logs everything, 500s included
    # Routes are matched in order: the public verification paths (the busiest) come first, the JSON answer and the
    # page hoisted ahead of every router (api.hot). No route after them is shadowed: a path they match with another
    # method still reaches the route that has it, and a literal sibling (/api/v1/verify/revocations) is left to it.
    verify.include(app)
    app.include_router(health.router)
    app.include_router(catalogue.router)
    app.include_router(rules.router)
    app.include_router(auth.router)
    app.include_router(bodies.router)
    app.include_router(filings.router)
    app.include_router(people.router)
    app.include_router(assessors.router)
    app.include_router(sessions.router)
    app.include_router(recognitions.router)
    app.include_router(awards.router)
    app.include_router(certificates.router)
    app.include_router(credentials.router)
    app.include_router(audit.router)
    app.include_router(jobs.router)
    app.include_router(regulator.router)
    install_docs(app)  # before the console: /static/docs must be matched before /static
    console.include(app)

    install_openapi(app)
    return app


def served_app() -> FastAPI:
    """The app `registry serve` runs: as create_app(), jobs left unfinished by a dead process resume, and this
    process's verification events are written in the background, and with REGISTRY_ASYNC_READS (off by default)
    verification reads use the async pool."""
    settings = get_settings()
    app = create_app(settings, resume_jobs=True, flush_verifications=True, pooled_reads=settings.async_reads)
    # Everything made so far (modules, routes, models, the app) lives as long as the process: kept out of the
    # collector's generations, a full collection no longer walks it, which shortens the pauses in the tail latency.
    gc.freeze()
    return app
