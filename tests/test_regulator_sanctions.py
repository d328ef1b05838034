"""Sanctions with every effect, spot-check samples, verification events and exports, through the services and API."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

import openpyxl
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session, col, select

from assessment.batches.models import Candidate, ExamSession, SessionStatus
from assessment.batches.service import publish_batch
from certificates.models import Certificate, CertificateStatus
from certificates.service import issue_certificates
from certificates.verification import Verdict, revocation_list, verify_online
from registry.audit.models import AuditEvent
from registry.awards.models import AwardBasis, AwardStatus, GradeAward
from registry.awards.service import create_award
from registry.bodies.models import BodyStatus, EvaluationBody
from registry.bodies.service import BodyNotActive
from registry.clock import today, utcnow
from registry.errors import InvalidInput
from registry.filings.models import Filing, FilingStatus
from registry.filings.service import OutsideFilingScope
from registry.grades import GradeCode as G
from registry.settings import Settings
from regulator import samples, sanctions
from regulator.models import FindingIn, LiftIn, Population, SampleIn, SanctionIn, SanctionKind, VerificationEvent
from regulator.verification_log import VerificationLog, coarse_network
from tests.factories import (
    SYSTEM,
    ensure_signing_key,
    login,
    make_batch,
    make_body,
    make_certificate,
    make_filing,
    make_person,
    make_user,
)

REASON = "专项检查发现虚假评价"


@dataclass
class Fraud:
    body: EvaluationBody
    filing: Filing
    batch: ExamSession
    certificates: list[Certificate]
    unissued_award: GradeAward
    open_batch: ExamSession


@pytest.fixture
def fraud(session: Session, settings: Settings) -> Fraud:
    """A body with a closed batch (three awards, two with certificates), an open batch, an award not yet issued."""
    ensure_signing_key(settings)
    body = make_body(session, name="虚假评价测试公司")
    filing = make_filing(session, settings, body=body)
    now = utcnow()
    batch = ExamSession(
        body_id=body.id,
        filing_id=filing.id,
        occupation_code="6-18-02-04",
        grade=G.SENIOR,
        exam_on=today(),
        venue="考场",
        status=SessionStatus.CLOSED,
        attested_at=now,
        finalized_at=now,
        closed_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(batch)
    session.flush()
    awards = []
    for _ in range(3):
        person = make_person(session, settings, employer=body)
        candidate = Candidate(
            session_id=batch.id,
            person_id=person.id,
            eligibility={},
            ruleset_version="t",
            enrolled_at=now,
            total_tenths=800,
            passed=True,
        )
        session.add(candidate)
        session.flush()
        award = create_award(
            session,
            actor=SYSTEM,
            person_id=person.id,
            body_id=body.id,
            occupation_code="6-18-02-04",
            grade=G.SENIOR,
            basis=AwardBasis.EXAM,
            basis_ref=candidate.id,
        )
        candidate.award_id = award.id
        awards.append(award)
    issue_certificates(session, actor=SYSTEM, award_ids=[a.id for a in awards[:2]], settings=settings)
    certificates = list(
        session.exec(select(Certificate).where(col(Certificate.award_id).in_([a.id for a in awards]))).all()
    )
    other = make_person(session, settings, employer=body)
    unissued = create_award(
        session,
        actor=SYSTEM,
        person_id=other.id,
        body_id=body.id,
        occupation_code="6-18-02-04",
        grade=G.JUNIOR,
        basis=AwardBasis.EXAM,
        basis_ref=None,
    )
    open_batch = make_batch(session, settings, body=body, assessors=2, exam_on=today()).exam
    return Fraud(body, filing, batch, certificates, unissued, open_batch)


def _sanction(kind: SanctionKind, fraud: Fraud, **extra: object) -> SanctionIn:
    return SanctionIn(kind=kind, body_id=fraud.body.id, reason=REASON, **extra)  # type: ignore[arg-type]


class TestRevokeBatch:
    def test_dry_run_lists_exactly_what_would_change_and_changes_nothing(
        self, session: Session, settings: Settings, fraud: Fraud
    ) -> None:
        plan = sanctions.impose(
            session,
            actor=SYSTEM,
            data=_sanction(SanctionKind.REVOKE_BATCH, fraud, batch_id=fraud.batch.id, dry_run=True),
        )
        assert plan.counts == {"bodies": 0, "filings": 0, "batches_cancelled": 0, "awards": 3, "certificates": 2}
        assert sorted(plan.certificates) == sorted(c.number for c in fraud.certificates)
        session.expire_all()
        assert all(session.get(Certificate, c.id).status == CertificateStatus.VALID for c in fraud.certificates)  # type: ignore[union-attr]

    def test_revokes_awards_and_certificates_visible_at_once_online_and_in_the_list(
        self, session: Session, settings: Settings, fraud: Fraud
    ) -> None:
        before = {e["h"] for e in revocation_list(session, settings=settings)["entries"]}
        plan = sanctions.impose(
            session, actor=SYSTEM, data=_sanction(SanctionKind.REVOKE_BATCH, fraud, batch_id=fraud.batch.id)
        )
        assert plan.sanction is not None and plan.sanction.basis == "000:53"
        for certificate in fraud.certificates:
            assert verify_online(session, token=certificate.token, settings=settings).verdict == Verdict.REVOKED
        listed = revocation_list(session, settings=settings)["entries"]
        assert len({e["h"] for e in listed} - before) == 2
        assert all(e["s"] == "revoked" for e in listed if e["h"] not in before)
        revoked = session.exec(select(GradeAward).where(GradeAward.status == AwardStatus.REVOKED)).all()
        assert len(revoked) == 3
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "certificate.revoked")).all()
        assert len(events) == 2 and all(REASON in (e.reason or "") for e in events)


class TestRevokeQualification:
    def test_every_effect(self, client: TestClient, session: Session, settings: Settings, fraud: Fraud) -> None:
        finalized = ExamSession(
            **{**fraud.batch.model_dump(exclude={"id"}), "status": SessionStatus.FINALIZED, "closed_at": None}
        )
        session.add(finalized)
        session.flush()
        catalogue = client.get("/api/v1/bodies").json()
        assert str(fraud.body.id) in {e["body_id"] for e in catalogue}
        plan = sanctions.impose(session, actor=SYSTEM, data=_sanction(SanctionKind.REVOKE_QUALIFICATION, fraud))
        assert plan.counts["filings"] == 1 and plan.batches_cancelled == [fraud.open_batch.id]
        session.expire_all()
        assert session.get(EvaluationBody, fraud.body.id).status == BodyStatus.REVOKED  # type: ignore[union-attr]
        assert session.get(Filing, fraud.filing.id).status == FilingStatus.REVOKED  # type: ignore[union-attr]
        assert session.get(ExamSession, fraud.open_batch.id).status == SessionStatus.CANCELLED  # type: ignore[union-attr]
        # the catalogue drops it; the public register shows it with its history, no reason text
        assert str(fraud.body.id) not in {e["body_id"] for e in client.get("/api/v1/bodies").json()}
        register = {e["body_id"]: e for e in client.get("/api/v1/sanctions").json()}
        entry = register[str(fraud.body.id)]
        assert entry["standing"] == "revoked" and entry["in_catalogue"] is False
        assert [s["kind"] for s in entry["sanctions"]] == ["revoke_qualification"]
        assert REASON not in client.get("/api/v1/sanctions").text
        # no new batch, no step of a batch under way, no certificate
        with pytest.raises(OutsideFilingScope):
            make_batch(session, settings, body=fraud.body, assessors=2, exam_on=today())
        with pytest.raises(BodyNotActive):
            publish_batch(session, actor=SYSTEM, batch_id=finalized.id, settings=settings)
        with pytest.raises(OutsideFilingScope):
            issue_certificates(session, actor=SYSTEM, award_ids=[fraud.unissued_award.id], settings=settings)
        # already issued certificates stay as they were (the qualification is revoked, not past evaluations)
        assert verify_online(session, token=fraud.certificates[0].token, settings=settings).verdict == Verdict.VALID

    def test_then_the_fraudulent_batch_is_revoked_too(self, session: Session, settings: Settings, fraud: Fraud) -> None:
        sanctions.impose(session, actor=SYSTEM, data=_sanction(SanctionKind.REVOKE_QUALIFICATION, fraud))
        plan = sanctions.impose(
            session, actor=SYSTEM, data=_sanction(SanctionKind.REVOKE_BATCH, fraud, batch_id=fraud.batch.id)
        )
        assert plan.counts["certificates"] == 2
        assert verify_online(session, token=fraud.certificates[1].token, settings=settings).verdict == Verdict.REVOKED

    def test_a_revoked_body_cannot_be_revoked_again(self, session: Session, settings: Settings, fraud: Fraud) -> None:
        sanctions.impose(session, actor=SYSTEM, data=_sanction(SanctionKind.REVOKE_QUALIFICATION, fraud))
        with pytest.raises(sanctions.SanctionNotApplicable):
            sanctions.impose(session, actor=SYSTEM, data=_sanction(SanctionKind.REVOKE_QUALIFICATION, fraud))


class TestWarningAndSuspension:
    def test_warning_needs_a_future_deadline(self, session: Session, fraud: Fraud) -> None:
        with pytest.raises(InvalidInput, match="deadline"):
            sanctions.impose(session, actor=SYSTEM, data=_sanction(SanctionKind.WARNING, fraud))

    def test_warning_shows_in_the_catalogue_until_lifted(
        self, client: TestClient, session: Session, fraud: Fraud
    ) -> None:
        deadline = today() + dt.timedelta(days=30)
        plan = sanctions.impose(session, actor=SYSTEM, data=_sanction(SanctionKind.WARNING, fraud, deadline=deadline))
        entry = next(e for e in client.get("/api/v1/bodies").json() if e["body_id"] == str(fraud.body.id))
        assert entry["standing"] == "warned"
        assert entry["sanctions"][0]["deadline"] == deadline.isoformat()
        assert plan.sanction is not None
        sanctions.lift(session, actor=SYSTEM, sanction_id=plan.sanction.id, data=LiftIn(reason="已按期整改"))
        entry = next(e for e in client.get("/api/v1/bodies").json() if e["body_id"] == str(fraud.body.id))
        assert (entry["standing"], entry["sanctions"][0]["status"]) == ("good", "lifted")

    def test_suspension_stops_issuing_and_lifting_restores_it(
        self, session: Session, settings: Settings, fraud: Fraud
    ) -> None:
        plan = sanctions.impose(session, actor=SYSTEM, data=_sanction(SanctionKind.SUSPEND_FILING, fraud))
        assert plan.filings == [fraud.filing.id]
        with pytest.raises(OutsideFilingScope):
            issue_certificates(session, actor=SYSTEM, award_ids=[fraud.unissued_award.id], settings=settings)
        assert plan.sanction is not None
        sanctions.lift(session, actor=SYSTEM, sanction_id=plan.sanction.id, data=LiftIn(reason="整改到位，恢复备案"))
        outcome = issue_certificates(session, actor=SYSTEM, award_ids=[fraud.unissued_award.id], settings=settings)
        assert len(outcome.issued) == 1

    def test_revocations_cannot_be_lifted(self, session: Session, fraud: Fraud) -> None:
        plan = sanctions.impose(session, actor=SYSTEM, data=_sanction(SanctionKind.REVOKE_QUALIFICATION, fraud))
        assert plan.sanction is not None
        with pytest.raises(sanctions.SanctionNotApplicable):
            sanctions.lift(session, actor=SYSTEM, sanction_id=plan.sanction.id, data=LiftIn(reason="试图解除"))


class TestSamples:
    def _draw(self, session: Session, settings: Settings, **changes: object) -> list[str]:
        data = SampleIn.model_validate({"population": "bodies", "size": 3, "reason": "季度抽查", **changes})
        sample = samples.create_sample(session, actor=SYSTEM, settings=settings, data=data)
        return [i.item_ref for i in samples.sample_view(session, sample).items]

    def test_same_seed_same_sample_and_another_seed_another(self, session: Session, settings: Settings) -> None:
        for _ in range(8):
            make_body(session)
        first = self._draw(session, settings, seed=42)
        assert self._draw(session, settings, seed=42) == first
        assert len(first) == 3
        assert any(self._draw(session, settings, seed=s) != first for s in (1, 2, 3))

    def test_draw_is_a_pure_function_and_weighting_favours_flagged_items(self) -> None:
        refs = [str(i) for i in range(100)]
        flagged = [i < 10 for i in range(100)]
        assert samples.draw(refs, flagged, size=10, seed=7, weighted=True) == samples.draw(
            refs, flagged, size=10, seed=7, weighted=True
        )
        hits = sum(
            sum(1 for i in samples.draw(refs, flagged, size=10, seed=s, weighted=True) if i < 10) for s in range(50)
        )
        plain = sum(
            sum(1 for i in samples.draw(refs, flagged, size=10, seed=s, weighted=False) if i < 10) for s in range(50)
        )
        assert hits > 2 * plain

    def test_findings_are_recorded_and_audited(self, session: Session, settings: Settings, fraud: Fraud) -> None:
        data = SampleIn(population=Population.CERTIFICATES, size=5, seed=3, reason="证书抽查")
        sample = samples.create_sample(session, actor=SYSTEM, settings=settings, data=data)
        item = samples.sample_view(session, sample).items[0]
        finding = samples.record_finding(
            session,
            actor=SYSTEM,
            sample_id=sample.id,
            item_id=item.id,
            data=FindingIn(outcome="fraud", note="现场记录与成绩不符"),  # type: ignore[arg-type]
        )
        plan = sanctions.impose(
            session,
            actor=SYSTEM,
            data=_sanction(SanctionKind.REVOKE_BATCH, fraud, batch_id=fraud.batch.id, finding_id=finding.id),
        )
        assert plan.sanction is not None and plan.sanction.finding_id == finding.id
        actions = set(session.exec(select(AuditEvent.action)).all())
        assert {"sample.drawn", "finding.recorded", "sanction.imposed"} <= actions


class TestVerificationLog:
    def test_networks_are_coarse_and_keyed(self, settings: Settings) -> None:
        assert coarse_network("203.0.113.77") == "203.0.113.0/24"
        assert coarse_network("2001:db8:1234:5678::1") == "2001:db8:1234::/48"
        assert coarse_network("::ffff:203.0.113.9") == "203.0.113.0/24"
        assert coarse_network("not an address") == "unknown"
        log = VerificationLog(settings)
        other = VerificationLog(settings.model_copy(update={"secret_key": SecretStr("x" * 48)}))
        assert log.network_hash("203.0.113.1") == log.network_hash("203.0.113.200")
        assert log.network_hash("203.0.113.1") != log.network_hash("203.0.114.1")
        assert log.network_hash("203.0.113.1") != other.network_hash("203.0.113.1")
        assert "203.0.113" not in log.network_hash("203.0.113.1")

    def test_verifying_writes_nothing_until_the_flush(
        self, client: TestClient, session: Session, settings: Settings
    ) -> None:
        certificate = make_certificate(session, settings)
        count = len(session.exec(select(VerificationEvent)).all())
        assert client.get(f"/api/v1/verify/{certificate.token}").status_code == 200
        assert len(session.exec(select(VerificationEvent)).all()) == count
        log: VerificationLog = client.app.state.verification_log  # type: ignore[attr-defined]
        assert log.pending == 1
        assert log.flush(session) == 1
        (event,) = session.exec(select(VerificationEvent).where(VerificationEvent.number == certificate.number)).all()
        assert len(event.network) == 32 and "testclient" not in event.network

    def test_a_flush_stores_each_event_as_recorded(self, session: Session, settings: Settings) -> None:
        """PostgreSQL writes the batch by COPY, SQLite by a multi-row insert: the same rows either way."""
        log = VerificationLog(settings)
        before = dt.datetime.now(dt.UTC)
        for number, address in (("FLUSH-0001", "192.0.2.10"), ("FLUSH-0002", "2001:db8::1"), ("FLUSH-0001", None)):
            log.record(number, address)
        assert log.flush(session) == 3
        stored = session.exec(select(VerificationEvent).where(col(VerificationEvent.number).startswith("FLUSH-"))).all()
        assert sorted((e.number, e.network) for e in stored) == sorted(
            [
                ("FLUSH-0001", log.network_hash("192.0.2.10")),
                ("FLUSH-0002", log.network_hash("2001:db8::1")),
                ("FLUSH-0001", log.network_hash(None)),
            ]
        )
        assert all(before - dt.timedelta(seconds=1) <= e.occurred_at <= dt.datetime.now(dt.UTC) for e in stored)
        assert all(e.occurred_at.tzinfo is not None for e in stored)


class TestApi:
    def test_sanction_dry_run_and_exports_through_the_api(
        self, client: TestClient, session: Session, settings: Settings, fraud: Fraud
    ) -> None:
        make_user(session, settings, username="regulator-api")
        headers = login(client, "regulator-api")
        body = {
            "kind": "revoke_batch",
            "body_id": str(fraud.body.id),
            "batch_id": str(fraud.batch.id),
            "reason": REASON,
            "dry_run": True,
        }
        response = client.post("/api/v1/regulator/sanctions", json=body, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["counts"]["certificates"] == 2 and response.json()["sanction"] is None
        exported = client.get(
            "/api/v1/regulator/export.csv",
            params={"kind": "certificates", "from": "2026-01", "reason": "专项检查抽取证书"},
            headers=headers,
        )
        assert exported.status_code == 200
        rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
        assert rows[0][:3] == ["证书编号", "评价机构", "统一社会信用代码"]
        assert {r[0] for r in rows[1:]} >= {c.number for c in fraud.certificates}
        workbook = client.get("/api/v1/regulator/export.xlsx", params={"kind": "bodies"}, headers=headers)
        sheet = openpyxl.load_workbook(io.BytesIO(workbook.content)).active
        assert sheet is not None and next(sheet.iter_rows(values_only=True))[0] == "机构名称"
        for kind in ("stats", "anomalies"):
            params = {"kind": kind, "reason": "专项检查抽取证书"}
            assert client.get("/api/v1/regulator/export.csv", params=params, headers=headers).status_code == 200

    def test_certificate_export_pages_through_the_range(
        self, client: TestClient, session: Session, settings: Settings, fraud: Fraud, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from regulator import exports

        monkeypatch.setattr(exports, "PAGE", 1)
        make_user(session, settings, username="regulator-pages")
        response = client.get(
            "/api/v1/regulator/export.csv",
            params={"kind": "certificates", "reason": "分页导出核对"},
            headers=login(client, "regulator-pages"),
        )
        numbers = [r[0] for r in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))][1:]
        assert numbers == sorted(numbers) and len(numbers) == len(set(numbers)) >= 2


class TestServedApp:
    def test_the_served_app_flushes_its_buffer_in_the_background_and_on_shutdown(self, committed_url: str) -> None:
        from api.app import served_app
        from registry.db import make_engine, session_scope

        app = served_app()
        log: VerificationLog = app.state.verification_log
        with TestClient(app):
            log.record("SERVED-0001", "192.0.2.10")
        engine = make_engine(committed_url)
        with session_scope(engine) as s:
            stored = s.exec(select(VerificationEvent).where(VerificationEvent.number == "SERVED-0001")).all()
        engine.dispose()
        assert len(stored) == 1 and log.pending == 0
