"""Issue 4's scenario through the API alone: a 30-candidate batch to awards, and direct recognitions."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from registry.clock import today
from registry.settings import Settings
from tests.conftest import ClientFactory
from tests.factories import PASSWORD, fresh_site_code, han_number, login, make_user, valid_id, valid_uscc

TODAY = today().isoformat()
METHODS = ["theory_exam", "skill_operation", "comprehensive_review", "performance_review", "process_assessment"]


class Api:
    """A thin helper: every call asserts its expected status and returns the JSON."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def call(self, method: str, url: str, headers: dict[str, str], expect: int = 200, **kwargs: Any) -> Any:
        response = self.client.request(method, url, headers=headers, **kwargs)
        assert response.status_code == expect, f"{method} {url}: {response.status_code} {response.text[:600]}"
        return response.json()


def test_batch_of_thirty_and_direct_recognitions(
    client_for: ClientFactory, session: Session, settings: Settings
) -> None:
    client = client_for(settings.model_copy(update={"publicity_days": 0}))
    api = Api(client)
    regulator_user = make_user(session, settings, username="regulator")
    reg = login(client, regulator_user.username)

    # Two bodies, their admins, approved filings.
    def body(name: str, **attributes: object) -> str:
        return str(
            api.call(
                "POST",
                "/api/v1/bodies",
                reg,
                201,
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
            )["id"]
        )

    plant = body("顺德精工五金制品有限公司")
    chain = body("粤海智能装备集团", is_large=True, is_chain_lead=True, qualified_special=True)
    for body_id, username in ((plant, "admin.plant"), (chain, "admin.chain")):
        api.call(
            "POST",
            "/api/v1/users",
            reg,
            201,
            json={"username": username, "role": "body_admin", "body_id": body_id, "password": PASSWORD},
        )
    plant_admin, chain_admin = login(client, "admin.plant"), login(client, "admin.chain")

    def file(headers: dict[str, str], body_id: str, ceiling: str, any_level: bool) -> None:
        filing = api.call(
            "POST",
            "/api/v1/filings",
            headers,
            201,
            json={
                "body_id": body_id,
                "ceiling": ceiling,
                "starts_on": "2026-01-01",
                "ends_on": "2028-12-31",
                "lines": [
                    {
                        "occupation_code": "6-18-02-04",
                        "max_grade": "senior_technician",
                        "methods": METHODS,
                        "direct_recognition": any_level,
                    }
                ],
            },
        )
        api.call("POST", f"/api/v1/filings/{filing['id']}/submit", headers)
        api.call("POST", f"/api/v1/filings/{filing['id']}/decision", reg, json={"approve": True, "note": "同意备案"})

    file(plant_admin, plant, "senior_technician", False)
    file(chain_admin, chain, "chief_technician", True)

    # The regulator issues three assessor cards and one supervisor card; each gets an account.
    def card(kind: str, number: str) -> tuple[str, dict[str, str]]:
        person = api.call(
            "POST",
            "/api/v1/persons",
            reg,
            201,
            json={"name": f"考评{han_number(int(number[1:]))}", "id_number": valid_id()},
        )
        assessor = api.call(
            "POST",
            "/api/v1/assessors",
            reg,
            201,
            json={
                "person_id": person["id"],
                "card_number": number,
                "kind": kind,
                "max_grade": "senior_technician",
                "held_grade": "senior_technician",
                "valid_from": "2025-01-01",
                "valid_to": "2029-12-31",
                "occupations": ["6-18-02-04"],
            },
        )
        username = f"card.{number.lower()}"
        api.call(
            "POST",
            "/api/v1/users",
            reg,
            201,
            json={"username": username, "role": kind, "person_id": person["id"], "password": PASSWORD},
        )
        return assessor["id"], login(client, username)

    assessors = [card("assessor", f"K44000{i}") for i in range(1, 4)]
    supervisor_id, supervisor = card("supervisor", "R440001")

    # A 初级工 batch for 焊工.
    batch = api.call(
        "POST",
        "/api/v1/sessions",
        plant_admin,
        201,
        json={
            "body_id": plant,
            "occupation_code": "6-18-02-04",
            "grade": "junior",
            "exam_on": TODAY,
            "venue": "顺德职业技能鉴定考场",
            "assessor_ids": [a for a, _ in assessors],
            "supervisor_id": supervisor_id,
        },
    )
    sid = batch["id"]
    plant_uscc = api.call("GET", f"/api/v1/bodies/{plant}", plant_admin)["uscc"]

    # Twenty by CSV upload, ten one by one; an outsider is refused with the rule named.
    lines = ["name,id_number,employer_uscc,employer_name,employed_since"]
    lines += [f"焊工甲{han_number(i)},{valid_id()},{plant_uscc},顺德精工,2020-03-01" for i in range(20)]
    upload = api.call(
        "POST",
        f"/api/v1/sessions/{sid}/candidates/upload",
        plant_admin,
        201,
        files={"file": ("candidates.csv", "\n".join(lines).encode(), "text/csv")},
    )
    assert upload == {"rows": 20, "created": 20}
    for i in range(10):
        api.call(
            "POST",
            f"/api/v1/sessions/{sid}/candidates",
            plant_admin,
            201,
            json={
                "person": {
                    "name": f"焊工乙{han_number(i)}",
                    "id_number": valid_id(),
                    "employment": {
                        "employer_uscc": plant_uscc,
                        "employer_name": "顺德精工",
                        "dispatched": i % 3 == 0,
                        "agency_name": "佛山劳务派遣" if i % 3 == 0 else "",
                        "starts_on": "2021-05-01",
                    },
                }
            },
        )
    outsider = api.call(
        "POST",
        f"/api/v1/sessions/{sid}/candidates",
        plant_admin,
        409,
        json={
            "person": {
                "name": "外单位人员",
                "id_number": valid_id(),
                "employment": {"employer_uscc": valid_uscc(), "employer_name": "别家公司", "starts_on": "2021-05-01"},
            }
        },
    )
    assert outsider["error"] == "not_eligible"
    assert "ELIG-EMPLOYMENT" in outsider["detail"]
    assert "002:22" in outsider["detail"]

    candidates = api.call("GET", f"/api/v1/sessions/{sid}/candidates", plant_admin)
    assert len(candidates) == 30
    api.call("POST", f"/api/v1/sessions/{sid}/open", plant_admin)

    # Each assessor records their own scores; the last five candidates fail the skill test.
    for index, candidate in enumerate(candidates):
        for n, (_, headers) in enumerate(assessors):
            skill = 45 if index >= 25 else 70 + n
            api.call(
                "PUT",
                f"/api/v1/sessions/{sid}/candidates/{candidate['id']}/scores",
                headers,
                json={"scores": {"theory_exam": 80 + n, "skill_operation": skill}},
            )
    api.call("POST", f"/api/v1/sessions/{sid}/finalize", plant_admin, 409)  # not attested yet
    api.call("POST", f"/api/v1/sessions/{sid}/attest", supervisor, json={"note": "考务规范，评分完整"})
    finalized = api.call("POST", f"/api/v1/sessions/{sid}/finalize", plant_admin)
    assert finalized["passed"] == 25
    api.call("POST", f"/api/v1/sessions/{sid}/publish", plant_admin)
    public = client.get(f"/api/v1/publicity/{sid}").json()
    assert len(public["entries"]) == 30
    assert all("*" in e["name_masked"] for e in public["entries"])
    closed = api.call("POST", f"/api/v1/sessions/{sid}/close", plant_admin)
    assert closed["status"] == "closed"
    awards = api.call("GET", "/api/v1/awards", plant_admin, params={"body_id": plant, "grade": "junior"})
    assert len(awards) == 25
    assert {a["basis"] for a in awards} == {"exam"}

    # The chain lead directly recognises a 技师 under DR-D (no grade held: not bound to grade-by-grade).
    chain_uscc = api.call("GET", f"/api/v1/bodies/{chain}", chain_admin)["uscc"]
    star = api.call(
        "POST",
        "/api/v1/persons",
        chain_admin,
        201,
        json={
            "name": "陈工匠",
            "id_number": valid_id(),
            "employment": {"employer_uscc": chain_uscc, "employer_name": "粤海智能装备", "starts_on": "2012-07-01"},
        },
    )
    application = api.call(
        "POST",
        "/api/v1/recognitions",
        chain_admin,
        201,
        json={
            "body_id": chain,
            "person_id": star["id"],
            "occupation_code": "6-18-02-04",
            "target_grade": "technician",
            "path": "DR-D",
            "triggers": ["T8"],
            "waived": ["sequential"],
            "methods": ["performance_review", "skill_operation"],
            "evidence": [{"kind": "performance_review", "ref": "评审纪要 2026-08", "description": "工作业绩评审"}],
        },
    )
    approved = api.call(
        "POST",
        f"/api/v1/recognitions/{application['id']}/decision",
        chain_admin,
        json={"approve": True, "note": "评审委员会通过"},
    )
    assert approved["award_id"]

    # The ordinary employer's attempt to skip grades is refused, citing 001:46.
    worker = candidates[0]
    refused = api.call(
        "POST",
        "/api/v1/recognitions",
        plant_admin,
        409,
        json={
            "body_id": plant,
            "person_id": worker["person_id"],
            "occupation_code": "6-18-02-04",
            "target_grade": "technician",
            "path": "DR-D",
            "triggers": ["T8"],
            "waived": ["sequential"],
            "methods": ["performance_review"],
            "evidence": [{"kind": "业绩材料", "ref": "材料-001"}],
        },
    )
    assert refused["error"] == "recognition_refused"
    assert "001:46" in refused["detail"]

    # DR-E to 中级工 for an outstanding junior, then DR-A to 高级工 with trigger evidence.
    for target, path, trigger, waived in (
        ("intermediate", "DR-E", "T6", ["work_years"]),
        ("senior", "DR-A", "T1", ["education", "age"]),
    ):
        application = api.call(
            "POST",
            "/api/v1/recognitions",
            plant_admin,
            201,
            json={
                "body_id": plant,
                "person_id": worker["person_id"],
                "occupation_code": "6-18-02-04",
                "target_grade": target,
                "path": path,
                "triggers": [trigger],
                "waived": waived,
                "evidence": [
                    {
                        "kind": "process_improvement",
                        "ref": "技改项目 JS-2026-031",
                        "description": "解决薄板焊接变形的重大工艺难题",
                    }
                ],
            },
        )
        decided = api.call(
            "POST",
            f"/api/v1/recognitions/{application['id']}/decision",
            plant_admin,
            json={"approve": True, "note": "同意认定"},
        )
        assert decided["status"] == "approved"
    record = {
        a["grade"] for a in api.call("GET", "/api/v1/awards", plant_admin, params={"person_id": worker["person_id"]})
    }
    assert record == {"junior", "intermediate", "senior"}

    # An appointment to a post is a separate record.
    api.call(
        "POST",
        "/api/v1/appointments",
        plant_admin,
        201,
        json={
            "person_id": worker["person_id"],
            "body_id": plant,
            "occupation_code": "6-18-02-04",
            "post_grade": "senior",
            "post_title": "焊接班组高级工岗",
            "starts_on": TODAY,
        },
    )
    assert api.call("GET", "/api/v1/audit/verify", reg)["ok"] is True
