"""`registry demo`: realistic data in every state, loaded once, refused in production."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import col, select
from typer.testing import CliRunner

from api.cli import app as cli
from assessment.batches.models import ExamSession, SessionStatus
from assessment.batches.service import missing_scores
from assessment.recognition.models import Path, Recognition
from certificates.models import Certificate, CertificateStatus
from registry.audit.service import verify_chain
from registry.awards.models import Appointment, AwardBasis, GradeAward
from registry.bodies.models import BodyStatus, EvaluationBody
from registry.db import make_engine, session_scope
from registry.filings.models import Filing, FilingStatus


def test_demo_loads_every_state_once(committed_url: str) -> None:
    first = CliRunner().invoke(cli, ["demo"])
    assert first.exit_code == 0, first.output
    assert "demo data loaded" in first.output
    second = CliRunner().invoke(cli, ["demo"])
    assert second.exit_code == 0, second.output
    assert "already present" in second.output
    assert "claim a worker account (not claimed yet)" in second.output
    engine = make_engine(committed_url)
    with session_scope(engine) as s:
        assert {f.status for f in s.exec(select(Filing)).all()} == set(FilingStatus)
        statuses = {b.status for b in s.exec(select(EvaluationBody)).all()}
        assert statuses == set(BodyStatus)
        assert s.exec(select(Filing).where(col(Filing.ends_on) < dt.date(2026, 1, 1))).first() is not None
        assert {e.status for e in s.exec(select(ExamSession)).all()} == set(SessionStatus)
        assert {r.path for r in s.exec(select(Recognition)).all()} >= {
            Path.DR_A,
            Path.DR_C,
            Path.DR_D,
            Path.DR_E,
            Path.DR_G,
        }
        assert s.exec(select(GradeAward).where(GradeAward.basis == AwardBasis.EXAM)).first() is not None
        assert s.exec(select(Appointment)).first() is not None
        statuses = {c.status for c in s.exec(select(Certificate)).all()}
        assert statuses == set(CertificateStatus)
        assert s.exec(select(Certificate).where(Certificate.print_serial > 1)).first() is not None
        assert verify_chain(s).ok
        # the supervisor console's task: an open batch with every score in, waiting for the attestation
        waiting = [e for e in s.exec(select(ExamSession)).all() if e.status == SessionStatus.OPEN]
        assert any(not missing_scores(s, e) for e in waiting)
        assert any(missing_scores(s, e) for e in waiting)
    engine.dispose()


def test_demo_is_refused_in_production(committed_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from registry.settings import get_settings

    monkeypatch.setenv("REGISTRY_ENV", "production")
    monkeypatch.setenv("REGISTRY_SECRET_KEY", "p" * 48)
    monkeypatch.setenv("REGISTRY_ARGON2_TIME_COST", "2")
    monkeypatch.setenv("REGISTRY_ARGON2_MEMORY_KIB", str(19 * 1024))
    get_settings.cache_clear()
    result = CliRunner().invoke(cli, ["demo"])
    assert result.exit_code == 1
    assert "production" in result.output
