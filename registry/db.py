"""Database kernel: metadata naming convention, column types, engines for SQLite/PostgreSQL, the session scope.

Imports SQLAlchemy/SQLModel and registry.clock only. Services receive a Session and flush; only
session_scope (CLI) and the API's session dependency commit.
"""

from __future__ import annotations

import datetime as dt
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

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


DEFAULT_BUSY_TIMEOUT_MS = 30_000
IDLE_PING_SECONDS = 10.0  # a pooled connection idle longer than this is pinged before use
POOL_RECYCLE_SECONDS = 1800
CONNECT_TIMEOUT_SECONDS = 10  # DriverReads, unless the URL says otherwise


def _ping_idle_connections(engine: Engine) -> None:
    """Ping a connection on checkout only when it sat idle in the pool (not before every request).

    pool_pre_ping costs a round trip per request; a connection that was in use a moment ago is alive, and one
    that died under load fails its statement, which invalidates the whole pool (SQLAlchemy marks every older
    connection stale) and is retried once on the read path (Reads.run). An idle connection may have been cut by
    a database restart or a firewall: pinging those keeps the first request after a quiet spell from failing.
    """

    @sa.event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error:
            alive = False
        if not alive:
            raise sa.exc.DisconnectionError("idle connection is gone")  # the pool opens a fresh one


def make_engine(url: str, *, pool_size: int = 16, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> Engine:
    """Create an engine: SQLite with WAL, foreign keys and explicit BEGIN; PostgreSQL via psycopg 3.

    pool_size should be the number of threads that use the engine at once (Settings.threads): a smaller pool
    makes a busy process open and close overflow connections on every burst. A SQLite writer waits up to
    busy_timeout_ms for the write lock, then fails with "database is locked" (is_busy), which the API answers
    503 + Retry-After and the CLI exits 75 (EX_TEMPFAIL) on.
    """
    if not is_sqlite_url(url):
        engine = sa.create_engine(
            url,
            pool_size=pool_size,
            max_overflow=max(2, pool_size // 4),
            pool_recycle=POOL_RECYCLE_SECONDS,
            hide_parameters=True,
        )
        _ping_idle_connections(engine)
        return engine
    file = _sqlite_file(url)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
    # hide_parameters: SQL errors and logs must never carry personal data bound as parameters.
    engine = sa.create_engine(
        url, connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000}, hide_parameters=True
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling breaks SAVEPOINT and defers locks; we issue BEGIN ourselves.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Writers take the write lock up front (IMMEDIATE) so two writers queue instead of deadlocking
        # on lock upgrade; read-only scopes use a deferred BEGIN and run beside writers under WAL.
        mode = "DEFERRED" if conn.get_execution_options().get("registry_readonly") else "IMMEDIATE"
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


@lru_cache(maxsize=8)
def get_engine(url: str, pool_size: int = 16, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> Engine:
    """Return the process-wide engine for url."""
    return make_engine(url, pool_size=pool_size, busy_timeout_ms=busy_timeout_ms)


def is_busy(error: BaseException) -> bool:
    """Whether error (or its cause) is SQLite's "database is locked": another writer held the lock too long."""
    seen: BaseException | None = error
    for _ in range(10):
        if seen is None:
            return False
        original = getattr(seen, "orig", seen)
        if original.__class__.__name__ == "OperationalError" and "database is locked" in str(original):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


# ------------------------------------------------------------------------------------------ reads


T = TypeVar("T")
_last_write = [-float("inf")]  # time.monotonic() of this process's last committed write (write tracking on)


def _is_write(statement: str) -> bool:
    return not statement.lstrip()[:6].upper().startswith(("SELECT", "BEGIN", "SAVEPO", "RELEAS", "ROLLBA", "PRAGMA"))


def track_writes(engine: Engine) -> None:
    """Note when a transaction that wrote commits on engine (once per engine): see Reads."""
    if sa.event.contains(engine, "commit", _note_commit):
        return
    sa.event.listen(engine, "before_cursor_execute", _note_statement)
    sa.event.listen(engine, "commit", _note_commit)
    sa.event.listen(engine, "rollback", _forget_writes)


def _note_statement(conn: sa.Connection, _cursor: Any, statement: str, *_args: Any) -> None:
    if "registry_wrote" not in conn.info and _is_write(statement):
        conn.info["registry_wrote"] = True


def _note_commit(conn: sa.Connection) -> None:
    if conn.info.pop("registry_wrote", False):
        _last_write[0] = time.monotonic()


def _forget_writes(conn: sa.Connection) -> None:
    conn.info.pop("registry_wrote", None)


def seconds_since_write() -> float:
    """Seconds since this process last committed a write to a tracked engine (infinite: never)."""
    return time.monotonic() - _last_write[0]


class Reads:
    """Read-only, single-statement work: one connection in autocommit (no BEGIN/COMMIT round trips), no ORM session.

    With a replica, reads go there, except for `fallback_seconds` after this process committed a write (its own
    revocation shows at once) and when `again_on_primary` says the replica's answer may just be behind (e.g. a
    certificate issued a moment ago). A read that fails because the connection was cut (database restart) is
    retried once on a fresh connection. `pooled`: the same reads for async routes (the served app on PostgreSQL, with
    REGISTRY_ASYNC_READS); `driver`: single statements through psycopg without SQLAlchemy (the served app on
    PostgreSQL otherwise).
    """

    pooled: PooledReads | None = None
    driver: DriverReads | None = None

    def __init__(self, primary: Engine, replica: Engine | None = None, *, fallback_seconds: float = 5.0) -> None:
        self.primary = _reading(primary)
        self.replica = _reading(replica) if replica is not None else None
        self.fallback_seconds = fallback_seconds
        if replica is not None:
            track_writes(primary)

    def engine(self, *, primary: bool = False) -> Engine:
        """The engine the next read goes to."""
        if primary or self.replica is None or seconds_since_write() < self.fallback_seconds:
            return self.primary
        return self.replica

    def run(
        self,
        work: Callable[[sa.Connection], T],
        *,
        primary: bool = False,
        again_on_primary: Callable[[T], bool] | None = None,
    ) -> T:
        """Run work on a read connection; on the replica, run it again on the primary when again_on_primary says."""
        engine = self.engine(primary=primary)
        result = self._once(engine, work)
        if engine is not self.primary and again_on_primary is not None and again_on_primary(result):
            result = self._once(self.primary, work)
        return result

    @staticmethod
    def _once(engine: Engine, work: Callable[[sa.Connection], T]) -> T:
        for attempt in (1, 2):
            try:
                with engine.connect() as conn:
                    return work(conn)
            except sa.exc.DBAPIError as error:
                if attempt == 2 or not error.connection_invalidated:
                    raise
        raise AssertionError("unreachable")


class PooledReads:
    """Single-statement reads for async routes on PostgreSQL: psycopg's async pool, no worker thread per request.

    The same rules as Reads, for the hottest public path (verification): the replica unless this process wrote in
    the last `fallback_seconds`, the primary again when `again_on_primary` says the replica may be behind, one
    retry when the connection was cut (the pool's idle connections are then checked, as SQLAlchemy invalidates its
    pool), and a ping before using a connection that sat idle. Opened and closed with the app (lifespan): the pool
    belongs to the event loop that serves. Autocommit: one round trip per read, no BEGIN/COMMIT.
    """

    def __init__(
        self, primary_url: str, replica_url: str | None = None, *, size: int = 16, fallback_seconds: float = 5.0
    ) -> None:
        from psycopg_pool import AsyncConnectionPool

        def pool(url: str, name: str) -> AsyncConnectionPool[Any]:
            return AsyncConnectionPool(
                libpq_url(url),
                kwargs={"autocommit": True},
                min_size=min(2, size),
                max_size=size,
                open=False,
                check=self._check,
                name=name,
                max_lifetime=POOL_RECYCLE_SECONDS,
            )

        self.primary = pool(primary_url, "primary")
        self.replica = pool(replica_url, "replica") if replica_url else None
        self.fallback_seconds = fallback_seconds
        self._used: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()  # connection: last used

    async def open(self) -> None:
        """Open the pools (connections are made in the background; the first read waits for one)."""
        for pool in self._pools():
            await pool.open()

    async def close(self) -> None:
        """Close the pools."""
        for pool in self._pools():
            await pool.close()

    def _pools(self) -> list[Any]:
        return [self.primary] + ([self.replica] if self.replica is not None else [])

    async def _check(self, conn: Any) -> None:
        used = self._used.get(conn)
        if used is not None and time.monotonic() - used >= IDLE_PING_SECONDS:
            await conn.execute("")  # raises when the connection is gone: the pool replaces it

    async def fetchone(
        self,
        sql: str,
        params: dict[str, Any],
        *,
        primary: bool = False,
        again_on_primary: Callable[[Any], bool] | None = None,
    ) -> Any:
        """One row (or None) of a single-statement read, on the replica or the primary as Reads would choose."""
        use_replica = not primary and self.replica is not None and seconds_since_write() >= self.fallback_seconds
        pool = self.replica if use_replica else self.primary
        row = await self._once(pool, sql, params)
        if use_replica and again_on_primary is not None and again_on_primary(row):
            row = await self._once(self.primary, sql, params)
        return row

    async def _once(self, pool: Any, sql: str, params: dict[str, Any]) -> Any:
        import psycopg

        for attempt in (1, 2):
            try:
                async with pool.connection() as conn:
                    try:
                        cursor = await conn.execute(sql, params)
                        return await cursor.fetchone()
                    finally:
                        self._used[conn] = time.monotonic()
            except psycopg.OperationalError:
                if attempt == 2:
                    raise
                await pool.check()  # a restart cut them all: replace the dead idle ones before the retry
        raise AssertionError("unreachable")


class DriverReads:
    """Single-statement reads on PostgreSQL straight through psycopg, for the hottest public path (verification).

    The same rules as Reads — the replica unless this process wrote in the last `fallback_seconds`, the primary again
    when `again_on_primary` says the replica may be behind, one retry when the connection was cut — without
    SQLAlchemy's pool and connection around the statement: each reader takes an idle psycopg connection (autocommit,
    with a cursor of its own, so psycopg prepares the statement on the server after a few uses) and puts it back, at
    most `size` of them kept per database. About 70 µs of CPU less per read than a pooled SQLAlchemy connection
    (README, "Verification under load"). Safe from any thread: a connection is used by one reader at a time.
    A failed read closes the idle connections too (a restart cut them all) and is retried once on a fresh one;
    errors are raised as SQLAlchemy's (the API answers them like any other database error). Opened and closed with
    the app (lifespan); a connection older than POOL_RECYCLE_SECONDS is closed when it comes back.
    """

    def __init__(
        self, primary_url: str, replica_url: str | None = None, *, size: int = 16, fallback_seconds: float = 5.0
    ) -> None:
        self.primary = _DriverConnections(libpq_url(primary_url), size)
        self.replica = _DriverConnections(libpq_url(replica_url), size) if replica_url else None
        self.fallback_seconds = fallback_seconds

    def fetchone(
        self,
        sql: str,
        params: dict[str, Any],
        *,
        primary: bool = False,
        again_on_primary: Callable[[Any], bool] | None = None,
    ) -> Any:
        """One row (or None) of a single-statement read, on the replica or the primary as Reads would choose."""
        use_replica = not primary and self.replica is not None and seconds_since_write() >= self.fallback_seconds
        connections = self.replica if use_replica and self.replica is not None else self.primary
        row = connections.fetchone(sql, params)
        if use_replica and again_on_primary is not None and again_on_primary(row):
            row = self.primary.fetchone(sql, params)
        return row

    def close(self) -> None:
        """Close the idle connections (one in use is closed when it comes back)."""
        for connections in (self.primary, self.replica):
            if connections is not None:
                connections.close()


class _DriverConnections:
    """The idle psycopg connections (with their cursors) to one database; see DriverReads."""

    def __init__(self, url: str, size: int) -> None:
        self.url = url
        self.size = size
        self.idle: list[tuple[Any, Any, float]] = []  # connection, cursor, opened at (list.pop/append: thread-safe)
        self.closed = False

    def _open(self) -> tuple[Any, Any, float]:
        import psycopg
        from psycopg.conninfo import conninfo_to_dict

        # A reader may be the event loop itself (api.routers.verify): never wait on an unreachable server for as long
        # as the operating system would.
        limit: dict[str, Any] = {}
        if "connect_timeout" not in conninfo_to_dict(self.url):
            limit["connect_timeout"] = CONNECT_TIMEOUT_SECONDS
        conn = psycopg.connect(self.url, autocommit=True, **limit)
        return conn, conn.cursor(), time.monotonic()

    def fetchone(self, sql: str, params: dict[str, Any]) -> Any:
        import psycopg

        for attempt in (1, 2):
            try:
                slot = self.idle.pop()
            except IndexError:
                slot = self._open_or_raise()
            conn, cursor, _opened = slot
            try:
                row = cursor.execute(sql, params).fetchone()
            except psycopg.Error as error:
                gone = bool(conn.closed or conn.broken)
                if not gone:
                    self._give(slot)
                    raise _as_sqlalchemy(error, gone=False) from error
                conn.close()
                self.close_idle()  # a restart or failover cut them all: the retry opens a fresh one
                if attempt == 2:
                    raise _as_sqlalchemy(error, gone=True) from error
                continue
            except BaseException:
                conn.close()
                raise
            self._give(slot)
            return row
        raise AssertionError("unreachable")

    def _open_or_raise(self) -> tuple[Any, Any, float]:
        import psycopg

        try:
            return self._open()
        except psycopg.Error as error:
            raise _as_sqlalchemy(error, gone=True) from error

    def _give(self, slot: tuple[Any, Any, float]) -> None:
        conn, _cursor, opened = slot
        if self.closed or len(self.idle) >= self.size or time.monotonic() - opened > POOL_RECYCLE_SECONDS:
            conn.close()
        else:
            self.idle.append(slot)

    def close_idle(self) -> None:
        while True:
            try:
                conn, _cursor, _opened = self.idle.pop()
            except IndexError:
                return
            conn.close()

    def close(self) -> None:
        self.closed = True
        self.close_idle()


def _as_sqlalchemy(error: Exception, *, gone: bool) -> sa.exc.StatementError:
    import psycopg

    return sa.exc.DBAPIError.instance(
        "single-statement read", None, error, psycopg.Error, hide_parameters=True, connection_invalidated=gone
    )


def libpq_url(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL (postgresql+psycopg://…) as libpq reads it."""
    return sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _reading(engine: Engine) -> Engine:
    if engine.dialect.name == "sqlite":
        return engine.execution_options(registry_readonly=True)  # deferred BEGIN, beside writers under WAL
    return engine.execution_options(isolation_level="AUTOCOMMIT")


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
