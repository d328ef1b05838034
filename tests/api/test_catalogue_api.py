"""Public reference endpoints: health, grades, occupations, equivalences (比照), and their errors."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from registry.clock import today


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


IN_2026 = "2026-06-01"  # within 000's window (2025-06-23…2027-12-31)
IN_2020 = "2020-06-01"  # within 004's window (2019-10-18…2021-12-31)


class TestEquivalences:
    def test_technician_compares_with_bachelor_treatment_in_2026(self, client: TestClient) -> None:
        body = client.get("/api/v1/equivalences", params={"grade": "technician", "as_of": IN_2026}).json()
        targets = {(e["dimension"], e["target"]["code"], e["source"]["clause"]) for e in body["items"]}
        assert targets == {("education", "bachelor", "000:48")}

    def test_technician_had_engineer_pay_parity_in_2020(self, client: TestClient) -> None:
        body = client.get("/api/v1/equivalences", params={"grade": "technician", "as_of": IN_2020}).json()
        targets = {(e["dimension"], e["target"]["code"], e["source"]["clause"]) for e in body["items"]}
        assert targets == {("pay_benefits", "engineer", "004:288")}

    def test_every_entry_shows_scope_condition_jurisdiction_source_status_window(self, client: TestClient) -> None:
        for day in (IN_2020, IN_2026):
            for entry in client.get("/api/v1/equivalences", params={"as_of": day}).json()["items"]:
                assert entry["scope"] and entry["condition"] and entry["jurisdiction"]
                assert entry["source"]["document"] and entry["source"]["clause"]
                assert entry["status"] in {"in_force", "draft", "unverified"}
                assert entry["dimension_zh"] and entry["dimension_en"]
                assert entry["effective_on"] is not None
                assert entry["effective_on"] <= day and (entry["ends_on"] is None or day <= entry["ends_on"])

    def test_004_288_is_pay_parity_for_appointees_not_a_title(self, client: TestClient) -> None:
        body = client.get("/api/v1/equivalences", params={"title": "senior_engineer", "as_of": IN_2020}).json()
        (entry,) = body["items"]
        assert entry["grade"]["code"] == "senior_technician"
        assert entry["dimension"] == "pay_benefits"
        assert "不是职称" in entry["dimension_zh"] and "not the title" in entry["dimension_en"]
        assert (entry["condition"], entry["scope"]) == ("appointed", "own_employer")
        assert "no_title_equivalence" in {n["code"] for n in body["notices"]}

    def test_no_entry_presents_itself_as_a_title(self, client: TestClient) -> None:
        for day in (IN_2020, IN_2026, "2030-01-01"):
            for entry in client.get("/api/v1/equivalences", params={"as_of": day}).json()["items"]:
                assert entry["dimension"] != "title", entry

    def test_a_title_look_up_says_no_document_makes_a_grade_a_title(self, client: TestClient) -> None:
        body = client.get("/api/v1/equivalences", params={"title": "engineer", "as_of": IN_2026}).json()
        assert body["items"] == []
        codes = {n["code"] for n in body["notices"]}
        assert codes == {"no_title_equivalence", "outside_window"}
        outside = next(n for n in body["notices"] if n["code"] == "outside_window")
        assert "004:288" in outside["en"] and "2021-12-31" in outside["en"]

    def test_reverse_by_education(self, client: TestClient) -> None:
        body = client.get("/api/v1/equivalences", params={"education": "bachelor", "as_of": IN_2026}).json()
        assert {e["grade"]["code"] for e in body["items"]} == {"technician", "senior_technician"}

    def test_000_48_guides_state_owned_enterprises(self, client: TestClient) -> None:
        body = client.get("/api/v1/equivalences", params={"education": "bachelor", "as_of": IN_2026}).json()
        for entry in body["items"]:
            assert "guides" in entry["note_en"] and "引导" in entry["note_zh"]
            assert entry["scope"] == "state_owned"

    def test_outside_knowledge_is_marked_unverified_and_names_the_full_senior_title(self, client: TestClient) -> None:
        body = client.get("/api/v1/equivalences", params={"grade": "special_technician", "as_of": IN_2026}).json()
        (entry,) = body["items"]
        assert entry["status"] == "unverified" and "未经核实" in entry["status_zh"]
        assert entry["target"] == {
            "code": "professorate_senior",
            "name_zh": "正高级职称",
            "name_en": entry["target"]["name_en"],
        }
        assert entry["dimension"] == "pay_benefits"
        assert entry["effective_on"] == "2022-01-01"

    def test_the_unverified_entry_starts_in_2022(self, client: TestClient) -> None:
        body = client.get("/api/v1/equivalences", params={"grade": "special_technician", "as_of": "2021-12-31"}).json()
        assert body["items"] == []

    def test_as_of_answers_with_each_documents_window(self, client: TestClient) -> None:
        def clauses(day: str) -> list[str]:
            body = client.get("/api/v1/equivalences", params={"grade": "senior", "as_of": day}).json()
            assert body["as_of"] == day
            return [e["source"]["clause"] for e in body["items"]]

        assert clauses("2019-10-17") == []  # before 004 was issued
        assert clauses("2019-10-18") == ["004:288"]
        assert clauses("2021-12-31") == ["004:288"]
        assert clauses("2022-06-01") == []  # 004's period ended; 000 not yet issued
        assert clauses("2025-06-23") == ["000:48"]
        assert clauses("2027-12-31") == ["000:48"]
        assert clauses("2028-01-01") == []

    def test_an_answer_counts_what_it_left_out(self, client: TestClient) -> None:
        body = client.get("/api/v1/equivalences", params={"grade": "senior", "as_of": "2022-06-01"}).json()
        (notice,) = body["notices"]
        assert notice["code"] == "outside_window" and notice["en"].startswith("2 more entries")

    def test_default_as_of_is_today(self, client: TestClient) -> None:
        body = client.get("/api/v1/equivalences", params={"grade": "senior"}).json()
        assert body["as_of"] == today().isoformat()

    def test_dimension_filter(self, client: TestClient) -> None:
        params = {"dimension": "pay_benefits", "as_of": IN_2020}
        body = client.get("/api/v1/equivalences", params=params).json()
        assert {e["dimension"] for e in body["items"]} == {"pay_benefits"}
        assert len(body["items"]) == 3

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
