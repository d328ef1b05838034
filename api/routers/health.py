"""Liveness and readiness: GET /healthz."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter
from sqlmodel import SQLModel

from api.deps import SessionDep

router = APIRouter(tags=["health"])


class Health(SQLModel):
    """Service status."""

    status: str
    database: str


@router.get("/healthz", response_model=Health)
def healthz(session: SessionDep) -> Health:
    """Report that the service is up and its database answers."""
    session.exec(sa.select(1))  # type: ignore[call-overload]
    return Health(status="ok", database=session.get_bind().dialect.name)
