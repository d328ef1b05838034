"""Liveness (GET /healthz) and readiness (GET /readyz) for load balancers and orchestrators.

/healthz: the process answers and its database answers — cheap, for restarts. /readyz: this process can do its
job — the database answers at the schema this code expects, and the signing keys are readable (an active key to
issue with, public keys to verify with); 503 with every reason otherwise, so a balancer takes it out of rotation.
The shared rate-limit store (Redis) is reported but never makes a process unready: the limits fail open.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlmodel import SQLModel

from api.deps import ReadsDep, SettingsDep
from api.errors import error_body
from api.openapi import errors
from api.ratelimit import ClientLimits
from certificates import signing
from registry import schema
from registry.db import Reads
from registry.errors import DomainError
from registry.settings import Settings

router = APIRouter(tags=["health"])


class Health(SQLModel):
    """Service status."""

    status: str
    database: str


class ReadyCheck(SQLModel):
    """One readiness check: ok, and the reason when not."""

    ok: bool
    detail: str


class Ready(SQLModel):
    """Readiness: status "ready", and each check (not ready: a 503 error envelope with `checks` and `reasons`)."""

    status: str
    checks: dict[str, ReadyCheck]
    reasons: list[str]


def _database_answers(reads: Reads) -> str:
    return reads.run(lambda conn: conn.execute(sa.select(1)).scalar_one() and conn.dialect.name, primary=True)


@router.get("/healthz", response_model=Health)
async def healthz(reads: ReadsDep) -> Health:
    """Report that the service is up and its (primary) database answers — one statement, no transaction (on the
    event loop through the async pool when the served app has one, else in a worker thread)."""
    if reads.pooled is None:
        return Health(status="ok", database=await run_in_threadpool(_database_answers, reads))
    await reads.pooled.fetchone("SELECT 1", {}, primary=True)
    return Health(status="ok", database=reads.primary.dialect.name)


@router.get("/readyz", response_model=Ready, responses=errors(503))
def readyz(request: Request, settings: SettingsDep) -> JSONResponse:
    """Whether this process can serve: database at the expected schema, signing keys readable (503 otherwise)."""
    checks = {
        "database": _database(request.app.state.engine),
        "signing_key": _signing_key(settings),
        "rate_limits": _rate_limits(request.app.state.limits),
    }
    reasons = [f"{name}: {check['detail']}" for name, check in checks.items() if not check["ok"] and name in REQUIRED]
    if not reasons:
        return JSONResponse({"status": "ready", "checks": checks, "reasons": []}, headers={"Cache-Control": "no-store"})
    body = error_body(  # the error envelope every 4xx/5xx has, with the checks beside it
        "not_ready",
        "服务未就绪：" + "；".join(reasons),
        "not ready: " + "; ".join(reasons),
        {"status": "not_ready", "checks": checks, "reasons": reasons},
    )
    return JSONResponse(body, status_code=503, headers={"Cache-Control": "no-store", "Retry-After": "5"})


REQUIRED = frozenset({"database", "signing_key"})
_head_revision = cache(schema.head_revision)  # the code's migrations do not change while it runs


def _database(engine: sa.Engine) -> dict[str, Any]:
    head = _head_revision()
    try:
        with engine.execution_options(registry_readonly=True).connect() as conn:  # never waits on a writer
            current = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except sa.exc.SQLAlchemyError as error:
        return {"ok": False, "detail": f"unreachable or unmigrated ({error.__class__.__name__})"}
    if current != head:
        return {"ok": False, "detail": f"schema at {current}, code expects {head}: run `registry db upgrade`"}
    return {"ok": True, "detail": f"{engine.dialect.name}, schema {current}"}


def _signing_key(settings: Settings) -> dict[str, Any]:
    try:
        signer = signing.load_signer(settings.key_dir)
        public = signing.list_keys(settings.key_dir)
    except DomainError as error:
        return {"ok": False, "detail": error.en}
    except (OSError, ValueError) as error:
        return {"ok": False, "detail": f"key files unreadable ({error.__class__.__name__})"}
    return {"ok": True, "detail": f"active key {signer.kid}; {len(public)} public key(s)"}


def _rate_limits(limits: ClientLimits) -> dict[str, Any]:
    if not limits.shared:
        return {"ok": True, "detail": "in process memory (no REGISTRY_REDIS_URL)"}
    if limits.healthy():
        return {"ok": True, "detail": "shared store (Redis) answers"}
    return {"ok": False, "detail": "shared store (Redis) unreachable: limits fail open"}
