"""Helpers for console page tests: read a form's CSRF token, log in through the login form."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import PASSWORD

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = TOKEN.search(html)
    assert found, "the page has no form with a csrf_token"
    return found.group(1)


def page_login(client: TestClient, username: str, password: str = PASSWORD, *, next_path: str = "") -> str:
    """Log in through /login as a browser would; return where the login redirected to."""
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": next_path},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return response.headers["location"]


def form_post(client: TestClient, page: str, action: str, data: dict[str, str] | None = None, **kwargs: object) -> Any:
    """Submit a page's form as a browser would: over https (Secure cookies), with the page's CSRF token."""
    if client.base_url.scheme != "https":
        client.base_url = client.base_url.copy_with(scheme="https")
    token = csrf_from(client.get(page).text)
    return client.post(action, data={**(data or {}), "csrf_token": token}, **kwargs)  # type: ignore[arg-type]
