"""A per-client sliding-window rate limit for public look-ups (in process memory).

One API process keeps its own counts; behind a load balancer with several processes, each enforces the limit
separately. The client address is the connecting peer, or — only when that peer is a proxy listed in
REGISTRY_FORWARDED_ALLOW_IPS — the address it forwards (api.app installs the proxy-header middleware). A shared
store (Redis) is the step up when that matters; the holder check's per-holder budget is already shared (database).
"""

from __future__ import annotations

import threading
import time
from collections import deque

from fastapi import Request

from registry.errors import RateLimited

WINDOW_SECONDS = 60.0


class SlidingWindow:
    """At most `limit` events per key per minute."""

    def __init__(self) -> None:
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int, *, now: float | None = None) -> None:
        """Record one event for key, or raise RateLimited (with retry_after seconds) when over the limit."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and moment - events[0] >= WINDOW_SECONDS:
                events.popleft()
            if len(events) >= limit:
                retry = max(1, int(WINDOW_SECONDS - (moment - events[0])) + 1)
                raise RateLimited(
                    f"查询过于频繁，请 {retry} 秒后再试",
                    f"too many look-ups; retry in {retry} seconds",
                    extra={"retry_after": retry},
                )
            events.append(moment)
            if len(self._events) > 100_000:  # forget idle clients so memory stays bounded
                for stale in [k for k, v in self._events.items() if not v or moment - v[-1] >= WINDOW_SECONDS]:
                    del self._events[stale]


def client_key(request: Request) -> str:
    """The client address the limit is counted against (a trusted proxy's X-Forwarded-For already applied)."""
    return request.client.host if request.client else "unknown"
