"""Alembic environment: URL from the config or REGISTRY_DATABASE_URL, metadata from every models module."""

from __future__ import annotations

from alembic import context

from api.metadata import load_all_models
from registry.db import is_sqlite_url, make_engine
from registry.settings import get_settings

config = context.config
target_metadata = load_all_models()


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=is_sqlite_url(_url()),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = _url()
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if is_sqlite_url(url):
                # SQLite batch migrations copy and drop tables: foreign keys must be off (outside a transaction).
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=is_sqlite_url(url),
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
