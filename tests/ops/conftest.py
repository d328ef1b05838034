"""Shared real servers for the operations tests (starting one costs seconds: the pair is started once)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from tests.ops.servers import Server, redis_url_or_skip, serve_many

LOOKUPS_PER_MINUTE = 3
LOGINS_PER_MINUTE = 3


@pytest.fixture(scope="session")
def api_pair(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Server]]:
    """Two API processes on the test database sharing one Redis, as behind a proxy at 127.0.0.1 (which may name
    the client in X-Forwarded-For: each test names its own client addresses and so starts with a full budget)."""
    env = {
        "REGISTRY_DATABASE_URL": database_url,
        "REGISTRY_REDIS_URL": redis_url_or_skip(),
        # A fresh secret: fresh keyed client hashes, so budgets an earlier run spent within the minute are gone.
        "REGISTRY_SECRET_KEY": secrets.token_hex(24),
        "REGISTRY_KEY_DIR": str(tmp_path_factory.mktemp("pair-keys")),
        "REGISTRY_FORWARDED_ALLOW_IPS": "127.0.0.1",
        "REGISTRY_LOOKUP_RATE_PER_MINUTE": str(LOOKUPS_PER_MINUTE),
        "REGISTRY_LOGIN_RATE_PER_MINUTE": str(LOGINS_PER_MINUTE),
        "REGISTRY_LOG_FORMAT": "json",
        "REGISTRY_ARGON2_TIME_COST": "1",
        "REGISTRY_ARGON2_MEMORY_KIB": "64",
    }
    with serve_many([env, env], tmp_path_factory.mktemp("pair")) as servers:
        yield servers
