"""The OpenAPI document describes the error envelope and every operation's error statuses (issue 8 §7)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.app import create_app
from api.openapi import ErrorOut, ValidationErrorOut
from registry.settings import Settings
from tests.factories import login, make_body, make_filing, make_user

DOCUMENT: dict[str, Any] = create_app(Settings(database_url="sqlite://")).openapi()
OPERATIONS = [
    pytest.param(path, method, operation, id=f"{method.upper()} {path}")
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
]


def test_the_envelope_is_a_component_and_fastapis_default_422_is_gone() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    assert {"ErrorOut", "ValidationErrorOut", "FieldErrorOut"} <= set(schemas)
    assert "HTTPValidationError" not in schemas
    assert set(schemas["ErrorOut"]["required"]) == {"error", "detail", "detail_zh", "detail_en"}
    assert schemas["ErrorOut"]["additionalProperties"] is True


@pytest.mark.parametrize(("path", "method", "operation"), OPERATIONS)
def test_every_error_status_uses_the_envelope(path: str, method: str, operation: dict[str, Any]) -> None:
    responses = operation["responses"]
    assert "400" in responses  # the input guard can refuse any request
    for status, response in responses.items():
        if int(status) >= 400:
            ref = response["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ValidationErrorOut" if status == "422" else "/ErrorOut"), (status, ref)
    if "security" in operation:
        assert "401" in responses


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("put", "/api/v1/filings/{filing_id}", {"409", "404", "403", "401", "422", "400"}),
        ("post", "/api/v1/auth/token", {"401", "429", "422", "400"}),
        ("post", "/api/v1/verify/{token}/holder", {"429", "422", "400"}),
        ("post", "/api/v1/sessions/{session_id}/candidates/upload", {"413", "409", "404"}),
        ("get", "/api/v1/grades", {"400"}),
    ],
)
def test_routes_declare_their_own_statuses(method: str, path: str, statuses: set[str]) -> None:
    documented = {s for s in DOCUMENT["paths"][path][method]["responses"] if s not in {"200", "201"}}
    assert statuses <= documented


def test_real_errors_match_the_documented_envelope(client: TestClient, session: Session, settings: Settings) -> None:
    headers = login(client, make_user(session, settings).username)
    conflict = client.put(
        f"/api/v1/filings/{make_filing(session, settings, body=make_body(session)).id}",
        json={
            "ceiling": "senior",
            "starts_on": "2026-01-01",
            "ends_on": "2027-01-01",
            "lines": [{"occupation_code": "6-18-02-04", "max_grade": "senior", "methods": ["skill_operation"]}],
        },
        headers=headers,
    )
    assert conflict.status_code == 409
    ErrorOut.model_validate(conflict.json())
    malformed = client.patch(f"/api/v1/bodies/{make_body(session).id}", json={"is_listed": None}, headers=headers)
    assert malformed.status_code == 422
    parsed = ValidationErrorOut.model_validate(malformed.json())
    assert parsed.fields[0].field == "is_listed" and parsed.fields[0].message_zh.startswith("不能为 null")
