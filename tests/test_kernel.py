"""Kernel behaviour: the grade ladder, settings, UTC timestamps, SQLite pragmas, naming, transition tables."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import pytest
import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from registry import grades
from registry.db import NAMING_CONVENTION, UTCDateTime, metadata
from registry.errors import TransitionNotAllowed
from registry.settings import PLACEHOLDER_SECRET, Settings
from registry.transitions import TransitionTable


class TestGradeLadder:
    def test_eight_grades_in_order(self) -> None:
        assert [g.code for g in grades.LADDER] == list(grades.GradeCode)
        assert [g.ordinal for g in grades.LADDER] == list(range(1, 9))

    @pytest.mark.parametrize(
        ("code", "level"),
        [
            ("apprentice", None),
            ("junior", 5),
            ("intermediate", 4),
            ("senior", 3),
            ("technician", 2),
            ("senior_technician", 1),
            ("special_technician", None),
            ("chief_technician", None),
        ],
    )
    def test_national_levels_run_inversely(self, code: str, level: int | None) -> None:
        assert grades.info(code).national_level == level

    def test_high_skill_means_senior_and_above(self) -> None:
        assert [g.code for g in grades.LADDER if grades.is_high_skill(g.code)] == list(grades.GradeCode)[3:]

    def test_grade_below(self) -> None:
        assert grades.below("technician") == grades.GradeCode.SENIOR
        assert grades.below("apprentice") is None

    def test_level_label(self) -> None:
        assert grades.info("senior").national_level_zh == "三级"


class TestSettings:
    def test_development_accepts_the_placeholder_secret(self) -> None:
        assert Settings(env="development").secret_key.get_secret_value() == PLACEHOLDER_SECRET

    def test_production_refuses_the_placeholder_secret(self) -> None:
        with pytest.raises(ValidationError, match="REGISTRY_SECRET_KEY"):
            Settings(env="production")

    def test_production_refuses_a_short_secret(self) -> None:
        with pytest.raises(ValidationError, match="REGISTRY_SECRET_KEY"):
            Settings(env="production", secret_key="short")  # type: ignore[arg-type]

    def test_production_accepts_a_real_secret(self) -> None:
        assert Settings(env="production", secret_key="x" * 40).env == "production"  # type: ignore[arg-type]

    def test_reads_registry_prefixed_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("REGISTRY_PUBLICITY_DAYS", "7")
        monkeypatch.setenv("REGISTRY_PUBLIC_URL", "https://example.org/")
        settings = Settings()
        assert settings.publicity_days == 7
        assert settings.public_base == "https://example.org"


class _Colour(StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"


LIGHTS = TransitionTable("traffic light", {_Colour.RED: {_Colour.GREEN}, _Colour.GREEN: {_Colour.AMBER}})


class TestTransitionTable:
    def test_allowed_edge_passes(self) -> None:
        LIGHTS.check(_Colour.RED, _Colour.GREEN)

    def test_missing_edge_is_refused_naming_the_allowed_ones(self) -> None:
        with pytest.raises(TransitionNotAllowed) as refused:
            LIGHTS.check(_Colour.RED, _Colour.AMBER)
        assert refused.value.extra["allowed"] == ["green"]
        assert "red" in refused.value.en

    def test_state_without_edges_is_final(self) -> None:
        assert LIGHTS.is_final(_Colour.AMBER)
        assert not LIGHTS.is_final(_Colour.RED)


class TestDatabaseKernel:
    def test_naive_datetimes_are_refused(self, engine: Engine) -> None:
        with pytest.raises(ValueError, match="naive"):
            UTCDateTime().process_bind_param(dt.datetime(2026, 1, 1), engine.dialect)  # noqa: DTZ001

    def test_timestamps_come_back_aware_utc(self, session: Session) -> None:
        column = sa.literal(dt.datetime(2026, 1, 1, 8, tzinfo=dt.timezone(dt.timedelta(hours=8))), UTCDateTime())
        value = session.execute(sa.select(column)).scalar_one()
        assert value == dt.datetime(2026, 1, 1, 0, tzinfo=dt.UTC)
        assert value.tzinfo is not None

    def test_sqlite_has_foreign_keys_and_wal(self, session: Session, is_postgres: bool) -> None:
        if is_postgres:
            pytest.skip("SQLite pragmas; PostgreSQL enforces foreign keys natively")
        assert session.execute(sa.text("PRAGMA foreign_keys")).scalar_one() == 1
        assert session.execute(sa.text("PRAGMA journal_mode")).scalar_one() == "wal"

    def test_foreign_keys_are_enforced(self, session: Session) -> None:
        with pytest.raises(sa.exc.IntegrityError):
            session.execute(
                sa.text(
                    "INSERT INTO city (code, province_code, name_zh, name_en, region_zh) VALUES "
                    "('999900', '99', 'x', 'x', '')"
                )
            )
            session.flush()

    def test_constraint_names_follow_the_convention(self) -> None:
        assert metadata.naming_convention == NAMING_CONVENTION
        names = {c.name for c in metadata.tables["equivalence"].constraints}
        assert {"pk_equivalence", "ck_equivalence_one_target", "fk_equivalence_grade_code_grade"} <= names
