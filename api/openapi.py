"""The OpenAPI document tells the truth: the error envelope, and every route's error statuses.

Every error is `{"error", "detail", "detail_zh", "detail_en", …extras}` (api/errors.py); a 422 adds `fields`.
Each route declares the statuses it can answer: derived from what it depends on (any input → 400 from the input
guard and 422; a bearer token → 401; a required login → 403; a path id → 404) plus what the route declares
itself with `errors(...)` (409 state conflicts, 413 uploads, 429 limits, 404 for ids in a body). The schema-driven
fuzz run (tests/api/test_fuzz.py) fails on any status or body the document does not describe.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from api.security import get_current_actor, get_optional_actor


class ErrorOut(BaseModel):
    """An error: a stable code, the message in Chinese and English (and both in `detail`), then any extras."""

    model_config = ConfigDict(extra="allow")

    error: str = Field(description="stable snake_case code, e.g. site_code_taken")
    detail: str = Field(description="中文 / English, on one line")
    detail_zh: str
    detail_en: str


class FieldErrorOut(BaseModel):
    """One refused input: where, why (English and Chinese) and pydantic's error type."""

    field: str
    message: str
    message_zh: str
    type: str


class ValidationErrorOut(ErrorOut):
    """A malformed request (error = validation_error), every refused field listed."""

    fields: list[FieldErrorOut]


DESCRIPTIONS = {
    400: "Invalid input (bad check digit, unknown code, control characters, bad upload rows) · 输入无效",
    401: "Not logged in, or the access token is invalid or expired · 未登录或登录已失效",
    403: "Logged in, but not allowed to do this · 无权执行此操作",
    404: "No such record, or not one the caller may see · 记录不存在或无权查看",
    409: "Conflicts with the current state or a policy rule · 与当前状态或政策规则冲突",
    410: "No longer available (an expired or withdrawn link) · 已失效（链接过期或已撤回）",
    413: "The upload is over the size limit · 上传内容过大",
    422: "Malformed request: fields listed · 请求格式错误（逐项列出）",
    429: "Too many attempts: see Retry-After · 操作过于频繁",
    503: "Not ready, or the database is busy or unavailable: retry (see Retry-After) · 服务暂不可用，请稍后重试",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` entry for a route's own error statuses (beyond those derived from its dependencies)."""
    return {
        status: {"model": ValidationErrorOut if status == 422 else ErrorOut, "description": DESCRIPTIONS[status]}
        for status in statuses
    }


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def _has_input(dependant: Dependant) -> bool:
    if dependant.path_params or dependant.query_params or dependant.body_params or dependant.header_params:
        return True
    return any(_has_input(d) for d in dependant.dependencies)


def derived_statuses(route: APIRoute) -> set[int]:
    """The error statuses a route can answer because of what it depends on."""
    calls = set(_calls(route.dependant))
    statuses = {400}  # the input guard refuses control characters in any path or query string
    if _has_input(route.dependant):
        statuses.add(422)
    if get_optional_actor in calls:
        statuses.add(401)
    if get_current_actor in calls:
        statuses.add(403)
    if route.dependant.path_params:
        statuses.add(404)
    return statuses


def _schemas() -> dict[str, Any]:
    components: dict[str, Any] = {}
    for model in (ErrorOut, ValidationErrorOut):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
    return components


def _response(status: int) -> dict[str, Any]:
    name = "ValidationErrorOut" if status == 422 else "ErrorOut"
    return {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}},
    }


def _document(app: FastAPI, document: dict[str, Any]) -> None:
    """Add the derived error statuses to every operation and replace FastAPI's 422 schema with ours."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(_schemas())
    for context in routing.iter_route_contexts(app.routes):
        route = context.original_route
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = document["paths"].get(context.path_format, {}).get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(derived_statuses(route)):
                responses.setdefault(str(status), _response(status))
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400 and ("content" not in response or status == "422"):
                    responses[status] = _response(int(status))
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)


def install_openapi(app: FastAPI) -> None:
    """Make the app's OpenAPI document describe its errors (call after all routers are included)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        document = generate()  # FastAPI caches it; documenting again is idempotent
        _document(app, document)
        return document

    app.openapi = openapi  # type: ignore[method-assign]
