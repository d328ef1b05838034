"""Request dependencies routes declare by type: the settings, one session per request that commits or rolls back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from registry.db import Reads, session_scope
from registry.settings import Settings

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_settings(request: Request) -> Settings:
    """Return the settings the app was built with (async: no worker-thread hop for a plain attribute)."""
    settings: Settings = request.app.state.settings
    return settings


async def get_reads(request: Request) -> Reads:
    """Single-statement reads without a session: the primary, or the replica when one is configured."""
    reads: Reads = request.app.state.reads
    return reads


def get_engine(request: Request) -> Engine:
    """Return the engine the app was built with."""
    engine: Engine = request.app.state.engine
    return engine


def get_session(request: Request) -> Iterator[Session]:
    """Open the request's one transaction; commit when the route returns, roll back when it raises."""
    with session_scope(get_engine(request), readonly=request.method in READ_METHODS) as session:
        yield session


def get_read_session(request: Request) -> Iterator[Session]:
    """A read-only transaction whatever the method (public POSTs that only read: look-ups, holder checks)."""
    with session_scope(get_engine(request), readonly=True) as session:
        yield session


SessionFactory = Callable[[], AbstractContextManager[Session]]


def get_session_factory(request: Request) -> SessionFactory:
    """Open read-only sessions later, e.g. while a streamed response is produced after the request's one closed."""
    engine = get_engine(request)
    return lambda: session_scope(engine, readonly=True)


SettingsDep = Annotated[Settings, Depends(get_settings)]
ReadsDep = Annotated[Reads, Depends(get_reads)]
SessionFactoryDep = Annotated[SessionFactory, Depends(get_session_factory)]
ReadSessionDep = Annotated[Session, Depends(get_read_session, scope="function")]
# scope="function": the commit runs when the route returns, before the response is sent, so a failed
# commit becomes an error response instead of a success whose data was lost.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
