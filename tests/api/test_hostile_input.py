"""The server errors the fuzz run found (issue 8 §2, §6, §7), each pinned: a clear 4xx, nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from registry.audit.service import snapshot
from registry.bodies.models import EvaluationBody
from registry.settings import Settings
from tests.factories import login, make_body, make_filing, make_user

HUGE = "1180591620717411303424"


@pytest.fixture
def regulator(client: TestClient, session: Session, settings: Settings) -> dict[str, str]:
    return login(client, make_user(session, settings).username)


class TestBodyPatch:
    @pytest.mark.parametrize(
        "payload",
        [
            {"is_listed": None},
            {"name": None},
            {"contact_phone": None},
            {"cert_category": "Q"},
            {"site_code": "1234567890"},
            {"ministry_code": "123456789"},
            {"site_code": "9" * 400},
        ],
        ids=str,
    )
    def test_bad_values_are_422_and_change_nothing(
        self, client: TestClient, session: Session, regulator: dict[str, str], payload: dict[str, Any]
    ) -> None:
        body = make_body(session)
        session.commit()  # (a savepoint in the test harness) so a refused request's rollback keeps the body
        before = snapshot(body)
        response = client.patch(f"/api/v1/bodies/{body.id}", json=payload, headers=regulator)
        assert response.status_code == 422, response.text
        assert response.json()["fields"][0]["field"] == next(iter(payload))
        session.expire_all()
        assert snapshot(session.get(EvaluationBody, body.id)) == before  # type: ignore[arg-type]

    def test_a_good_patch_still_works(self, client: TestClient, session: Session, regulator: dict[str, str]) -> None:
        body = make_body(session)
        response = client.patch(
            f"/api/v1/bodies/{body.id}", json={"is_listed": True, "contact_phone": "020-12345678"}, headers=regulator
        )
        assert response.status_code == 200
        assert (response.json()["is_listed"], response.json()["contact_phone"]) == (True, "020-12345678")


def test_competition_rows_with_the_same_tier_and_rank_are_refused(
    client: TestClient, regulator: dict[str, str]
) -> None:
    row = {"tier": "national", "max_rank": 3, "max_grade": "technician", "source": "国家级竞赛"}
    response = client.put("/api/v1/competition-rules", json=[row, {**row, "max_grade": "senior"}], headers=regulator)
    assert (response.status_code, response.json()["error"]) == (400, "invalid_input")
    assert "row 2" in response.json()["detail_en"]
    assert len(client.get("/api/v1/competition-rules").json()) > 0  # the old table is still there


@pytest.mark.parametrize(
    "url",
    [
        f"/api/v1/awards?offset={HUGE}",
        f"/api/v1/occupations?offset={HUGE}",
        "/api/v1/occupations?offset=1000001",
        f"/api/v1/audit/events?before_seq={HUGE}",
        "/api/v1/awards?limit=0",
    ],
)
def test_paging_parameters_are_bounded(client: TestClient, regulator: dict[str, str], url: str) -> None:
    response = client.get(url, headers=regulator)
    assert response.status_code == 422, response.text


@pytest.mark.parametrize("as_of", ["0", "1700000000", "1899-12-31", "9999-12-31", "2026-13-01"])
def test_equivalences_as_of_is_a_date_in_range(client: TestClient, as_of: str) -> None:
    response = client.get(f"/api/v1/equivalences?grade=technician&as_of={as_of}")
    assert response.status_code == 422, response.text
    assert response.json()["fields"][0]["field"] == "query.as_of"


def test_a_date_as_of_still_answers(client: TestClient) -> None:
    assert client.get("/api/v1/equivalences?grade=technician&as_of=2026-01-01").status_code == 200


def test_changing_a_filing_that_is_no_draft_is_a_409_conflict(
    client: TestClient, session: Session, settings: Settings, regulator: dict[str, str]
) -> None:
    filing = make_filing(session, settings, body=make_body(session))
    response = client.put(
        f"/api/v1/filings/{filing.id}",
        json={
            "ceiling": "senior",
            "starts_on": "2026-01-01",
            "ends_on": "2027-01-01",
            "lines": [{"occupation_code": "6-18-02-04", "max_grade": "senior", "methods": ["skill_operation"]}],
        },
        headers=regulator,
    )
    assert (response.status_code, response.json()["error"]) == (409, "filing_not_editable")


def test_model_validators_answer_in_both_languages(client: TestClient, regulator: dict[str, str]) -> None:
    response = client.post("/api/v1/certificates/issue", json={}, headers=regulator)
    assert response.status_code == 422
    (field,) = response.json()["fields"]
    assert field["message_zh"] == "请提供 award_ids 或 session_id 之一"
    assert field["message"] == "give award_ids or session_id"


def test_a_full_length_note_on_a_cascading_revocation_still_fits(
    client: TestClient, session: Session, settings: Settings, regulator: dict[str, str]
) -> None:
    # Found by the fuzz run on PostgreSQL: the award and its appointments quote the note behind a prefix, which
    # overflowed their VARCHAR(2000) columns (SQLite does not enforce the length, so the check is explicit).
    from registry.awards.models import GradeAward
    from tests.factories import make_certificate

    certificate = make_certificate(session, settings)
    session.commit()
    note = "虚" * 2000
    response = client.post(
        f"/api/v1/certificates/{certificate.number}/revoke",
        json={"reason": "fraudulent_evaluation", "note": note},
        headers=regulator,
    )
    assert response.status_code == 200, response.text
    session.expire_all()
    award = session.get(GradeAward, certificate.award_id)
    assert award is not None and award.status == "revoked"
    assert award.revoked_reason is not None and len(award.revoked_reason) == 2000
    assert award.revoked_reason.endswith("…")
