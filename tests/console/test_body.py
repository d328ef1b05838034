"""The body admin's console pages (TestClient): they render, refuse forged forms, keep to the admin's own body
(another body's ids answer 404 and change nothing), show refusals next to their fields, and store nothing of a
refused action."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection
from sqlmodel import Session, func, select

from api.console import body as body_pages
from assessment.batches.models import Candidate, EnrolIn, ExamSession, SessionStatus
from assessment.batches.service import enrol
from assessment.recognition.models import Evidence, Path, Recognition, RecognitionIn, Trigger
from assessment.recognition.service import apply_for_recognition
from certificates.models import Certificate, CertificateStatus
from registry.accounts.models import UserAccount
from registry.actor import Role
from registry.audit.service import snapshot
from registry.bodies.models import EvaluationBody
from registry.clock import today
from registry.filings.models import Filing, FilingStatus
from registry.grades import GradeCode
from registry.jobs.models import Job, JobKind
from registry.jobs.service import create_job
from registry.settings import Settings
from tests.conftest import built_once, sharing_records
from tests.console.support import csrf_from, page_login
from tests.factories import (
    SYSTEM,
    Batch,
    make_batch,
    make_body,
    make_certificate,
    make_filing,
    make_person,
    make_user,
    valid_id,
)


def csrf_of(client: TestClient, page: str) -> str:
    """The CSRF token of a page's forms."""
    response = client.get(page)
    assert response.status_code == 200, (page, response.status_code)
    return csrf_from(response.text)


def field_errors(html: str) -> list[str]:
    """The texts of the errors shown next to fields (both languages, tags removed)."""
    return [re.sub(r"<[^>]+>", "", e) for e in re.findall(r'<p class="field-error"[^>]*>(.*?)</p>', html, re.S)]


@dataclass
class Side:
    """One body's records."""

    body: EvaluationBody
    admin: UserAccount
    filing: Filing
    draft: Filing
    batch: Batch
    planned: Batch
    candidate: Candidate
    recognition: Recognition
    certificate: Certificate
    job: Job


def _side(session: Session, settings: Settings) -> Side:
    body = make_body(session)
    admin = make_user(session, settings, role=Role.BODY_ADMIN, body=body)
    filing = make_filing(session, settings, body=body)
    draft = make_filing(session, settings, body=body, submit=False)
    batch = make_batch(session, settings, body=body, grade=GradeCode.JUNIOR, assessors=2)
    planned = make_batch(session, settings, body=body, grade=GradeCode.JUNIOR, assessors=2, open_it=False)
    person = make_person(session, settings, employer=body)
    candidate = enrol(
        session, actor=SYSTEM, batch_id=batch.exam.id, data=EnrolIn(person_id=person.id), settings=settings
    )
    recognition = apply_for_recognition(
        session,
        actor=SYSTEM,
        settings=settings,
        data=RecognitionIn(
            body_id=body.id,
            person_id=person.id,
            occupation_code="6-18-02-04",
            target_grade=GradeCode.JUNIOR,
            path=Path.DR_E,
            triggers=[Trigger.T6],
            evidence=[Evidence(kind="业绩材料", ref="材料-1")],
        ),
    )
    certificate = make_certificate(session, settings, body=body, grade=GradeCode.JUNIOR)
    from registry.actor import Actor

    owner = Actor(label=admin.username, role=Role.BODY_ADMIN, user_id=admin.id, body_id=body.id)
    job, _ = create_job(
        session, actor=owner, kind=JobKind.EXPORT_CERTIFICATES, params={"body_id": str(body.id)}, total=1
    )
    return Side(body, admin, filing, draft, batch, planned, candidate, recognition, certificate, job)


@dataclass
class World:
    own: Side
    other: Side


# The two bodies' records are built once for this module (they are the bulk of each test's set-up) inside a
# transaction every test sees and none keeps: each test runs in a savepoint rolled back after it.


_settings, _session = sharing_records()  # this module's settings and session fixtures


@pytest.fixture(scope="module")
def world(shared_connection: Connection, settings: Settings) -> World:
    return built_once(shared_connection, lambda s: World(_side(s, settings), _side(s, settings)))


@pytest.fixture
def web(client: TestClient) -> TestClient:
    """The app as a browser on https sees it (the test settings' public URL is https: the cookies are Secure)."""
    client.base_url = client.base_url.copy_with(scheme="https")
    return client


@pytest.fixture
def admin(web: TestClient, world: World) -> TestClient:
    page_login(web, world.own.admin.username)
    return web


class Post(Protocol):
    def __call__(self, action: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any: ...


@pytest.fixture
def post(admin: TestClient) -> Post:
    """Submit a form as the logged-in admin's browser does: with its session's CSRF token."""
    token = csrf_of(admin, "/console/body/staff")

    def send(action: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        return admin.post(action, data={**(data or {}), "csrf_token": token}, **kwargs)

    return send


def _state(session: Session, side: Side) -> dict[str, Any]:
    session.expire_all()
    return {
        "filing": snapshot(session.get(Filing, side.filing.id)),  # type: ignore[arg-type]
        "draft": snapshot(session.get(Filing, side.draft.id)),  # type: ignore[arg-type]
        "batch": snapshot(session.get(ExamSession, side.batch.exam.id)),  # type: ignore[arg-type]
        "planned": snapshot(session.get(ExamSession, side.planned.exam.id)),  # type: ignore[arg-type]
        "candidates": session.exec(select(func.count()).select_from(Candidate)).one(),
        "recognitions": session.exec(select(func.count()).select_from(Recognition)).one(),
        "recognition": snapshot(session.get(Recognition, side.recognition.id)),  # type: ignore[arg-type]
        "certificate": snapshot(session.get(Certificate, side.certificate.id)),  # type: ignore[arg-type]
        "filings": session.exec(select(func.count()).select_from(Filing)).one(),
        "users": session.exec(select(func.count()).select_from(UserAccount)).one(),
    }


def _ids(side: Side) -> dict[str, str]:
    return {
        "filing": str(side.filing.id),
        "draft": str(side.draft.id),
        "batch": str(side.batch.exam.id),
        "planned": str(side.planned.exam.id),
        "recognition": str(side.recognition.id),
        "number": side.certificate.number,
        "job": str(side.job.id),
        "card": str(side.batch.assessors[0].id),
    }


PAGES = [
    "/console/body",
    "/console/body/home",
    "/console/body/certificates?number=&status=&occupation_code=&grade=",  # the search form's empty fields
    "/console/body/filings",
    "/console/body/filings/new",
    "/console/body/filings/{filing}",
    "/console/body/filings/{draft}",
    "/console/body/batches",
    "/console/body/batches/new",
    "/console/body/batches/{batch}",
    "/console/body/batches/{planned}",
    "/console/body/recognitions",
    "/console/body/recognitions/new",
    "/console/body/recognitions/{recognition}",
    "/console/body/certificates",
    "/console/body/certificates/{number}",
    "/console/body/staff",
    "/console/body/jobs/{job}",
]
# Pages and actions about one record: with another body's id they answer 404 and change nothing.
RECORD_GETS = [p for p in PAGES if "{" in p] + [
    "/console/body/certificates/{number}/pdf",
    "/console/body/jobs/{job}/file",
]
RECORD_POSTS: list[tuple[str, dict[str, Any]]] = [
    (
        "/console/body/filings/{draft}/programme",
        {"ceiling": "senior", "starts_on": "2026-01-01", "ends_on": "2027-01-01"},
    ),
    (
        "/console/body/filings/{draft}/lines",
        {"occupation_code": "6-18-01-01", "max_grade": "senior", "methods": "theory_exam"},
    ),
    (
        "/console/body/filings/{draft}/lines/0",
        {"edit_occupation_code": "6-18-01-01", "edit_max_grade": "senior", "edit_methods": "theory_exam"},
    ),
    ("/console/body/filings/{draft}/lines/0/delete", {}),
    ("/console/body/filings/{draft}/submit", {}),
    ("/console/body/batches/{planned}/step/open", {}),
    ("/console/body/batches/{batch}/step/finalize", {}),
    ("/console/body/batches/{planned}/cancel", {"reason": "越权取消"}),
    ("/console/body/recognitions/{recognition}/decision", {"approve": "yes", "note": "越权批准"}),
    ("/console/body/certificates/{number}/suspend", {"suspend_note": "越权暂停"}),
    ("/console/body/certificates/{number}/revoke", {"reason": "other", "revoke_note": "越权撤销"}),
    ("/console/body/certificates/{number}/reissue", {"reissue_note": "越权换发"}),
    ("/console/body/staff/cards/{card}/account", {"username": "intruder1", "password": "a-long-password-9"}),
]
UPLOAD = "name,id_number\n某人,{id}\n"


# Creates: always for the admin's own body, whatever the form says (tested below with the records they make).
CREATES = [
    "/console/body/filings",
    "/console/body/batches",
    "/console/body/recognitions",
    "/console/body/staff/accounts",
    "/console/body/staff/cards",
    "/console/body/certificates/export",
]
UPLOADS = ["/console/body/batches/{batch_id}/upload/{kind}"]
STEPS = ["/console/body/batches/{batch_id}/step/{step}", "/console/body/certificates/{number}/{action}"]


def _template(path: str) -> str:
    """A walked URL with its ids as the route's parameter names."""
    names = {
        "{filing}": "{filing_id}",
        "{draft}": "{filing_id}",
        "{batch}": "{batch_id}",
        "{planned}": "{batch_id}",
        "{recognition}": "{recognition_id}",
        "{job}": "{job_id}",
        "{card}": "{assessor_id}",
    }
    for short, name in names.items():
        path = path.replace(short, name)
    path = re.sub(r"/lines/0", "/lines/{position}", path)
    path = re.sub(r"/step/\w+$", "/step/{step}", path)
    return re.sub(r"(/certificates/\{number\})/(suspend|revoke|reissue)$", r"\1/{action}", path)


def test_every_body_page_is_walked_here() -> None:
    routes = {
        (m, r.path)
        for r in body_pages.router.routes
        if isinstance(r, APIRoute)
        for m in (r.methods or set()) - {"HEAD"}
    }
    walked = {("GET", _template(p.split("?")[0])) for p in PAGES + RECORD_GETS}
    walked |= {("POST", _template(p)) for p, _ in RECORD_POSTS}
    walked |= {("POST", p) for p in CREATES + UPLOADS + STEPS}
    assert routes - walked == set(), "walk the new body pages in tests/console/test_body.py"


def test_anonymous_visitors_are_sent_to_log_in_from_every_body_page(web: TestClient) -> None:
    for route in body_pages.router.routes:
        assert isinstance(route, APIRoute)
        path = re.sub(r"\{[a-z_]+\}", "0", route.path).replace("/0", f"/{uuid.uuid4()}", 1)
        for method in (route.methods or set()) - {"HEAD"}:
            response = web.request(method, path, follow_redirects=False)
            assert response.status_code == 303, (method, route.path, response.status_code)
            assert response.headers["location"].startswith("/login?next=/console/body")


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_for_the_bodys_admin(admin: TestClient, world: World, page: str) -> None:
    response = admin.get(page.format(**_ids(world.own)))
    assert response.status_code == 200, response.text
    assert "text/html" in response.headers["content-type"]
    assert world.own.body.name in response.text or "<main" in response.text


def test_pages_show_the_bodys_records_only(admin: TestClient, world: World) -> None:
    seen = "".join(admin.get(p).text for p in PAGES if "{" not in p)
    for own in (world.own.filing.id, world.own.batch.exam.id, world.own.recognition.id, world.own.certificate.number):
        assert str(own) in seen
    for foreign in (world.other.filing.id, world.other.draft.id, world.other.batch.exam.id, world.other.recognition.id):
        assert str(foreign) not in seen
    assert world.other.certificate.number not in seen


@pytest.mark.parametrize("page", RECORD_GETS)
def test_another_bodys_records_are_not_found(admin: TestClient, world: World, page: str) -> None:
    response = admin.get(page.format(**_ids(world.other)))
    assert response.status_code == 404, response.text
    assert 'data-status="404"' in response.text  # the error page, nothing of the record
    assert world.other.certificate.number not in response.text.replace(page.format(**_ids(world.other)), "")


@pytest.mark.parametrize(("action", "form"), RECORD_POSTS, ids=[a for a, _ in RECORD_POSTS])
def test_actions_on_another_bodys_records_are_not_found_and_change_nothing(
    post: Post, session: Session, world: World, action: str, form: dict[str, Any]
) -> None:
    before = _state(session, world.other)
    response = post(action.format(**_ids(world.other)), form)
    assert response.status_code == 404, (action, response.status_code, response.text[:300])
    assert _state(session, world.other) == before


@pytest.mark.parametrize("kind", ["candidates", "results"])
def test_uploads_to_another_bodys_batch_are_not_found(post: Post, session: Session, world: World, kind: str) -> None:
    before = _state(session, world.other)
    response = post(
        f"/console/body/batches/{world.other.batch.exam.id}/upload/{kind}",
        files={"file": ("x.csv", UPLOAD.format(id=valid_id()).encode(), "text/csv")},
    )
    assert response.status_code == 404
    assert _state(session, world.other) == before


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(
    admin: TestClient, session: Session, world: World
) -> None:
    before = _state(session, world.own)
    for token in ({}, {"csrf_token": "forged"}):
        response = admin.post(f"/console/body/filings/{world.own.draft.id}/submit", data=token)
        assert response.status_code == 403
        response = admin.post(
            f"/console/body/certificates/{world.own.certificate.number}/revoke",
            data={**token, "reason": "other", "revoke_note": "伪造的请求"},
        )
        assert response.status_code == 403
    assert _state(session, world.own) == before


def test_anonymous_visitors_are_sent_to_log_in(web: TestClient, world: World) -> None:
    response = web.get("/console/body/filings", follow_redirects=False)
    assert response.status_code in {302, 303}
    assert response.headers["location"].startswith("/login")


@pytest.mark.parametrize("role", [Role.REGULATOR, Role.WORKER])
def test_other_roles_may_not_use_the_body_pages(
    web: TestClient, session: Session, settings: Settings, world: World, role: Role
) -> None:
    if role == Role.WORKER:
        user = make_user(session, settings, role=Role.REGULATOR)  # a regulator opens the worker's account
        person = make_person(session, settings)
        from registry.accounts.models import UserCreate
        from registry.accounts.service import create_user

        user = create_user(
            session,
            actor=SYSTEM,
            settings=settings,
            data=UserCreate(
                username=f"w{uuid.uuid4().hex[:8]}", role=Role.WORKER, person_id=person.id, password="a-long-password-7"
            ),
        )
        page_login(web, user.username, "a-long-password-7")
    else:
        page_login(web, make_user(session, settings, role=role).username)
    assert web.get("/console/body/filings").status_code == 403


# ------------------------------------------------------------------------------------------ filings


def test_a_draft_is_created_edited_and_submitted_with_its_rule_report(
    admin: TestClient, post: Post, session: Session, world: World
) -> None:
    created = post(
        "/console/body/filings",
        data={
            "ceiling": "technician",
            "starts_on": "2026-12-01",
            "ends_on": "2029-11-30",
            "occupation_code": "6-18-02-04",
            "max_grade": "technician",
            "methods": ["theory_exam", "skill_operation"],
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    url = created.headers["location"]
    filing_id = uuid.UUID(url.rsplit("/", 1)[1])
    added = post(
        f"{url}/lines",
        data={"occupation_code": "6-18-01-01", "max_grade": "senior", "methods": ["theory_exam"]},
        follow_redirects=False,
    )
    assert added.status_code == 303
    page = admin.get(url).text
    assert "6-18-01-01" in page and "FIL-" in page  # the line, and the draft's live rule report
    submitted = post(f"{url}/submit", follow_redirects=False)
    assert submitted.status_code == 303, submitted.text
    session.expire_all()
    filing = session.get(Filing, filing_id)
    assert filing is not None and filing.status == FilingStatus.SUBMITTED and filing.body_id == world.own.body.id
    page = admin.get(url).text
    assert "filing.submitted" in page  # the status history
    assert re.search(r'<cite class="citation">00[0-4]:\d+', page)  # a rule's citation


def test_bad_values_are_shown_next_to_their_fields_and_nothing_is_stored(
    post: Post, session: Session, world: World
) -> None:
    before = _state(session, world.own)
    response = post(
        "/console/body/filings",
        data={
            "ceiling": "senior",
            "starts_on": "2026-12-01",
            "ends_on": "2029-11-30",
            "occupation_code": "6-18-02",
            "max_grade": "senior",
        },
    )
    assert response.status_code == 400
    errors = field_errors(response.text)
    assert any("格式不正确" in e and "pattern" in e for e in errors), errors  # occupation code, both languages
    assert any("条目过少" in e for e in errors), errors  # no evaluation method chosen
    assert 'value="6-18-02"' in response.text  # what was typed is kept
    assert _state(session, world.own) == before


def test_a_refused_submission_names_each_failed_rule_with_its_basis_and_keeps_the_draft(
    post: Post, session: Session, world: World
) -> None:
    draft = world.own.draft
    # a line above the ceiling makes FIL-SCOPE-CEILING fail
    post(
        f"/console/body/filings/{draft.id}/programme",
        data={"ceiling": "senior", "starts_on": "2026-01-01", "ends_on": "2028-12-31"},
    )
    response = post(f"/console/body/filings/{draft.id}/submit")
    assert response.status_code == 409
    text = response.text
    assert "提交被拒绝" in text and "FIL-SCOPE-CEILING" in text and "outcome-failed" in text
    assert "outcome-passed" in text  # the whole report, not only what failed
    assert "登记系统规则" in text  # the failed rule's provenance
    session.expire_all()
    assert session.get(Filing, draft.id).status == FilingStatus.DRAFT  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------------ batches


def test_an_upload_with_a_bad_row_shows_the_row_and_stores_nothing_then_the_fixed_file_enrols(
    post: Post, session: Session, world: World
) -> None:
    batch = world.own.planned.exam
    uscc = world.own.body.uscc
    good = [valid_id(), valid_id(), valid_id()]
    broken = good[1][:-1] + ("0" if good[1][-1] != "0" else "1")

    def rows(ids: list[str]) -> str:
        return "name,id_number,employer_uscc\n" + "".join(
            f"王小{n},{i},{uscc}\n" for n, i in zip("一二三", ids, strict=True)
        )

    refused = post(
        f"/console/body/batches/{batch.id}/upload/candidates",
        files={"file": ("candidates.csv", rows([good[0], broken, good[2]]).encode(), "text/csv")},
    )
    assert refused.status_code == 400
    text = re.sub(r"\s+", " ", refused.text)
    assert re.findall(r'<tr class="(bad|good)">', text) == ["good", "bad", "good"]
    bad_row = re.search(r'<tr class="bad">(.*?)</tr>', text)
    assert bad_row is not None and broken in bad_row.group(1) and "校验位" in bad_row.group(1)
    count = select(func.count()).select_from(Candidate).where(Candidate.session_id == batch.id)
    assert session.exec(count).one() == 0
    accepted = post(
        f"/console/body/batches/{batch.id}/upload/candidates",
        files={"file": ("candidates.csv", rows(good).encode(), "text/csv")},
    )
    assert accepted.status_code == 200, accepted.text
    assert "已报名 3 名考生" in accepted.text
    assert session.exec(count).one() == 3


def test_the_batch_page_shows_what_blocks_the_next_step(admin: TestClient, post: Post, world: World) -> None:
    batch = world.own.batch.exam  # open, one candidate, no scores
    page = admin.get(f"/console/body/batches/{batch.id}").text
    assert "项分数未录入" in page and "scores are missing" in page
    refused = post(f"/console/body/batches/{batch.id}/step/finalize")
    assert refused.status_code == 409
    assert "质量督导员尚未签署" in refused.text and "the quality supervisor has not attested" in refused.text
    assert 'data-citation="002:23"' in refused.text  # the registry rule's clause, beside the message


def test_a_step_the_batch_cannot_take_is_refused_in_words_not_status_codes(post: Post, world: World) -> None:
    planned = world.own.planned.exam
    refused = post(f"/console/body/batches/{planned.id}/step/close")
    assert refused.status_code == 409
    shown = " ".join(field_errors(refused.text))
    assert "考务批次当前为“计划中”，不能变为“已结束”" in shown and "“考核中”" in shown
    assert "the exam batch is planned and cannot become closed" in shown


def test_results_upload_records_every_assessors_scores(
    post: Post, session: Session, settings: Settings, world: World
) -> None:
    batch = world.own.batch
    from assessment.batches.service import missing_scores
    from registry.people.models import Person
    from registry.pii import decrypt

    person = session.get(Person, world.own.candidate.person_id)
    assert person is not None
    number = decrypt(settings, person.id_number_enc, context=person.id_type.value)
    kinds = [c["component"] for c in missing_scores(session, batch.exam)]
    table = "id_number,name,component,score,assessor_card\n" + "".join(
        f"{number},{person.name},{kind},88,{card.card_number}\n"
        for kind in sorted(set(kinds))
        for card in batch.assessors
    )
    response = post(
        f"/console/body/batches/{batch.exam.id}/upload/results",
        files={"file": ("results.csv", table.encode(), "text/csv")},
    )
    assert response.status_code == 200, response.text
    assert "等待质量督导员签署" in response.text
    assert missing_scores(session, batch.exam) == []


def test_cancelling_a_batch_needs_a_reason(post: Post, session: Session, world: World) -> None:
    batch = world.own.planned.exam
    refused = post(f"/console/body/batches/{batch.id}/cancel", data={"reason": " "})
    assert refused.status_code == 400 and "请填写取消原因" in refused.text
    done = post(f"/console/body/batches/{batch.id}/cancel", data={"reason": "考点停电改期"})
    assert done.status_code in {200, 303}
    session.expire_all()
    assert session.get(ExamSession, batch.id).status == SessionStatus.CANCELLED  # type: ignore[union-attr]


# ------------------------------------------------------------------------------------------ certificates


def test_revoking_needs_a_reason_and_then_shows_the_certificate_revoked(
    post: Post, session: Session, world: World
) -> None:
    number = world.own.certificate.number
    refused = post(f"/console/body/certificates/{number}/revoke", data={"reason": "", "revoke_note": ""})
    assert refused.status_code == 400
    errors = field_errors(refused.text)
    assert len(errors) == 2 and "请选择撤销原因" in errors[0]
    session.expire_all()
    assert session.get(Certificate, world.own.certificate.id).status == CertificateStatus.VALID  # type: ignore[union-attr]
    done = post(
        f"/console/body/certificates/{number}/revoke",
        data={"reason": "issued_in_error", "revoke_note": "姓名录入错误，作废"},
    )
    assert done.status_code == 200
    assert re.search(r'id="certificate-status">已撤销<', done.text)
    assert "姓名录入错误，作废" in done.text


def test_a_certificate_is_found_by_number_and_its_pdf_downloaded(admin: TestClient, world: World) -> None:
    number = world.own.certificate.number
    found = admin.get(f"/console/body/certificates?number={number.lower()}", follow_redirects=False)
    assert found.headers["location"] == f"/console/body/certificates/{number}"
    pdf = admin.get(f"/console/body/certificates/{number}/pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    foreign = admin.get(f"/console/body/certificates?number={world.other.certificate.number}")
    assert "没有此编号" in foreign.text and world.other.certificate.number in foreign.text  # echo only


# ------------------------------------------------------------------------------------------ recognitions


def test_a_refused_recognition_shows_its_rules_with_citations_and_stores_nothing(
    post: Post, session: Session, world: World
) -> None:
    before = _state(session, world.own)
    response = post(
        "/console/body/recognitions",
        data={
            "name": "郑国栋",
            "id_number": valid_id(),
            "occupation_code": "6-18-02-04",
            "target_grade": "chief_technician",
            "path": "DR-A",
            "triggers": ["T1"],
            "evidence_kind": "业绩材料",
            "evidence_ref": "档案-1",
        },
    )
    assert response.status_code == 409, response.text
    assert "outcome-failed" in response.text and re.search(r'<cite class="citation">00[0-4]:\d+', response.text)
    after = _state(session, world.own)
    assert after["recognitions"] == before["recognitions"]


# ------------------------------------------------------------------------------------------ staff


def test_the_body_issues_its_own_assessor_card_and_opens_its_login(
    admin: TestClient, post: Post, session: Session, world: World
) -> None:
    card = post(
        "/console/body/staff/cards",
        data={
            "name": "郑国栋",
            "id_number": valid_id(),
            "card_number": f"KB{uuid.uuid4().hex[:6].upper()}",
            "occupations": "6-18-02-04",
            "max_grade": "senior",
            "held_grade": "technician",
            "valid_from": "2026-01-01",
            "valid_to": "2028-01-01",
        },
        follow_redirects=False,
    )
    assert card.status_code == 303, card.text
    page = admin.get("/console/body/staff").text
    (card_id,) = re.findall(r"/console/body/staff/cards/([0-9a-f-]{36})/account", page)
    short = post(
        f"/console/body/staff/cards/{card_id}/account",
        data={"username": "kb.one", "password": "short"},
    )
    assert short.status_code == 400 and "长度不足" in short.text
    opened = post(
        f"/console/body/staff/cards/{card_id}/account",
        data={"username": f"kb.{uuid.uuid4().hex[:6]}", "password": "a-long-password-3"},
        follow_redirects=False,
    )
    assert opened.status_code == 303
    account = session.exec(select(UserAccount).where(UserAccount.role == Role.ASSESSOR)).all()
    assert len(account) == 1


# ------------------------------------------------------------------------------------------ overview


def test_the_overview_names_statuses_in_words_and_an_ended_filing_as_expired(
    admin: TestClient, session: Session, world: World
) -> None:
    filing = session.get(Filing, world.own.filing.id)
    assert filing is not None and filing.status == FilingStatus.APPROVED
    filing.ends_on = today() - dt.timedelta(days=1)  # its validity has ended: approved, but no longer in force
    session.flush()
    zh = admin.get("/console/body/home").text
    assert 'data-status="expired">已过期<' in zh and 'data-status="draft">草稿<' in zh
    assert 'data-status="open">考核中<' in zh and ">正常<" in zh  # a batch under way; the body's standing
    assert ">approved<" not in zh and ">open<" not in zh and ">active<" not in zh
    en = admin.get("/console/body/home?lang=en").text
    assert 'data-status="expired">expired<' in en and 'data-status="draft">draft<' in en
    assert 'data-status="open">open for scoring<' in en and ">active<" in en
    assert "已过期" not in en
