"""Console sessions: login form, cookie flags, CSRF on every form, logout, and the bearer API left alone."""

from __future__ import annotations

import datetime as dt
from http.cookies import SimpleCookie

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.console.session import CSRF_COOKIE, SESSION_COOKIE, safe_next
from registry.accounts.models import LoginThrottle, UserAccount, WebSession
from registry.accounts.web_sessions import token_hash
from registry.actor import Role
from registry.clock import utcnow
from registry.jobs.models import JobKind
from registry.jobs.service import create_job
from registry.settings import Settings
from tests.conftest import ClientFactory
from tests.console.support import csrf_from, page_login
from tests.factories import make_user


@pytest.fixture
def browser(client: TestClient) -> TestClient:
    """The app as a browser on https sees it (the test settings' public URL is https, so cookies are Secure)."""
    client.base_url = client.base_url.copy_with(scheme="https")
    return client


def _set_cookie(response: object, name: str) -> SimpleCookie:
    headers = [v for k, v in response.headers.multi_items() if k == "set-cookie"]  # type: ignore[attr-defined]
    for header in headers:
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        if name in cookie:
            return cookie
    raise AssertionError(f"no Set-Cookie for {name}: {headers}")


def _login_post(browser: TestClient, username: str, password: str, **extra: str) -> object:
    token = csrf_from(browser.get("/login").text)
    data = {"username": username, "password": password, "csrf_token": token, **extra}
    return browser.post("/login", data=data, follow_redirects=False)


def test_login_form_sets_an_httponly_csrf_cookie(browser: TestClient) -> None:
    response = browser.get("/login")
    assert response.status_code == 200
    assert 'name="csrf_token"' in response.text
    morsel = _set_cookie(response, CSRF_COOKIE)[CSRF_COOKIE]
    assert morsel["httponly"] and morsel["samesite"] == "lax" and morsel["secure"]


def test_login_without_a_csrf_token_is_refused(browser: TestClient, session: Session, settings: Settings) -> None:
    make_user(session, settings, username="reg.csrf")
    browser.get("/login")
    response = browser.post("/login", data={"username": "reg.csrf", "password": "irrelevant"}, follow_redirects=False)
    assert response.status_code == 403
    assert "表单已失效" in response.text and "did not come from this site" in response.text
    assert SESSION_COOKIE not in response.cookies


def test_login_with_another_browsers_token_is_refused(
    browser: TestClient, client_for: ClientFactory, session: Session, settings: Settings
) -> None:
    from tests.factories import PASSWORD

    make_user(session, settings, username="reg.other")
    stranger = client_for(settings)
    stranger.base_url = stranger.base_url.copy_with(scheme="https")
    foreign = csrf_from(stranger.get("/login").text)
    browser.get("/login")
    response = browser.post(
        "/login",
        data={"username": "reg.other", "password": PASSWORD, "csrf_token": foreign},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_login_sets_a_secure_httponly_lax_session_cookie_and_stores_only_its_hash(
    browser: TestClient, session: Session, settings: Settings
) -> None:
    from tests.factories import PASSWORD

    user = make_user(session, settings, username="reg.cookie")
    response = _login_post(browser, "reg.cookie", PASSWORD)
    assert response.status_code == 303  # type: ignore[attr-defined]
    morsel = _set_cookie(response, SESSION_COOKIE)[SESSION_COOKIE]
    assert morsel["httponly"] and morsel["samesite"] == "lax" and morsel["secure"]
    assert morsel["path"] == "/"
    rows = session.exec(select(WebSession).where(WebSession.user_id == user.id)).all()
    assert [row.token_hash for row in rows] == [token_hash(morsel.value)]
    assert morsel.value not in rows[0].token_hash
    assert rows[0].expires_at - rows[0].created_at == dt.timedelta(hours=settings.session_hours)


def test_the_session_cookie_is_not_secure_on_a_plain_http_development_url(
    client_for: ClientFactory, session: Session, settings: Settings
) -> None:
    from tests.factories import PASSWORD

    plain = client_for(settings.model_copy(update={"public_url": "http://127.0.0.1:8000"}))
    make_user(session, settings, username="reg.plain")
    response = _login_post(plain, "reg.plain", PASSWORD)
    morsel = _set_cookie(response, SESSION_COOKIE)[SESSION_COOKIE]
    assert not morsel["secure"] and morsel["httponly"]


def test_production_cookies_are_secure_even_behind_an_http_public_url(settings: Settings) -> None:
    from api.console.session import cookie_secure

    assert cookie_secure(settings.model_copy(update={"env": "production", "public_url": "http://registry.local"}))
    assert not cookie_secure(settings.model_copy(update={"public_url": "http://127.0.0.1:8000"}))


def test_login_goes_on_to_next_or_the_roles_page(browser: TestClient, session: Session, settings: Settings) -> None:
    make_user(session, settings, username="reg.next")
    assert page_login(browser, "reg.next", next_path="/console/jobs/x") == "/console/jobs/x"
    assert page_login(browser, "reg.next") in {"/console", *(i.href for i in _nav(Role.REGULATOR))}


def _nav(role: Role) -> list:  # type: ignore[type-arg]
    from api.console.session import NAV

    return NAV[role]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/console/body", "/console/body"),
        ("//evil.example/x", "/home"),
        ("https://evil.example/", "/home"),
        ("/\\evil.example", "/home"),
        ("", "/home"),
    ],
)
def test_login_never_redirects_off_site(value: str, expected: str) -> None:
    assert safe_next(value, "/home") == expected


def test_wrong_password_shows_the_error_next_to_the_form_and_counts_the_failure(
    browser: TestClient, session: Session, settings: Settings
) -> None:
    make_user(session, settings, username="reg.wrong")
    response = _login_post(browser, "reg.wrong", "not-the-password")
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert 'class="field-error"' in response.text and "用户名或密码错误" in response.text  # type: ignore[attr-defined]
    assert SESSION_COOKIE not in response.cookies  # type: ignore[attr-defined]
    throttle = session.get(LoginThrottle, "reg.wrong")
    assert throttle is not None and throttle.failures == 1


def test_logins_are_limited_per_client(client_for: ClientFactory, session: Session, settings: Settings) -> None:
    limited = client_for(settings.model_copy(update={"login_rate_per_minute": 2}))
    limited.base_url = limited.base_url.copy_with(scheme="https")
    make_user(session, settings, username="reg.limit")
    for _ in range(2):
        assert _login_post(limited, "reg.limit", "wrong-password").status_code == 401  # type: ignore[attr-defined]
    response = _login_post(limited, "reg.limit", "wrong-password")
    assert response.status_code == 429  # type: ignore[attr-defined]
    assert "登录尝试过于频繁" in response.text and response.headers["Retry-After"]  # type: ignore[attr-defined]


def test_repeated_failures_lock_the_username(client_for: ClientFactory, session: Session, settings: Settings) -> None:
    from tests.factories import PASSWORD

    strict = client_for(settings.model_copy(update={"login_max_failures": 2}))
    strict.base_url = strict.base_url.copy_with(scheme="https")
    make_user(session, settings, username="reg.lock")
    _login_post(strict, "reg.lock", "wrong-password")
    assert _login_post(strict, "reg.lock", "wrong-password").status_code == 429  # type: ignore[attr-defined]
    response = _login_post(strict, "reg.lock", PASSWORD)
    assert response.status_code == 429  # type: ignore[attr-defined]
    assert "登录失败次数过多" in response.text  # type: ignore[attr-defined]


def test_pages_need_a_login_and_come_back_after_it(browser: TestClient) -> None:
    response = browser.get("/console", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/console"


def test_logout_ends_the_session_at_once(browser: TestClient, session: Session, settings: Settings) -> None:
    make_user(session, settings, username="reg.out")
    page_login(browser, "reg.out")
    stolen = browser.cookies[SESSION_COOKIE]
    page = browser.get("/console")
    assert page.status_code == 200 and "reg.out" in page.text
    response = browser.post("/logout", data={"csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert response.status_code == 303
    assert session.exec(select(WebSession).where(WebSession.token_hash == token_hash(stolen))).first() is None
    browser.cookies.set(SESSION_COOKIE, stolen, domain="testserver")
    assert browser.get("/console", follow_redirects=False).status_code == 303


def test_logout_without_the_token_is_refused_and_keeps_the_session(
    browser: TestClient, session: Session, settings: Settings
) -> None:
    make_user(session, settings, username="reg.keep")
    page_login(browser, "reg.keep")
    assert browser.post("/logout", data={}, follow_redirects=False).status_code == 403
    assert browser.get("/console", follow_redirects=False).status_code in {200, 303}
    assert "reg.keep" in browser.get("/console").text


def test_a_disabled_account_is_logged_out_at_once(browser: TestClient, session: Session, settings: Settings) -> None:
    user = make_user(session, settings, username="reg.off")
    page_login(browser, "reg.off")
    user.is_active = False
    session.flush()
    response = browser.get("/console", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_an_expired_session_is_logged_out(browser: TestClient, session: Session, settings: Settings) -> None:
    user = make_user(session, settings, username="reg.old")
    page_login(browser, "reg.old")
    row = session.exec(select(WebSession).where(WebSession.user_id == user.id)).one()
    row.created_at = utcnow() - dt.timedelta(hours=10)
    row.expires_at = utcnow() - dt.timedelta(seconds=1)
    session.flush()
    assert browser.get("/console", follow_redirects=False).status_code == 303


def test_the_bearer_api_ignores_the_session_cookie(browser: TestClient, session: Session, settings: Settings) -> None:
    make_user(session, settings, username="reg.api")
    page_login(browser, "reg.api")
    assert browser.get("/api/v1/users/me").status_code == 401
    created = browser.post(
        "/api/v1/users", json={"username": "made.by.cookie", "role": "regulator", "password": "long-enough-pass"}
    )
    assert created.status_code == 401
    assert session.exec(select(UserAccount).where(UserAccount.username == "made.by.cookie")).first() is None


def test_pages_refuse_framing_and_caching(browser: TestClient) -> None:
    response = browser.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_the_language_choice_is_remembered(browser: TestClient) -> None:
    assert "Log in" in browser.get("/login?lang=en").text
    assert 'lang="en"' in browser.get("/login").text
    assert 'lang="zh-CN"' in browser.get("/login?lang=zh").text


def test_a_job_page_shows_only_the_owners_job(browser: TestClient, session: Session, settings: Settings) -> None:
    owner = make_user(session, settings, username="reg.jobs")
    make_user(session, settings, username="reg.snoop")
    from api.security import actor_for

    job, _ = create_job(
        session,
        actor=actor_for(session, owner),
        kind=JobKind.EXPORT_CERTIFICATES,
        params={},
        total=3,
        idempotency_key=None,
    )
    page_login(browser, "reg.jobs")
    page = browser.get(f"/console/jobs/{job.id}")
    assert page.status_code == 200 and f'data-job-progress="/console/jobs/{job.id}/progress"' in page.text
    assert browser.get(f"/console/jobs/{job.id}/progress").json()["total"] == 3
    page_login(browser, "reg.snoop")
    other = browser.get(f"/console/jobs/{job.id}")
    assert other.status_code == 404 and other.headers["content-type"].startswith("text/html")
    assert browser.get(f"/console/jobs/{job.id}/progress").status_code == 404
