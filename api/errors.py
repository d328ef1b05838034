"""Map the domain error family to HTTP once: {"error": code, "detail": message} plus bilingual fields."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from registry.db import is_busy
from registry.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    Gone,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    RateLimited,
    RuleViolation,
)
from registry.fields import error_text

log = logging.getLogger("registry.api")

# Most specific first; the first family an error belongs to decides its status.
STATUS_BY_FAMILY: tuple[tuple[type[DomainError], int], ...] = (
    (AuthenticationFailed, 401),
    (PermissionDenied, 403),
    (NotFound, 404),
    (RuleViolation, 409),
    (Conflict, 409),
    (Gone, 410),
    (PayloadTooLarge, 413),
    (RateLimited, 429),
    (InvalidInput, 400),
)

BUSY_RETRY_AFTER = 1  # seconds: a SQLite write lock is held for a transaction, not longer
UNAVAILABLE_RETRY_AFTER = 5

HTTP_CODES = {
    400: ("bad_request", "请求无效", "bad request"),
    401: ("authentication_failed", "未登录或登录已失效", "not authenticated"),
    403: ("permission_denied", "无权访问", "forbidden"),
    404: ("not_found", "找不到该地址", "no such URL"),
    405: ("method_not_allowed", "不支持该请求方法", "method not allowed"),
    413: ("payload_too_large", "上传内容过大", "payload too large"),
}


def status_for(error: DomainError) -> int:
    """Return the HTTP status of a domain error by its family."""
    for family, status in STATUS_BY_FAMILY:
        if isinstance(error, family):
            return status
    return 400


def error_body(code: str, zh: str, en: str, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Build the error payload: stable code, one-line detail (zh / en), each language, then extras."""
    return {**(extra or {}), "error": code, "detail": f"{zh} / {en}", "detail_zh": zh, "detail_en": en}


def _headers(error: DomainError) -> dict[str, str] | None:
    if isinstance(error, AuthenticationFailed):
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(error, RateLimited) and "retry_after" in error.extra:
        return {"Retry-After": str(error.extra["retry_after"])}
    return None


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, kind) or isinstance(getattr(seen, "orig", None), kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the error payload."""

    @app.exception_handler(DomainError)
    async def _domain(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse(
            error_body(exc.code, exc.zh, exc.en, exc.extra),
            status_code=status_for(exc),
            headers=_headers(exc),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        fields = []
        for err in exc.errors():
            location, zh, en = error_text(err, skip=("body",))
            fields.append({"field": location, "message": en, "message_zh": zh, "type": str(err.get("type", ""))})
        listed_zh = "; ".join(f"{f['field']}: {f['message_zh']}" for f in fields[:10])
        listed = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:10])
        return JSONResponse(
            error_body(
                "validation_error",
                f"请求参数无效：{listed_zh}",
                f"invalid request: {listed}",
                {"fields": fields},
            ),
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, zh, en = HTTP_CODES.get(exc.status_code, ("http_error", "请求失败", "request failed"))
        if isinstance(exc.detail, str) and exc.detail not in {"Not Found", "Method Not Allowed"}:
            en = exc.detail
        return JSONResponse(error_body(code, zh, en), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(sa.exc.OperationalError)
    async def _database(_: Request, exc: sa.exc.OperationalError) -> JSONResponse:
        # SQLite: another writer kept the write lock past REGISTRY_SQLITE_BUSY_TIMEOUT_MS. PostgreSQL: the server
        # went away, a deadlock or serialization failure. Nothing was committed; the client may simply retry.
        if is_busy(exc):
            log.warning("database busy: write lock not granted in time; answered 503")
            body = error_body("database_busy", "数据库繁忙，请稍后重试", "the database is busy; please retry")
            return JSONResponse(body, status_code=503, headers={"Retry-After": str(BUSY_RETRY_AFTER)})
        log.error("database unavailable: %s", exc.orig.__class__.__name__ if exc.orig else exc.__class__.__name__)
        body = error_body("database_unavailable", "数据库暂时不可用，请稍后重试", "the database is unavailable; retry")
        return JSONResponse(body, status_code=503, headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER)})

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        if _caused_by(exc, UnicodeEncodeError):  # e.g. a lone surrogate escaped in JSON, refused by the database
            return JSONResponse(
                error_body(
                    "invalid_text",
                    "提交的文字含有无法编码的字符",
                    "the text contains characters that cannot be encoded (invalid Unicode)",
                ),
                status_code=400,
            )
        log.error("unhandled %s", exc.__class__.__name__, exc_info=exc)
        return JSONResponse(
            error_body("internal_error", "服务器内部错误，请稍后重试", "internal error, please retry later"),
            status_code=500,
        )
