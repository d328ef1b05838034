"""Public pages and login, as a person uses them in Chromium (phone and desktop)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

Shot = Callable[[Page, str], list[Path]]


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
    page.wait_for_url(lambda url: url.rstrip("/").count("/") == 2)
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
