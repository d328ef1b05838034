"""The API documentation works offline: /docs and /redoc load only assets the app serves itself."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

ASSET = re.compile(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']|url\s*:\s*['"]([^'"]+)['"]""")


def _references(html: str) -> list[str]:
    return [a or b for a, b in ASSET.findall(html)]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_reference_only_local_assets_and_they_load(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    html = response.text
    assert "cdn." not in html and "googleapis" not in html and "jsdelivr" not in html and "unpkg" not in html
    references = _references(html)
    assert references, "the page loads no assets?"
    for url in references:
        assert url.startswith("/") and not url.startswith("//"), f"{page} refers to {url}"
        assert client.get(url).status_code == 200, url
    assert any(url.endswith(".js") for url in references)


def test_swagger_ui_is_given_our_openapi_document(client: TestClient) -> None:
    html = client.get("/docs").text
    assert "url: '/openapi.json'" in html or 'url: "/openapi.json"' in html
    assert client.get("/openapi.json").json()["info"]["title"] == "新八级工 Registry"


def test_the_oauth2_redirect_page_is_served_locally(client: TestClient) -> None:
    response = client.get("/docs/oauth2-redirect")
    assert response.status_code == 200 and "oauth2" in response.text.lower()


def test_the_console_static_files_still_load_beside_the_docs_assets(client: TestClient) -> None:
    assert client.get("/static/console.css").status_code == 200
    assert client.get("/static/docs/swagger-ui.css").headers["content-type"].startswith("text/css")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_browser_may_load_nothing_from_elsewhere(client: TestClient, page: str) -> None:
    policy = client.get(page).headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "img-src 'self' data:" in policy and "connect-src 'self'" in policy
