"""Logging in, bearer tokens and the ways a token can be wrong."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from fastapi.testclient import TestClient
from jose import jwt
from sqlmodel import Session

from api.security import AUDIENCE, create_access_token
from registry.actor import Role
from registry.keys import derive_key
from registry.settings import Settings
from tests.factories import PASSWORD, login, make_body, make_user


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(user_id: str, settings: Settings, **overrides: object) -> dict[str, object]:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    claims: dict[str, object] = {
        "iss": settings.public_base,
        "aud": AUDIENCE,
        "sub": user_id,
        "typ": "access",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    }
    claims.update(overrides)
    return claims


class TestLogin:
    def test_password_form_returns_a_bearer_token(
        self, client: TestClient, session: Session, settings: Settings
    ) -> None:
        user = make_user(session, settings)
        response = client.post("/api/v1/auth/token", data={"username": user.username, "password": PASSWORD})
        assert response.status_code == 200
        body = response.json()
        assert body["token_type"] == "bearer"
        assert body["expires_in"] == settings.access_token_minutes * 60

    def test_me_shows_the_account(self, client: TestClient, session: Session, settings: Settings) -> None:
        user = make_user(session, settings)
        me = client.get("/api/v1/users/me", headers=login(client, user.username)).json()
        assert (me["username"], me["role"]) == (user.username, "regulator")
        assert "password_hash" not in me

    def test_wrong_password_is_401_without_saying_which_part(
        self, client: TestClient, session: Session, settings: Settings
    ) -> None:
        user = make_user(session, settings)
        wrong = client.post("/api/v1/auth/token", data={"username": user.username, "password": "nope-nope"})
        unknown = client.post("/api/v1/auth/token", data={"username": "no-such-user", "password": "nope-nope"})
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json()

    def test_repeated_failures_lock_with_retry_after(
        self, client: TestClient, session: Session, settings: Settings
    ) -> None:
        user = make_user(session, settings)
        statuses = [
            client.post("/api/v1/auth/token", data={"username": user.username, "password": "bad"}).status_code
            for _ in range(settings.login_max_failures)
        ]
        assert statuses[-1] == 429
        locked = client.post("/api/v1/auth/token", data={"username": user.username, "password": PASSWORD})
        assert locked.status_code == 429
        assert int(locked.headers["Retry-After"]) > 0
        assert locked.json()["error"] == "login_locked"


class TestBadTokens:
    def test_missing_token_is_401(self, client: TestClient) -> None:
        response = client.get("/api/v1/users/me")
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"

    @pytest.mark.parametrize(
        "kind",
        [
            "garbage",
            "alg-none",
            "other-key",
            "tampered",
            "expired",
            "wrong-type",
            "wrong-audience",
            "wrong-issuer",
            "no-expiry",
        ],
    )
    def test_forged_or_stale_tokens_are_401(
        self, client: TestClient, session: Session, settings: Settings, kind: str
    ) -> None:
        user = make_user(session, settings)
        key = derive_key(settings, "access-token")
        claims = _claims(str(user.id), settings)
        token = {
            "garbage": lambda: "not.a.token",
            "alg-none": lambda: f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
            "other-key": lambda: jwt.encode(claims, "another-registry-key-0123456789abcdef", algorithm="HS256"),
            "tampered": lambda: _tamper(jwt.encode(claims, key, algorithm="HS256"), settings),
            "expired": lambda: create_access_token(user, settings, now=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))[0],
            "wrong-type": lambda: jwt.encode({**claims, "typ": "certificate"}, key, algorithm="HS256"),
            "wrong-audience": lambda: jwt.encode({**claims, "aud": "someone-else"}, key, algorithm="HS256"),
            "wrong-issuer": lambda: jwt.encode({**claims, "iss": "https://evil.example"}, key, algorithm="HS256"),
            "no-expiry": lambda: jwt.encode({k: v for k, v in claims.items() if k != "exp"}, key, algorithm="HS256"),
        }[kind]()
        response = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, kind
        assert response.json()["error"] == "authentication_failed"

    def test_disabled_account_token_stops_working(
        self, client: TestClient, session: Session, settings: Settings
    ) -> None:
        user = make_user(session, settings)
        headers = login(client, user.username)
        user.is_active = False
        session.flush()
        assert client.get("/api/v1/users/me", headers=headers).status_code == 401


def _tamper(token: str, settings: Settings) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["role"] = "regulator"
    claims["sub"] = "00000000-0000-0000-0000-000000000000"
    return f"{header}.{_b64(claims)}.{signature}"


class TestUserManagement:
    def test_regulator_creates_a_body_admin(self, client: TestClient, session: Session, settings: Settings) -> None:
        regulator = make_user(session, settings)
        body = make_body(session)
        response = client.post(
            "/api/v1/users",
            headers=login(client, regulator.username),
            json={"username": "admin.new", "role": "body_admin", "body_id": str(body.id), "password": PASSWORD},
        )
        assert response.status_code == 201, response.text
        assert response.json()["body_id"] == str(body.id)

    def test_body_admin_cannot_create_accounts(self, client: TestClient, session: Session, settings: Settings) -> None:
        body = make_body(session)
        admin = make_user(session, settings, role=Role.BODY_ADMIN, body=body)
        response = client.post(
            "/api/v1/users",
            headers=login(client, admin.username),
            json={"username": "sneaky", "role": "regulator", "password": PASSWORD},
        )
        assert response.status_code == 403

    def test_short_password_is_422_naming_the_field(
        self, client: TestClient, session: Session, settings: Settings
    ) -> None:
        regulator = make_user(session, settings)
        response = client.post(
            "/api/v1/users",
            headers=login(client, regulator.username),
            json={"username": "short", "role": "regulator", "password": "abc"},
        )
        assert response.status_code == 422
        assert response.json()["fields"][0]["field"] == "password"
