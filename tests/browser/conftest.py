"""Browser tests: the real application (`registry serve` in a subprocess, demo data) driven by headless Chromium.

One live server per test run (package-scoped, like the browser: Playwright's sync API keeps an event loop running
in the main thread, which must be gone before later tests run asyncio code), on a port the OS hands out, on a
database of the run's kind: a temporary SQLite file, or — with REGISTRY_TEST_DATABASE_URL — a fresh PostgreSQL
database named after it (suffix `_browser`), dropped afterwards. Chromium is the system's (Debian package
`chromium`, or REGISTRY_BROWSER), driven through Playwright for Python with its path given explicitly: nothing
downloads a browser. Without one, every browser test is skipped with one reason, printed in the summary.

Fixtures: live_server (base URL), demo (what `registry demo` printed), browser, page (desktop), phone_page,
login(page, username, password=DEMO_PASSWORD), shot(page, name) → var/screenshots/<db>/<name>.{phone,desktop}.png.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from api.demo import DEMO_PASSWORD
from registry.db import make_engine
from tests.conftest import TEST_SECRET

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Playwright

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SCREENSHOTS = ROOT / "var" / "screenshots"
BROWSER_PATH = os.environ.get("REGISTRY_BROWSER") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
TIMEOUT_MS = 15_000
STARTUP_SECONDS = 60


def _why_not() -> str | None:
    """Why browser tests cannot run here (None: they can)."""
    if not Path(BROWSER_PATH).exists():
        return (
            f"no Chromium at {BROWSER_PATH}: browser tests skipped "
            "(install: `make browser` as root, or apt-get install chromium; or set REGISTRY_BROWSER)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed (pip install -e '.[dev]'): browser tests skipped"
    return None


SKIP_REASON = _why_not()
_outcomes: dict[str, int] = {}


def _is_browser_test(item: pytest.Item) -> bool:
    return HERE in Path(str(item.fspath)).resolve().parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip every browser test, with the one reason, when there is no browser."""
    del config
    if SKIP_REASON is None:
        return
    marker = pytest.mark.skip(reason=SKIP_REASON)
    for item in items:
        if _is_browser_test(item):
            item.add_marker(marker)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count the browser tests' outcomes for the summary line."""
    if not report.nodeid.startswith("tests/browser/"):
        return
    if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
        _outcomes[report.outcome] = _outcomes.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say plainly whether the browser tests ran, and with which browser."""
    if not _outcomes:
        return
    counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(_outcomes.items()))
    if SKIP_REASON is not None:
        terminalreporter.write_line(f"browser tests: {counts} — {SKIP_REASON}", yellow=True, bold=True)
    else:
        terminalreporter.write_line(f"browser tests: {counts} (Chromium {BROWSER_PATH}; screenshots in {SCREENSHOTS})")


# --- the live server ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveServer:
    """The running application: its base URL, database kind, and what the demo printed."""

    url: str
    database_kind: str
    database_url: str
    demo: str

    def demo_link(self, label: str) -> str:
        """The path of a link the demo printed, by its label (e.g. "verify (valid)")."""
        for line in self.demo.splitlines():
            text = line.strip()
            if text.startswith(label + ":"):
                link = text.split(":", 1)[1].split()[0]
                return link.removeprefix(self.url)
        raise AssertionError(f"the demo printed no {label!r} link")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def _browser_database(tmp: Path) -> Iterator[tuple[str, str]]:
    """A fresh database for the live server: (url, kind)."""
    base = os.environ.get("REGISTRY_TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp / 'browser.db'}", "sqlite"
        return
    url = sa.engine.make_url(base)
    name = f"{url.database}_browser"
    admin = make_engine(url.set(database="postgres").render_as_string(hide_password=False))

    def run(statement: str) -> None:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(statement)

    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False), "postgresql"
    finally:
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _server_env(database_url: str, tmp: Path, public_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_") or k == "REGISTRY_BROWSER"}
    env.update(
        {
            "REGISTRY_ENV": "development",
            "REGISTRY_DATABASE_URL": database_url,
            "REGISTRY_SECRET_KEY": TEST_SECRET,
            "REGISTRY_KEY_DIR": str(tmp / "keys"),
            "REGISTRY_JOB_DIR": str(tmp / "jobs"),
            "REGISTRY_PUBLIC_URL": public_url,
            "REGISTRY_ARGON2_TIME_COST": "1",
            "REGISTRY_ARGON2_MEMORY_KIB": "64",
            # Every test logs in and looks up from 127.0.0.1; the limits themselves are tested without a browser.
            "REGISTRY_LOGIN_RATE_PER_MINUTE": "10000",
            "REGISTRY_LOOKUP_RATE_PER_MINUTE": "10000",
            "REGISTRY_THREADS": "4",
        }
    )
    return env


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the live server exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the live server did not answer within {STARTUP_SECONDS} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="package")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """`registry demo` then `registry serve` on an OS-assigned port; stopped (and its database dropped) at the end."""
    if SKIP_REASON is not None:
        pytest.skip(SKIP_REASON)
    tmp = tmp_path_factory.mktemp("live")
    registry = str(Path(sys.executable).with_name("registry"))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with _browser_database(tmp) as (database_url, kind):
        env = _server_env(database_url, tmp, url)
        demo = subprocess.run(
            [registry, "demo"], env=env, cwd=tmp, capture_output=True, text=True, timeout=300, check=False
        )
        assert demo.returncode == 0, demo.stdout + demo.stderr
        log = tmp / "server.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                [registry, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-migrate"],
                env=env,
                cwd=tmp,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            try:
                _wait_until_up(url, process, log)
                yield LiveServer(url=url, database_kind=kind, database_url=database_url, demo=demo.stdout)
            finally:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=5)


# --- the browser ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Playwright]:
    """Playwright's driver (it starts no browser of its own). Package-scoped: the sync API keeps an event loop
    running in the main thread while it lives, so it stops when the browser tests are done — later tests that run
    an event loop of their own (tests/test_read_path.py's async pool) would fail otherwise."""
    if SKIP_REASON is not None:
        pytest.skip(SKIP_REASON)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
 <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
 <dir>{fonts}</dir>
 <cachedir>{cache}</cachedir>
</fontconfig>
"""


@pytest.fixture(scope="package")
def browser(playwright_driver: Playwright, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """The system's Chromium, headless, launched from its explicit path.

    Fontconfig also sees the CJK font the certificates ship (WenQuanYi Micro Hei), so Chinese renders in the
    screenshots on a machine with no CJK font installed (phones and desktops have their own).
    """
    folder = tmp_path_factory.mktemp("fontconfig")
    conf = folder / "fonts.conf"
    conf.write_text(FONTS_CONF.format(fonts=ROOT / "certificates" / "fonts", cache=folder / "cache"))
    env = {**os.environ, "FONTCONFIG_FILE": str(conf)}
    chromium = playwright_driver.chromium.launch(executable_path=BROWSER_PATH, headless=True, args=FLAGS, env=env)
    yield chromium
    chromium.close()


def _page(browser: Browser, live_server: LiveServer, *, phone: bool) -> Iterator[Page]:
    options: dict[str, Any] = {
        "base_url": live_server.url,
        "viewport": PHONE if phone else DESKTOP,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
    }
    if phone:
        options.update(is_mobile=True, has_touch=True, device_scale_factor=2)
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A desktop-sized tab (1280×900) of its own (fresh cookies), relative URLs go to the live server."""
    yield from _page(browser, live_server, phone=False)


@pytest.fixture
def phone_page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A phone-sized tab (390×844, touch) of its own."""
    yield from _page(browser, live_server, phone=True)


@pytest.fixture
def login() -> Callable[..., Page]:
    """Log a tab in through the login form: login(page, username, password=DEMO_PASSWORD)."""

    def log_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> Page:
        page.goto("/login")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        with page.expect_navigation():
            page.locator("form[action='/login'] button[type=submit]").click()
        if page.url.rstrip("/").endswith("/login"):
            raise AssertionError(f"login as {username} failed: {page.locator('.field-error').all_inner_texts()}")
        return page

    return log_in


@pytest.fixture
def shot(live_server: LiveServer) -> Callable[..., list[Path]]:
    """Screenshot a page at phone and desktop size: shot(page, name, full_page=True, sizes=("phone", "desktop"))
    → var/screenshots/<db>/<name>.<size>.png (full_page=False for very long pages: the first screen only)."""
    folder = SCREENSHOTS / live_server.database_kind
    folder.mkdir(parents=True, exist_ok=True)

    def take(
        page: Page, name: str, *, full_page: bool = True, sizes: tuple[str, ...] = ("phone", "desktop")
    ) -> list[Path]:
        original = page.viewport_size
        paths = []
        for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            if size not in sizes:
                continue
            page.set_viewport_size(viewport)
            path = folder / f"{name}.{size}.png"
            page.screenshot(path=str(path), full_page=full_page)
            paths.append(path)
        if original is not None:
            page.set_viewport_size(original)
        return paths

    return take
