"""Structured logs carry no personal data; /healthz is liveness, /readyz sees the database and the keys."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from registry.db import get_engine, session_scope
from registry.settings import Settings, get_settings
from tests.factories import ensure_signing_key, make_certificate, make_person, valid_id
from tests.ops.servers import Server

FORWARDED_CLIENT = "198.51.100.23"


def test_a_run_that_used_personal_data_logs_none_of_it(committed_url: str, api_pair: list[Server]) -> None:
    server = api_pair[0]
    # The data is made with the servers' own secret and keys, so the holder check really compares.
    settings = get_settings().model_copy(
        update={
            "secret_key": SecretStr(server.env["REGISTRY_SECRET_KEY"]),
            "key_dir": Path(server.env["REGISTRY_KEY_DIR"]),
        }
    )
    id_number, name = valid_id(), "欧阳娜娜"
    with session_scope(get_engine(committed_url)) as session:
        person = make_person(session, settings, name=name, id_number=id_number)
        certificate = make_certificate(session, settings, person=person)
        token, number = certificate.token, certificate.number
    ip = {"X-Forwarded-For": FORWARDED_CLIENT}
    answers = [
        server.request("GET", f"/v/{token}?lang=en", headers=ip),
        server.request("GET", f"/api/v1/verify/{token}", headers={**ip, "X-Request-ID": "proxy-rid-42"}),
        server.request("POST", "/api/v1/verify/lookup", json_body={"number": number, "name": name}, headers=ip),
        server.request(
            "POST", f"/api/v1/verify/{token}/holder", json_body={"name": name, "id_number": id_number}, headers=ip
        ),
        server.request("POST", "/api/v1/auth/token", form={"username": name, "password": id_number}, headers=ip),
        server.request("GET", f"/no/such/{id_number}", headers=ip),
    ]
    assert [status for status, _, _ in answers] == [200, 200, 200, 200, 401, 404]
    assert json.loads(answers[1][2])["verdict"] == "valid"
    assert json.loads(answers[3][2])["matched"] is True
    assert answers[1][1]["x-request-id"] == "proxy-rid-42"
    rids = [headers["x-request-id"] for _, headers, _ in answers]
    assert len(rids[0]) == 16
    for _ in range(100):  # the log is written from a queue just after each response
        if all(rid in server.log.read_text(encoding="utf-8") for rid in rids):
            break
        time.sleep(0.05)
    text = server.log.read_text(encoding="utf-8")
    everything = text + server.out.read_text(encoding="utf-8")
    for secret in (name, id_number, id_number[-6:], token, token[:24], number, FORWARDED_CLIENT, "lang=en"):
        assert secret not in everything, f"{secret!r} leaked into the log"
    entries = [json.loads(line) for line in text.splitlines()]  # every line is one JSON object
    access = [e for e in entries if e["logger"] == "registry.access" and e["request_id"] in rids]
    assert [(e["method"], e["route"], e["status"]) for e in access] == [
        ("GET", "/v/{token}", 200),
        ("GET", "/api/v1/verify/{token}", 200),
        ("POST", "/api/v1/verify/lookup", 200),
        ("POST", "/api/v1/verify/{token}/holder", 200),
        ("POST", "/api/v1/auth/token", 401),
        ("GET", "-", 404),
    ]
    assert all(isinstance(e["duration_ms"], float) and e["request_id"] for e in access)
    assert "proxy-rid-42" in {e["request_id"] for e in access}


def test_an_unreachable_rate_limit_store_is_logged_once_a_minute_not_once_a_request(settings: Settings) -> None:
    from api.ratelimit import LOOKUP, ClientLimits

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("registry.ratelimit")
    logger.addHandler(handler)
    try:
        down = ClientLimits(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/3"}))
        for _ in range(5):
            down.hit(LOOKUP, "192.0.2.1", 1)  # allowed each time: fail open
    finally:
        logger.removeHandler(handler)
    assert [r.levelname for r in records] == ["WARNING"]
    assert "fail open" in records[0].getMessage()
    assert "192.0.2.1" not in records[0].getMessage()


class TestReadiness:
    def test_ready_when_the_database_is_migrated_and_a_key_is_active(
        self, client: TestClient, settings: Settings
    ) -> None:
        ensure_signing_key(settings)
        answer = client.get("/readyz")
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "ready"
        assert answer.json()["checks"]["rate_limits"]["ok"]

    def test_not_ready_without_a_signing_key(self, client: TestClient) -> None:
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert (answer.json()["error"], answer.json()["status"]) == ("not_ready", "not_ready")
        assert answer.headers["retry-after"] == "5"
        assert answer.json()["reasons"] == ["signing_key: no signing key: run `registry keys generate`"]

    def test_not_ready_when_the_database_is_unreachable_or_unmigrated(
        self, settings: Settings, scratch_url: str
    ) -> None:
        from api.app import create_app
        from registry.db import make_engine

        ensure_signing_key(settings)
        engine = make_engine(scratch_url)
        try:
            with TestClient(create_app(settings, engine=engine)) as client:
                answer = client.get("/readyz")
        finally:
            engine.dispose()
        assert answer.status_code == 503
        (reason,) = answer.json()["reasons"]
        assert reason.startswith("database: unreachable or unmigrated")

    def test_liveness_does_not_depend_on_keys(self, client: TestClient) -> None:
        assert client.get("/healthz").status_code == 200

    def test_a_shared_store_that_is_down_is_reported_but_not_fatal(
        self, client_for: pytest.FixtureRequest, settings: Settings
    ) -> None:
        ensure_signing_key(settings)
        client = client_for(settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/3"}))  # type: ignore[operator]
        answer = client.get("/readyz")
        assert answer.status_code == 200
        assert answer.json()["checks"]["rate_limits"] == {
            "ok": False,
            "detail": "shared store (Redis) unreachable: limits fail open",
        }


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    assert len(client.get("/healthz").headers["x-request-id"]) == 16
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    unsafe = client.get("/healthz", headers={"X-Request-ID": "a b\tc" + "x" * 80})
    assert unsafe.headers["x-request-id"] != "a b\tc" + "x" * 80
