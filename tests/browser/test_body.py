"""The body admin's main tasks in Chromium, as the demo body's admin (admin.plant, 顺德精工五金): a filing from draft
to submission with its rule report; an exam batch from creation through a refused and a fixed upload to 公示; a
certificate found, its PDF downloaded, revoked with a reason."""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from api import builders
from api.demo import DEMO_PASSWORD, demo_uscc
from registry.clock import today

Shot = Callable[[Page, str], list[Path]]
ADMIN = "admin.plant"
PLANT_USCC = demo_uscc(2, "440600")


def _people(count: int) -> list[tuple[str, str]]:
    """Fresh fictional candidates (name, 居民身份证号码) no demo person has."""
    draw = random.Random()
    names = ["陈晓东", "林佳怡", "黄志明", "周雪梅", "吴建国"]
    return [
        (
            names[i % len(names)],
            builders.resident_id(
                "440606", dt.date(1980, 1, 1) + dt.timedelta(days=draw.randrange(8000)), draw.randrange(100, 999)
            ),
        )
        for i in range(count)
    ]


def _api(base: str, method: str, path: str, *, token: str | None = None, body: object = None) -> dict[str, object]:
    """Call the JSON API of the live server (the supervisor's attestation is their own page's work)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if isinstance(body, dict) and token is None:
        data = urllib.parse.urlencode(body).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=30) as answer:
        result: dict[str, object] = json.loads(answer.read())
        return result


def test_a_filing_is_drafted_given_a_scope_line_and_submitted_with_its_rule_report(
    page: Page, login: Callable[..., Page], shot: Shot
) -> None:
    login(page, ADMIN)
    page.goto("/console/body/filings")
    expect(page.get_by_role("heading", name="自主评价备案")).to_be_visible()
    page.get_by_role("link", name="新建备案草稿").first.click()
    page.get_by_label("最高评价等级（备案上限）").select_option("technician")
    page.get_by_label("开始日期").fill((today() + dt.timedelta(days=30)).isoformat())
    page.get_by_label("截止日期").fill((today() + dt.timedelta(days=3 * 365)).isoformat())
    page.get_by_label("职业编码").fill("6-18-02")  # a typo: refused next to the field, nothing stored
    page.get_by_role("button", name="保存草稿").click()
    expect(page.locator("#occupation_code-error")).to_contain_text("格式不正确")
    page.get_by_label("职业编码").fill("6-18-02-04")
    page.get_by_label("最高评价等级", exact=True).select_option("technician")
    page.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_role("heading", name=re.compile("备案"))).to_contain_text("草稿")
    page.get_by_text("添加评价范围").click()
    line = page.locator("#add-line")
    line.get_by_label("职业编码").fill("6-20-01-01")
    line.get_by_label("最高评价等级").select_option("senior")
    line.get_by_role("button", name="添加").click()
    expect(page.locator("#lines")).to_contain_text("6-20-01-01")
    expect(page.locator("#report")).to_contain_text("草稿预览")
    page.get_by_role("button", name="提交备案").click()
    expect(page.get_by_role("heading", name=re.compile("备案"))).to_contain_text("已提交待审")
    report = page.locator("#report")
    expect(report.locator("tr.outcome-passed").first).to_be_visible()
    expect(report.locator("cite.citation").first).to_have_text(re.compile(r"^00[0-4]:\d+"))
    expect(page.locator("ol.history")).to_contain_text("filing.submitted")
    shot(page, "body-filing-submitted")


def test_a_batch_is_created_its_bad_upload_refused_row_by_row_then_followed_to_publicity(
    page: Page, login: Callable[..., Page], shot: Shot, live_server: object
) -> None:
    base = str(live_server.url)  # type: ignore[attr-defined]
    login(page, ADMIN)
    page.goto("/console/body/batches/new")
    page.locator("#scope").select_option("6-18-02-04|")
    page.get_by_label("考核等级").select_option("junior")
    page.get_by_label("考核日期").fill((today() + dt.timedelta(days=1)).isoformat())
    page.get_by_label("考点").fill("顺德职业技能实训基地 3 号车间")
    page.get_by_label(re.compile("K44060001")).check()
    page.get_by_label(re.compile("K44060002")).check()
    supervisor_card = page.locator("#supervisor_id option", has_text="R44060001").get_attribute("value")
    page.get_by_label("质量督导员").select_option(supervisor_card)
    page.get_by_role("button", name="创建批次").click()
    expect(page.locator("#next-what")).to_contain_text("上传考生名单")
    batch_id = page.url.rsplit("/", 1)[1]

    people = _people(3)
    broken = people[1][1][:-1] + ("0" if people[1][1][-1] != "0" else "1")
    header = "name,id_number,employer_uscc\n"
    bad = header + "".join(f"{n},{broken if k == 1 else i},{PLANT_USCC}\n" for k, (n, i) in enumerate(people))
    good = header + "".join(f"{n},{i},{PLANT_USCC}\n" for n, i in people)
    upload = page.get_by_label(re.compile("^考生名单"))
    upload.set_input_files({"name": "考生.csv", "mimeType": "text/csv", "buffer": bad.encode()})
    page.get_by_role("button", name="上传考生名单").click()
    bad_row = page.locator("table.rows tr.bad")
    expect(bad_row).to_have_count(1)
    expect(bad_row).to_contain_text(broken)
    expect(bad_row).to_contain_text("校验位")
    expect(page.locator("table.rows tr.good")).to_have_count(2)
    expect(page.locator("#h-candidates")).to_contain_text("(0)")  # nothing was stored
    shot(page, "body-batch-upload-refused")

    page.get_by_label(re.compile("^考生名单")).set_input_files(
        {"name": "考生.csv", "mimeType": "text/csv", "buffer": good.encode()}
    )
    page.get_by_role("button", name="上传考生名单").click()
    expect(page.locator(".notice")).to_contain_text("已报名 3 名考生")
    expect(page.locator("#h-candidates")).to_contain_text("(3)")
    page.get_by_role("button", name="开考").click()
    expect(page.locator("#next-what")).to_contain_text("项分数未录入")

    results = "id_number,name,component,score,assessor_card\n" + "".join(
        f"{i},{n},{kind},{82 + k},{card}\n"
        for k, (n, i) in enumerate(people)
        for kind in ("theory_exam", "skill_operation")
        for card in ("K44060001", "K44060002")
    )
    page.get_by_label(re.compile("^成绩表")).set_input_files(
        {"name": "成绩.csv", "mimeType": "text/csv", "buffer": results.encode()}
    )
    page.get_by_role("button", name="上传成绩表").click()
    expect(page.locator(".notice")).to_contain_text("已导入 12 项分数")
    expect(page.locator("#next-what")).to_contain_text("等待质量督导员签署")

    supervisor = _api(base, "POST", "/api/v1/auth/token", body={"username": "supervisor.r1", "password": DEMO_PASSWORD})
    _api(base, "POST", f"/api/v1/sessions/{batch_id}/attest", token=str(supervisor["access_token"]), body={"note": ""})
    page.reload()
    page.get_by_role("button", name="定稿").click()
    expect(page.locator("#next-what")).to_contain_text("可以发布公示")
    page.get_by_role("button", name="发布公示").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("公示中")
    expect(page.locator("#next-what")).to_contain_text("公示截止")
    expect(page.locator("ol.history")).to_contain_text("session.published")
    shot(page, "body-batch-published")


def test_a_certificate_is_found_downloaded_and_revoked_with_a_reason(
    page: Page, login: Callable[..., Page], shot: Shot, tmp_path: Path
) -> None:
    login(page, ADMIN)
    # a junior welder from the demo's closed batch: no other journey uses these certificates
    page.goto("/console/body/certificates?status=valid&grade=junior&occupation_code=6-18-02-04")
    number = page.locator("table a code").last.inner_text()
    page.get_by_label("证书编号").fill(number)
    page.get_by_role("button", name="查找").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)
    expect(page.locator("#certificate-status")).to_have_text("有效")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 PDF").click()
    saved = tmp_path / "certificate.pdf"
    download.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
    revoke = page.locator("form[action$='/revoke']")
    revoke.get_by_role("button", name="撤销证书").click()  # no reason: refused next to the fields
    expect(page.locator("#reason-error")).to_contain_text("请选择撤销原因")
    expect(page.locator("#certificate-status")).to_have_text("有效")
    revoke = page.locator("form[action$='/revoke']")
    revoke.get_by_label("撤销原因").select_option("issued_in_error")
    revoke.get_by_label("说明（必填）").fill("持证人姓名录入错误，作废后重新评价发证")
    revoke.get_by_role("button", name="撤销证书").click()
    expect(page.locator("#certificate-status")).to_have_text("已撤销")
    expect(page.locator("dl.facts")).to_contain_text("持证人姓名录入错误")
    expect(page.locator("ol.history")).to_contain_text("certificate.revoked")
    shot(page, "body-certificate-revoked")
    page.goto("/console/body")
    shot(page, "body-home")
