"""The assessor and supervisor console: assigned batches only, the score grid (row forms and the script's JSON),
errors next to the cell, what is missing, the attestation, CSRF."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from assessment.assessors.models import Assessor
from assessment.batches.models import Candidate, EnrolIn, ExamSession, Score, SessionStatus
from assessment.batches.service import enrol, record_scores
from registry.accounts.models import UserCreate
from registry.accounts.service import create_user
from registry.actor import Role
from registry.bodies.models import EvaluationBody
from registry.filings.rules import EvaluationMethod as M
from registry.grades import GradeCode
from registry.settings import Settings
from tests.console.support import csrf_from, page_login
from tests.factories import PASSWORD, SYSTEM, Batch, assessor_actor, make_batch, make_body, make_filing, make_person


@pytest.fixture
def browser(client: TestClient) -> TestClient:
    """The app as a browser on https sees it (the test settings' public URL is https: cookies are Secure)."""
    client.base_url = client.base_url.copy_with(scheme="https")
    return client


def _account(session: Session, settings: Settings, card: Assessor, username: str) -> str:
    role = Role.ASSESSOR if card.kind.value == "assessor" else Role.SUPERVISOR
    create_user(
        session,
        actor=SYSTEM,
        settings=settings,
        data=UserCreate(username=username, role=role, person_id=card.person_id, password=PASSWORD),
    )
    return username


@pytest.fixture
def body(session: Session, settings: Settings) -> EvaluationBody:
    body = make_body(session)
    make_filing(session, settings, body=body)
    return body


@pytest.fixture
def batch(session: Session, settings: Settings, body: EvaluationBody) -> Batch:
    """An open 初级工 batch (theory + skill), two assessors, three candidates."""
    made = make_batch(session, settings, body=body, grade=GradeCode.JUNIOR, assessors=2)
    for _ in range(3):
        person = make_person(session, settings, employer=body)
        enrol(session, actor=SYSTEM, batch_id=made.exam.id, data=EnrolIn(person_id=person.id), settings=settings)
    return made


@pytest.fixture
def other(session: Session, settings: Settings, body: EvaluationBody) -> Batch:
    """A batch of the same body staffed by other people."""
    return make_batch(session, settings, body=body, grade=GradeCode.JUNIOR, assessors=2)


def _candidates(session: Session, batch: Batch) -> list[Candidate]:
    rows = session.exec(select(Candidate).where(Candidate.session_id == batch.exam.id)).all()
    return sorted(rows, key=lambda c: (c.enrolled_at, c.id))


def _scores(session: Session, batch: Batch, assessor: Assessor) -> dict[tuple[str, str], Decimal]:
    session.expire_all()
    ids = {c.id for c in _candidates(session, batch)}
    rows = session.exec(select(Score).where(Score.assessor_id == assessor.id)).all()
    return {
        (str(s.candidate_id), s.component.value): Decimal(s.value_tenths) / 10 for s in rows if s.candidate_id in ids
    }


def _as_assessor(browser: TestClient, session: Session, settings: Settings, batch: Batch) -> str:
    username = _account(session, settings, batch.assessors[0], "k.grid")
    session.commit()
    page_login(browser, username)
    return username


def _post_row(browser: TestClient, batch: Batch, candidate: Candidate, cells: dict[str, str], **kw: object) -> object:
    page = browser.get(f"/console/assess/batches/{batch.exam.id}")
    data = {"csrf_token": csrf_from(page.text), **cells}
    url = f"/console/assess/batches/{batch.exam.id}/candidates/{candidate.id}/scores"
    return browser.post(url, data=data, follow_redirects=False, **kw)  # type: ignore[arg-type]


class TestAssignedBatches:
    def test_an_assessor_sees_only_the_batches_they_staff(
        self, browser: TestClient, session: Session, settings: Settings, batch: Batch, other: Batch
    ) -> None:
        _as_assessor(browser, session, settings, batch)
        page = browser.get("/console/assess")
        assert page.status_code == 200
        assert str(batch.exam.id) in page.text
        assert str(other.exam.id) not in page.text
        assert 'data-my-missing="6"' in page.text  # 3 candidates × 2 components of my own

    def test_another_batch_is_not_found(
        self, browser: TestClient, session: Session, settings: Settings, batch: Batch, other: Batch
    ) -> None:
        _as_assessor(browser, session, settings, batch)
        response = browser.get(f"/console/assess/batches/{other.exam.id}")
        assert response.status_code == 404
        assert "考务批次不存在" in response.text

    def test_a_worker_may_not_open_the_assessor_console(
        self, browser: TestClient, session: Session, settings: Settings, batch: Batch
    ) -> None:
        person = make_person(session, settings)
        create_user(
            session,
            actor=SYSTEM,
            settings=settings,
            data=UserCreate(username="w.nosy", role=Role.WORKER, person_id=person.id, password=PASSWORD),
        )
        session.commit()
        page_login(browser, "w.nosy")
        assert browser.get("/console/assess").status_code == 403
        assert browser.get(f"/console/assess/batches/{batch.exam.id}").status_code == 403

    def test_without_login_the_page_asks_to_log_in(self, browser: TestClient, batch: Batch) -> None:
        response = browser.get(f"/console/assess/batches/{batch.exam.id}", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=/console/assess/batches/")


class TestScoreGrid:
    def test_the_grid_shows_every_cell_and_what_is_missing(
        self, browser: TestClient, session: Session, settings: Settings, batch: Batch
    ) -> None:
        first = _candidates(session, batch)[0]
        record_scores(
            session,
            actor=assessor_actor(batch.assessors[1]),
            batch_id=batch.exam.id,
            candidate_id=first.id,
            scores={M.THEORY_EXAM: Decimal(70)},
        )
        _as_assessor(browser, session, settings, batch)
        page = browser.get(f"/console/assess/batches/{batch.exam.id}").text
        assert page.count('name="theory_exam"') == 3 and page.count('name="skill_operation"') == 3
        assert page.count('data-missing="true"') == 6  # the other assessor's 70 is not mine
        assert 'data-missing-total="11"' in page
        assert f'data-assessor-missing="{batch.assessors[0].card_number}">6' in page

    def test_a_row_saves_without_a_script_and_returns_to_the_row(
        self, browser: TestClient, session: Session, settings: Settings, batch: Batch
    ) -> None:
        _as_assessor(browser, session, settings, batch)
        candidate = _candidates(session, batch)[0]
        response = _post_row(browser, batch, candidate, {"theory_exam": "78.5", "skill_operation": "81"})
        assert response.status_code == 303  # type: ignore[attr-defined]
        assert response.headers["location"].endswith(f"saved={candidate.id}#row-{candidate.id}")  # type: ignore[attr-defined]
        assert _scores(session, batch, batch.assessors[0]) == {
            (str(candidate.id), "theory_exam"): Decimal("78.5"),
            (str(candidate.id), "skill_operation"): Decimal(81),
        }
        page = browser.get(response.headers["location"]).text  # type: ignore[attr-defined]
        assert 'data-my-missing="4"' in page and 'value="78.5"' in page

    @pytest.mark.parametrize("bad", ["101", "abc", "78.55", "-1"])
    def test_a_bad_score_is_refused_next_to_its_cell_and_the_rest_of_the_row_is_saved(
        self, browser: TestClient, session: Session, settings: Settings, batch: Batch, bad: str
    ) -> None:
        _as_assessor(browser, session, settings, batch)
        candidate = _candidates(session, batch)[0]
        response = _post_row(browser, batch, candidate, {"theory_exam": bad, "skill_operation": "66"})
        assert response.status_code == 400  # type: ignore[attr-defined]
        html = response.text  # type: ignore[attr-defined]
        cell = re.search(
            rf'<td[^>]*data-kind="theory_exam">(?:(?!</td>).)*{candidate.id}:theory_exam-error(?:(?!</td>).)*</td>',
            html,
            re.S,
        )
        assert cell is not None, "the refusal is inside the cell it concerns"
        assert "分数应为 0 到 100 之间的数字" in cell.group(0) and "a score is a number from 0 to 100" in cell.group(0)
        assert f'value="{bad}"' in cell.group(0)  # what was typed stays to be corrected
        assert _scores(session, batch, batch.assessors[0]) == {(str(candidate.id), "skill_operation"): Decimal(66)}

    def test_the_script_saves_one_cell_and_gets_the_counts_back(
        self, browser: TestClient, session: Session, settings: Settings, batch: Batch
    ) -> None:
        _as_assessor(browser, session, settings, batch)
        candidate = _candidates(session, batch)[1]
        response = _post_row(
            browser, batch, candidate, {"skill_operation": "90"}, headers={"Accept": "application/json"}
        )
        assert response.status_code == 200  # type: ignore[attr-defined]
        answer = response.json()  # type: ignore[attr-defined]
        assert answer["saved"] == {"skill_operation": "90.0"}
        assert answer["row_missing"] == ["theory_exam"]
        assert answer["my_missing"] == 5 and answer["missing_total"] == 11
        bad = _post_row(browser, batch, candidate, {"theory_exam": "x"}, headers={"Accept": "application/json"})
        assert bad.status_code == 400  # type: ignore[attr-defined]
        assert bad.json()["errors"]["theory_exam"]["en"].startswith("a score is")  # type: ignore[attr-defined]

    def test_a_form_without_the_csrf_token_is_refused_and_saves_nothing(
        self, browser: TestClient, session: Session, settings: Settings, batch: Batch
    ) -> None:
        _as_assessor(browser, session, settings, batch)
        candidate = _candidates(session, batch)[0]
        url = f"/console/assess/batches/{batch.exam.id}/candidates/{candidate.id}/scores"
        response = browser.post(url, data={"theory_exam": "80"}, follow_redirects=False)
        assert response.status_code == 403
        assert _scores(session, batch, batch.assessors[0]) == {}

    def test_scores_of_a_closed_scoring_phase_are_refused_with_the_reason(
        self, browser: TestClient, session: Session, settings: Settings, batch: Batch
    ) -> None:
        _as_assessor(browser, session, settings, batch)
        candidate = _candidates(session, batch)[0]
        page = browser.get(f"/console/assess/batches/{batch.exam.id}")
        exam = session.get(ExamSession, batch.exam.id)
        assert exam is not None
        exam.status = SessionStatus.SCORED
        session.commit()
        url = f"/console/assess/batches/{batch.exam.id}/candidates/{candidate.id}/scores"
        response = browser.post(url, data={"csrf_token": csrf_from(page.text), "theory_exam": "80"})
        assert response.status_code == 409
        assert "不能录入分数" in response.text and "scores are recorded only while it is open" in response.text


class TestAttestation:
    def _supervisor(self, browser: TestClient, session: Session, settings: Settings, batch: Batch) -> None:
        _account(session, settings, batch.supervisor, "r.attest")
        session.commit()
        page_login(browser, "r.attest")

    def test_attestation_is_refused_while_scores_are_missing_showing_why(
        self, browser: TestClient, session: Session, settings: Settings, batch: Batch
    ) -> None:
        self._supervisor(browser, session, settings, batch)
        page = browser.get(f"/console/assess/batches/{batch.exam.id}")
        assert "data-attest-blocked" in page.text
        response = browser.post(
            f"/console/assess/batches/{batch.exam.id}/attest",
            data={"csrf_token": csrf_from(page.text), "note": "考务规范"},
        )
        assert response.status_code == 409
        assert "尚有12项分数未录入" in response.text and 'data-error-code="batch_incomplete"' in response.text
        assert "every assessor scores every candidate" in response.text  # what to do, in both languages
        assert 'data-citation="002:23"' in response.text  # the clause the rule carries out
        session.expire_all()
        assert session.get(ExamSession, batch.exam.id).status == SessionStatus.OPEN  # type: ignore[union-attr]

    def test_the_supervisor_attests_a_complete_batch_with_a_note(
        self, browser: TestClient, session: Session, settings: Settings, batch: Batch
    ) -> None:
        for candidate in _candidates(session, batch):
            for assessor in batch.assessors:
                record_scores(
                    session,
                    actor=assessor_actor(assessor),
                    batch_id=batch.exam.id,
                    candidate_id=candidate.id,
                    scores={M.THEORY_EXAM: Decimal(75), M.SKILL_OPERATION: Decimal(80)},
                )
        self._supervisor(browser, session, settings, batch)
        page = browser.get(f"/console/assess/batches/{batch.exam.id}")
        assert 'data-missing-total="0"' in page.text
        response = browser.post(
            f"/console/assess/batches/{batch.exam.id}/attest",
            data={"csrf_token": csrf_from(page.text), "note": "考务组织规范，回避到位"},
            follow_redirects=False,
        )
        assert response.status_code == 303
        session.expire_all()
        exam = session.get(ExamSession, batch.exam.id)
        assert exam is not None and exam.status == SessionStatus.SCORED and exam.attested_by == batch.supervisor.id
        assert "data-attested" in browser.get(response.headers["location"]).text

    def test_an_assessor_cannot_attest(
        self, browser: TestClient, session: Session, settings: Settings, batch: Batch
    ) -> None:
        _as_assessor(browser, session, settings, batch)
        page = browser.get(f"/console/assess/batches/{batch.exam.id}")
        assert "data-attest-form" not in page.text
        response = browser.post(
            f"/console/assess/batches/{batch.exam.id}/attest", data={"csrf_token": csrf_from(page.text)}
        )
        assert response.status_code == 403
        assert "只有本批次的质量督导员可以签署" in response.text


def test_the_pages_read_in_english_too(browser: TestClient, session: Session, settings: Settings, batch: Batch) -> None:
    _as_assessor(browser, session, settings, batch)
    listing = browser.get("/console/assess?lang=en").text
    assert "My exam batches" in listing and "whole batch" in listing
    page = browser.get(f"/console/assess/batches/{batch.exam.id}").text  # the language is remembered
    assert "Enter my scores" in page and "My scores still missing" in page
