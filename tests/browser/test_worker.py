"""A worker claims the demo's unclaimed certificate on a phone, sets a password, logs in, sees the lifelong record,
downloads the PDF and copies a verification link."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer

Shot = Callable[[Page, str], list[Path]]
CLAIM = re.compile(r"certificate number (\S+) · name (\S+) · ID number (\S+)")
PASSWORD = "my-own-pass-2026"


def test_a_worker_claims_their_record_on_a_phone_and_shares_it(
    phone_page: Page, live_server: LiveServer, login: Callable[..., Page], shot: Shot
) -> None:
    found = CLAIM.search(live_server.demo)
    assert found, "the demo prints the details of an unclaimed certificate"
    number, name, id_number = found.groups()
    page = phone_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto("/")
    page.goto("/claim")
    expect(page.get_by_role("heading", name="认领我的技能等级记录")).to_be_visible()
    page.get_by_label("证书编号").fill(number)
    page.get_by_label("姓名").fill(name)
    page.get_by_label("证件号码").fill(id_number[:-1] + ("0" if id_number[-1] != "0" else "1"))
    page.get_by_role("button", name="核对").click()
    expect(page.locator("[data-claim-error]")).to_contain_text("核对不一致")  # names no field
    expect(page.get_by_label("证书编号")).to_have_value(number)
    shot(page, "claim")
    page.get_by_label("证件号码").fill(id_number)
    page.get_by_role("button", name="核对").click()
    expect(page.locator("[data-claim-matched]")).to_be_visible()
    page.get_by_label("用户名").fill("worker.claimed")
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("再次输入密码").fill(PASSWORD)
    shot(page, "claim-account")
    page.get_by_role("button", name="创建账号并登录").click()
    expect(page.locator("[data-welcome]")).to_be_visible()
    expect(page.locator("[data-person-name]")).to_have_text(name)

    # log out and in again with the new password: the worker lands on the record
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_load_state()
    login(page, "worker.claimed", PASSWORD)
    assert page.url.endswith("/console/me")
    record = page.locator(f"section:has([data-certificate='{number}'])")
    expect(record.locator("[data-certificate-status]")).to_have_text("有效")
    expect(page.locator("[data-award]")).to_have_count(2)  # a pre-registry 初级工, then 高级工 by recognition
    expect(page.get_by_text("系统上线前取得的证书")).to_be_visible()

    with page.expect_download() as download:
        record.locator("[data-pdf]").click()
    pdf = Path(download.value.path())
    assert pdf.read_bytes().startswith(b"%PDF")
    assert download.value.suggested_filename == f"{number}.pdf"

    record.get_by_text("分享核验链接").click()
    record.get_by_label("用途（对方将看到）").fill("应聘焊接技师岗位")
    record.get_by_label("有效天数（1–90）").fill("30")
    record.get_by_role("button", name="生成链接").click()
    link = page.locator("[data-share-url]")
    expect(link).to_have_value(re.compile(r"/s/[A-Za-z0-9_-]{20,}$"))
    url = link.input_value()
    page.locator("[data-new-link] [data-copy]").click()
    expect(page.locator("[data-new-link] [data-copy]")).to_have_attribute("data-copied", "true")
    assert page.evaluate("navigator.clipboard.readText()") == url
    shot(page, "worker-record")

    page.goto(url.removeprefix(live_server.url))  # what the employer sees: the verdict and the purpose
    expect(page.get_by_text("应聘焊接技师岗位")).to_be_visible()
