"""Worker pages: the two-step claim (one answer for every failure, limits, CSRF, claiming twice), the lifelong
record with its standing, the PDF, share links — and only one's own."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.console.session import SESSION_COOKIE
from certificates.models import Certificate, CertificateStatus, RevocationReason
from certificates.open_models import ShareLink
from certificates.service import set_status
from registry.accounts.models import UserAccount
from registry.actor import Role
from registry.grades import GradeCode
from registry.people.models import Person
from registry.settings import Settings
from tests.conftest import ClientFactory
from tests.console.support import csrf_from, page_login
from tests.factories import SYSTEM, give_award, make_certificate, make_person, valid_id

NAME = "司马春梅"
TICKET = re.compile(r'name="ticket" value="([^"]+)"')
NEW_PASSWORD = "chunmei-2026-pass"


def _https(client: TestClient) -> TestClient:
    client.base_url = client.base_url.copy_with(scheme="https")
    return client


@pytest.fixture
def browser(settings: Settings, client_for: ClientFactory) -> TestClient:
    """A browser on https (Secure cookies), with room for several claim attempts per minute."""
    return _https(client_for(settings.model_copy(update={"lookup_rate_per_minute": 1000})))


@pytest.fixture
def holder(session: Session, settings: Settings) -> tuple[Certificate, str]:
    id_number = valid_id()
    person = make_person(session, settings, name=NAME, id_number=id_number)
    certificate = make_certificate(session, settings, person=person)
    session.commit()
    return certificate, id_number


def _step1(browser: TestClient, number: str, name: str, id_number: str) -> object:
    token = csrf_from(browser.get("/claim").text)
    return browser.post(
        "/claim", data={"csrf_token": token, "certificate_number": number, "name": name, "id_number": id_number}
    )


def _claim(browser: TestClient, holder: tuple[Certificate, str], username: str = "sima.cm") -> object:
    certificate, id_number = holder
    step1 = _step1(browser, certificate.number, NAME, id_number)
    assert step1.status_code == 200, step1.text  # type: ignore[attr-defined]
    ticket = TICKET.search(step1.text)  # type: ignore[attr-defined]
    assert ticket is not None
    return browser.post(
        "/claim/account",
        data={
            "csrf_token": csrf_from(step1.text),  # type: ignore[attr-defined]
            "ticket": ticket.group(1),
            "username": username,
            "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
        follow_redirects=False,
    )


class TestClaim:
    def test_a_holder_claims_sets_a_password_and_lands_on_their_record(
        self, browser: TestClient, session: Session, holder: tuple[Certificate, str]
    ) -> None:
        response = _claim(browser, holder)
        assert response.status_code == 303  # type: ignore[attr-defined]
        assert response.headers["location"] == "/console/me?welcome=1"  # type: ignore[attr-defined]
        assert SESSION_COOKIE in response.cookies  # type: ignore[attr-defined]
        user = session.exec(select(UserAccount).where(UserAccount.username == "sima.cm")).one()
        assert user.role == Role.WORKER and user.person_id == holder[0].person_id
        record = browser.get("/console/me?welcome=1")
        assert record.status_code == 200
        assert holder[0].number in record.text and "data-welcome" in record.text
        browser.cookies.clear()
        assert page_login(browser, "sima.cm", NEW_PASSWORD) == "/console/me"  # the worker's home

    def test_every_wrong_detail_gets_the_same_answer_naming_no_field(
        self, browser: TestClient, session: Session, settings: Settings, holder: tuple[Certificate, str]
    ) -> None:
        certificate, id_number = holder
        answers = []
        for number, name, typed in (
            (certificate.number, "司马春兰", id_number),
            (certificate.number, NAME, valid_id()),
            (certificate.number[:-1] + ("1" if certificate.number[-1] != "1" else "2"), NAME, id_number),
            ("", "", ""),
        ):
            response = _step1(browser, number, name, typed)
            message = re.search(r"data-claim-error>(.*?)</div>", response.text, re.S)  # type: ignore[attr-defined]
            assert message is not None
            answers.append((response.status_code, message.group(1)))  # type: ignore[attr-defined]
            assert 'name="ticket"' not in response.text  # type: ignore[attr-defined]
            assert id_number not in response.text  # type: ignore[attr-defined]
        assert len(set(answers)) == 1, answers
        assert answers[0][0] == 400

    def test_claiming_twice_is_refused_clearly(
        self, browser: TestClient, session: Session, holder: tuple[Certificate, str]
    ) -> None:
        assert _claim(browser, holder).status_code == 303  # type: ignore[attr-defined]
        browser.cookies.clear()
        again = _step1(browser, holder[0].number, NAME, holder[1])
        assert again.status_code == 409  # type: ignore[attr-defined]
        assert "此持证人已有账号" in again.text and "already has an account" in again.text  # type: ignore[attr-defined]

    def test_a_used_or_forged_ticket_creates_nothing(
        self, browser: TestClient, session: Session, holder: tuple[Certificate, str]
    ) -> None:
        token = csrf_from(browser.get("/claim").text)
        response = browser.post(
            "/claim/account",
            data={
                "csrf_token": token,
                "ticket": "AAAA",
                "username": "forger",
                "password": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
        )
        assert response.status_code == 400
        assert "请重新核对证书信息" in response.text
        assert session.exec(select(UserAccount).where(UserAccount.username == "forger")).first() is None

    @pytest.mark.parametrize(
        ("username", "password", "repeated", "field"),
        [
            ("Sima CM", NEW_PASSWORD, NEW_PASSWORD, "username"),
            ("sima.cm", "short", "short", "password"),
            ("sima.cm.2026", "Sima.CM.2026", "Sima.CM.2026", "password"),
            ("sima.cm", NEW_PASSWORD, NEW_PASSWORD + "x", "password2"),
        ],
        ids=["username-shape", "password-length", "password-is-username", "passwords-differ"],
    )
    def test_a_bad_login_is_refused_next_to_its_field_keeping_the_ticket(
        self,
        browser: TestClient,
        session: Session,
        holder: tuple[Certificate, str],
        username: str,
        password: str,
        repeated: str,
        field: str,
    ) -> None:
        step1 = _step1(browser, holder[0].number, NAME, holder[1])
        ticket = TICKET.search(step1.text)  # type: ignore[attr-defined]
        assert ticket is not None
        response = browser.post(
            "/claim/account",
            data={
                "csrf_token": csrf_from(step1.text),  # type: ignore[attr-defined]
                "ticket": ticket.group(1),
                "username": username,
                "password": password,
                "password2": repeated,
            },
        )
        assert response.status_code == 400
        assert f'id="{field}-error"' in response.text
        assert f'value="{ticket.group(1)}"' in response.text
        assert session.exec(select(UserAccount).where(UserAccount.person_id == holder[0].person_id)).first() is None

    def test_claims_are_limited_per_client(
        self, settings: Settings, client_for: ClientFactory, holder: tuple[Certificate, str]
    ) -> None:
        tight = _https(client_for(settings.model_copy(update={"lookup_rate_per_minute": 2})))
        statuses = [_step1(tight, holder[0].number, NAME, valid_id()).status_code for _ in range(3)]  # type: ignore[attr-defined]
        assert statuses == [400, 400, 429]

    def test_a_claim_without_the_csrf_token_is_refused(
        self, browser: TestClient, session: Session, holder: tuple[Certificate, str]
    ) -> None:
        browser.get("/claim")
        response = browser.post(
            "/claim", data={"certificate_number": holder[0].number, "name": NAME, "id_number": holder[1]}
        )
        assert response.status_code == 403
        assert 'name="ticket"' not in response.text


class TestRecord:
    @pytest.fixture
    def worker(
        self, browser: TestClient, session: Session, settings: Settings, holder: tuple[Certificate, str]
    ) -> Certificate:
        assert _claim(browser, holder).status_code == 303  # type: ignore[attr-defined]
        return holder[0]

    def test_the_record_lists_every_grade_with_its_standing(
        self, browser: TestClient, session: Session, settings: Settings, worker: Certificate
    ) -> None:
        give_award(session, person=_person(session, worker), grade=GradeCode.JUNIOR, occupation_code="6-31-01-03")
        second = make_certificate(session, settings, person=_person(session, worker), grade=GradeCode.TECHNICIAN)
        set_status(
            session,
            actor=SYSTEM,
            number=second.number,
            target=CertificateStatus.REVOKED,
            reason=RevocationReason.ISSUED_IN_ERROR,
            note="信息录入错误，已撤销",
        )
        session.commit()
        page = browser.get("/console/me").text
        assert page.count("data-award=") == 3  # the legacy grade, the valid certificate, the revoked one
        assert f'data-certificate="{worker.number}"' in page and f'data-certificate="{second.number}"' in page
        assert 'data-certificate-status="revoked"' in page and "信息录入错误" in page
        assert "系统上线前取得的证书" in page

    def test_only_ones_own_record_and_pdfs(
        self, browser: TestClient, session: Session, settings: Settings, worker: Certificate
    ) -> None:
        stranger = make_certificate(session, settings)
        session.commit()
        assert stranger.number not in browser.get("/console/me").text
        assert browser.get(f"/console/me/certificates/{stranger.number}/pdf").status_code == 404
        own = browser.get(f"/console/me/certificates/{worker.number}/pdf")
        assert own.status_code == 200
        assert own.headers["content-type"] == "application/pdf" and own.content.startswith(b"%PDF")

    def test_a_share_link_is_shown_once_to_copy_and_can_be_withdrawn(
        self, browser: TestClient, session: Session, settings: Settings, worker: Certificate
    ) -> None:
        page = browser.get("/console/me")
        response = browser.post(
            f"/console/me/certificates/{worker.number}/share-links",
            data={"csrf_token": csrf_from(page.text), "purpose": "应聘焊接技师岗位", "days": "14"},
        )
        assert response.status_code == 201
        shown = re.search(r'id="new-link-url" value="([^"]+)"', response.text)
        assert shown is not None and shown.group(1).startswith("https://registry.test/s/")
        assert f'data-copy="{shown.group(1)}"' in response.text
        link = session.exec(select(ShareLink)).one()
        assert browser.get(shown.group(1).removeprefix("https://registry.test")).status_code == 200
        withdrawn = browser.post(
            f"/console/me/share-links/{link.id}/withdraw", data={"csrf_token": csrf_from(response.text)}
        )
        assert withdrawn.status_code == 200 and 'data-link-state="withdrawn"' in withdrawn.text
        assert browser.get(shown.group(1).removeprefix("https://registry.test")).status_code == 410

    def test_a_bad_purpose_is_refused_next_to_the_field(
        self, browser: TestClient, session: Session, worker: Certificate
    ) -> None:
        page = browser.get("/console/me")
        response = browser.post(
            f"/console/me/certificates/{worker.number}/share-links",
            data={"csrf_token": csrf_from(page.text), "purpose": "x", "days": "200"},
        )
        assert response.status_code == 400
        assert f'id="{worker.number}:purpose-error"' in response.text
        assert f'id="{worker.number}:days-error"' in response.text
        assert session.exec(select(ShareLink)).first() is None

    def test_an_account_without_a_person_has_no_record(
        self, session: Session, settings: Settings, client_for: ClientFactory
    ) -> None:
        from tests.factories import make_user

        make_user(session, settings, role=Role.REGULATOR, username="reg.me")
        session.commit()
        client = _https(client_for(settings))
        page_login(client, "reg.me")
        assert client.get("/console/me").status_code == 403


def _person(session: Session, certificate: Certificate) -> Person:
    person = session.get(Person, certificate.person_id)
    assert person is not None
    return person


def test_the_claim_and_the_record_read_in_english(browser: TestClient, holder: tuple[Certificate, str]) -> None:
    assert "Claim my skill record" in browser.get("/claim?lang=en").text
    assert _claim(browser, holder).status_code == 303  # type: ignore[attr-defined]
    record = browser.get("/console/me").text
    assert "My skill record" in record and "Download the PDF" in record and "Certificate standing" in record
