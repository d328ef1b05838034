"""Issue 3's scenario through the API alone, on a committing app, ending with `registry audit verify`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from registry.settings import get_settings
from tests.factories import PASSWORD, fresh_site_code, valid_uscc

LINES_WELDER = [
    {
        "occupation_code": "6-18-02-04",
        "max_grade": "senior_technician",
        "methods": ["theory_exam", "skill_operation", "comprehensive_review"],
    }
]
LINES_CHIEF = [
    {
        "occupation_code": "6-31-01-03",
        "max_grade": "chief_technician",
        "methods": ["skill_operation", "performance_review", "comprehensive_review"],
    }
]


@pytest.fixture
def live(committed_url: str) -> Iterator[TestClient]:
    """An app exactly as served: its own sessions, real commits."""
    with TestClient(create_app(get_settings()), raise_server_exceptions=False) as client:
        yield client


def _login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def test_two_bodies_file_and_reach_the_catalogue(live: TestClient) -> None:
    result = CliRunner().invoke(cli, ["users", "create", "--username", "regulator", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    regulator = _login(live, "regulator")

    def register(name: str, **attributes: object) -> str:
        response = live.post(
            "/api/v1/bodies",
            headers=regulator,
            json={
                "uscc": valid_uscc(),
                "name": name,
                "kind": "employer",
                "province_code": "44",
                "site_code": fresh_site_code(),
                "city_code": "440600",
                "is_manufacturing": True,
                **attributes,
            },
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    ordinary = register("佛山普通制造有限公司")
    chain_lead = register("佛山链主装备集团有限公司", is_large=True, is_chain_lead=True, qualified_special=True)

    def admin_for(body_id: str, username: str) -> dict[str, str]:
        response = live.post(
            "/api/v1/users",
            headers=regulator,
            json={"username": username, "role": "body_admin", "body_id": body_id, "password": PASSWORD},
        )
        assert response.status_code == 201, response.text
        return _login(live, username)

    ordinary_admin = admin_for(ordinary, "admin.ordinary")
    chain_admin = admin_for(chain_lead, "admin.chainlead")

    def draft(headers: dict[str, str], body_id: str, ceiling: str, lines: list[dict[str, object]]) -> str:
        response = live.post(
            "/api/v1/filings",
            headers=headers,
            json={
                "body_id": body_id,
                "ceiling": ceiling,
                "starts_on": "2026-01-01",
                "ends_on": "2028-12-31",
                "lines": lines,
            },
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    # The ordinary employer tries a 首席技师 ceiling: refused, naming 001:44; the draft stays a draft.
    refused_id = draft(ordinary_admin, ordinary, "chief_technician", LINES_CHIEF)
    refused = live.post(f"/api/v1/filings/{refused_id}/submit", headers=ordinary_admin)
    assert refused.status_code == 409
    body = refused.json()
    assert body["error"] == "filing_rules_failed"
    failed = {r["rule_id"]: r["source"] for r in body["rules"] if r["outcome"] == "failed"}
    assert failed["FIL-CEILING-CHIEF"] == "001:44"
    assert "001:44" in body["detail"]
    assert len(body["rules"]) >= 10  # every rule's outcome is shown, not only the failures
    preview = live.get(f"/api/v1/filings/{refused_id}", headers=ordinary_admin).json()
    assert preview["status"] == "draft"
    assert preview["rule_report_is_preview"] is True

    # It amends the draft to a ceiling it may file, and submits.
    amended = live.put(
        f"/api/v1/filings/{refused_id}",
        headers=ordinary_admin,
        json={
            "ceiling": "senior_technician",
            "starts_on": "2026-01-01",
            "ends_on": "2028-12-31",
            "lines": LINES_WELDER,
        },
    )
    assert amended.status_code == 200, amended.text
    assert live.post(f"/api/v1/filings/{refused_id}/submit", headers=ordinary_admin).status_code == 200

    # The chain lead files up to 首席技师: accepted.
    chief_id = draft(chain_admin, chain_lead, "chief_technician", LINES_CHIEF)
    submitted = live.post(f"/api/v1/filings/{chief_id}/submit", headers=chain_admin)
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["rule_report"]["allowed"] is True

    # A body admin cannot approve; the regulator approves both.
    assert (
        live.post(
            f"/api/v1/filings/{chief_id}/decision", headers=chain_admin, json={"approve": True, "note": "自批"}
        ).status_code
        == 403
    )
    for filing_id in (refused_id, chief_id):
        decided = live.post(
            f"/api/v1/filings/{filing_id}/decision",
            headers=regulator,
            json={"approve": True, "note": "材料齐全，符合条件"},
        )
        assert decided.status_code == 200, decided.text
        assert decided.json()["status"] == "approved"

    # Both are in the public catalogue, which needs no login and shows the approved scope.
    catalogue = {e["body_id"]: e for e in live.get("/api/v1/bodies").json()}
    assert {ordinary, chain_lead} <= set(catalogue)
    assert catalogue[chain_lead]["ceiling"] == "chief_technician"
    assert catalogue[ordinary]["scope"][0]["occupation_name_zh"] == "焊工"

    # Every change is on the chain, which verifies through the API and the command line.
    check = live.get("/api/v1/audit/verify", headers=regulator).json()
    assert check["ok"] is True
    assert check["checked"] >= 10
    result = CliRunner().invoke(cli, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "intact" in result.output
