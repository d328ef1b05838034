"""The benchmarks' volume loader: columns checked against the table metadata, and a small load on PostgreSQL.

The load itself needs PostgreSQL (COPY); on SQLite those tests are skipped with the reason.
"""

from __future__ import annotations

import collections
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from bench.common import bench_settings, scratch_database
from bench.volume import TableWriter, VolumeError, VolumeReport, load_volume
from certificates import numbering
from certificates.verification import verify_online
from registry import pii
from registry.db import is_sqlite_url, make_engine
from registry.settings import Settings
from registry.validators import check_uscc

pytestmark = pytest.mark.slow


def _table() -> sa.Table:
    return sa.Table(
        "thing",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("note", sa.String, nullable=True),
        sa.Column("state", sa.String, nullable=False, default="new"),
        sa.Column("stamp", sa.String, nullable=False, server_default="now"),
        sa.Column("token", sa.String, nullable=False, default=lambda: "made"),
    )


def test_columns_without_a_generator_take_defaults_or_stay_out() -> None:
    writer = TableWriter(_table(), ["id", "name"])
    writer.add({"id": 1, "name": "a"})
    assert writer.columns == ["id", "name", "state", "token"]  # nullable and server-default columns left out
    assert writer.rows == [(1, "a", "new", "made")]
    assert writer.copy_statement() == "COPY thing (id, name, state, token) FROM STDIN"


def test_a_not_null_column_without_a_generator_fails_loudly() -> None:
    with pytest.raises(VolumeError, match=r"thing\.name is NOT NULL and has no generator"):
        TableWriter(_table(), ["id"])


def test_a_generated_column_the_table_lacks_fails_loudly() -> None:
    with pytest.raises(VolumeError, match="does not have: \\['colour'\\]"):
        TableWriter(_table(), ["id", "name", "colour"])


def test_a_row_missing_a_generated_column_fails() -> None:
    writer = TableWriter(_table(), ["id", "name"])
    with pytest.raises(KeyError):
        writer.add({"id": 1})


def test_sqlite_is_refused_with_the_reason(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with pytest.raises(VolumeError, match="needs PostgreSQL"):
        load_volume(url, bench_settings(url, tmp_path / "keys"), certificates=10)


@dataclass
class Loaded:
    url: str
    settings: Settings
    report: VolumeReport


FILLER, REAL = 2500, 60


@pytest.fixture(scope="module")
def loaded(database_url: str) -> Iterator[Loaded]:
    if is_sqlite_url(database_url):
        pytest.skip("the volume loader fills PostgreSQL with COPY; this run is on SQLite")
    admin = sa.engine.make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
    with scratch_database("postgresql", admin_url=admin) as url, tempfile.TemporaryDirectory() as keys:
        settings = bench_settings(url, Path(keys))
        report = load_volume(url, settings, certificates=FILLER, real=REAL, bodies=8)
        yield Loaded(url, settings, report)


@pytest.fixture
def db(loaded: Loaded) -> Iterator[Session]:
    engine = make_engine(loaded.url)
    with Session(engine) as session:
        yield session
    engine.dispose()


def _rows(db: Session, sql: str) -> list[sa.Row[tuple[object, ...]]]:
    return list(db.execute(sa.text(sql)).all())


def test_the_asked_volume_is_there(loaded: Loaded, db: Session) -> None:
    report = loaded.report
    assert report.filler_certificates == FILLER
    assert report.real_certificates == REAL
    assert report.certificates == FILLER + REAL == _rows(db, "SELECT count(*) FROM certificate")[0][0]
    assert report.rows["grade_award"] == FILLER + REAL + report.rows["legacy_certificate"]  # legacy: no certificate
    for table in ("person", "candidate", "exam_session", "session_component", "certificate_print", "employment"):
        assert report.rows[table] > 0, table
    assert report.as_dict()["load_seconds"] > 0


def test_every_foreign_key_holds(loaded: Loaded, db: Session) -> None:
    # COPY ran without FK triggers: check every reference of every table as the database would have.
    from api.metadata import load_all_models

    broken = {}
    for table in load_all_models().sorted_tables:
        for fk in table.foreign_key_constraints:
            (column,), (target,) = fk.column_keys, [e.column for e in fk.elements]
            sql = (
                f"SELECT count(*) FROM {table.name} c WHERE c.{column} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {target.table.name} p WHERE p.{target.name} = c.{column})"
            )
            if orphans := _rows(db, sql)[0][0]:
                broken[f"{table.name}.{column}"] = orphans
    assert broken == {}


def test_real_tokens_verify_as_expected(loaded: Loaded, db: Session) -> None:
    tokens = loaded.report.tokens
    kinds = collections.Counter(t.verdict for t in tokens)
    assert kinds["valid"] > REAL * 0.9
    assert kinds["superseded"] >= 1
    assert len(tokens) == REAL + kinds["superseded"]
    for token in tokens:
        assert verify_online(db, token=token.token, settings=loaded.settings).verdict.value == token.verdict


def test_real_holders_have_real_identities(loaded: Loaded, db: Session) -> None:
    numbers = [t.number for t in loaded.report.tokens]
    holders = _rows(
        db,
        "SELECT p.name, p.id_type, p.id_number_enc, p.id_number_hmac, p.holder_binding FROM person p "
        "JOIN certificate c ON c.person_id = p.id WHERE c.number IN (" + ", ".join(f"'{n}'" for n in numbers) + ")",
    )
    assert len(holders) == REAL
    for _, id_type, enc, digest, binding in holders:
        number = pii.decrypt(loaded.settings, enc, context=id_type)
        assert pii.lookup_hash(loaded.settings, id_type, number) == digest  # what the online holder check uses
        assert binding is None  # v2 tokens: nothing ID-derived is computed for new people


def test_the_registry_looks_like_one(loaded: Loaded, db: Session) -> None:
    bodies = _rows(db, "SELECT uscc, site_code, kind, province_code FROM evaluation_body")
    assert all(check_uscc(uscc) is None for uscc, *_ in bodies)
    assert len({site for _, site, *_ in bodies}) == len(bodies)
    assert len({kind for *_, kind, _ in bodies}) >= 2
    statuses = dict(_rows(db, "SELECT status, count(*) FROM certificate GROUP BY status"))
    assert set(statuses) == {"valid", "revoked", "suspended"}
    assert _rows(db, "SELECT count(*) FROM certificate WHERE print_serial > 1")[0][0] > 0
    assert _rows(db, "SELECT count(DISTINCT grade) FROM certificate")[0][0] >= 5  # the rarest need more volume
    assert _rows(db, "SELECT count(DISTINCT occupation_code) FROM certificate")[0][0] >= 5
    assert _rows(db, "SELECT count(DISTINCT extract(year FROM issued_on)) FROM certificate")[0][0] >= 4
    assert _rows(db, "SELECT count(*) FROM candidate WHERE NOT passed")[0][0] > 0
    assert dict(_rows(db, "SELECT basis, count(*) FROM grade_award GROUP BY basis")).keys() >= {
        "exam",
        "recognition",
        "legacy",
    }
    legacy = dict(_rows(db, "SELECT status, count(*) FROM grade_award WHERE basis = 'legacy' GROUP BY status"))
    assert "active" in legacy
    assert _rows(db, "SELECT count(*) FROM grade_award WHERE basis = 'legacy' AND body_id IS NOT NULL")[0][0] == 0
    assert all(numbering.is_well_formed(n) for (n,) in _rows(db, "SELECT number FROM certificate"))


def test_issue_dates_lie_within_the_awards_filing(db: Session) -> None:
    outside = _rows(
        db,
        "SELECT count(*) FROM certificate c JOIN grade_award a ON a.id = c.award_id "
        "JOIN filing f ON f.id = a.filing_id "
        "WHERE c.issued_on < f.starts_on OR c.issued_on > f.ends_on OR a.awarded_on > c.issued_on",
    )
    assert outside[0][0] == 0


def test_serial_counters_continue_after_the_loaded_numbers(db: Session) -> None:
    behind = _rows(
        db,
        "SELECT count(*) FROM serial_counter s WHERE s.last_serial < (SELECT max(right(c.number, 6)::int) "
        "FROM certificate c WHERE left(c.number, length(s.site_key)) = s.site_key "
        "AND substr(c.number, length(s.site_key) + 1, 2)::int = s.year "
        "AND (s.level = 'A' OR substr(c.number, length(s.site_key) + 3, 1) = s.level))",
    )
    assert behind[0][0] == 0
    assert _rows(db, "SELECT count(*) FROM serial_counter")[0][0] > 0


def test_the_statistics_tally_equals_a_recount_after_the_load(loaded: Loaded, db: Session) -> None:
    # COPY ran without triggers; the loader rebuilt the tally, and the real issuance after it went through triggers.
    from regulator.tally_sql import rebuild_statements

    key = "kind, month, body_id, occupation_code, grade, basis, status, reason, n"
    live = set(_rows(db, f"SELECT {key} FROM stat_tally WHERE n <> 0"))
    assert sum(r[-1] for r in live if r[0] == "certificate") == loaded.report.certificates
    for statement in rebuild_statements("postgresql"):
        db.execute(sa.text(statement))
    assert set(_rows(db, f"SELECT {key} FROM stat_tally WHERE n <> 0")) == live
    db.rollback()
