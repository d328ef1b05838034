"""Structured request logs without personal data, written off the request path.

One line per request: request id, method, the ROUTE TEMPLATE (`/v/{token}`, never the raw path: paths carry
tokens and certificate numbers), status, duration. Never the query string, body, client address, user agent
or names — `uvicorn`'s own access log (raw path + client address) is switched off by `registry serve`.
REGISTRY_LOG_FORMAT=json gives one JSON object per line for a collector; text is for a terminal.

The request id is the caller's X-Request-ID when it is a short token of safe characters (a reverse proxy's
$request_id), otherwise a fresh one; it is echoed in the response and carried by every log line of the request.
Lines go through a queue to one writer thread, so a request never waits on the terminal or disk; an access line
costs the request a tuple on that queue (a few microseconds), not a trip through the logging machinery.
"""

from __future__ import annotations

import atexit
import contextvars
import datetime as dt
import json
import logging
import logging.handlers
import queue
import re
import secrets
import sys
import threading
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
SAFE_REQUEST_ID = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")
FIELDS = ("request_id", "method", "route", "status", "duration_ms")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the request fields when present."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or REQUEST_ID.get()
        if rid != "-":
            entry["request_id"] = rid
        for field in FIELDS[1:]:
            if hasattr(record, field):
                entry[field] = getattr(record, field)
        if record.exc_info and record.exc_info[0] is not None:
            entry["error"] = record.exc_info[0].__name__  # the class only: messages can quote data
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`time level logger message [rid=…]` for a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        rid = getattr(record, "request_id", None) or REQUEST_ID.get()
        return line if rid == "-" or "rid=" in line else f"{line} rid={rid}"


class _RequestIdFilter(logging.Filter):
    """Stamp the request id on the record while still in the request's context (before the queue)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


def formatter(log_format: str) -> logging.Formatter:
    """The formatter for REGISTRY_LOG_FORMAT."""
    return JsonFormatter() if log_format == "json" else TextFormatter()


WRITE_INTERVAL = 0.1  # seconds: the writer thread writes what queued up at most this often …
BATCH_LINES = 2000  # … unless this many lines wait
AccessEntry = tuple[float, str, str, str, int, float]  # time, request id, method, route, status, duration ms
_queue: queue.SimpleQueue[logging.LogRecord | AccessEntry | None] | None = None


def configure_logging(log_format: str, *, stream: Any = None) -> None:
    """Send access lines and the `registry.*` loggers through one queue to one writer thread (once per process).

    Access lines skip the logging machinery (no LogRecord, no copy, no handler chain): the request path puts one
    tuple on the queue; the writer formats and writes whatever has queued up in one write call, every
    WRITE_INTERVAL seconds at most (a line reaches the stream that much later).
    """
    global _queue  # noqa: PLW0603 - one writer thread per process
    if _queue is not None:
        return
    out = stream or sys.stderr
    lines: queue.SimpleQueue[logging.LogRecord | AccessEntry | None] = queue.SimpleQueue()
    handler = logging.handlers.QueueHandler(lines)
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger("registry")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root.propagate = False
    writer = threading.Thread(
        target=_write, args=(lines, out, formatter(log_format), log_format == "json"), name="registry-log", daemon=True
    )
    writer.start()
    _queue = lines

    def _drain() -> None:
        lines.put(None)
        writer.join(timeout=2)

    atexit.register(_drain)


def _write(
    lines: queue.SimpleQueue[logging.LogRecord | AccessEntry | None], out: Any, fmt: logging.Formatter, json_lines: bool
) -> None:
    while True:
        batch = [lines.get()]
        while len(batch) < BATCH_LINES:
            try:
                batch.append(lines.get_nowait())
            except queue.Empty:
                break
        text: list[str] = []
        stop = False
        for item in batch:
            if item is None:
                stop = True
            elif isinstance(item, tuple):
                text.append(_access_json(item) if json_lines else _access_text(item))
            else:
                text.append(fmt.format(item) + "\n")
        try:
            out.write("".join(text))
            out.flush()
        except (OSError, ValueError):  # a closed stream (at shutdown, or a test's captured stderr): nowhere to write
            return
        if stop:
            return
        # Lines wait up to WRITE_INTERVAL: woken per request, this thread took the GIL from the event loop a
        # thousand times a second (a fifth of a verification's CPU, and the tail latency of the requests it cut in).
        if len(batch) < BATCH_LINES:
            time.sleep(WRITE_INTERVAL)


def _access_json(entry: AccessEntry) -> str:
    at, rid, method, route, status, elapsed = entry
    ts = dt.datetime.fromtimestamp(at, dt.UTC).isoformat(timespec="milliseconds")
    message = f"{method} {route} {status} {elapsed}ms"
    return (
        f'{{"ts": "{ts}", "level": "info", "logger": "registry.access", "msg": {json.dumps(message)}, '
        f'"request_id": "{rid}", "method": "{method}", "route": {json.dumps(route)}, "status": {status}, '
        f'"duration_ms": {elapsed}}}\n'
    )


def _access_text(entry: AccessEntry) -> str:
    at, rid, method, route, status, elapsed = entry
    stamp = dt.datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M:%S")  # noqa: DTZ006 - local time, like logging's
    return f"{stamp} INFO registry.access {method} {route} {status} {elapsed}ms rid={rid}\n"


def uvicorn_log_config(log_format: str) -> dict[str, Any]:
    """uvicorn's own loggers (start-up, errors) in the same format; its access log is off (raw paths, IPs)."""
    factory = "api.logs.JsonFormatter" if log_format == "json" else "api.logs.TextFormatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"registry": {"()": factory}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "registry", "stream": "ext://sys.stderr"}
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "uvicorn.error": {"level": "INFO"},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


class RequestLog:
    """Pure ASGI middleware: request id in and out, one access line after the response (no body buffering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        rid = _request_id(scope)
        token = REQUEST_ID.set(rid)
        status = 500
        header = (b"x-request-id", rid.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = round((time.perf_counter() - started) * 1000, 1)
            route = getattr(scope.get("route"), "path", "-")  # unmatched: "-", never the raw path
            if _queue is not None:
                _queue.put((time.time(), rid, scope["method"], route, status, elapsed))
            REQUEST_ID.reset(token)


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"x-request-id" and SAFE_REQUEST_ID.match(value):
            return bytes(value).decode()
    return secrets.token_hex(8)
