"""The schema is built by migrations: upgrade → downgrade → upgrade works and matches the models exactly."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from api.metadata import load_all_models
from registry import schema
from registry.db import make_engine


def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, load_all_models()))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


class TestMigrations:
    def test_upgrade_downgrade_upgrade_round_trip(self, scratch_url: str) -> None:
        schema.upgrade(scratch_url)
        assert schema.current_revision(scratch_url) == schema.head_revision()
        assert _tables(scratch_url) == {t.name for t in load_all_models().sorted_tables}
        schema.downgrade(scratch_url, "base")
        assert _tables(scratch_url) == set()
        schema.upgrade(scratch_url)
        assert schema.current_revision(scratch_url) == schema.head_revision()

    def test_models_and_migrations_agree(self, scratch_url: str) -> None:
        schema.upgrade(scratch_url)
        assert _diff(scratch_url) == []

    def test_revision_files_are_named_by_date(self) -> None:
        names = [p.name for p in (schema.MIGRATIONS_DIR / "versions").glob("*.py")]
        assert names
        for name in names:
            assert name[:11].replace("_", "").isdigit(), name
