"""Names are printed on legal documents: normalised, hostile ones refused in both languages, nothing rewritten."""

from __future__ import annotations

import unicodedata
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from registry.clock import utcnow
from registry.people.models import IdType, Person, PersonCreate
from registry.people.service import register_person
from registry.settings import Settings
from registry.text import clean_line, clean_person_name, control_problem
from tests.factories import SYSTEM, han_number, login, make_body, make_user, valid_id

# The twelve names the issue saw accepted by POST /api/v1/persons.
HOSTILE_NAMES = [
    pytest.param("张\x00三", "control_character", id="NUL"),
    pytest.param("张\x07三", "control_character", id="BEL"),
    pytest.param("张三\u202e", "format_character", id="right-to-left override"),
    pytest.param("\u200b\u200b", "format_character", id="zero-width only"),
    pytest.param("\ufeff张三", "format_character", id="BOM"),
    pytest.param("张\x85三", "control_character", id="C1 control"),
    pytest.param("张\u2028三", "line_separator", id="U+2028"),
    pytest.param("<b>张三</b>", "name_character", id="HTML"),
    pytest.param("a" + "\u0301" * 50, "combining_marks", id="50 combining marks"),
    pytest.param("\u0301张三", "lone_combining_mark", id="lone combining mark"),
    pytest.param("   ", "empty", id="white space only"),
    pytest.param("\u3000\t", "empty", id="ideographic space and tab"),
    pytest.param("张" * 65, "too_long", id="over-long"),
    pytest.param("王小明3", "name_character", id="digit"),
    pytest.param("·张三", "name_punctuation", id="leading middle dot"),
    pytest.param("张--三", "name_punctuation", id="doubled punctuation"),
]
GOOD_NAMES = [
    pytest.param("张三", "张三", id="Han"),
    pytest.param("  李四　", "李四", id="trimmed, ideographic space too"),
    pytest.param("阿依古丽·买买提", "阿依古丽·买买提", id="minority name with middle dot"),
    pytest.param("O'Brien-Smith", "O'Brien-Smith", id="apostrophe and hyphen"),
    pytest.param(unicodedata.normalize("NFD", "José"), "José", id="decomposed input becomes NFC"),
    pytest.param("Nguyễn Văn An", "Nguyễn Văn An", id="Vietnamese with spaces"),
]


class TestPersonNames:
    @pytest.mark.parametrize(("raw", "code"), HOSTILE_NAMES)
    def test_hostile_names_are_refused_with_a_reason_in_both_languages(self, raw: str, code: str) -> None:
        _, problem = clean_person_name(raw)
        assert problem is not None and problem.code == code
        assert problem.zh and problem.en and problem.zh != problem.en
        assert "\x00" not in problem.zh + problem.en and "\u202e" not in problem.zh + problem.en

    @pytest.mark.parametrize(("raw", "stored"), GOOD_NAMES)
    def test_real_names_are_accepted_in_normal_form(self, raw: str, stored: str) -> None:
        assert clean_person_name(raw) == (stored, None)

    @pytest.mark.parametrize(("raw", "code"), HOSTILE_NAMES)
    def test_the_api_refuses_them_with_422_naming_the_field(
        self, client: TestClient, session: Session, settings: Settings, raw: str, code: str
    ) -> None:
        headers = login(client, make_user(session, settings).username)
        response = client.post("/api/v1/persons", json={"name": raw, "id_number": valid_id()}, headers=headers)
        if code == "control_character":  # refused before any route runs, like every other input
            assert (response.status_code, response.json()["error"]) == (400, "invalid_text")
            return
        assert response.status_code == 422, response.text
        (field,) = response.json()["fields"]
        assert (field["field"], field["type"]) == ("name", "string_too_long" if code == "too_long" else code)
        assert field["message_zh"] != field["message"]

    def test_csv_uploads_use_the_same_rule(self, client: TestClient, session: Session, settings: Settings) -> None:
        from tests.factories import make_batch, make_filing

        body = make_body(session)
        make_filing(session, settings, body=body)
        batch = make_batch(session, settings, body=body)
        headers = login(client, make_user(session, settings).username)
        csv = f"name,id_number\n张\u202e三,{valid_id()}\n<script>,{valid_id()}\n王{han_number(7)},{valid_id()}\n"
        response = client.post(
            f"/api/v1/sessions/{batch.exam.id}/candidates/upload",
            files={"file": ("c.csv", csv.encode(), "text/csv")},
            headers=headers,
        )
        assert response.status_code == 400, response.text
        assert response.json()["bad_rows"][:2] == [2, 3]
        errors = response.json()["errors"]
        assert errors[0]["field"] == "person.name" or errors[0]["field"] == "name"
        assert "U+202E" in errors[0]["zh"] and "U+202E" in errors[0]["en"]

    def test_a_nul_in_an_uploaded_cell_names_the_row_and_column(
        self, client: TestClient, session: Session, settings: Settings
    ) -> None:
        from tests.factories import make_batch, make_filing

        body = make_body(session)
        make_filing(session, settings, body=body)
        batch = make_batch(session, settings, body=body)
        headers = login(client, make_user(session, settings).username)
        response = client.post(
            f"/api/v1/sessions/{batch.exam.id}/candidates/upload",
            files={
                "file": ("c.csv", f"name,id_number\n张三,{valid_id()}\n李\x00四,{valid_id()}\n".encode(), "text/csv")
            },
            headers=headers,
        )
        assert response.status_code == 400
        assert response.json()["errors"] == [
            {
                "line": 3,
                "field": "name",
                "zh": "含有不允许的控制字符（U+0000）",
                "en": response.json()["errors"][0]["en"],
            }
        ]


class TestExistingNames:
    def test_an_existing_record_is_never_rewritten_and_matches_in_normal_form(
        self, session: Session, settings: Settings
    ) -> None:
        from registry import pii
        from registry.validators import mask_id

        number = valid_id()
        decomposed = unicodedata.normalize("NFD", "José Lí")
        legacy = Person(
            id=uuid.uuid4(),
            name=decomposed,
            id_type=IdType.RESIDENT_ID,
            id_number_enc=pii.encrypt(settings, number, context="resident_id"),
            id_number_hmac=pii.lookup_hash(settings, "resident_id", number),
            id_masked=mask_id("resident_id", number),
            created_at=utcnow(),
        )
        session.add(legacy)
        session.flush()
        same, created = register_person(
            session, actor=SYSTEM, data=PersonCreate(name="José Lí", id_number=number), settings=settings
        )
        assert (same.id, created) == (legacy.id, False)
        session.refresh(same)
        assert same.name == decomposed  # stored as it was registered: nothing rewritten behind anyone's back


class TestOtherIdentifiers:
    def test_usernames_are_plain_ascii(self, client: TestClient, session: Session, settings: Settings) -> None:
        headers = login(client, make_user(session, settings).username)
        response = client.post(
            "/api/v1/users",
            json={"username": "Ｒegulator\u202e 管理员", "role": "regulator", "password": "long enough password"},
            headers=headers,
        )
        assert response.status_code == 422
        assert response.json()["fields"][0]["field"] == "username"

    def test_card_numbers_refuse_markup(self, client: TestClient, session: Session, settings: Settings) -> None:
        headers = login(client, make_user(session, settings).username)
        person = client.post("/api/v1/persons", json={"name": "考评员甲", "id_number": valid_id()}, headers=headers)
        response = client.post(
            "/api/v1/assessors",
            json={
                "person_id": person.json()["id"],
                "card_number": "k1 <script>",
                "max_grade": "senior",
                "held_grade": "senior",
                "valid_from": "2026-01-01",
                "valid_to": "2027-01-01",
                "occupations": ["6-18-02-04"],
            },
            headers=headers,
        )
        assert response.status_code == 422
        assert [f["field"] for f in response.json()["fields"]] == ["card_number"]

    @pytest.mark.parametrize("value", ["机构\u202e名称", "机构\u2028名称", "\u200b"])
    def test_single_line_values_refuse_invisible_characters(self, value: str) -> None:
        assert clean_line(value)[1] is not None

    @pytest.mark.parametrize(("value", "refused"), [("备注\n第二行\t缩进", False), ("\x00", True), ("\ud800", True)])
    def test_control_characters_are_refused_line_breaks_kept(self, value: str, refused: bool) -> None:
        assert (control_problem(value) is not None) is refused
