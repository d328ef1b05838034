"""Per-client rate limits (public look-ups and holder checks, logins), shared through Redis when configured.

The counting is the `limits` library's moving window (a maintained implementation with atomic Redis scripts),
not ours: with REGISTRY_REDIS_URL every API process spends from one budget per client; without it each process
counts in its own memory (the embedded default: `make run` needs no Redis).

The client is the connecting peer, or — only when that peer is a proxy listed in REGISTRY_FORWARDED_ALLOW_IPS —
the address it forwards (api.app installs the proxy-header middleware). Keys are a keyed hash of the address
(HMAC, purpose "rate-limit"), so Redis never holds client addresses.

Redis configured but unreachable: the limit FAILS OPEN with a warning logged at most once a minute. These limits
slow scraping and guessing; the budgets that protect people are in the database and hold regardless — the
per-holder check budget (certificates.holder) and the per-username login lock-out (registry.accounts.service).
Refusing every public look-up because a cache is down would take verification offline for a courtesy limit.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import threading
import time

from fastapi import Request
from limits import RateLimitItemPerMinute
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from registry.errors import RateLimited
from registry.keys import derive_key
from registry.settings import Settings

log = logging.getLogger("registry.ratelimit")

WARN_EVERY_SECONDS = 60.0
LOOKUP = "lookup"  # the public look-ups and holder checks share one budget per client
LOGIN = "login"
OBJECTION = "objection"  # objections filed from the public 公示 page, at the look-up rate


class ClientLimits:
    """At most n events per client per minute, per scope; raises RateLimited (with retry_after) beyond it."""

    def __init__(self, settings: Settings, *, storage: Storage | None = None) -> None:
        if storage is None:
            if settings.redis_url:
                # Short socket timeouts: an unreachable Redis must cost a look-up milliseconds, not seconds.
                storage = RedisStorage(
                    settings.redis_url,
                    key_prefix="registry-limits",
                    wrap_exceptions=True,
                    socket_connect_timeout=0.25,
                    socket_timeout=0.25,
                )
            else:
                storage = MemoryStorage()
        self.storage = storage
        self.shared = isinstance(storage, RedisStorage)
        self._limiter = MovingWindowRateLimiter(storage)
        self._key = derive_key(settings, "rate-limit")
        self._warned_at = -math.inf
        self._warn_lock = threading.Lock()

    def hit(self, scope: str, client: str, per_minute: int) -> None:
        """Spend one event of client's budget in scope, or raise RateLimited when it is spent."""
        item = RateLimitItemPerMinute(per_minute)
        key = hmac.new(self._key, client.encode(), hashlib.sha256).hexdigest()[:32]
        try:
            if self._limiter.hit(item, scope, key):
                return
            reset_at = self._limiter.get_window_stats(item, scope, key).reset_time
        except StorageError as error:
            self._warn(error)
            return  # fail open: see the module docstring
        retry = max(1, math.ceil(reset_at - time.time()))
        if scope == LOGIN:
            raise RateLimited(
                f"登录尝试过于频繁，请 {retry} 秒后再试",
                f"too many login attempts; retry in {retry} seconds",
                extra={"retry_after": retry},
            )
        if scope == OBJECTION:
            raise RateLimited(
                f"提出异议过于频繁，请 {retry} 秒后再试",
                f"too many objections from this address; retry in {retry} seconds",
                extra={"retry_after": retry},
            )
        raise RateLimited(
            f"查询过于频繁，请 {retry} 秒后再试",
            f"too many look-ups; retry in {retry} seconds",
            extra={"retry_after": retry},
        )

    def healthy(self) -> bool:
        """Whether the store answers (always true in memory)."""
        try:
            return bool(self.storage.check())
        except Exception:  # any failure to answer is "not healthy"
            return False

    def _warn(self, error: StorageError) -> None:
        now = time.monotonic()
        with self._warn_lock:
            if now - self._warned_at < WARN_EVERY_SECONDS:
                return
            self._warned_at = now
        log.warning(
            "rate-limit store unreachable (%s); limits are NOT enforced until it answers (fail open)",
            error.storage_error.__class__.__name__,
        )


def client_key(request: Request) -> str:
    """The client address the limit is counted against (a trusted proxy's X-Forwarded-For already applied)."""
    return request.client.host if request.client else "unknown"


def limit(request: Request, scope: str, per_minute: int) -> None:
    """Spend one event of this request's client budget in scope (the app's ClientLimits)."""
    limits: ClientLimits = request.app.state.limits
    limits.hit(scope, client_key(request), per_minute)
