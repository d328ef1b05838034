"""The regulator's console pages: regulator only, CSRF on every form, reasons required, the sanction dry run
changes nothing, and each page calls the same services (and refusals) as the JSON API."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from api.console import regulator as pages
from assessment.assessors.models import Assessor, AssessorKind, AssessorStatus
from certificates.models import Certificate, CertificateStatus
from registry.actor import Role
from registry.audit.models import AuditEvent
from registry.bodies.models import BodyStatus, EvaluationBody
from registry.bodies.service import set_body_status
from registry.filings.models import Filing, FilingStatus
from registry.settings import Settings
from regulator.models import Sanction, SpotSample
from tests.console.support import csrf_from, page_login
from tests.factories import SYSTEM, make_assessor, make_body, make_certificate, make_filing, make_user, valid_id
from tests.test_regulator_sanctions import Fraud, fraud  # noqa: F401 - the fixture, reused

PREFIX = "/console/regulator"


@pytest.fixture
def browser(client: TestClient) -> TestClient:
    """The app as a browser on https sees it (the test settings' public URL is https: cookies are Secure)."""
    client.base_url = client.base_url.copy_with(scheme="https")
    return client


@pytest.fixture
def regulator(browser: TestClient, session: Session, settings: Settings) -> TestClient:
    """A browser logged in to the console as a regulator."""
    make_user(session, settings, username="reg.console")
    page_login(browser, "reg.console")
    return browser


def _token(client: TestClient, path: str = PREFIX) -> str:
    return csrf_from(client.get(path).text)


def _post(client: TestClient, path: str, data: dict[str, Any], *, csrf: bool = True) -> Any:
    form = {**data, **({"csrf_token": _token(client, f"{PREFIX}/samples")} if csrf else {})}
    return client.post(path, data=form, follow_redirects=False)


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ------------------------------------------------------------------------------------------------ who may enter


def _routes() -> list[tuple[str, str]]:
    ids = {name: str(uuid.uuid4()) for name in ("filing_id", "body_id", "assessor_id", "sample_id", "item_id")}
    ids["sanction_id"] = str(uuid.uuid4())
    ids["fmt"] = "csv"
    out = []
    for route in pages.router.routes:
        path = route.path  # type: ignore[attr-defined]
        for name, value in ids.items():
            path = path.replace("{" + name + "}", value)
        out.extend((method, path) for method in sorted(route.methods))  # type: ignore[attr-defined]
    return out


def test_every_page_and_form_refuses_a_body_admin(browser: TestClient, session: Session, settings: Settings) -> None:
    body = make_body(session)
    make_user(session, settings, role=Role.BODY_ADMIN, body=body, username="admin.nosy")
    page_login(browser, "admin.nosy")
    token = csrf_from(browser.get("/console").text)  # the layout's logout form
    before = session.exec(select(func.count()).select_from(AuditEvent)).one()
    for method, path in _routes():
        data = {"csrf_token": token, "reason": "越权尝试", "note": "越权尝试"} if method == "POST" else None
        response = browser.request(method, path, data=data, follow_redirects=False)
        assert response.status_code == 403, (method, path, response.status_code)
    assert session.exec(select(func.count()).select_from(AuditEvent)).one() == before


def test_a_stranger_is_sent_to_log_in(browser: TestClient) -> None:
    response = browser.get(f"{PREFIX}/stats", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


# ------------------------------------------------------------------------------------------------ filings


def test_the_queue_shows_a_submitted_filing_and_its_rule_report_with_citations(
    regulator: TestClient, session: Session, settings: Settings
) -> None:
    body = make_body(session, name="待审核技能评价中心")
    filing = make_filing(session, settings, body=body, approve=False)
    queue = regulator.get(f"{PREFIX}/filings")
    assert "待审核技能评价中心" in queue.text and f"/filings/{filing.id}" in queue.text
    page = regulator.get(f"{PREFIX}/filings/{filing.id}")
    assert page.status_code == 200
    for result in filing.rule_report["results"]:  # type: ignore[index]
        assert result["rule_id"] in page.text
        if result["citation"]:
            assert f"<cite>{result['citation']}</cite>" in page.text
    assert 'name="decision" value="approve"' in page.text


def test_approving_from_the_page_records_the_note(regulator: TestClient, session: Session, settings: Settings) -> None:
    filing = make_filing(session, settings, body=make_body(session), approve=False)
    response = _post(regulator, f"{PREFIX}/filings/{filing.id}/decision", {"decision": "approve", "note": "材料齐全"})
    assert response.status_code == 303
    assert response.headers["location"].endswith("?done=approved")
    session.refresh(filing)
    assert filing.status == FilingStatus.APPROVED and filing.decision_note == "材料齐全"


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    regulator: TestClient, session: Session, settings: Settings
) -> None:
    filing = make_filing(session, settings, body=make_body(session), approve=False)
    session.commit()  # the refused request rolls back its own work only
    for data in ({}, {"csrf_token": "forged"}):
        response = regulator.post(
            f"{PREFIX}/filings/{filing.id}/decision",
            data={"decision": "approve", "note": "跨站伪造", **data},
            follow_redirects=False,
        )
        assert response.status_code == 403
    session.refresh(filing)
    assert filing.status == FilingStatus.SUBMITTED


def test_a_decision_needs_a_choice_and_a_note_shown_next_to_the_fields(
    regulator: TestClient, session: Session, settings: Settings
) -> None:
    filing = make_filing(session, settings, body=make_body(session), approve=False)
    response = _post(regulator, f"{PREFIX}/filings/{filing.id}/decision", {"decision": "", "note": ""})
    assert response.status_code == 400
    assert 'id="decision-error"' in response.text and 'id="note-error"' in response.text
    session.refresh(filing)
    assert filing.status == FilingStatus.SUBMITTED


def test_approval_without_a_site_code_is_refused_in_both_languages(
    regulator: TestClient, session: Session, settings: Settings
) -> None:
    filing = make_filing(session, settings, body=make_body(session, site_code=None), approve=False)
    response = _post(regulator, f"{PREFIX}/filings/{filing.id}/decision", {"decision": "approve", "note": "同意"})
    assert response.status_code == 409
    text = _text(response.text)
    assert "站点代码" in text and "no 6-digit site code" in text
    session.refresh(filing)
    assert filing.status == FilingStatus.SUBMITTED


def test_an_approval_the_rules_refuse_lists_each_failed_rule_with_its_citation(
    regulator: TestClient, session: Session, settings: Settings
) -> None:
    body = make_body(session)
    filing = make_filing(session, settings, body=body, approve=False)
    set_body_status(session, actor=SYSTEM, body_id=body.id, status=BodyStatus.SUSPENDED, reason="暂停检查")
    response = _post(regulator, f"{PREFIX}/filings/{filing.id}/decision", {"decision": "approve", "note": "同意"})
    assert response.status_code == 409
    refusal = response.text.split('class="rg-refused"', 1)[1].split("</div>", 1)[0]
    assert "<code>FIL-BODY-ACTIVE</code>" in refusal and "<cite>002:27</cite>" in refusal
    assert "FIL-SCOPE-PRESENT" not in refusal  # passed rules are not listed as refusals
    session.refresh(filing)
    assert filing.status == FilingStatus.SUBMITTED


def test_suspending_a_filing_needs_a_reason(regulator: TestClient, session: Session, settings: Settings) -> None:
    filing = make_filing(session, settings, body=make_body(session))
    refused = _post(regulator, f"{PREFIX}/filings/{filing.id}/status", {"action": "suspend", "reason": ""})
    assert refused.status_code == 400 and 'id="status_reason-error"' in refused.text
    done = _post(regulator, f"{PREFIX}/filings/{filing.id}/status", {"action": "suspend", "reason": "专项检查"})
    assert done.status_code == 303
    session.refresh(filing)
    assert filing.status == FilingStatus.SUSPENDED and filing.status_reason == "专项检查"


# ------------------------------------------------------------------------------------------------ bodies, cards


def test_changing_a_site_code_needs_a_reason_which_is_audited(
    regulator: TestClient, session: Session, settings: Settings
) -> None:
    certificate = make_certificate(session, settings)
    body = session.get(EvaluationBody, certificate.body_id)
    assert body is not None
    old = body.site_code
    refused = _post(regulator, f"{PREFIX}/bodies/{body.id}/site-code", {"site_code": "654321", "reason": ""})
    assert refused.status_code == 400 and 'id="reason-error"' in refused.text
    session.refresh(body)
    assert body.site_code == old
    done = _post(regulator, f"{PREFIX}/bodies/{body.id}/site-code", {"site_code": "654321", "reason": "省厅重新分配"})
    assert done.status_code == 303
    session.refresh(body)
    assert body.site_code == "654321"
    event = session.exec(
        select(AuditEvent).where(AuditEvent.entity_id == str(body.id)).order_by(col(AuditEvent.seq).desc())
    ).first()
    assert event is not None and event.reason == "省厅重新分配"


def test_a_taken_site_code_is_shown_next_to_the_field(
    regulator: TestClient, session: Session, settings: Settings
) -> None:
    holder = make_body(session, site_code="777001")
    body = make_body(session)
    response = _post(regulator, f"{PREFIX}/bodies/{body.id}/site-code", {"site_code": "777001", "reason": "调整"})
    assert response.status_code == 409
    assert 'id="site_code-error"' in response.text and holder.name in response.text


def test_the_body_page_lists_its_own_cards_and_suspends_one_with_a_reason(
    regulator: TestClient, session: Session, settings: Settings
) -> None:
    body = make_body(session)
    card = make_assessor(session, settings, body=body)
    page = regulator.get(f"{PREFIX}/bodies/{body.id}")
    assert card.card_number in page.text
    back = f"{PREFIX}/bodies/{body.id}"
    refused = _post(
        regulator, f"{PREFIX}/assessors/{card.id}/status", {"action": "suspend", "reason": "", "back": back}
    )
    assert refused.status_code == 400
    done = _post(
        regulator, f"{PREFIX}/assessors/{card.id}/status", {"action": "suspend", "reason": "评分雷同", "back": back}
    )
    assert done.status_code == 303 and done.headers["location"].startswith(back)
    session.refresh(card)
    assert card.status == AssessorStatus.SUSPENDED


def test_a_card_form_never_redirects_off_the_console(
    regulator: TestClient, session: Session, settings: Settings
) -> None:
    card = make_assessor(session, settings, kind=AssessorKind.SUPERVISOR)
    assert card.card_number in regulator.get(f"{PREFIX}/assessors").text
    done = _post(
        regulator,
        f"{PREFIX}/assessors/{card.id}/status",
        {"action": "suspend", "reason": "督导缺位", "back": "https://evil.example/"},
    )
    assert done.status_code == 303 and done.headers["location"].startswith(f"{PREFIX}/assessors?")


def test_the_regulator_issues_a_supervisor_card_from_the_cards_page(
    regulator: TestClient, session: Session, settings: Settings
) -> None:
    page = regulator.get(f"{PREFIX}/assessors")
    assert 'action="/console/regulator/assessors"' in page.text and 'name="kind"' in page.text
    number = f"DD{uuid.uuid4().hex[:6].upper()}"
    card = {
        "kind": "supervisor",
        "name": "督导员甲",
        "id_number": valid_id(),
        "card_number": number,
        "occupations": "6-18-02-04，6-18-01-01",
        "max_grade": "technician",
        "held_grade": "senior_technician",
        "valid_from": "2026-01-01",
        "valid_to": "2028-12-31",
    }
    backwards = _post(regulator, f"{PREFIX}/assessors", {**card, "valid_to": "2025-12-31"})
    assert backwards.status_code == 400
    assert 'id="valid_to-error"' in backwards.text and "有效期截止日须晚于起始日" in backwards.text
    assert f'value="{number}"' in backwards.text  # what was typed comes back
    assert session.exec(select(Assessor).where(Assessor.card_number == number)).first() is None
    issued = _post(regulator, f"{PREFIX}/assessors", card)
    assert issued.status_code == 303 and issued.headers["location"].startswith(f"{PREFIX}/assessors?done=issued")
    stored = session.exec(select(Assessor).where(Assessor.card_number == number)).one()
    assert (stored.kind, stored.body_id, stored.status) == (AssessorKind.SUPERVISOR, None, AssessorStatus.ACTIVE)
    events = session.exec(select(AuditEvent).where(AuditEvent.entity_id == str(stored.id))).all()
    assert [e.action for e in events] == ["assessor.created"]
    shown = regulator.get(issued.headers["location"]).text
    assert number in shown and "证卡已颁发" in shown
    taken = _post(regulator, f"{PREFIX}/assessors", {**card, "id_number": valid_id()})
    assert taken.status_code == 409 and 'id="card_number-error"' in taken.text and "已被使用" in taken.text


# ------------------------------------------------------------------------------------------------ statistics


def test_statistics_draw_accessible_charts_with_their_numbers(
    regulator: TestClient, session: Session, settings: Settings
) -> None:
    make_certificate(session, settings)
    page = regulator.get(f"{PREFIX}/stats")
    assert page.status_code == 200
    assert page.text.count('<svg role="img"') >= 5
    assert 'aria-labelledby="chart-grade-t chart-grade-d"' in page.text
    assert re.search(r"<th scope=\"row\">高级工</th><td>1</td>", page.text)


def test_a_bad_statistics_filter_is_shown_next_to_its_field(regulator: TestClient) -> None:
    page = regulator.get(f"{PREFIX}/stats", params={"city_code": "12", "from": "2026-05", "to": "2026-01"})
    assert page.status_code == 400
    assert 'id="city_code-error"' in page.text and 'aria-invalid="true"' in page.text


def test_a_personal_data_export_needs_a_purpose(regulator: TestClient, session: Session, settings: Settings) -> None:
    make_certificate(session, settings)
    refused = regulator.get(f"{PREFIX}/export.csv", params={"kind": "certificates"})
    assert refused.status_code == 400
    done = regulator.get(f"{PREFIX}/export.csv", params={"kind": "certificates", "reason": "年度核查名单"})
    assert done.status_code == 200 and done.headers["content-type"].startswith("text/csv")
    stats = regulator.get(f"{PREFIX}/export.xlsx", params={"kind": "stats"})
    assert stats.status_code == 200 and stats.content[:2] == b"PK"


# ------------------------------------------------------------------------------------------------ samples


def test_a_sample_shows_its_seed_and_the_same_seed_draws_the_same_items(
    regulator: TestClient, session: Session, settings: Settings
) -> None:
    for _ in range(6):
        make_body(session)
    drawn = []
    for _ in range(2):
        response = _post(
            regulator,
            f"{PREFIX}/samples",
            {"population": "bodies", "size": "3", "seed": "20261121", "reason": "双随机抽查"},
        )
        assert response.status_code == 303
        page = regulator.get(response.headers["location"])
        assert "20261121" in page.text
        drawn.append(re.findall(r'<h2>\d+\. <a href="/console/regulator/bodies/([0-9a-f-]+)"', page.text))
    assert drawn[0] == drawn[1] and len(drawn[0]) == 3


def test_a_sample_needs_a_reason_and_a_size(regulator: TestClient, session: Session) -> None:
    count = session.exec(select(func.count()).select_from(SpotSample)).one()
    response = _post(regulator, f"{PREFIX}/samples", {"population": "bodies", "size": "0", "reason": ""})
    assert response.status_code == 400
    assert 'id="size-error"' in response.text and 'id="reason-error"' in response.text
    assert session.exec(select(func.count()).select_from(SpotSample)).one() == count


def test_a_finding_is_recorded_and_offers_a_sanction(
    regulator: TestClient, session: Session, settings: Settings
) -> None:
    make_body(session)
    drawn = _post(regulator, f"{PREFIX}/samples", {"population": "bodies", "size": "1", "reason": "专项抽查"})
    page = regulator.get(drawn.headers["location"]).text
    action = re.search(r'action="(/console/regulator/samples/[^"]+/findings)"', page)
    assert action
    done = _post(regulator, action.group(1), {"outcome": "fraud", "note": "考生未到场却有成绩"})
    assert done.status_code == 303
    shown = regulator.get(done.headers["location"].split("#")[0]).text
    assert "考生未到场却有成绩" in shown and "finding_id=" in shown


# ------------------------------------------------------------------------------------------------ sanctions


@pytest.fixture
def fraudulent(request: pytest.FixtureRequest) -> Fraud:
    """A body with a closed batch whose awards have certificates (tests/test_regulator_sanctions.py's fixture)."""
    found: Fraud = request.getfixturevalue("fraud")
    return found


def _plan_form(html: str) -> dict[str, str]:
    form = html.split('action="/console/regulator/sanctions" class="rg-confirm"', 1)[1].split("</form>", 1)[0]
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form))


def test_the_dry_run_lists_what_will_change_and_changes_nothing(
    regulator: TestClient, session: Session, settings: Settings, fraudulent: Fraud
) -> None:
    form = {
        "kind": "revoke_batch",
        "body_id": str(fraudulent.body.id),
        "batch_id": str(fraudulent.batch.id),
        "reason": "虚假评价",
    }
    preview = _post(regulator, f"{PREFIX}/sanctions/preview", form)
    assert preview.status_code == 200
    for certificate in fraudulent.certificates:
        assert certificate.number in preview.text
    assert session.exec(select(func.count()).select_from(Sanction)).one() == 0
    statuses = {c.status for c in session.exec(select(Certificate).where(Certificate.body_id == fraudulent.body.id))}
    assert statuses == {CertificateStatus.VALID}
    confirm = _plan_form(preview.text)
    done = regulator.post(f"{PREFIX}/sanctions", data=confirm, follow_redirects=False)
    assert done.status_code == 303
    page = regulator.get(done.headers["location"])
    for certificate in fraudulent.certificates:
        session.refresh(certificate)
        assert certificate.status == CertificateStatus.REVOKED
        assert f'href="/v/{certificate.token}"' in page.text


def test_a_confirmation_of_a_plan_that_has_changed_shows_the_new_plan_instead(
    regulator: TestClient, session: Session, settings: Settings, fraudulent: Fraud
) -> None:
    form = {"kind": "revoke_qualification", "body_id": str(fraudulent.body.id), "reason": "取消资质"}
    confirm = _plan_form(_post(regulator, f"{PREFIX}/sanctions/preview", form).text)
    make_filing(session, settings, body=fraudulent.body)  # one more filing would be revoked than was shown
    again = regulator.post(f"{PREFIX}/sanctions", data=confirm, follow_redirects=False)
    assert again.status_code == 200 and "预演后数据已变化" in again.text
    session.refresh(fraudulent.body)
    assert fraudulent.body.status == BodyStatus.ACTIVE


def test_a_warning_needs_a_future_deadline_shown_next_to_it(
    regulator: TestClient, session: Session, settings: Settings
) -> None:
    body = make_body(session)
    response = _post(
        regulator, f"{PREFIX}/sanctions/preview", {"kind": "warning", "body_id": str(body.id), "reason": "限期整改"}
    )
    assert response.status_code == 400 and 'id="deadline-error"' in response.text


def test_a_warning_is_imposed_and_lifted_with_reasons(
    regulator: TestClient, session: Session, settings: Settings
) -> None:
    body = make_body(session)
    form = {"kind": "warning", "body_id": str(body.id), "deadline": "2099-01-01", "reason": "限期整改考务记录"}
    confirm = _plan_form(_post(regulator, f"{PREFIX}/sanctions/preview", form).text)
    done = regulator.post(f"{PREFIX}/sanctions", data=confirm, follow_redirects=False)
    assert done.status_code == 303
    sanction_page = done.headers["location"].split("?")[0]
    refused = _post(regulator, f"{sanction_page}/lift", {"reason": ""})
    assert refused.status_code == 400
    lifted = _post(regulator, f"{sanction_page}/lift", {"reason": "已整改完毕"})
    assert lifted.status_code == 303
    sanction = session.exec(select(Sanction).where(Sanction.body_id == body.id)).one()
    assert sanction.lift_reason == "已整改完毕"


# ------------------------------------------------------------------------------------------------ audit


def test_the_audit_search_filters_and_the_chain_check_reports(
    regulator: TestClient, session: Session, settings: Settings
) -> None:
    filing = make_filing(session, settings, body=make_body(session))
    page = regulator.get(f"{PREFIX}/audit", params={"entity_type": "filing", "entity_id": str(filing.id)})
    assert page.status_code == 200 and "filing.approved" in page.text and "filing.submitted" in page.text
    assert "body.created" not in page.text
    bad = regulator.get(f"{PREFIX}/audit", params={"before_seq": "x"})
    assert bad.status_code == 400 and 'id="before_seq-error"' in bad.text
    chain = regulator.get(f"{PREFIX}/audit/chain")
    assert chain.status_code == 200 and "rg-verdict-ok" in chain.text


def test_an_unknown_record_answers_a_page_not_json(regulator: TestClient) -> None:
    response = regulator.get(f"{PREFIX}/filings/{uuid.uuid4()}")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    flag = regulator.get(f"{PREFIX}/anomalies/flag", params={"rule": "hasty_close", "subject": "x"})
    assert flag.status_code == 404


def test_filings_of_every_status_stay_in_reach_of_the_queue(
    regulator: TestClient, session: Session, settings: Settings
) -> None:
    body = make_body(session, name="多状态机构")
    make_filing(session, settings, body=body)
    assert "多状态机构" not in regulator.get(f"{PREFIX}/filings").text
    assert "多状态机构" in regulator.get(f"{PREFIX}/filings", params={"status": "approved"}).text
    assert session.exec(select(Filing).where(Filing.body_id == body.id)).one().status == FilingStatus.APPROVED
