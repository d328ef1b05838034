"""A worker claims their record over the API: the three details prove holdership, every failure answers alike."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlmodel import Session, col, select

from certificates.claim import person_of_ticket, ticket_for
from certificates.models import Certificate, HolderCheck
from registry.accounts.models import UserAccount
from registry.actor import Role
from registry.audit.models import AuditEvent
from registry.clock import utcnow
from registry.people.models import Person
from registry.settings import Settings
from tests.conftest import ClientFactory
from tests.factories import login, make_certificate, make_person, make_user, valid_id

NAME = "欧阳晓燕"
PASSWORD = "claimed-pass-2026"


def _holder(session: Session, settings: Settings) -> tuple[Certificate, str]:
    number = valid_id()
    person = make_person(session, settings, name=NAME, id_number=number)
    certificate = make_certificate(session, settings, person=person)
    session.commit()  # a savepoint: a refused request rolls back its own work only
    return certificate, number


def _claim(certificate: Certificate, id_number: str, **overrides: Any) -> dict[str, Any]:
    return {
        "certificate_number": certificate.number,
        "name": NAME,
        "id_number": id_number,
        "username": "ouyang.xy",
        "password": PASSWORD,
        **overrides,
    }


@pytest.fixture
def roomy(settings: Settings, client_for: ClientFactory) -> TestClient:
    """A client whose per-client limit does not get in the way of several attempts."""
    return client_for(settings.model_copy(update={"lookup_rate_per_minute": 1000}))


class TestClaim:
    def test_the_right_details_create_a_worker_account_tied_to_the_holder(
        self, roomy: TestClient, session: Session, settings: Settings
    ) -> None:
        certificate, id_number = _holder(session, settings)
        response = roomy.post("/api/v1/accounts/claim", json=_claim(certificate, id_number))
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["role"] == "worker"
        assert body["person_id"] == str(certificate.person_id)
        assert body["username"] == "ouyang.xy"
        headers = login(roomy, "ouyang.xy", PASSWORD)
        mine = roomy.get("/api/v1/certificates", headers=headers).json()
        assert [c["number"] for c in mine] == [certificate.number]

    def test_typed_forms_of_the_details_are_accepted(
        self, roomy: TestClient, session: Session, settings: Settings
    ) -> None:
        certificate, id_number = _holder(session, settings)
        typed = _claim(certificate, f" {id_number.lower()} ", certificate_number=certificate.number.lower())
        assert roomy.post("/api/v1/accounts/claim", json=typed).status_code == 201

    def test_a_second_claim_is_refused_clearly(self, roomy: TestClient, session: Session, settings: Settings) -> None:
        certificate, id_number = _holder(session, settings)
        assert roomy.post("/api/v1/accounts/claim", json=_claim(certificate, id_number)).status_code == 201
        again = roomy.post("/api/v1/accounts/claim", json=_claim(certificate, id_number, username="another.name"))
        assert again.status_code == 409
        assert again.json()["error"] == "account_already_claimed"
        assert "直接登录" in again.json()["detail_zh"]
        assert len(session.exec(select(UserAccount).where(UserAccount.person_id == certificate.person_id)).all()) == 1

    def test_a_person_with_a_staff_account_already_cannot_claim_a_second(
        self, roomy: TestClient, session: Session, settings: Settings
    ) -> None:
        certificate, id_number = _holder(session, settings)
        staff = make_user(session, settings, role=Role.REGULATOR)
        staff.person_id = certificate.person_id
        session.commit()
        response = roomy.post("/api/v1/accounts/claim", json=_claim(certificate, id_number))
        assert response.json()["error"] == "account_already_claimed"

    def test_a_username_in_use_is_refused_after_the_proof(
        self, roomy: TestClient, session: Session, settings: Settings
    ) -> None:
        certificate, id_number = _holder(session, settings)
        taken = make_user(session, settings, role=Role.REGULATOR)
        session.commit()
        response = roomy.post("/api/v1/accounts/claim", json=_claim(certificate, id_number, username=taken.username))
        assert response.status_code == 409
        assert response.json()["error"] == "username_taken"

    @pytest.mark.parametrize(
        ("password", "status"),
        [("short", 422), ("ouyang.xy", 422), ("OUYANG.XY.", 201), ("Ouyang.Xy", 422)],
        ids=["too-short", "the-username-too-short", "long-enough", "username-in-capitals-too-short"],
    )
    def test_the_password_policy_is_that_of_every_account(
        self, roomy: TestClient, session: Session, settings: Settings, password: str, status: int
    ) -> None:
        certificate, id_number = _holder(session, settings)
        response = roomy.post("/api/v1/accounts/claim", json=_claim(certificate, id_number, password=password))
        assert response.status_code == status, response.text

    def test_the_username_as_password_is_refused_before_any_attempt_is_counted(
        self, roomy: TestClient, session: Session, settings: Settings
    ) -> None:
        certificate, id_number = _holder(session, settings)
        claim = _claim(certificate, id_number, username="ouyang.xiaoyan", password="Ouyang.XiaoYan")
        response = roomy.post("/api/v1/accounts/claim", json=claim)
        assert response.status_code == 400
        assert response.json()["field"] == "password"
        assert session.get(HolderCheck, certificate.person_id) is None


class TestNoEnumeration:
    def test_every_failure_answers_exactly_alike(self, roomy: TestClient, session: Session, settings: Settings) -> None:
        certificate, id_number = _holder(session, settings)
        other, _ = _holder(session, settings)
        unknown = certificate.number[:-6] + ("000000" if certificate.number[-6:] != "000000" else "999999")
        attempts = {
            "wrong name": _claim(certificate, id_number, name="欧阳晓红"),
            "wrong ID number": _claim(certificate, valid_id()),
            "malformed ID number": _claim(certificate, "12345"),
            "someone else's certificate": _claim(other, id_number),
            "unknown number": _claim(certificate, id_number, certificate_number=unknown),
            "not a number at all": _claim(certificate, id_number, certificate_number="NOPE"),
        }
        answers = {}
        for label, claim in attempts.items():
            response = roomy.post("/api/v1/accounts/claim", json=claim)
            answers[label] = (response.status_code, response.json(), response.headers.get("retry-after"))
        assert len({json.dumps(a, sort_keys=True) for a in answers.values()}) == 1, answers
        status, body, _ = answers["wrong name"]
        assert status == 404
        assert body["error"] == "claim_no_match"
        assert session.exec(select(UserAccount).where(col(UserAccount.person_id).is_not(None))).all() == []

    def test_failed_attempts_are_counted_against_the_holder(
        self, roomy: TestClient, session: Session, settings: Settings
    ) -> None:
        certificate, _ = _holder(session, settings)
        roomy.post("/api/v1/accounts/claim", json=_claim(certificate, valid_id()))
        roomy.post("/api/v1/accounts/claim", json=_claim(certificate, valid_id()))
        session.expire_all()
        check = session.get(HolderCheck, certificate.person_id)
        assert check is not None and check.attempts == 2

    def test_a_spent_holder_budget_refuses_even_the_right_details_with_the_same_answer(
        self, settings: Settings, client_for: ClientFactory, session: Session
    ) -> None:
        client = client_for(settings.model_copy(update={"lookup_rate_per_minute": 1000, "holder_checks_per_day": 2}))
        certificate, id_number = _holder(session, settings)
        wrong = [client.post("/api/v1/accounts/claim", json=_claim(certificate, valid_id())) for _ in range(2)]
        right = client.post("/api/v1/accounts/claim", json=_claim(certificate, id_number))
        assert right.status_code == 404
        assert right.json() == wrong[0].json()
        assert session.exec(select(UserAccount).where(UserAccount.person_id == certificate.person_id)).first() is None

    def test_the_claim_and_the_public_holder_check_share_one_budget(
        self, settings: Settings, client_for: ClientFactory, session: Session
    ) -> None:
        client = client_for(settings.model_copy(update={"lookup_rate_per_minute": 1000, "holder_checks_per_day": 1}))
        certificate, id_number = _holder(session, settings)
        check = client.post(f"/api/v1/verify/{certificate.token}/holder", json={"name": NAME, "id_number": id_number})
        assert check.json()["matched"] is True
        assert client.post("/api/v1/accounts/claim", json=_claim(certificate, id_number)).status_code == 404

    def test_claims_are_limited_per_client(
        self, settings: Settings, client_for: ClientFactory, session: Session
    ) -> None:
        client = client_for(settings.model_copy(update={"lookup_rate_per_minute": 2}))
        certificate, _ = _holder(session, settings)
        statuses = [
            client.post("/api/v1/accounts/claim", json=_claim(certificate, valid_id())).status_code for _ in range(3)
        ]
        assert statuses == [404, 404, 429]


class TestAudit:
    def test_the_claim_is_audited_without_personal_data(
        self, roomy: TestClient, session: Session, settings: Settings
    ) -> None:
        certificate, id_number = _holder(session, settings)
        assert roomy.post("/api/v1/accounts/claim", json=_claim(certificate, id_number)).status_code == 201
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "user.claimed")).one()
        assert event.actor_role == "worker"
        assert event.after == {"username": "ouyang.xy", "role": "worker", "person_id": str(certificate.person_id)}
        person = session.get(Person, certificate.person_id)
        assert person is not None
        text = json.dumps([event.before, event.after, event.reason, event.actor_label], ensure_ascii=False)
        for secret in (NAME, id_number, person.id_masked, certificate.number, PASSWORD):
            assert secret not in text


class TestTicket:
    def test_a_ticket_names_the_person_until_it_expires(self, settings: Settings) -> None:
        person_id = uuid.uuid4()
        now = utcnow()
        ticket = ticket_for(settings, person_id, now=now)
        assert person_of_ticket(settings, ticket, now=now) == person_id
        assert person_of_ticket(settings, ticket, now=now + dt.timedelta(minutes=16)) is None

    @pytest.mark.parametrize("damage", ["flip", "truncate", "garbage", "other-key"])
    def test_a_forged_or_damaged_ticket_names_nobody(self, settings: Settings, damage: str) -> None:
        person_id = uuid.uuid4()
        ticket = ticket_for(settings, person_id)
        forged = {
            "flip": ticket[:5] + ("A" if ticket[5] != "A" else "B") + ticket[6:],
            "truncate": ticket[:-3],
            "garbage": "%%%",
            "other-key": ticket_for(settings.model_copy(update={"secret_key": SecretStr("x" * 48)}), person_id),
        }[damage]
        assert person_of_ticket(settings, forged) is None
