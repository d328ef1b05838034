"""Per-client rate limits through the `limits` library: in memory by default, shared by every process via Redis."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from limits.storage import MemoryStorage
from pydantic import SecretStr

from api.ratelimit import LOGIN, LOOKUP, ClientLimits
from registry.errors import RateLimited
from registry.settings import Settings
from tests.ops.servers import Server, redis_url_or_skip, serve_many

LOOKUP_BODY = {"number": "Y000044999999269000001", "name": "张三"}


def test_memory_limit_counts_per_client_and_scope(settings: Settings) -> None:
    limits = ClientLimits(settings, storage=MemoryStorage())
    for _ in range(3):
        limits.hit(LOOKUP, "10.0.0.1", 3)
    with pytest.raises(RateLimited) as refused:
        limits.hit(LOOKUP, "10.0.0.1", 3)
    assert 1 <= refused.value.extra["retry_after"] <= 60
    limits.hit(LOOKUP, "10.0.0.2", 3)  # another client has its own budget
    limits.hit(LOGIN, "10.0.0.1", 3)  # and logins are another scope


def test_without_redis_the_limit_lives_in_memory(settings: Settings) -> None:
    assert not ClientLimits(settings).shared


def test_an_unreachable_redis_fails_open(settings: Settings) -> None:
    down = ClientLimits(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/3"}))
    assert down.shared
    for _ in range(5):
        down.hit(LOOKUP, "10.0.0.1", 1)  # no exception: the store is down, the limit is not enforced
    assert not down.healthy()


def test_redis_keys_hold_no_client_address(settings: Settings) -> None:
    import redis

    url = redis_url_or_skip()
    fresh = settings.model_copy(update={"redis_url": url, "secret_key": SecretStr(secrets.token_hex(24))})
    ClientLimits(fresh).hit(LOOKUP, "203.0.113.77", 5)
    keys = [k.decode() for k in redis.Redis.from_url(url).keys("registry-limits*")]
    assert keys
    assert not any("203.0.113.77" in k for k in keys)


@pytest.fixture(scope="module")
def two_servers(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Server]]:
    """Two API processes on one database and one Redis, 4 look-ups and 3 logins per client per minute."""
    tmp = tmp_path_factory.mktemp("shared-limits")
    env = {
        "REGISTRY_DATABASE_URL": database_url,
        "REGISTRY_REDIS_URL": redis_url_or_skip(),
        # A fresh secret: fresh keyed client hashes, so budgets spent by an earlier run within the minute
        # do not carry over.
        "REGISTRY_SECRET_KEY": secrets.token_hex(24),
        "REGISTRY_KEY_DIR": str(tmp / "keys"),
        "REGISTRY_LOOKUP_RATE_PER_MINUTE": "4",
        "REGISTRY_LOGIN_RATE_PER_MINUTE": "3",
        "REGISTRY_ARGON2_TIME_COST": "1",
        "REGISTRY_ARGON2_MEMORY_KIB": "64",
    }
    with serve_many([env, env], tmp) as (a, b):
        yield a, b


def test_two_processes_share_one_lookup_budget(two_servers: tuple[Server, Server]) -> None:
    a, b = two_servers
    statuses = [(a if i % 2 else b).request("POST", "/api/v1/verify/lookup", json_body=LOOKUP_BODY) for i in range(6)]
    assert [s for s, _, _ in statuses] == [404, 404, 404, 404, 429, 429]
    assert int(statuses[-1][1]["retry-after"]) >= 1


def test_two_processes_share_one_login_budget(two_servers: tuple[Server, Server]) -> None:
    a, b = two_servers
    form = {"username": f"nobody-{secrets.token_hex(4)}", "password": "wrong-password-1"}
    statuses = [(a if i % 2 else b).request("POST", "/api/v1/auth/token", form=form)[0] for i in range(4)]
    assert statuses == [401, 401, 401, 429]


def test_holder_checks_spend_the_lookup_budget(two_servers: tuple[Server, Server]) -> None:
    a, b = two_servers
    for _ in range(5):  # spent on a (if the test above has not spent it already)
        a.request("POST", "/api/v1/verify/lookup", json_body=LOOKUP_BODY)
    check = {"name": "张三", "id_number": "1"}
    status, _, body = b.request("POST", "/api/v1/verify/not-a-token/holder", json_body=check)
    assert (status, b'"rate_limited"' in body) == (429, True)
