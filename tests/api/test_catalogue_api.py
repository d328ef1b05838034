"""Public reference endpoints: health, grades, occupations, equivalences (比照), and their errors."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def _assert_error(body: dict[str, object], code: str) -> None:
    assert body["error"] == code
    assert isinstance(body["detail"], str) and " / " in body["detail"]
    assert body["detail_zh"] and body["detail_en"]


class TestHealthAndDocs:
    def test_healthz_reports_the_database(self, client: TestClient) -> None:
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json()["status"] == "ok"

    def test_openapi_docs_are_served(self, client: TestClient) -> None:
        assert client.get("/docs").status_code == 200
        paths = client.get("/openapi.json").json()["paths"]
        assert {"/api/v1/grades", "/api/v1/occupations", "/api/v1/equivalences"} <= set(paths)

    def test_unknown_url_uses_the_error_shape(self, client: TestClient) -> None:
        response = client.get("/api/v1/nothing-here")
        assert response.status_code == 404
        _assert_error(response.json(), "not_found")

    def test_home_page_links_the_docs(self, client: TestClient) -> None:
        response = client.get("/")
        assert response.status_code == 200
        assert "/docs" in response.text and "新八级工" in response.text


class TestGrades:
    def test_lists_the_ladder_with_levels(self, client: TestClient) -> None:
        body = client.get("/api/v1/grades").json()
        assert [g["code"] for g in body][:2] == ["apprentice", "junior"]
        technician = next(g for g in body if g["code"] == "technician")
        assert technician["national_level"] == 2
        assert technician["national_level_zh"] == "二级"
        assert technician["high_skill"] is True


class TestOccupations:
    def test_search_by_code_prefix(self, client: TestClient) -> None:
        body = client.get("/api/v1/occupations", params={"q": "6-18-02"}).json()
        assert [o["code"] for o in body["items"]] == ["6-18-02-04"]

    def test_search_by_name_fragment(self, client: TestClient) -> None:
        body = client.get("/api/v1/occupations", params={"q": "护理"}).json()
        assert "养老护理员" in {o["name_zh"] for o in body["items"]}

    def test_filter_incomplete_ladders(self, client: TestClient) -> None:
        body = client.get("/api/v1/occupations", params={"complete": "false"}).json()
        assert body["total"] >= 3
        assert all(not o["complete_ladder"] for o in body["items"])
        assert "健康管理师" in {o["name_zh"] for o in body["items"]}

    def test_paging(self, client: TestClient) -> None:
        body = client.get("/api/v1/occupations", params={"limit": 5, "offset": 5}).json()
        assert len(body["items"]) == 5 and body["total"] >= 30

    def test_one_occupation(self, client: TestClient) -> None:
        body = client.get("/api/v1/occupations/4-10-01-05").json()
        assert body["name_zh"] == "养老护理员"
        assert body["national_levels"] == [5, 4, 3, 2, 1]

    def test_unknown_occupation_is_404(self, client: TestClient) -> None:
        response = client.get("/api/v1/occupations/6-99-99-99")
        assert response.status_code == 404
        _assert_error(response.json(), "occupation_not_found")

    def test_malformed_occupation_code_is_400(self, client: TestClient) -> None:
        response = client.get("/api/v1/occupations/welder")
        assert response.status_code == 400
        assert "6-18-01-01" in response.json()["detail"]

    def test_unknown_sector_names_the_accepted_values(self, client: TestClient) -> None:
        response = client.get("/api/v1/occupations", params={"sector": "mining"})
        assert response.status_code == 422
        assert "manufacturing" in response.json()["detail"]


class TestEquivalences:
    def test_technician_compares_with_bachelor_and_engineer(self, client: TestClient) -> None:
        body = client.get("/api/v1/equivalences", params={"grade": "technician"}).json()
        targets = {(e["dimension"], e["target"]["code"], e["source"]["clause"]) for e in body["items"]}
        assert targets == {("education", "bachelor", "000:48"), ("title", "engineer", "004:288")}

    def test_every_entry_shows_scope_condition_jurisdiction_source_status(self, client: TestClient) -> None:
        for entry in client.get("/api/v1/equivalences").json()["items"]:
            assert entry["scope"] and entry["condition"] and entry["jurisdiction"]
            assert entry["source"]["document"] and entry["source"]["clause"]
            assert entry["status"] in {"in_force", "draft", "unverified"}

    def test_title_equivalence_needs_appointment_within_the_employer(self, client: TestClient) -> None:
        body = client.get("/api/v1/equivalences", params={"title": "senior_engineer"}).json()
        (entry,) = body["items"]
        assert entry["grade"]["code"] == "senior_technician"
        assert (entry["condition"], entry["scope"]) == ("appointed", "own_employer")

    def test_reverse_by_education(self, client: TestClient) -> None:
        body = client.get("/api/v1/equivalences", params={"education": "bachelor"}).json()
        assert {e["grade"]["code"] for e in body["items"]} == {"technician", "senior_technician"}

    def test_outside_knowledge_is_marked_unverified(self, client: TestClient) -> None:
        body = client.get("/api/v1/equivalences", params={"grade": "special_technician"}).json()
        assert [e["status"] for e in body["items"]] == ["unverified"]
        assert "未经核实" in body["items"][0]["status_zh"]

    def test_as_of_omits_entries_not_yet_issued(self, client: TestClient) -> None:
        body = client.get("/api/v1/equivalences", params={"grade": "senior", "as_of": "2020-01-01"}).json()
        assert body["as_of"] == "2020-01-01"
        assert [e["source"]["clause"] for e in body["items"]] == ["004:288"]

    def test_default_as_of_is_today(self, client: TestClient) -> None:
        body = client.get("/api/v1/equivalences", params={"grade": "senior"}).json()
        assert {e["source"]["clause"] for e in body["items"]} == {"000:48", "004:288"}

    @pytest.mark.parametrize(
        ("params", "accepted"),
        [
            pytest.param({"grade": "master"}, "chief_technician", id="unknown-grade"),
            pytest.param({"education": "phd"}, "bachelor", id="unknown-education"),
            pytest.param({"title": "professor"}, "engineer", id="unknown-title"),
        ],
    )
    def test_unknown_codes_name_the_accepted_values(
        self, client: TestClient, params: dict[str, str], accepted: str
    ) -> None:
        response = client.get("/api/v1/equivalences", params=params)
        assert response.status_code == 400
        body = response.json()
        _assert_error(body, "unknown_code")
        assert accepted in body["accepted"]

    def test_malformed_date_is_422_naming_the_field(self, client: TestClient) -> None:
        response = client.get("/api/v1/equivalences", params={"as_of": "2020-13-40"})
        assert response.status_code == 422
        body = response.json()
        _assert_error(body, "validation_error")
        assert body["fields"][0]["field"] == "query.as_of"
        assert "YYYY-MM-DD" in body["detail_zh"]
