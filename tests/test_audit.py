"""The audit chain: appended in the changing transaction, any edit or deletion is caught and named."""

from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.cli import app as cli
from registry.accounts.models import UserAccount
from registry.actor import Role
from registry.audit.models import GENESIS_HASH, AuditEvent
from registry.audit.service import event_hash, jsonable, record, snapshot, verify_chain
from registry.clock import utcnow
from registry.db import make_engine, session_scope
from tests.factories import SYSTEM


def _append(session: Session, n: int) -> list[AuditEvent]:
    return [
        record(
            session,
            actor=SYSTEM,
            action="test.happened",
            entity_type="test",
            entity_id=str(i),
            before={"n": i},
            after={"n": i + 1, "score": 61.5},
            reason=f"reason {i}",
        )
        for i in range(n)
    ]


def _start(session: Session) -> int:
    return session.exec(select(sa.func.coalesce(sa.func.max(AuditEvent.seq), 0))).one()


class TestAppend:
    def test_events_link_to_the_previous_hash(self, session: Session) -> None:
        first, second = _append(session, 2)
        assert second.seq == first.seq + 1
        assert second.prev_hash == first.hash
        assert event_hash(second) == second.hash

    def test_first_event_links_to_genesis(self, session: Session) -> None:
        if _start(session) != 0:
            pytest.skip("the chain already has events")
        (event,) = _append(session, 1)
        assert event.prev_hash == GENESIS_HASH

    def test_floats_are_stored_as_exact_strings(self) -> None:
        assert jsonable({"score": 61.5, "mark": 60.0}) == {"score": "61.5", "mark": "60"}

    def test_secrets_never_enter_snapshots(self) -> None:
        user = UserAccount(
            username="x",
            role=Role.REGULATOR,
            password_hash="$argon2id$secret",
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        assert "password_hash" not in snapshot(user)


class TestVerify:
    def test_intact_chain_verifies(self, session: Session) -> None:
        _append(session, 5)
        report = verify_chain(session)
        assert report.ok
        assert report.checked == report.last_seq

    def test_editing_an_event_row_is_caught_and_named(self, session: Session) -> None:
        events = _append(session, 4)
        target = events[1].seq
        session.execute(sa.text("UPDATE audit_event SET reason = 'nothing to see' WHERE seq = :s"), {"s": target})
        session.expire_all()
        report = verify_chain(session)
        assert not report.ok
        assert report.first_broken_seq == target
        assert "altered" in (report.problem_en or "")

    def test_rehashing_an_edited_event_breaks_the_next_link(self, session: Session) -> None:
        events = _append(session, 3)
        target = events[0]
        fake = AuditEvent(**{**target.model_dump(), "reason": "rewritten"})
        session.execute(
            sa.text("UPDATE audit_event SET reason = 'rewritten', hash = :h WHERE seq = :s"),
            {"h": event_hash(fake), "s": target.seq},
        )
        report = verify_chain(session)
        assert report.first_broken_seq == events[1].seq
        assert "link" in (report.problem_en or "")

    def test_deleting_a_middle_event_is_caught(self, session: Session) -> None:
        events = _append(session, 3)
        session.execute(sa.text("DELETE FROM audit_event WHERE seq = :s"), {"s": events[1].seq})
        report = verify_chain(session)
        assert report.first_broken_seq == events[1].seq
        assert "missing" in (report.problem_en or "")

    def test_deleting_the_newest_events_is_caught(self, session: Session) -> None:
        events = _append(session, 3)
        session.execute(sa.text("DELETE FROM audit_event WHERE seq >= :s"), {"s": events[1].seq})
        report = verify_chain(session)
        assert not report.ok
        assert report.first_broken_seq == events[1].seq


class TestVerifyCommand:
    def test_cli_passes_then_names_a_tampered_event(self, committed_url: str) -> None:
        engine = make_engine(committed_url)
        with session_scope(engine) as s:
            seq = _append(s, 3)[1].seq
        assert CliRunner().invoke(cli, ["audit", "verify"]).exit_code == 0
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE audit_event SET action = 'test.forged' WHERE seq = :s"), {"s": seq})
        result = CliRunner().invoke(cli, ["audit", "verify"])
        assert result.exit_code == 1
        assert f"#{seq}" in result.output
        engine.dispose()


class TestConcurrentAppends:
    def test_parallel_transactions_never_fork_the_chain(self, committed_url: str) -> None:
        engine = make_engine(committed_url)
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                for _ in range(10):
                    with session_scope(engine) as s:
                        record(s, actor=SYSTEM, action="test.parallel", entity_type="test", entity_id=uuid.uuid4().hex)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with session_scope(engine) as s:
            report = verify_chain(s)
            assert report.ok
            assert report.checked == 60
        engine.dispose()
