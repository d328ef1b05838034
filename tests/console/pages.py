"""Helpers for console page tests: log in through the page session, read a form's CSRF token."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.factories import PASSWORD


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> None:
    """SHIM: the session cookie carries an access token until 14a's login lands."""
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    client.cookies.set("registry_session", response.json()["access_token"])
    client.cookies.set("csrf", "test-csrf-token")


def csrf_of(client: TestClient, page: str) -> str:
    """The CSRF token a page's forms carry."""
    response = client.get(page)
    assert response.status_code == 200, (page, response.status_code)
    match = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert match is not None, f"{page} has no form with a CSRF token"
    return match.group(1)
