"""Public pages and login, as a person uses them in Chromium (phone and desktop)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import sqlalchemy as sa
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import LiveServer

Shot = Callable[..., list[Path]]


def _valid_certificate(live_server: LiveServer) -> tuple[str, str]:
    """The number and holder name of the demo's first valid certificate (what a holder would type)."""
    engine = sa.create_engine(live_server.database_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.text(
                    "SELECT c.number, p.name FROM certificate c JOIN person p ON p.id = c.person_id "
                    "WHERE c.status = 'valid' AND c.print_serial = 1 ORDER BY c.number LIMIT 1"
                )
            ).one()
    finally:
        engine.dispose()
    return str(row[0]), str(row[1])


def test_a_body_admin_logs_in_and_out_on_a_phone(phone_page: Page, login: Callable[..., Page], shot: Shot) -> None:
    page = phone_page
    page.goto("/console")
    assert "/login?next=/console" in page.url
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    shot(page, "login")
    page.get_by_label("用户名").fill("admin.chain")
    page.get_by_label("密码").fill("wrong-password-1")
    page.locator("form[action='/login'] button[type=submit]").click()
    expect(page.locator(".field-error")).to_contain_text("用户名或密码错误")
    expect(page.get_by_label("用户名")).to_have_value("admin.chain")
    login(page, "admin.chain")
    expect(page.locator("[data-user]")).to_contain_text("admin.chain")
    expect(page.locator("[data-user]")).to_contain_text("评价机构管理员")
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(lambda url: urlparse(url).path == "/")
    expect(page.locator("[data-user]")).to_have_count(0)
    page.goto("/console")
    assert "/login" in page.url


def test_the_login_page_switches_to_english_and_is_keyboard_usable(page: Page) -> None:
    page.goto("/login")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.locator(".skip")).to_be_focused()
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    page.get_by_label("Username").fill("regulator")
    page.get_by_label("Password").fill("demo-pass-2026")
    page.get_by_label("Password").press("Enter")
    page.wait_for_load_state()
    expect(page.locator("[data-user]")).to_contain_text("regulator")
    expect(page.locator("[data-user]")).to_contain_text("Regulator")


def test_home_then_check_a_demo_certificate_on_a_phone(phone_page: Page, live_server: LiveServer, shot: Shot) -> None:
    page = phone_page
    number, name = _valid_certificate(live_server)
    page.goto("/")
    expect(page.get_by_role("heading", name="新八级工职业技能等级登记系统")).to_be_visible()
    shot(page, "home")
    page.get_by_label("证书编号").fill(number)
    page.get_by_label("持证人姓名").fill(name)
    page.get_by_role("button", name="查询", exact=True).click()
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "valid")
    expect(page.locator(".verdict")).to_contain_text("真实有效")
    expect(page.get_by_text(number)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling"
    shot(page, "lookup-valid")
    page.goto(live_server.demo_link("verify (valid)"))  # the QR code's page, as a phone opens it
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "valid")
    expect(page.locator(".verdict")).to_contain_text("真实有效")
    id_number = re.compile(r"(?<![0-9A-Z])[0-9]{17}[0-9X](?![0-9A-Z])")  # 18 characters, not inside a longer code
    assert not id_number.search(page.content()), "an ID number is never shown in full"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling"
    shot(page, "verify-valid")


def test_a_revoked_certificate_says_when_it_was_revoked(phone_page: Page, live_server: LiveServer, shot: Shot) -> None:
    page = phone_page
    page.goto(live_server.demo_link("verify (revoked)"))
    expect(page.locator("[data-verdict]")).to_have_attribute("data-verdict", "revoked")
    revoked = page.locator("[data-status-changed]")
    expect(revoked).to_contain_text("撤销时间")
    expect(revoked).to_contain_text(re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} 北京时间"))
    shot(page, "verify-revoked")


def test_publicity_list_and_an_objection_on_a_phone(phone_page: Page, shot: Shot) -> None:
    page = phone_page
    page.goto("/")
    page.locator("nav").get_by_role("link", name="结果公示").click()
    expect(page.get_by_role("heading", name="评价结果公示")).to_be_visible()
    batches = page.locator("[data-batch]")
    expect(batches.first).to_be_visible()
    shot(page, "publicity")
    batches.first.get_by_role("link").click()
    rows = page.locator("[data-candidate]")
    expect(rows.first).to_be_visible()
    expect(page.locator("table").first).to_contain_text("*")  # masked names and ID numbers
    page.get_by_label("对哪位考生的结果").select_option(index=1)
    page.get_by_label("异议内容").fill("短")
    page.get_by_label("联系方式").fill("13800000000")
    page.get_by_role("button", name="提交异议").click()  # the browser itself refuses a too-short text
    assert page.locator("#text").evaluate("e => e.validity.tooShort")
    assert "/publicity/" in page.url and "filed=" not in page.url
    page.get_by_label("异议内容").fill("该考生的实操考核由他人代考，请核查考场录像。")
    page.get_by_role("button", name="提交异议").click()
    expect(page.locator("[data-objection]")).to_contain_text("异议已提交")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling"
    shot(page, "publicity-batch")


def test_catalogue_and_equivalences_both_ways(page: Page, phone_page: Page, shot: Shot) -> None:
    page.goto("/bodies")
    bodies = page.locator("article[data-body]")
    expect(bodies.first).to_be_visible()
    assert bodies.count() >= 3
    expect(page.locator("[data-standing]").first).to_be_visible()
    shot(page, "bodies")
    bodies.first.get_by_role("link").first.click()
    expect(page.locator("table.scope")).to_be_visible()
    expect(page.locator("#sanctions")).to_be_visible()
    shot(page, "body")
    phone = phone_page
    phone.goto("/equivalences")
    phone.get_by_label("技能等级", exact=True).select_option("technician")
    phone.get_by_role("button", name="查询", exact=True).click()
    expect(phone.locator("[data-grade='technician']").first).to_be_visible()
    shot(phone, "equivalences-grade")
    phone.get_by_label("学历或职称").select_option("education:bachelor")
    phone.get_by_role("button", name="查询对应的技能等级").click()
    expect(phone.locator("[data-target='bachelor']").first).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scrolling"
    shot(phone, "equivalences-reverse")


def test_api_docs_render_with_the_network_blocked(page: Page, live_server: LiveServer, shot: Shot) -> None:
    own = urlparse(live_server.url).netloc
    refused: list[str] = []

    def only_our_server(route: Route) -> None:
        if urlparse(route.request.url).netloc == own:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.context.route("**/*", only_our_server)
    page.goto("/docs")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible(timeout=30_000)  # a 1.5 MB script and a large document, on a busy box
    assert operations.count() > 50
    expect(page.get_by_text("/api/v1/verify/lookup").first).to_be_visible()
    shot(page, "docs", full_page=False, sizes=("desktop",))
    page.goto("/redoc")
    expect(page.get_by_text("/api/v1/verify/lookup").first).to_be_attached(timeout=30_000)
    expect(page.locator("h1").first).to_contain_text("新八级工")
    shot(page, "redoc", full_page=False, sizes=("desktop",))
    assert refused == [], f"the docs asked for outside resources: {refused}"
