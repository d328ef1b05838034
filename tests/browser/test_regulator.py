"""The regulator's console in Chromium: review and approve a filing, read the statistics and a flag, spot-check,
sanction a fraudulent batch and see its certificate revoked on verification, search the audit log."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from registry.clock import today

Shot = Callable[[Page, str], list[Path]]
Login = Callable[..., Page]


def _last_demo_exam_day() -> str:
    """The day of the demo year's last monthly batches (api/demo_regulator.py): three bodies examined then, each
    batch with awards and certificates — whichever the sample draws can be found fraudulent."""
    first = (today().replace(day=1) - dt.timedelta(days=31)).replace(day=1)
    return (first + dt.timedelta(days=12)).isoformat()


def test_the_regulator_approves_a_submitted_filing_reading_its_rule_report(
    page: Page, login: Login, shot: Shot
) -> None:
    login(page, "regulator")
    page.goto("/console/regulator/filings")
    row = page.locator("tr", has_text="岭南高级技工学校").first
    row.get_by_role("link", name=re.compile("审核")).click()
    expect(page.get_by_role("heading", name="规则检查报告")).to_be_visible()
    rules = page.locator(".rg-rule")
    assert rules.count() > 3
    expect(page.locator(".rg-rule cite").first).to_have_text(re.compile(r"^00[0-4]:\d+"))
    expect(page.locator(".rg-rule").first).to_contain_text("来源")
    shot(page, "regulator-filing")
    page.get_by_label(re.compile("批准备案")).check()
    page.get_by_label("审核意见（记入审计日志）").fill("材料齐全，同意备案（浏览器测试）")
    page.get_by_role("button", name="提交决定").click()
    expect(page.locator(".rg-done")).to_contain_text("备案已批准")
    expect(page.locator("h1 .rg-badge")).to_have_text("已备案")


def test_statistics_show_charts_and_a_flag_explains_itself(page: Page, login: Login, shot: Shot) -> None:
    login(page, "regulator")
    page.goto("/console/regulator/stats")
    chart = page.locator("#chart-grade svg[role=img]")
    expect(chart).to_be_visible()
    expect(page.locator("#chart-grade-t")).to_have_text("按等级发证数")
    expect(page.locator(".rg-target").first).to_contain_text("000:26")
    expect(page.locator(".rg-kpis")).to_contain_text("高技能人才占比")
    shot(page, "regulator-stats")
    page.get_by_label("城市代码").fill("12")
    page.get_by_role("button", name="统计", exact=True).click()
    expect(page.locator("#city_code-error")).to_contain_text("六位城市代码")
    page.goto("/console/regulator/anomalies?rule=hasty_close")
    page.locator("ul.rg-flaglist li").first.get_by_role("link", name=re.compile("详情")).click()
    expect(page.get_by_role("heading", name=re.compile("批次结束过快"))).to_be_visible()
    figures = page.locator(".rg-figures")
    expect(figures).to_contain_text("同类基准")
    expect(figures).to_contain_text("阈值")
    expect(page.locator("section.rg-box")).to_contain_text("为什么重要")
    expect(page.get_by_role("link", name="查看机构")).to_be_visible()
    shot(page, "regulator-anomaly")


def test_a_spot_check_finding_leads_to_revoking_a_batch_whose_certificate_then_verifies_as_revoked(
    page: Page, phone_page: Page, login: Login, shot: Shot
) -> None:
    login(page, "regulator")
    page.goto("/console/regulator/samples")
    page.get_by_label("抽查对象").select_option("batches")
    page.get_by_label("样本量").fill("2")
    page.get_by_label("随机种子（可选）").fill("2026")
    page.get_by_label("起始日期").fill(_last_demo_exam_day())
    page.get_by_label("结束日期").fill(_last_demo_exam_day())
    page.get_by_label("抽查事由（记入审计日志）").fill("年度双随机抽查（浏览器测试）")
    page.get_by_role("button", name="抽取").click()
    expect(page.locator(".rg-seed")).to_have_text("2026")
    items = page.locator("ol.rg-items > li")
    expect(items).to_have_count(2)
    first = items.first
    first.get_by_label("结论").select_option("fraud")
    first.get_by_label("核查情况（记入审计日志）").fill("考场无监控记录，考生未到场却有成绩")
    first.get_by_role("button", name="记录发现").click()
    expect(page.locator(".rg-done")).to_contain_text("发现已记录")
    expect(page.locator(".rg-f-fraud").first).to_contain_text("虚假评价")
    shot(page, "regulator-sample")

    page.locator(".rg-f-fraud").first.get_by_role("link", name="据此发现处罚…").click()
    expect(page.get_by_label("处罚种类")).to_have_value("revoke_batch")
    page.get_by_label(re.compile("处罚理由")).fill("抽查认定虚假评价，撤销该批次证书（浏览器测试）")
    page.get_by_role("button", name="预演：查看将改变什么").click()
    expect(page.locator(".rg-warn")).to_contain_text("尚未执行任何更改")
    numbers = page.locator("ul.rg-numbers li code")
    assert numbers.count() >= 1
    first_number = numbers.first.inner_text()
    expect(page.locator(".rg-counts")).to_contain_text("撤销的证书")
    shot(page, "regulator-sanction-plan")
    page.get_by_role("button", name="确认执行").click()
    expect(page.locator(".rg-done")).to_contain_text("处罚已执行")
    link = page.get_by_role("link", name=first_number)
    href = link.get_attribute("href")
    assert href and href.startswith("/v/")

    phone_page.goto(href)
    expect(phone_page.locator(".verdict")).to_contain_text("已撤销")
    shot(phone_page, "regulator-revoked-verification")


def test_the_audit_log_is_searched_and_its_chain_checked(page: Page, login: Login, shot: Shot) -> None:
    login(page, "regulator")
    page.goto("/console/regulator/audit")
    page.get_by_label("对象类型").fill("sanction")
    page.get_by_role("button", name="查询").click()
    rows = page.locator("table.rg-audit tbody tr")
    expect(rows.first).to_contain_text("sanction.imposed")
    shot(page, "regulator-audit")
    page.get_by_role("link", name="检查哈希链完整性").click()
    expect(page.locator(".rg-verdict")).to_contain_text("完整")
