"""The API documentation pages, working offline: Swagger UI at /docs and ReDoc at /redoc, assets served by us.

The assets come from the PyPI package `fastapi-offline` (Swagger UI 5 bundle and CSS, ReDoc 2 standalone, a
favicon), installed with the application and served under /static/docs — never from a CDN, so the pages work on a
machine without internet. We use only its asset files; the pages are FastAPI's own docs HTML pointed at them.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_ASSETS = "/static/docs"
OAUTH2_REDIRECT = "/docs/oauth2-redirect"
# Everything from this server only: ReDoc's sidebar would fetch a logo from cdn.redoc.ly (it hides the image when
# that fails), Swagger UI and ReDoc start from an inline script, ReDoc runs a worker from a blob.
DOCS_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
}


def _local_only(page: HTMLResponse) -> HTMLResponse:
    page.headers.update(DOCS_HEADERS)
    return page


def assets_dir() -> Path:
    """Where the installed fastapi-offline package keeps the Swagger UI and ReDoc files."""
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or spec.origin is None:
        raise RuntimeError("the package fastapi-offline is missing: pip install -e . installs it")
    return Path(spec.origin).parent / "static"


def install_docs(app: FastAPI) -> None:
    """Serve /docs, its OAuth2 redirect and /redoc with local assets (the app is built with docs_url=None)."""
    app.mount(DOCS_ASSETS, StaticFiles(directory=assets_dir()), name="docs-assets")
    title = f"{app.title} · API"
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return _local_only(
            get_swagger_ui_html(
                openapi_url=openapi_url,
                title=title,
                swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
                swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
                swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
                oauth2_redirect_url=OAUTH2_REDIRECT,
            )
        )

    @app.get(OAUTH2_REDIRECT, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return _local_only(
            get_redoc_html(
                openapi_url=openapi_url,
                title=title,
                redoc_js_url=f"{DOCS_ASSETS}/redoc.standalone.js",
                redoc_favicon_url=f"{DOCS_ASSETS}/favicon.png",
                with_google_fonts=False,
            )
        )
