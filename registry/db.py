"""Database kernel: metadata naming convention, column types, engines for SQLite/PostgreSQL, the session scope.

Imports SQLAlchemy/SQLModel and registry.clock only. Services receive a Session and flush; only
session_scope (CLI) and the API's session dependency commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.engine.interfaces import Dialect
from sqlmodel import Session, SQLModel

from registry.clock import as_utc

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# Set before any table class is defined: every models module imports this module first.
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata = SQLModel.metadata

ENUM_LENGTH = 32


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """Timezone-aware UTC timestamps on both databases; naive datetimes are refused on the way in."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: use registry.clock.utcnow()")
        value = value.astimezone(dt.UTC)
        # SQLite has no time zones: store naive UTC, read back as aware UTC.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else as_utc(value)


def JSONType() -> sa.types.TypeEngine[Any]:  # noqa: N802 - reads like a type at the column
    """JSON on SQLite, JSONB on PostgreSQL."""
    return sa.JSON().with_variant(JSONB(), "postgresql")


def enum_type(enum_cls: type[StrEnum], name: str) -> sa.Enum:
    """Store a StrEnum as text with a named CHECK constraint (portable, no native enum types)."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=ENUM_LENGTH,
        name=name,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


def is_sqlite_url(url: str) -> bool:
    """Return whether url names a SQLite database."""
    return url.startswith("sqlite")


def _sqlite_file(url: str) -> Path | None:
    path = sa.engine.make_url(url).database
    if not path or path == ":memory:":
        return None
    return Path(path)


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    """Create an engine: SQLite with WAL, foreign keys and explicit BEGIN; PostgreSQL via psycopg 3."""
    if not is_sqlite_url(url):
        return sa.create_engine(
            url, pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size, hide_parameters=True
        )
    file = _sqlite_file(url)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
    # hide_parameters: SQL errors and logs must never carry personal data bound as parameters.
    engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling breaks SAVEPOINT and defers locks; we issue BEGIN ourselves.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Writers take the write lock up front (IMMEDIATE) so two writers queue instead of deadlocking
        # on lock upgrade; read-only scopes use a deferred BEGIN and run beside writers under WAL.
        mode = "DEFERRED" if conn.get_execution_options().get("registry_readonly") else "IMMEDIATE"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """Return the process-wide engine for url."""
    return make_engine(url)


def open_session(engine: Engine, *, readonly: bool = False) -> Session:
    """Open a session; readonly sessions use a deferred BEGIN on SQLite."""
    bind = engine.execution_options(registry_readonly=True) if readonly else engine
    return Session(bind, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine, *, readonly: bool = False) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    session = open_session(engine, readonly=readonly)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def dialect_name(session: Session) -> str:
    """Return the dialect name ('sqlite' or 'postgresql') of the session's bind."""
    return session.get_bind().dialect.name


def get_for_update(session: Session, model: type[SQLModel], key: Any) -> Any:
    """Load one row by primary key with a row lock (FOR UPDATE on PostgreSQL; SQLite's writer lock suffices)."""
    mapper = sa.inspect(model)
    (pk,) = mapper.primary_key
    # populate_existing: an object already in the session is overwritten with the locked row's current values,
    # otherwise a status read before the lock would be checked against the transition table (a lost update).
    statement = sa.select(model).where(pk == key).with_for_update().execution_options(populate_existing=True)
    return session.execute(statement).scalars().first()


def dialect_insert(session: Session, table: sa.Table) -> Any:
    """An INSERT for table that supports ON CONFLICT on both databases (PostgreSQL and SQLite)."""
    from sqlalchemy.dialects import postgresql, sqlite

    return (postgresql if dialect_name(session) == "postgresql" else sqlite).insert(table)


def insert_if_absent(session: Session, model: type[SQLModel], values: dict[str, Any]) -> None:
    """Insert a row unless one with the same primary key exists; safe when two transactions race to create it."""
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    keys = [c.name for c in table.primary_key.columns]
    session.execute(dialect_insert(session, table).values(**values).on_conflict_do_nothing(index_elements=keys))


def analytic(session: Session) -> None:
    """Tune the current transaction for one-off aggregate queries (PostgreSQL: no JIT, more sort/hash memory).

    JIT compilation costs ~200 ms per statement and pays off only on much longer queries; 4 MB of work_mem
    sends the regulator's aggregates to disk. SET LOCAL ends with the transaction.
    """
    if dialect_name(session) == "postgresql":
        session.execute(sa.text("SET LOCAL jit = off"))
        session.execute(sa.text("SET LOCAL work_mem = '64MB'"))
