"""Per-client rate limits through the `limits` library: in memory by default, shared by every process via Redis."""

from __future__ import annotations

import secrets

import pytest
from limits.storage import MemoryStorage
from pydantic import SecretStr

from api.ratelimit import LOGIN, LOOKUP, ClientLimits
from registry.errors import RateLimited
from registry.settings import Settings
from tests.ops.conftest import LOGINS_PER_MINUTE, LOOKUPS_PER_MINUTE
from tests.ops.servers import Server, redis_url_or_skip

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


def test_two_processes_share_one_lookup_budget(api_pair: list[Server]) -> None:
    client = {"X-Forwarded-For": "192.0.2.10"}
    answers = [
        api_pair[i % 2].request("POST", "/api/v1/verify/lookup", json_body=LOOKUP_BODY, headers=client)
        for i in range(LOOKUPS_PER_MINUTE + 2)
    ]
    assert [status for status, _, _ in answers] == [404] * LOOKUPS_PER_MINUTE + [429, 429]
    assert 1 <= int(answers[-1][1]["retry-after"]) <= 60
    other = {"X-Forwarded-For": "192.0.2.11"}  # another client still has its whole budget
    assert api_pair[0].request("POST", "/api/v1/verify/lookup", json_body=LOOKUP_BODY, headers=other)[0] == 404


def test_two_processes_share_one_login_budget(api_pair: list[Server]) -> None:
    client = {"X-Forwarded-For": "192.0.2.20"}
    form = {"username": f"nobody-{secrets.token_hex(4)}", "password": "wrong-password-1"}
    statuses = [
        api_pair[i % 2].request("POST", "/api/v1/auth/token", form=form, headers=client)[0]
        for i in range(LOGINS_PER_MINUTE + 1)
    ]
    assert statuses == [401] * LOGINS_PER_MINUTE + [429]


def test_holder_checks_spend_the_lookup_budget(api_pair: list[Server]) -> None:
    client = {"X-Forwarded-For": "192.0.2.30"}
    for _ in range(LOOKUPS_PER_MINUTE):
        api_pair[0].request("POST", "/api/v1/verify/lookup", json_body=LOOKUP_BODY, headers=client)
    check = {"name": "张三", "id_number": "1"}
    status, _, body = api_pair[1].request("POST", "/api/v1/verify/not-a-token/holder", json_body=check, headers=client)
    assert (status, b'"rate_limited"' in body) == (429, True)
