"""Liveness and readiness: GET /healthz."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter
from sqlmodel import SQLModel

from api.deps import ReadsDep

router = APIRouter(tags=["health"])


class Health(SQLModel):
    """Service status."""

    status: str
    database: str


@router.get("/healthz", response_model=Health)
def healthz(reads: ReadsDep) -> Health:
    """Report that the service is up and its (primary) database answers — one statement, no transaction."""
    name = reads.run(lambda conn: conn.execute(sa.select(1)).scalar_one() and conn.dialect.name, primary=True)
    return Health(status="ok", database=name)
