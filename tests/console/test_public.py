"""Public pages: home, 公示 with objections, the catalogue of bodies, 比照 both ways (TestClient)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api import builders
from assessment.batches.models import Candidate, EnrolIn, Objection, SessionStatus
from assessment.batches.service import enrol
from registry.filings.rules import EvaluationMethod
from registry.grades import GradeCode
from registry.settings import Settings
from tests.conftest import ClientFactory
from tests.console.conftest import https
from tests.console.support import csrf_from
from tests.factories import SYSTEM, give_award, make_batch, make_body, make_filing, make_person


def _published(session: Session, settings: Settings, *, name: str = "公示测试机构") -> tuple[object, list[Candidate]]:
    """A batch under publicity with two candidates (one passed, one failed)."""
    settings = settings.model_copy(update={"eligibility_min_years": {"senior": 0}})
    body = make_body(session, name=name)
    make_filing(session, settings, body=body, starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2028, 12, 31))
    batch = make_batch(session, settings, body=body, open_it=False)
    candidates = []
    for _ in range(2):
        person = make_person(session, settings, employer=body)
        give_award(session, person=person, grade=GradeCode.INTERMEDIATE, on=dt.date(2026, 1, 5))
        data = EnrolIn(person_id=person.id)
        candidates.append(enrol(session, actor=SYSTEM, batch_id=batch.exam.id, data=data, settings=settings))

    def score(index: int, _assessor: int, _kind: EvaluationMethod) -> Decimal:
        return Decimal("85") if index == 0 else Decimal("40")

    builders.drive_batch(
        session,
        settings,
        actor=SYSTEM,
        exam=batch.exam,
        to=SessionStatus.PUBLISHED,
        candidates=candidates,
        staff=batch.assessors,
        supervisor=batch.supervisor,
        score=score,
    )
    return batch.exam, candidates


def test_home_offers_every_public_task(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    for link in (
        'action="/verify"',
        'href="/publicity"',
        'href="/bodies"',
        'action="/equivalences"',
        'href="/login"',
        'href="/docs"',
        'href="/redoc"',
    ):
        assert link in page.text, link
    assert "新八级工" in page.text and 'name="csrf_token"' in page.text


def test_home_lists_batches_under_publicity(client: TestClient, session: Session, settings: Settings) -> None:
    exam, _ = _published(session, settings, name="首页公示机构")
    page = client.get("/")
    assert f'href="/publicity/{exam.id}"' in page.text and "首页公示机构" in page.text


def test_the_publicity_list_shows_only_batches_under_publicity(
    client: TestClient, session: Session, settings: Settings
) -> None:
    exam, _ = _published(session, settings, name="正在公示机构")
    body = make_body(session, name="未公示机构")
    make_filing(session, settings, body=body, starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2028, 12, 31))
    make_batch(session, settings, body=body)
    page = client.get("/publicity")
    assert page.status_code == 200
    assert f'data-batch="{exam.id}"' in page.text and "正在公示机构" in page.text
    assert "未公示机构" not in page.text


def test_a_batch_shows_masked_results_and_the_objection_form(
    client: TestClient, session: Session, settings: Settings
) -> None:
    exam, candidates = _published(session, settings)
    page = client.get(f"/publicity/{exam.id}")
    assert page.status_code == 200
    assert page.text.count("data-candidate=") == 2
    assert "合格" in page.text and "不合格" in page.text
    assert f'action="/publicity/{exam.id}/objections#objection"' in page.text
    people = [session.get(Candidate, c.id) for c in candidates]
    assert all(p is not None for p in people)


def test_anyone_may_object_during_publicity(client: TestClient, session: Session, settings: Settings) -> None:
    exam, candidates = _published(session, settings)
    token = csrf_from(client.get(f"/publicity/{exam.id}").text)
    response = client.post(
        f"/publicity/{exam.id}/objections",
        data={
            "csrf_token": token,
            "candidate_id": str(candidates[1].id),
            "text": "该考生实操考核时由他人代考。",
            "contact": "13800000000",
        },
    )
    assert response.status_code == 200  # after the redirect (post/redirect/get: a reload files nothing twice)
    assert response.history and response.history[0].status_code == 303
    filed = session.exec(select(Objection).where(Objection.session_id == exam.id)).all()
    assert [o.candidate_id for o in filed] == [candidates[1].id]
    assert f'data-objection="{filed[0].id}"' in response.text
    assert "有未处理的异议" in response.text


def test_an_objection_without_the_form_token_is_refused(
    client: TestClient, session: Session, settings: Settings
) -> None:
    exam, candidates = _published(session, settings)
    client.get(f"/publicity/{exam.id}")
    response = client.post(
        f"/publicity/{exam.id}/objections",
        data={"candidate_id": str(candidates[0].id), "text": "跨站提交的异议内容", "contact": "13800000000"},
    )
    assert response.status_code == 403
    assert session.exec(select(Objection).where(Objection.session_id == exam.id)).first() is None


def test_a_bad_objection_shows_each_error_next_to_its_field_and_keeps_the_input(
    client: TestClient, session: Session, settings: Settings
) -> None:
    exam, _ = _published(session, settings)
    token = csrf_from(client.get(f"/publicity/{exam.id}").text)
    response = client.post(
        f"/publicity/{exam.id}/objections",
        data={"csrf_token": token, "candidate_id": "", "text": "短", "contact": "13800000000"},
    )
    assert response.status_code == 422
    assert 'id="candidate_id-error"' in response.text and 'id="text-error"' in response.text
    assert 'id="contact-error"' not in response.text
    assert 'value="13800000000"' in response.text
    assert session.exec(select(Objection).where(Objection.session_id == exam.id)).first() is None


def test_an_objection_to_a_candidate_of_another_batch_is_refused(
    client: TestClient, session: Session, settings: Settings
) -> None:
    exam, _ = _published(session, settings)
    _, others = _published(session, settings, name="另一公示机构")
    token = csrf_from(client.get(f"/publicity/{exam.id}").text)
    response = client.post(
        f"/publicity/{exam.id}/objections",
        data={"csrf_token": token, "candidate_id": str(others[0].id), "text": "不属于本批次的考生", "contact": "138"},
    )
    assert response.status_code == 404
    assert session.exec(select(Objection)).first() is None


def test_objections_are_limited_per_client(client_for: ClientFactory, session: Session, settings: Settings) -> None:
    limited = https(client_for(settings.model_copy(update={"lookup_rate_per_minute": 1})))
    exam, candidates = _published(session, settings)
    token = csrf_from(limited.get(f"/publicity/{exam.id}").text)
    data = {"csrf_token": token, "candidate_id": str(candidates[0].id), "text": "第一次提出的异议", "contact": "138000"}
    assert limited.post(f"/publicity/{exam.id}/objections", data=data).status_code == 200
    again = limited.post(f"/publicity/{exam.id}/objections", data=data)
    assert again.status_code == 429 and "Retry-After" in again.headers
    assert len(session.exec(select(Objection)).all()) == 1


def test_the_objection_api_is_limited_per_client_in_both_languages(
    client_for: ClientFactory, session: Session, settings: Settings
) -> None:
    api = client_for(settings.model_copy(update={"lookup_rate_per_minute": 1}))
    exam, candidates = _published(session, settings)
    data = {"candidate_id": str(candidates[0].id), "text": "接口提出的异议", "contact": "138000"}
    assert api.post(f"/api/v1/sessions/{exam.id}/objections", json=data).status_code == 201
    again = api.post(f"/api/v1/sessions/{exam.id}/objections", json=data)
    assert again.status_code == 429 and int(again.headers["Retry-After"]) >= 1
    body = again.json()
    assert body["error"] == "rate_limited"
    assert "提出异议过于频繁" in body["detail_zh"] and "too many objections" in body["detail_en"]
    assert len(session.exec(select(Objection)).all()) == 1


def test_the_objection_page_and_api_spend_one_budget(
    client_for: ClientFactory, session: Session, settings: Settings
) -> None:
    limited = https(client_for(settings.model_copy(update={"lookup_rate_per_minute": 1})))
    exam, candidates = _published(session, settings)
    token = csrf_from(limited.get(f"/publicity/{exam.id}").text)
    form = {"csrf_token": token, "candidate_id": str(candidates[0].id), "text": "页面提出的异议", "contact": "138000"}
    assert limited.post(f"/publicity/{exam.id}/objections", data=form).status_code == 200
    data = {"candidate_id": str(candidates[1].id), "text": "接着从接口提出", "contact": "138000"}
    assert limited.post(f"/api/v1/sessions/{exam.id}/objections", json=data).status_code == 429
    assert len(session.exec(select(Objection)).all()) == 1


def test_a_batch_not_under_publicity_is_not_found(client: TestClient, session: Session, settings: Settings) -> None:
    body = make_body(session)
    make_filing(session, settings, body=body, starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2028, 12, 31))
    batch = make_batch(session, settings, body=body)
    response = client.get(f"/publicity/{batch.exam.id}")
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")


def test_the_catalogue_lists_bodies_with_scope_and_standing(
    client: TestClient, session: Session, settings: Settings
) -> None:
    body = make_body(session, name="目录展示机构")
    make_filing(session, settings, body=body, starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2028, 12, 31))
    page = client.get("/bodies")
    assert page.status_code == 200 and f'data-body="{body.id}"' in page.text
    assert 'data-standing="good"' in page.text and "焊工" in page.text
    detail = client.get(f"/bodies/{body.id}")
    assert detail.status_code == 200 and "目录展示机构" in detail.text and "6-18-02-04" in detail.text


def test_the_catalogue_search_narrows_the_list(client: TestClient, session: Session, settings: Settings) -> None:
    for name in ("甲市焊接培训中心", "乙市护理学校"):
        body = make_body(session, name=name)
        make_filing(session, settings, body=body, starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2028, 12, 31))
    page = client.get("/bodies", params={"q": "焊接"})
    assert "甲市焊接培训中心" in page.text and "乙市护理学校" not in page.text


def test_a_body_without_an_approved_filing_has_no_public_page(
    client: TestClient, session: Session, settings: Settings
) -> None:
    body = make_body(session, name="未备案机构")
    assert client.get(f"/bodies/{body.id}").status_code == 404
    assert "未备案机构" not in client.get("/bodies").text


@pytest.mark.parametrize(
    ("query", "shown"), [({"grade": "technician"}, "技师"), ({"target": "education:bachelor"}, "本科")]
)
def test_equivalences_both_ways(client: TestClient, query: dict[str, str], shown: str) -> None:
    page = client.get("/equivalences", params=query)
    assert page.status_code == 200
    assert "data-results=" in page.text and 'data-results="0"' not in page.text
    assert shown in page.text and "data-grade=" in page.text


def test_an_unknown_equivalence_target_is_explained_on_the_page(client: TestClient) -> None:
    page = client.get("/equivalences", params={"target": "education:nonsense"})
    assert page.status_code == 400
    assert 'id="form-error"' in page.text and "未知的学历代码" in page.text


def test_a_revoked_certificate_page_says_when_it_was_revoked_in_beijing_time(
    client: TestClient, session: Session, settings: Settings
) -> None:
    from certificates.models import CertificateStatus
    from certificates.service import set_status
    from tests.factories import make_certificate

    certificate = make_certificate(session, settings)
    assert "data-status-changed" not in client.get(f"/v/{certificate.token}").text
    set_status(session, actor=SYSTEM, number=certificate.number, target=CertificateStatus.REVOKED, note="虚假评价")
    assert certificate.status_changed_at is not None
    shown = (certificate.status_changed_at + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")
    page = client.get(f"/v/{certificate.token}").text
    assert "data-status-changed=" in page and f"撤销时间：{shown} 北京时间" in page
    english = client.get(f"/v/{certificate.token}?lang=en").text
    assert f"Revoked on: {shown} Beijing time" in english
    answer = client.get(f"/api/v1/verify/{certificate.token}").json()
    changed = dt.datetime.fromisoformat(answer["fields"]["status_changed_at"])
    assert answer["verdict"] == "revoked" and changed == certificate.status_changed_at
