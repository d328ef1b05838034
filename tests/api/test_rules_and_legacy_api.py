"""Issue 9 through the API: the public rule catalogue, rule provenance in refusals, legacy certificates,
award revocation, and DR-E/DR-G with the draft switched on and off."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlmodel import Session

from api.routers.rules import RULE_SETS
from registry.actor import Role
from registry.awards.legacy import LEGACY_COLUMNS
from registry.bodies.models import EvaluationBody
from registry.grades import GradeCode as G
from registry.settings import Settings
from tests.conftest import ClientFactory
from tests.console.support import form_post
from tests.factories import (
    give_award,
    login,
    make_body,
    make_certificate,
    make_filing,
    make_person,
    make_user,
    valid_id,
)

EVIDENCE = [{"kind": "业绩材料", "ref": "档案 2026-01", "description": "岗位练兵第一名"}]


class TestRuleCatalogue:
    def test_every_rule_is_listed_publicly_with_its_basis(self, client: TestClient) -> None:
        response = client.get("/api/v1/rules")
        assert response.status_code == 200
        body = response.json()
        assert len(body["items"]) == sum(len(s.rules) for s in RULE_SETS)
        assert {s["name"]: s["version"] for s in body["rulesets"]} == {s.name: s.version for s in RULE_SETS}
        for rule in body["items"]:
            assert rule["message_zh"] and rule["message_en"] and rule["title_zh"] and rule["ruleset_version"]
            assert rule["provenance"] in {"in_force", "draft", "registry", "outside"}
            assert (rule["citation"] is None) == (rule["phrase"] is None) == (rule["provenance"] == "registry")

    def test_dr_g_reads_as_draft_001_36(self, client: TestClient) -> None:
        rules = {r["id"]: r for r in client.get("/api/v1/rules").json()["items"]}
        dr_g = rules["REC-DR-G"]
        assert (dr_g["provenance"], dr_g["citation"]) == ("draft", "001:36")
        assert "晋升职业技能等级" in dr_g["phrase"] and dr_g["switched_off_without_draft"] is True
        assert rules["REC-DR-G-FILING"]["provenance"] == "registry"

    def test_filters_by_ruleset_and_provenance(self, client: TestClient) -> None:
        body = client.get("/api/v1/rules", params={"ruleset": "recognition", "provenance": "draft"}).json()
        assert {r["id"] for r in body["items"]} == {"REC-DR-C", "REC-DR-D", "REC-DR-G"}

    def test_an_unknown_ruleset_names_the_accepted_values(self, client: TestClient) -> None:
        response = client.get("/api/v1/rules", params={"ruleset": "grading"})
        assert response.status_code == 400
        assert "recognition" in response.json()["accepted"]

    def test_the_draft_jurisdictions_are_shown(self, client_for: ClientFactory, settings: Settings) -> None:
        client = client_for(settings.model_copy(update={"draft_rules_jurisdictions": ()}))
        assert client.get("/api/v1/rules").json()["draft_rules_jurisdictions"] == []


def _admin_headers(client: TestClient, session: Session, settings: Settings, body: EvaluationBody) -> dict[str, str]:
    return login(client, make_user(session, settings, role=Role.BODY_ADMIN, body=body).username)


class TestRecognitionThroughTheApi:
    def _apply(
        self, client: TestClient, headers: dict[str, str], body: EvaluationBody, person: Any, **extra: Any
    ) -> Any:
        payload = {
            "body_id": str(body.id),
            "person_id": str(person.id),
            "occupation_code": "6-18-02-04",
            "target_grade": "senior",
            "path": "DR-E",
            "triggers": ["T6"],
            "evidence": EVIDENCE,
            **extra,
        }
        return client.post("/api/v1/recognitions", headers=headers, json=payload)

    def test_dr_e_skips_a_grade_with_the_waiver_justified_even_with_the_draft_off(
        self, client_for: ClientFactory, session: Session, settings: Settings
    ) -> None:
        client = client_for(settings.model_copy(update={"draft_rules_jurisdictions": ()}))
        body = make_body(session)
        make_filing(session, settings, body=body)
        headers = _admin_headers(client, session, settings, body)
        worker = make_person(session, settings, employer=body)
        give_award(session, person=worker, grade=G.JUNIOR, on=dt.date(2021, 6, 30))
        response = self._apply(
            client,
            headers,
            body,
            worker,
            waived=["grade"],
            justifications={"grade": "三年来独立承担高级工岗位工作，业绩考核优秀"},
        )
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["report"]["draft_in_force"] is False
        sequential = next(r for r in created["report"]["results"] if r["rule_id"] == "REC-SEQUENTIAL")
        assert sequential["outcome"] == "passed" and "002:22" in sequential["message_zh"]
        assert created["justifications"] == {"grade": "三年来独立承担高级工岗位工作，业绩考核优秀"}

    def test_a_refusal_lists_every_rule_with_its_provenance_and_phrase(
        self, client: TestClient, session: Session, settings: Settings
    ) -> None:
        body = make_body(session)
        make_filing(session, settings, body=body)
        headers = _admin_headers(client, session, settings, body)
        worker = make_person(session, settings, employer=body)
        give_award(session, person=worker, grade=G.JUNIOR, on=dt.date(2021, 6, 30))
        response = self._apply(client, headers, body, worker, path="DR-A", triggers=["T1"], waived=["grade"])
        assert response.status_code == 409
        error = response.json()
        failed = {r["rule_id"]: r for r in error["rules"] if r["outcome"] == "failed"}
        assert set(failed) == {"REC-TRIGGERS", "REC-SEQUENTIAL"}
        assert failed["REC-SEQUENTIAL"]["provenance"] == "registry" and failed["REC-SEQUENTIAL"]["citation"] is None
        dr_a = next(r for r in error["rules"] if r["rule_id"] == "REC-DR-A")
        assert (dr_a["provenance"], dr_a["citation"]) == ("in_force", "000:47")
        assert "直接认定高级工以上" in dr_a["phrase"]
        assert "登记系统规则" in error["detail_zh"] and "registry rule" in error["detail_en"]

    def test_a_justification_for_a_waiver_not_claimed_is_malformed(
        self, client: TestClient, session: Session, settings: Settings
    ) -> None:
        body = make_body(session)
        make_filing(session, settings, body=body)
        headers = _admin_headers(client, session, settings, body)
        worker = make_person(session, settings, employer=body)
        response = self._apply(client, headers, body, worker, justifications={"grade": "未申明却说明理由"})
        assert response.status_code == 422

    def test_dr_g_is_refused_with_the_draft_off(
        self, client_for: ClientFactory, session: Session, settings: Settings
    ) -> None:
        client = client_for(settings.model_copy(update={"draft_rules_jurisdictions": ()}))
        body = make_body(session)
        make_filing(session, settings, body=body)
        headers = _admin_headers(client, session, settings, body)
        worker = make_person(session, settings, employer=body)
        give_award(session, person=worker, grade=G.SENIOR, on=dt.date(2021, 6, 30))
        response = self._apply(
            client,
            headers,
            body,
            worker,
            path="DR-G",
            target_grade="technician",
            triggers=["T7"],
            competition={"name": "广东省职业技能大赛", "tier": "provincial_second", "rank": 1, "year": 2026},
        )
        assert response.status_code == 409
        outcomes = {r["rule_id"]: r["outcome"] for r in response.json()["rules"]}
        assert outcomes["REC-DR-G"] == "disabled" and outcomes["REC-DRAFT-BASIS"] == "failed"


class TestLegacyThroughTheApi:
    def _legacy(self, person_id: Any, number: str = "15440000123456") -> dict[str, Any]:
        return {
            "person_id": str(person_id),
            "occupation_code": "6-18-02-04",
            "grade": "senior",
            "family": "qualification",
            "issuing_authority": "佛山市职业技能鉴定中心",
            "original_number": number,
            "awarded_on": "2019-06-30",
            "evidence": [{"kind": "原证书扫描件", "ref": "档案 2019-88"}],
        }

    def test_a_body_records_the_regulator_confirms_and_the_lookup_says_what_it_is(
        self, client: TestClient, session: Session, settings: Settings
    ) -> None:
        body = make_body(session)
        headers = _admin_headers(client, session, settings, body)
        regulator = login(client, make_user(session, settings).username)
        worker = make_person(session, settings, employer=body, name="黄晓燕")
        created = client.post("/api/v1/awards/legacy", headers=headers, json=self._legacy(worker.id))
        assert created.status_code == 201, created.text
        award = created.json()
        assert (award["status"], award["basis"], award["body_id"]) == ("pending", "legacy", None)
        assert award["legacy"]["family_zh"] == "职业资格证书"
        assert award["body_name"] == "佛山市职业技能鉴定中心"

        pending = client.post("/api/v1/verify/lookup", json={"number": "15440000123456", "name": "黄晓燕"}).json()
        assert pending["verdict"] == "legacy_unconfirmed"

        refused = client.post(
            f"/api/v1/awards/{award['id']}/decision", headers=headers, json={"approve": True, "note": "自批"}
        )
        assert refused.status_code == 403
        decided = client.post(
            f"/api/v1/awards/{award['id']}/decision", headers=regulator, json={"approve": True, "note": "原件已核验"}
        )
        assert decided.status_code == 200 and decided.json()["status"] == "active"

        found = client.post("/api/v1/verify/lookup", json={"number": "15440000123456", "name": "黄晓燕"}).json()
        assert found["verdict"] == "legacy" and "非本系统签发" in found["verdict_zh"]
        page = form_post(client, "/verify", "/verify", {"number": "15440000123456", "name": "黄晓燕"})
        assert "历史证书登记记录" in page.text and "发证机构" in page.text and "印制流水号" not in page.text
        assert (
            client.get(f"/api/v1/awards/{award['id']}", headers=headers).json()["legacy"]["decision_note"]
            == "原件已核验"
        )

    def test_the_regulator_uploads_a_spreadsheet(
        self, client: TestClient, session: Session, settings: Settings
    ) -> None:
        regulator = login(client, make_user(session, settings).username)
        sheet = Workbook()
        sheet.active.append(list(LEGACY_COLUMNS))  # type: ignore[union-attr]
        for n, name in enumerate(("许振宇", "韩桂芳")):
            sheet.active.append(  # type: ignore[union-attr]
                [
                    valid_id(),
                    name,
                    "6-18-02-04",
                    "高级工",
                    "职业资格证书",
                    "广东省职业技能鉴定指导中心",
                    f"154400009{n}",
                    "2018-12-01",
                    f"档案-{n}",
                ]
            )
        data = io.BytesIO()
        sheet.save(data)
        response = client.post(
            "/api/v1/awards/legacy/upload",
            headers=regulator,
            files={"file": ("legacy.xlsx", data.getvalue(), "application/octet-stream")},
        )
        assert response.status_code == 201, response.text
        assert response.json() == {"rows": 2, "active": 2, "pending": 0}

    def test_revoking_an_award_revokes_its_certificate_on_verification(
        self, client: TestClient, session: Session, settings: Settings
    ) -> None:
        regulator = login(client, make_user(session, settings).username)
        certificate = make_certificate(session, settings)
        response = client.post(
            f"/api/v1/awards/{certificate.award_id}/revoke",
            headers=regulator,
            json={"reason": "fraudulent_evaluation", "note": "抽查查实虚假评价"},
        )
        assert response.status_code == 200, response.text
        assert (response.json()["status"], response.json()["revocation_reason"]) == ("revoked", "fraudulent_evaluation")
        verified = client.get(f"/api/v1/verify/{certificate.token}").json()
        assert verified["verdict"] == "revoked"
        checks = {c["code"]: c for c in verified["checks"]}
        assert checks["award"]["ok"] is False and "虚假评价" in checks["status"]["zh"]
        page = client.get(f"/v/{certificate.token}")
        assert "证书所记载的等级已撤销" in page.text
