"""The input guard: NUL and other control characters are refused before any route runs, on both databases.

The issue's cases were 500s on PostgreSQL (psycopg refuses NUL in text) — mostly on public routes.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from registry.settings import Settings
from tests.factories import login, make_user

# (method, url, keyword arguments, where the guard says the character was)
ISSUE_CASES = [
    pytest.param(
        "POST", "/api/v1/verify/lookup", {"json": {"number": "X", "name": "\u0000"}}, "body.name", id="lookup"
    ),
    pytest.param("POST", "/verify", {"data": {"number": "X", "name": "\x00"}}, "form.name", id="lookup form"),
    pytest.param(
        "POST", "/api/v1/auth/token", {"data": {"username": "a\x00b", "password": "x"}}, "form.username", id="login"
    ),
    pytest.param("GET", "/api/v1/occupations?q=%00", {}, "query.q", id="occupation search"),
    pytest.param("GET", "/api/v1/provinces/4%00/cities", {}, "path", id="path parameter"),
    pytest.param("GET", "/api/v1/equivalences?grade=x%1b", {}, "query.grade", id="escape in query"),
    pytest.param(
        "POST", "/api/v1/verify/lookup", {"json": {"number": "X", "name": "ok", "\x00": 1}}, "body.\x00", id="key"
    ),
]


@pytest.mark.parametrize(("method", "url", "kwargs", "where"), ISSUE_CASES)
def test_control_characters_anywhere_are_refused_with_400(
    client: TestClient, method: str, url: str, kwargs: dict[str, Any], where: str
) -> None:
    response = client.request(method, url, **kwargs)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_text"
    assert response.json()["field"] == where
    assert "U+0000" in response.json()["detail_en"] or "U+001B" in response.json()["detail_en"]


def test_person_names_with_nul_are_refused_for_logged_in_callers_too(
    client: TestClient, session: Session, settings: Settings
) -> None:
    headers = login(client, make_user(session, settings).username)
    response = client.post("/api/v1/persons", json={"name": "张\x00三", "id_number": "x"}, headers=headers)
    assert (response.status_code, response.json()["field"]) == (400, "body.name")


def test_line_breaks_and_tabs_in_free_text_pass_the_guard(client: TestClient) -> None:
    response = client.post("/api/v1/verify/lookup", json={"number": "X", "name": "张\t三"})
    assert response.status_code != 400


def test_a_deeply_nested_body_is_refused_not_a_crash(client: TestClient) -> None:
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/v1/verify/lookup", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code in {400, 422}


def test_uploads_are_left_to_the_table_reader(client: TestClient, session: Session, settings: Settings) -> None:
    headers = login(client, make_user(session, settings).username)
    response = client.post(
        "/api/v1/sessions/00000000-0000-0000-0000-000000000000/candidates/upload",
        files={"file": ("c.csv", b"name,id_number\n\x00,1\n", "text/csv")},
        headers=headers,
    )
    # The guard let the multipart body through; the table reader refused the cell, naming row and column.
    assert (response.status_code, response.json()["error"]) == (400, "invalid_input")
    assert response.json()["errors"][0]["line"] == 2 and response.json()["errors"][0]["field"] == "name"
