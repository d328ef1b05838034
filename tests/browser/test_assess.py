"""The assessor's score grid and the supervisor's attestation, as they use them in Chromium (desktop and phone).

Demo data: assessor.k1 scores the demo's open batch (half its candidates still wait for scores); supervisor.r1
attests the batch whose scores are all in.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

Shot = Callable[[Page, str], list[Path]]


def _missing(page: Page) -> int:
    return int(page.locator("[data-progress] [data-my-missing]").inner_text())


def test_an_assessor_fills_the_grid_and_sees_what_is_missing_go_down(
    page: Page, login: Callable[..., Page], shot: Shot
) -> None:
    login(page, "assessor.k1")
    assert page.url.endswith("/console/assess")  # an assessor's home
    expect(page.get_by_role("heading", name="我的考务批次")).to_be_visible()
    shot(page, "assess-batches")
    page.locator("tr[data-status=open] a").first.click()
    page.wait_for_url("**/console/assess/batches/**")
    page.wait_for_load_state("load")  # the grid's script listens from DOMContentLoaded: typing earlier saves nothing
    expect(page.locator("[data-score-grid]")).to_be_visible()
    before = _missing(page)
    assert before > 0
    empty = page.locator("input[data-kind][data-missing=true]")
    first = empty.nth(0)
    first_id = first.get_attribute("id")
    first.fill("86.5")
    first.press("Tab")  # leaving the cell saves it
    cell = page.locator(f"#{first_id}").locator("xpath=..")
    expect(cell.locator(".cell-status")).to_have_text("已保存")
    expect(page.locator("[data-progress] [data-my-missing]")).to_have_text(str(before - 1))

    bad = page.locator("input[data-kind][data-missing=true]").nth(0)
    bad_id = bad.get_attribute("id")
    bad.fill("120")
    bad.press("Tab")
    bad_cell = page.locator(f"#{bad_id}").locator("xpath=..")
    expect(bad_cell.locator(".field-error")).to_contain_text("分数应为 0 到 100 之间的数字")
    expect(bad_cell.locator(".field-error")).to_contain_text("a score is a number from 0 to 100")
    expect(page.locator(f"#{bad_id}")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("[data-progress] [data-my-missing]")).to_have_text(str(before - 1))
    shot(page, "assess-grid-error")

    page.locator(f"#{bad_id}").fill("77")
    page.locator(f"#{bad_id}").press("Tab")
    expect(bad_cell.locator(".cell-status")).to_have_text("已保存")
    expect(bad_cell.locator(".field-error")).to_have_count(0)
    expect(page.locator("[data-progress] [data-my-missing]")).to_have_text(str(before - 2))

    page.reload()  # saved for real: the values come back from the server
    expect(page.locator(f"#{first_id}")).to_have_value("86.5")
    expect(page.locator(f"#{bad_id}")).to_have_value("77.0")
    assert _missing(page) == before - 2


def test_an_assessor_saves_a_row_on_a_phone(phone_page: Page, login: Callable[..., Page], shot: Shot) -> None:
    page = phone_page
    login(page, "assessor.k1")
    page.locator("tr[data-status=open] a").first.click()
    page.wait_for_url("**/console/assess/batches/**")
    page.wait_for_load_state("load")  # the grid's script listens from DOMContentLoaded: typing earlier saves nothing
    row = page.locator("tr[data-row-missing]:not([data-row-missing='0'])").first
    expect(row).to_be_visible()
    before = _missing(page)
    ids = [cell.get_attribute("id") for cell in row.locator("input[data-kind][data-missing=true]").all()]
    for n, cell_id in enumerate(ids):
        page.locator(f"#{cell_id}").fill(str(70 + n))
        page.locator(f"#{cell_id}").press("Tab")
        expect(page.locator(f"#{cell_id}").locator("xpath=..").locator(".cell-status")).to_have_text("已保存")
    expect(page.locator("[data-progress] [data-my-missing]")).to_have_text(str(before - len(ids)))
    shot(page, "assess-grid")


def test_the_supervisor_attests_the_complete_batch(page: Page, login: Callable[..., Page], shot: Shot) -> None:
    login(page, "supervisor.r1")
    complete = page.locator("tr[data-status=open]:has([data-missing-total='0']) a")
    expect(complete).to_have_count(1)
    complete.click()
    expect(page.locator("[data-missing-total]")).to_have_text("0")
    expect(page.locator("[data-attest-blocked]")).to_have_count(0)
    page.get_by_label("签署说明（可选）").fill("考务组织规范，回避和监考符合要求")
    shot(page, "assess-attest")
    page.get_by_role("button", name="签署本批次").click()
    expect(page.locator("[data-attested]")).to_be_visible()
    expect(page.locator("[data-batch-status]")).to_have_attribute("data-batch-status", "scored")
    expect(page.locator("[data-attested-at]")).to_contain_text("北京时间")
    page.goto("/console/assess")
    blocked = page.locator("tr[data-status=open]:has([data-missing-total]:not([data-missing-total='0'])) a").first
    blocked.click()  # the batch still being scored: the form says why it cannot be attested yet
    expect(page.locator("[data-attest-blocked]")).to_be_visible()
