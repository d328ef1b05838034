"""Site codes decide whose certificate number it is: six digits, one body per province, required to approve."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from registry import schema
from registry.audit.models import AuditEvent
from registry.bodies.models import BodyUpdate, EvaluationBody
from registry.bodies.service import ReasonRequired, SiteCodeTaken, update_body
from registry.clock import utcnow
from registry.db import make_engine
from registry.filings.models import FilingStatus
from registry.filings.service import SiteCodeRequired, create_filing, decide_filing, submit_filing
from registry.settings import Settings
from tests.factories import SYSTEM, filing_data, login, make_body, make_certificate, make_user, valid_uscc


def _raw_body(session: Session, **values: object) -> None:
    now = utcnow()
    row = {
        "id": uuid.uuid4(),
        "uscc": valid_uscc(),
        "name": "直接写入的机构",
        "kind": "employer",
        "province_code": "44",
        "ministry_code": "0000",
        "cert_category": "Y",
        "status": "active",
        "address": "",
        "contact_name": "",
        "contact_phone": "",
        "created_at": now,
        "updated_at": now,
        **dict.fromkeys(("is_state_owned", "is_above_scale", "is_manufacturing", "is_large", "is_listed"), False),
        **dict.fromkeys(("is_chain_lead", "is_industry_leader", "qualified_special"), False),
        **values,
    }
    session.execute(sa.insert(EvaluationBody.__table__), [row])  # type: ignore[attr-defined]


class TestTheDatabaseRefuses:
    def test_a_site_code_twice_in_one_province(self, session: Session) -> None:
        make_body(session, site_code="440001")
        with pytest.raises(IntegrityError), session.begin_nested():
            _raw_body(session, site_code="440001")

    def test_the_same_site_code_in_another_province_is_fine(self, session: Session) -> None:
        make_body(session, site_code="440002")
        _raw_body(session, site_code="440002", province_code="11")

    @pytest.mark.parametrize("column", [{"site_code": "12A456"}, {"site_code": "12345"}, {"ministry_code": "ABCD"}])
    def test_malformed_codes(self, session: Session, column: dict[str, str]) -> None:
        with pytest.raises(IntegrityError), session.begin_nested():
            _raw_body(session, **column)


class TestUpdates:
    def test_a_code_held_by_another_body_of_the_province_is_a_conflict(
        self, client: TestClient, session: Session, settings: Settings
    ) -> None:
        make_body(session, site_code="440010")
        body = make_body(session)
        headers = login(client, make_user(session, settings).username)
        response = client.patch(f"/api/v1/bodies/{body.id}", json={"site_code": "440010"}, headers=headers)
        assert (response.status_code, response.json()["error"]) == (409, "site_code_taken")
        assert response.json()["field"] == "site_code"

    @pytest.mark.parametrize("bad", ["12A", "1234567890", None])
    def test_malformed_or_null_site_codes_are_422(
        self, client: TestClient, session: Session, settings: Settings, bad: str | None
    ) -> None:
        body = make_body(session)
        headers = login(client, make_user(session, settings).username)
        response = client.patch(f"/api/v1/bodies/{body.id}", json={"site_code": bad}, headers=headers)
        assert response.status_code == 422
        assert [f["field"] for f in response.json()["fields"]] == ["site_code"]

    def test_a_code_that_numbered_another_bodys_certificates_is_never_reassigned(
        self, session: Session, settings: Settings
    ) -> None:
        certificate = make_certificate(session, settings)
        issuer = session.get(EvaluationBody, certificate.body_id)
        assert issuer is not None and issuer.site_code is not None
        old_code = issuer.site_code
        update_body(
            session, actor=SYSTEM, body_id=issuer.id, data=BodyUpdate(site_code="449999", reason="省厅重新编码")
        )
        newcomer = make_body(session)
        with pytest.raises(SiteCodeTaken):
            update_body(session, actor=SYSTEM, body_id=newcomer.id, data=BodyUpdate(site_code=old_code))

    def test_renumbering_after_certificates_needs_a_reason_kept_on_the_audit_record(
        self, session: Session, settings: Settings
    ) -> None:
        certificate = make_certificate(session, settings)
        with pytest.raises(ReasonRequired):
            update_body(session, actor=SYSTEM, body_id=certificate.body_id, data=BodyUpdate(site_code="448888"))
        update_body(
            session,
            actor=SYSTEM,
            body_id=certificate.body_id,
            data=BodyUpdate(site_code="448888", reason="省厅统一调整站点代码"),
        )
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "body.updated").order_by(AuditEvent.seq.desc())  # type: ignore[union-attr]
        ).first()
        assert event is not None and event.reason == "省厅统一调整站点代码"
        assert event.after == {"site_code": "448888"}

    def test_before_any_certificate_a_code_may_change_without_a_reason(self, session: Session) -> None:
        body = make_body(session)
        assert update_body(session, actor=SYSTEM, body_id=body.id, data=BodyUpdate(site_code="447777")).site_code


class TestApproval:
    def test_a_filing_of_a_body_without_a_site_code_is_not_approved(self, session: Session, settings: Settings) -> None:
        body = make_body(session, site_code=None)
        filing = create_filing(session, actor=SYSTEM, data=filing_data(body))
        submit_filing(session, actor=SYSTEM, filing_id=filing.id, settings=settings)
        with pytest.raises(SiteCodeRequired):
            decide_filing(session, actor=SYSTEM, filing_id=filing.id, approve=True, note="批准", settings=settings)
        assert filing.status == FilingStatus.SUBMITTED
        rejected = decide_filing(
            session, actor=SYSTEM, filing_id=filing.id, approve=False, note="缺站点代码", settings=settings
        )
        assert rejected.status == FilingStatus.REJECTED


class TestMigration:
    def test_the_upgrade_names_bodies_whose_codes_clash_and_changes_nothing(self, scratch_url: str) -> None:
        schema.upgrade(scratch_url, "20261121_0006")
        engine = make_engine(scratch_url)
        try:
            with Session(engine) as s:
                s.execute(sa.text("INSERT INTO province (code, name_zh, name_en) VALUES ('44', '广东省', 'Guangdong')"))
                _raw_body(s, site_code="000123", name="甲机构")
                _raw_body(s, site_code="000123", name="乙机构")
                _raw_body(s, site_code="12A", name="丙机构")
                s.commit()
        finally:
            engine.dispose()
        with pytest.raises(RuntimeError) as refused:
            schema.upgrade(scratch_url)
        message = str(refused.value)
        assert "甲机构" in message and "乙机构" in message and "丙机构" in message
        assert schema.current_revision(scratch_url) == "20261121_0006"
