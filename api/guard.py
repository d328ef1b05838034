"""One guard for every request: no control characters in the path, the query string, or a JSON or form body.

PostgreSQL refuses NUL in text outright (a 500 from deep inside a route otherwise) and the other C0/C1 controls
and lone surrogates only hide or garble text, so they are refused here, once, before any route runs — the
same answer (400 `invalid_text`, naming where) on both databases. Multipart uploads are checked cell by cell
by registry.tabular. A pure ASGI middleware: the body is read once and replayed to the app.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from api.errors import error_body
from registry.text import control_problem

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _strings(value: Any, where: str) -> Iterator[tuple[str, str]]:
    """Every string of a parsed JSON document (keys too), with where it sits."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"{where}.{key}", key
            yield from _strings(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")


def _pairs(text: str, where: str) -> Iterator[tuple[str, str]]:
    for key, value in parse_qsl(text, keep_blank_values=True):
        yield f"{where}.{key}", key
        yield f"{where}.{key}", value


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1").lower()
    return ""


def _body_strings(content_type: str, body: bytes) -> Iterator[tuple[str, str]]:
    media = content_type.split(";", 1)[0].strip()
    if media == "application/x-www-form-urlencoded":
        yield from _pairs(body.decode("utf-8", "replace"), "form")
    elif not media or media == "application/json" or media.endswith("+json"):
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return  # not JSON: the route's own parsing answers 422
        yield from _strings(document, "body")


Finding = tuple[str, str, str]  # where, Chinese, English


def _first_problem(strings: Iterator[tuple[str, str]]) -> Finding | None:
    for where, value in strings:
        problem = control_problem(value)
        if problem is not None:
            return where, problem.zh, problem.en
    return None


class TextGuard:
    """Refuse requests that carry forbidden control characters (400 invalid_text, nothing runs)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = bytes(scope.get("query_string", b"")).decode("utf-8", "replace")
        found = _first_problem(iter([("path", scope.get("path", ""))])) or _first_problem(_pairs(query, "query"))
        if found is None and scope["method"] in BODY_METHODS:
            content_type = _header(scope, b"content-type")
            if not content_type.startswith("multipart/"):
                body = await self._read(receive)
                try:
                    found = _first_problem(_body_strings(content_type, body))
                except RecursionError:
                    found = ("body", "JSON 嵌套层次过深", "the JSON is nested too deeply")
                receive = self._replay(body, receive)
        if found is None:
            await self.app(scope, receive, send)
            return
        await self._refuse(send, found)

    @staticmethod
    async def _read(receive: Receive) -> bytes:
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    @staticmethod
    def _replay(body: bytes, receive: Receive) -> Receive:
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()  # later calls wait for the client's disconnect, as before
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay

    @staticmethod
    async def _refuse(send: Send, found: Finding) -> None:
        where, zh, en = found
        payload = error_body("invalid_text", f"{where}：{zh}", f"{where}: {en}", {"field": where})
        body = json.dumps(payload, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
