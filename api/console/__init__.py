"""The web console: server-rendered pages for every role, registered on the app by include(app).

Each area is a module with an APIRouter (include_in_schema=False) listed in ROUTERS; errors raised while a page
is served are answered as pages (HTML, both languages), errors of the JSON API stay JSON.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.console import assess, body, jobs, public, regulator, worker
from api.console.session import LoginRequired, PageRefused, render
from api.errors import HTTP_CODES, status_for
from registry.errors import DomainError
from registry.fields import error_text

STATIC_DIR = public.STATIC_DIR

# One line per area (CONSOLE.md): the public pages and login first.
ROUTERS: tuple[APIRouter, ...] = (
    public.router,
    jobs.router,
    body.router,
    assess.router,
    worker.router,
    regulator.router,
)


def _is_page(request: Request, page_endpoints: frozenset[object]) -> bool:
    route = request.scope.get("route")
    if route is not None:
        return getattr(route, "endpoint", None) in page_endpoints
    return request.url.path.startswith("/console")


async def _answer(handler: Any, request: Request, exc: Exception) -> Response:
    """The API's own (JSON) answer to an error, from the handler registered before the console's."""
    answer = handler(request, exc)
    if inspect.isawaitable(answer):
        answer = await answer
    response: Response = answer
    return response


def include(app: FastAPI) -> None:
    """Register the console's routers, /static, and the page forms of the error answers."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    endpoints: set[object] = set()
    for router in ROUTERS:
        app.include_router(router)
        endpoints.update(getattr(route, "endpoint", None) for route in router.routes)
    pages = frozenset(endpoints)
    json_domain = app.exception_handlers[DomainError]
    json_validation = app.exception_handlers[RequestValidationError]
    json_http = app.exception_handlers[StarletteHTTPException]

    @app.exception_handler(LoginRequired)
    async def _login(_: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(public.login_url(exc.next_path), status_code=303)

    @app.exception_handler(PageRefused)
    async def _refused(request: Request, exc: PageRefused) -> Response:
        return error_page(request, exc.status_code, exc.zh, exc.en, exc.error)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        if not _is_page(request, pages):
            return await _answer(json_domain, request, exc)
        return error_page(request, status_for(exc), exc.zh, exc.en, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if not _is_page(request, pages):
            return await _answer(json_validation, request, exc)
        parts = [error_text(err, skip=("body", "query", "path", "form")) for err in exc.errors()]
        zh = "；".join(f"{where}：{zh}" for where, zh, _ in parts[:10])
        en = "; ".join(f"{where}: {en}" for where, _, en in parts[:10])
        return error_page(request, 422, f"提交的内容有误：{zh}", f"the form has errors: {en}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if not _is_page(request, pages):
            return await _answer(json_http, request, exc)
        _, zh, en = HTTP_CODES.get(exc.status_code, ("http_error", "请求失败", "request failed"))
        return error_page(request, exc.status_code, zh, en, headers=exc.headers)


def error_page(
    request: Request,
    status_code: int,
    zh: str,
    en: str,
    error: DomainError | None = None,
    *,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The error page: what was refused in both languages, and the rules with their citations when given."""
    extra = dict(headers or {})
    if error is not None and "retry_after" in error.extra:
        extra["Retry-After"] = str(error.extra["retry_after"])
    return render(
        request,
        "console/error.html",
        {"status": status_code, "zh": zh, "en": en, "refusal": error},
        status_code=status_code,
        headers=extra,
    )
