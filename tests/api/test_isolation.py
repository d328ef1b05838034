"""Tenant isolation: a second body's admin walks every endpoint with the first body's ids and gets nowhere.

Every route of the app must be classified here, so a new endpoint cannot ship without an isolation check.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection
from sqlmodel import Session, func, select

from api import console
from api.app import create_app
from api.security import create_access_token
from assessment.assessors.models import Assessor
from assessment.batches.models import Candidate, EnrolIn, ExamSession, Score
from assessment.batches.service import enrol
from assessment.recognition.models import Evidence, Path, Recognition, RecognitionIn, Trigger
from assessment.recognition.service import apply_for_recognition
from certificates.models import Certificate
from certificates.open_models import ShareLink
from certificates.sharing import ShareLinkIn, create_link
from registry.actor import Actor, Role
from registry.audit.service import snapshot
from registry.awards.models import Appointment, GradeAward
from registry.bodies.models import BodyKind, EvaluationBody
from registry.filings.models import Filing
from registry.grades import GradeCode
from registry.jobs.models import Job, JobKind
from registry.jobs.service import create_job
from registry.people.models import Employment, Person
from registry.settings import Settings
from tests.conftest import built_once, sharing_records
from tests.factories import (
    PASSWORD,
    SYSTEM,
    Batch,
    make_batch,
    make_body,
    make_certificate,
    make_filing,
    make_person,
    make_user,
    scope_line,
    valid_uscc,
)

FILING_BODY = {
    "ceiling": "senior_technician",
    "starts_on": "2026-01-01",
    "ends_on": "2027-12-31",
    "lines": [{"occupation_code": "6-18-02-04", "max_grade": "senior", "methods": ["skill_operation"]}],
}
REASON = {"reason": "越权尝试"}

# HTML pages outside the OpenAPI document (public).
HTML_PAGES = {
    ("GET", "/"),
    ("GET", "/v/{token}"),
    ("POST", "/v/{token}/holder"),
    ("GET", "/verify"),
    ("POST", "/verify"),
    ("GET", "/s/{code}"),
    ("GET", "/verify/pdf"),
    ("POST", "/verify/pdf"),
}
# Console pages (api/console, kept out of the OpenAPI document). CONSOLE_PUBLIC: anyone. CONSOLE_OWN: a console
# login, and only the caller's own records (a job of another account is "not found"; tests/console/).
CONSOLE_PUBLIC = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/logout"),
    ("POST", "/logout"),
    # a worker claims their own record: details only the holder has (tests/console/test_worker.py)
    ("GET", "/claim"),
    ("POST", "/claim"),
    ("POST", "/claim/account"),
    ("GET", "/publicity"),
    ("GET", "/publicity/{batch_id}"),
    ("POST", "/publicity/{batch_id}/objections"),  # anyone may object (masked 公示 data; tests/console)
    ("GET", "/bodies"),
    ("GET", "/bodies/{body_id}"),  # the public catalogue and sanction register only
    ("GET", "/equivalences"),
}
CONSOLE_OWN = {
    ("GET", "/console"),
    # the batches the account staffs; any other is "not found" (tests/console/test_assess.py)
    ("GET", "/console/assess"),
    ("GET", "/console/assess/batches/{batch_id}"),
    ("POST", "/console/assess/batches/{batch_id}/candidates/{candidate_id}/scores"),
    ("POST", "/console/assess/batches/{batch_id}/attest"),
    # the record of the account's own person; another's certificate is "not found" (tests/console/test_worker.py)
    ("GET", "/console/me"),
    ("GET", "/console/me/certificates/{number}/pdf"),
    ("POST", "/console/me/certificates/{number}/share-links"),
    ("POST", "/console/me/share-links/{link_id}/withdraw"),
    ("GET", "/console/jobs/{job_id}"),
    ("GET", "/console/jobs/{job_id}/progress"),
    ("GET", "/console/jobs/{job_id}/file"),
}
# The regulator's console pages (api/console/regulator.py): a body admin gets the 403 page on every one
# (tests/console/test_regulator.py walks them all with a console login), a stranger is sent to log in.
CONSOLE_REGULATOR = {
    (method, f"/console/regulator{path}")
    for method, path in (
        ("GET", ""),
        ("GET", "/filings"),
        ("GET", "/filings/{filing_id}"),
        ("POST", "/filings/{filing_id}/decision"),
        ("POST", "/filings/{filing_id}/status"),
        ("GET", "/bodies"),
        ("GET", "/bodies/{body_id}"),
        ("POST", "/bodies/{body_id}/site-code"),
        ("POST", "/bodies/{body_id}/status"),
        ("GET", "/assessors"),
        ("POST", "/assessors"),
        ("POST", "/assessors/{assessor_id}/status"),
        ("GET", "/stats"),
        ("GET", "/export.{fmt}"),
        ("GET", "/anomalies"),
        ("GET", "/anomalies/flag"),
        ("GET", "/samples"),
        ("POST", "/samples"),
        ("GET", "/samples/{sample_id}"),
        ("POST", "/samples/{sample_id}/items/{item_id}/findings"),
        ("GET", "/sanctions"),
        ("POST", "/sanctions/preview"),
        ("POST", "/sanctions"),
        ("GET", "/sanctions/{sanction_id}"),
        ("POST", "/sanctions/{sanction_id}/lift"),
        ("GET", "/audit"),
        ("GET", "/audit/chain"),
    )
}
# The body admin's pages (api/console/body.py): a body admin's own body only; tests/console/test_body.py walks every
# one of them with another body's ids (404, nothing changes) and as an anonymous visitor (sent to log in).
CONSOLE_BODY = {
    ("GET", "/console/body"),
    ("GET", "/console/body/batches"),
    ("GET", "/console/body/batches/new"),
    ("GET", "/console/body/batches/{batch_id}"),
    ("GET", "/console/body/certificates"),
    ("GET", "/console/body/certificates/{number}"),
    ("GET", "/console/body/certificates/{number}/pdf"),
    ("GET", "/console/body/filings"),
    ("GET", "/console/body/home"),
    ("GET", "/console/body/filings/new"),
    ("GET", "/console/body/filings/{filing_id}"),
    ("GET", "/console/body/jobs/{job_id}"),
    ("GET", "/console/body/recognitions"),
    ("GET", "/console/body/recognitions/new"),
    ("GET", "/console/body/recognitions/{recognition_id}"),
    ("GET", "/console/body/staff"),
    ("POST", "/console/body/batches"),
    ("POST", "/console/body/batches/{batch_id}/cancel"),
    ("POST", "/console/body/batches/{batch_id}/step/{step}"),
    ("POST", "/console/body/batches/{batch_id}/upload/{kind}"),
    ("POST", "/console/body/certificates/export"),
    ("POST", "/console/body/certificates/{number}/{action}"),
    ("POST", "/console/body/filings"),
    ("POST", "/console/body/filings/{filing_id}/lines"),
    ("POST", "/console/body/filings/{filing_id}/lines/{position}"),
    ("POST", "/console/body/filings/{filing_id}/lines/{position}/delete"),
    ("POST", "/console/body/filings/{filing_id}/programme"),
    ("POST", "/console/body/filings/{filing_id}/submit"),
    ("POST", "/console/body/recognitions"),
    ("POST", "/console/body/recognitions/{recognition_id}/decision"),
    ("POST", "/console/body/staff/accounts"),
    ("POST", "/console/body/staff/cards"),
    ("POST", "/console/body/staff/cards/{assessor_id}/account"),
}
# Routes anyone may call; they hold no tenant data.
PUBLIC = (
    {
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/api/v1/grades"),
        ("GET", "/api/v1/rules"),
        ("GET", "/api/v1/occupations"),
        ("GET", "/api/v1/occupations/{code}"),
        ("GET", "/api/v1/provinces"),
        ("GET", "/api/v1/provinces/{code}/cities"),
        ("GET", "/api/v1/education-levels"),
        ("GET", "/api/v1/titles"),
        ("GET", "/api/v1/equivalences"),
        ("GET", "/api/v1/bodies"),
        ("POST", "/api/v1/auth/token"),
        (
            "POST",
            "/api/v1/accounts/claim",
        ),  # proves holdership by details only the holder has; creates their own account
        ("GET", "/api/v1/competition-rules"),
        ("GET", "/api/v1/publicity/{session_id}"),
        ("GET", "/.well-known/jwks.json"),
        ("GET", "/api/v1/verify/{token}"),
        ("POST", "/api/v1/verify/lookup"),
        ("POST", "/api/v1/verify/{token}/holder"),
        ("GET", "/api/v1/verify/revocations"),
        ("GET", "/issuer"),
        ("GET", "/.well-known/jwt-vc-issuer/issuer"),
        ("GET", "/.well-known/scope-statements.json"),
        ("GET", "/api/v1/status-lists/{list_number}/{purpose}"),
        ("GET", "/api/v1/shared/{code}"),
        ("POST", "/api/v1/verify/pdf"),
        ("GET", "/api/v1/sanctions"),
        ("POST", "/api/v1/sessions/{session_id}/objections"),
    }
    | HTML_PAGES
    | CONSOLE_PUBLIC
)
# Shared registers every logged-in user may read (assessor cards, to staff batches).
SHARED = {("GET", "/api/v1/assessors"), ("GET", "/api/v1/assessors/{assessor_id}")}
# Creates always scoped to the caller's own body (a person registered is linked to the caller).
# (an export job exports what the caller may see, whatever body it names; its job is the caller's own)
OWN_CREATES = {("POST", "/api/v1/persons"), ("POST", "/api/v1/certificates/export")}
# Routes about the caller's own account.
SELF = {("GET", "/api/v1/users/me")}
# Regulator-only routes: a body admin gets 403 whatever the ids.
REGULATOR_ONLY: dict[tuple[str, str], dict[str, Any] | None] = {
    ("POST", "/api/v1/bodies"): {"uscc": "{new_uscc}", "name": "越权机构", "kind": "employer", "province_code": "44"},
    ("GET", "/api/v1/regulator/bodies"): None,
    ("POST", "/api/v1/users"): {"username": "intruder", "role": "regulator", "password": PASSWORD},
    ("GET", "/api/v1/users"): None,
    ("POST", "/api/v1/bodies/{body_id}/suspend"): REASON,
    ("POST", "/api/v1/bodies/{body_id}/reinstate"): REASON,
    ("POST", "/api/v1/bodies/{body_id}/revoke"): REASON,
    ("POST", "/api/v1/filings/{filing_id}/decision"): {"approve": True, "note": "越权批准"},
    ("POST", "/api/v1/filings/{filing_id}/suspend"): REASON,
    ("POST", "/api/v1/filings/{filing_id}/reinstate"): REASON,
    ("POST", "/api/v1/filings/{filing_id}/revoke"): REASON,
    ("GET", "/api/v1/audit/verify"): None,
    ("POST", "/api/v1/assessors"): {
        "person_id": "{person_id}",
        "card_number": "K999999",
        "max_grade": "senior",
        "held_grade": "senior",
        "valid_from": "2026-01-01",
        "valid_to": "2027-01-01",
        "occupations": ["6-18-02-04"],
    },
    ("POST", "/api/v1/assessors/{assessor_id}/suspend"): REASON,
    ("POST", "/api/v1/assessors/{assessor_id}/reinstate"): REASON,
    ("POST", "/api/v1/assessors/{assessor_id}/revoke"): REASON,
    ("PUT", "/api/v1/competition-rules"): [],
    ("POST", "/api/v1/awards/{award_id}/decision"): {"approve": True, "note": "越权确认"},
    ("GET", "/api/v1/regulator/stats"): None,
    ("GET", "/api/v1/regulator/anomalies"): None,
    ("POST", "/api/v1/regulator/samples"): {"population": "bodies", "size": 2, "reason": "越权抽查"},
    ("GET", "/api/v1/regulator/samples"): None,
    ("GET", "/api/v1/regulator/samples/{sample_id}"): None,
    ("POST", "/api/v1/regulator/samples/{sample_id}/items/{item_id}/findings"): {
        "outcome": "fraud",
        "note": "越权记录",
    },
    ("POST", "/api/v1/regulator/sanctions"): {
        "kind": "revoke_qualification",
        "body_id": "{body_id}",
        "reason": "越权处罚",
    },
    ("GET", "/api/v1/regulator/sanctions"): None,
    ("POST", "/api/v1/regulator/sanctions/{sanction_id}/lift"): {"reason": "越权解除"},
    ("GET", "/api/v1/regulator/export.csv"): {"kind": "certificates", "reason": "越权导出"},
    ("GET", "/api/v1/regulator/export.xlsx"): {"kind": "certificates", "reason": "越权导出"},
}
# Routes on another body's records: 403 or 404, and nothing changes.
TENANT: dict[tuple[str, str], dict[str, Any] | list[Any] | None] = {
    ("GET", "/api/v1/bodies/{body_id}"): None,
    ("PATCH", "/api/v1/bodies/{body_id}"): {"contact_phone": "000"},
    ("GET", "/api/v1/bodies/{body_id}/members"): None,
    ("PUT", "/api/v1/bodies/{body_id}/members"): [{"uscc": "{new_uscc}", "name": "越权成员"}],
    ("GET", "/api/v1/bodies/{body_id}/history"): None,
    ("POST", "/api/v1/filings"): {"body_id": "{body_id}", **FILING_BODY},
    ("GET", "/api/v1/filings/{filing_id}"): None,
    ("PUT", "/api/v1/filings/{filing_id}"): FILING_BODY,
    ("POST", "/api/v1/filings/{filing_id}/submit"): None,
    ("GET", "/api/v1/persons/{person_id}"): None,
    ("POST", "/api/v1/persons/{person_id}/employments"): {
        "employer_uscc": "{new_uscc}",
        "employer_name": "越权单位",
        "starts_on": "2026-01-01",
    },
    ("POST", "/api/v1/sessions"): {
        "body_id": "{body_id}",
        "occupation_code": "6-18-02-04",
        "grade": "senior",
        "exam_on": "2026-06-01",
        "venue": "越权考场",
        "assessor_ids": ["{assessor_id}"],
        "supervisor_id": "{assessor_id}",
    },
    ("GET", "/api/v1/sessions/{session_id}"): None,
    ("POST", "/api/v1/sessions/{session_id}/open"): None,
    ("POST", "/api/v1/sessions/{session_id}/cancel"): REASON,
    ("POST", "/api/v1/sessions/{session_id}/candidates"): {"person_id": "{person_id}"},
    ("GET", "/api/v1/sessions/{session_id}/candidates"): None,
    ("PUT", "/api/v1/sessions/{session_id}/candidates/{candidate_id}/scores"): {"scores": {"theory_exam": 99}},
    ("POST", "/api/v1/sessions/{session_id}/attest"): {"note": ""},
    ("POST", "/api/v1/sessions/{session_id}/finalize"): None,
    ("POST", "/api/v1/sessions/{session_id}/candidates/{candidate_id}/corrections"): {
        "component": "theory_exam",
        "assessor_id": "{assessor_id}",
        "value": 1,
        "reason": "越权更正分数",
    },
    ("GET", "/api/v1/sessions/{session_id}/corrections"): None,
    ("POST", "/api/v1/sessions/{session_id}/publish"): None,
    ("GET", "/api/v1/sessions/{session_id}/objections"): None,
    ("POST", "/api/v1/sessions/{session_id}/objections/{objection_id}/decision"): {"uphold": True, "note": "越权"},
    ("POST", "/api/v1/sessions/{session_id}/close"): None,
    ("POST", "/api/v1/recognitions"): {
        "body_id": "{body_id}",
        "person_id": "{person_id}",
        "occupation_code": "6-18-02-04",
        "target_grade": "junior",
        "path": "DR-E",
        "triggers": ["T6"],
        "evidence": [{"kind": "业绩", "ref": "越权"}],
    },
    ("GET", "/api/v1/recognitions/{recognition_id}"): None,
    ("POST", "/api/v1/recognitions/{recognition_id}/decision"): {"approve": True, "note": "越权批准"},
    ("POST", "/api/v1/certificates/issue"): {"award_ids": ["{award_id}"]},
    ("GET", "/api/v1/certificates/{number}"): None,
    ("GET", "/api/v1/jobs/{job_id}"): None,
    ("GET", "/api/v1/jobs/{job_id}/file"): None,
    ("GET", "/api/v1/certificates/{number}/pdf"): None,
    ("POST", "/api/v1/certificates/{number}/suspend"): {"note": "越权暂停"},
    ("POST", "/api/v1/certificates/{number}/reinstate"): {"note": "越权恢复"},
    ("POST", "/api/v1/certificates/{number}/revoke"): {"reason": "other", "note": "越权撤销"},
    ("POST", "/api/v1/certificates/{number}/reissue"): {"note": "越权换发"},
    ("GET", "/api/v1/certificates/{number}/credential"): None,
    ("POST", "/api/v1/certificates/{number}/share-links"): {"purpose": "越权分享", "days": 30},
    ("GET", "/api/v1/certificates/{number}/share-links"): None,
    ("POST", "/api/v1/share-links/{link_id}/withdraw"): None,
    ("GET", "/api/v1/awards/{award_id}"): None,
    ("POST", "/api/v1/awards/{award_id}/revoke"): {"reason": "fraudulent_evaluation", "note": "越权撤销"},
    ("POST", "/api/v1/awards/legacy"): {
        "person_id": "{person_id}",
        "occupation_code": "6-18-02-04",
        "grade": "senior",
        "family": "qualification",
        "issuing_authority": "广东省职业技能鉴定指导中心",
        "original_number": "1544000000009999",
        "awarded_on": "2018-06-30",
        "evidence": [{"kind": "原证书扫描件", "ref": "越权"}],
    },
    ("POST", "/api/v1/appointments"): {
        "person_id": "{person_id}",
        "body_id": "{body_id}",
        "occupation_code": "6-18-02-04",
        "post_grade": "junior",
        "post_title": "越权聘任",
        "starts_on": "2026-07-01",
    },
}
# Uploads to another body's batch (multipart).
UPLOADS = {
    ("POST", "/api/v1/sessions/{session_id}/candidates/upload"): ("name,id_number\n某人,110105194912310021\n"),
    ("POST", "/api/v1/sessions/{session_id}/scores/upload"): (
        "id_number,component,score\n110105194912310021,theory_exam,99\n"
    ),
}
# Uploads that act only on the caller's own staff: naming another body's worker refuses the row (tested below).
OWN_UPLOADS = {("POST", "/api/v1/awards/legacy/upload")}
VICTIM_ID_NUMBER = "440106198501010015"
# Lists: they answer, but never with the other body's records.
LISTS = {
    ("GET", "/api/v1/filings"): {"body_id": "{body_id}"},
    ("GET", "/api/v1/audit/events"): {"body_id": "{body_id}"},
    ("GET", "/api/v1/sessions"): {"body_id": "{body_id}"},
    ("GET", "/api/v1/recognitions"): {"body_id": "{body_id}"},
    ("GET", "/api/v1/awards"): {"body_id": "{body_id}"},
    ("GET", "/api/v1/appointments"): {"body_id": "{body_id}"},
    ("GET", "/api/v1/certificates"): {"body_id": "{body_id}"},
    ("GET", "/api/v1/certificates/export.zip"): {"body_id": "{body_id}"},
    ("GET", "/api/v1/jobs"): None,
}


@dataclass
class World:
    victim: EvaluationBody
    victim_filing: Filing
    victim_draft: Filing
    batch: Batch
    candidate: Candidate
    person: Person
    recognition: Recognition
    certificate: Certificate
    job: Job
    intruder_headers: dict[str, str]
    link_id: uuid.UUID

    def fill(self, value: Any) -> Any:
        if isinstance(value, str):
            ids = {
                "{body_id}": self.victim.id,
                "{filing_id}": self.victim_filing.id,
                "{session_id}": self.batch.exam.id,
                "{candidate_id}": self.candidate.id,
                "{person_id}": self.person.id,
                "{recognition_id}": self.recognition.id,
                "{assessor_id}": self.batch.assessors[0].id,
                "{objection_id}": uuid.UUID(int=7),
                "{link_id}": self.link_id,
                "{sample_id}": uuid.UUID(int=8),
                "{item_id}": uuid.UUID(int=9),
                "{sanction_id}": uuid.UUID(int=10),
                "{number}": self.certificate.number,
                "{award_id}": self.certificate.award_id,
                "{job_id}": self.job.id,
                "{new_uscc}": valid_uscc(),
            }
            for key, replacement in ids.items():
                value = value.replace(key, str(replacement))
            return value
        if isinstance(value, dict):
            return {k: self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        return value


# The victim's records are built once for the module, in a transaction each test sees and none keeps (each test runs
# in a savepoint rolled back after it): the walk below has a hundred cases over the same records.


_settings, _session = sharing_records()  # this module's settings and session fixtures


@pytest.fixture(scope="module")
def world(shared_connection: Connection, settings: Settings) -> World:
    return built_once(shared_connection, lambda s: _world(s, settings))


def _world(session: Session, settings: Settings) -> World:
    victim = make_body(session, kind=BodyKind.CHAIN_BODY, is_large=True)
    make_user(session, settings, role=Role.BODY_ADMIN, body=victim)
    make_filing(session, settings, body=victim, lines=[scope_line(direct_recognition=True)])
    victim_filing = make_filing(session, settings, body=victim, approve=False)
    victim_draft = make_filing(session, settings, body=victim, submit=False)
    batch = make_batch(session, settings, body=victim, grade=GradeCode.JUNIOR, assessors=2)
    person = make_person(session, settings, employer=victim, id_number=VICTIM_ID_NUMBER)
    candidate = enrol(
        session, actor=SYSTEM, batch_id=batch.exam.id, data=EnrolIn(person_id=person.id), settings=settings
    )
    recognition = apply_for_recognition(
        session,
        actor=SYSTEM,
        settings=settings,
        data=RecognitionIn(
            body_id=victim.id,
            person_id=person.id,
            occupation_code="6-18-02-04",
            target_grade=GradeCode.JUNIOR,
            path=Path.DR_E,
            triggers=[Trigger.T6],
            evidence=[Evidence(kind="业绩材料", ref="材料-1")],
        ),
    )
    certificate = make_certificate(session, settings, body=victim, grade=GradeCode.JUNIOR)
    victim_admin = Actor(label="victim-admin", role=Role.BODY_ADMIN, body_id=victim.id)
    job, _ = create_job(
        session, actor=victim_admin, kind=JobKind.EXPORT_CERTIFICATES, params={"body_id": str(victim.id)}, total=1
    )
    intruder_body = make_body(session)
    intruder = make_user(session, settings, role=Role.BODY_ADMIN, body=intruder_body)
    link, _, _ = create_link(
        session, actor=SYSTEM, number=certificate.number, data=ShareLinkIn(purpose="应聘", days=30), settings=settings
    )
    return World(
        victim,
        victim_filing,
        victim_draft,
        batch,
        candidate,
        person,
        recognition,
        certificate,
        job,
        {"Authorization": f"Bearer {create_access_token(intruder, settings)[0]}"},
        link.id,
    )


def _state(session: Session, world: World) -> dict[str, Any]:
    session.expire_all()
    return {
        "body": snapshot(session.get(EvaluationBody, world.victim.id)),  # type: ignore[arg-type]
        "filing": snapshot(session.get(Filing, world.victim_filing.id)),  # type: ignore[arg-type]
        "draft": snapshot(session.get(Filing, world.victim_draft.id)),  # type: ignore[arg-type]
        "batch": snapshot(session.get(ExamSession, world.batch.exam.id)),  # type: ignore[arg-type]
        "candidates": sorted(str(c.id) for c in session.exec(select(Candidate)).all()),
        "scores": session.exec(select(func.count()).select_from(Score)).one(),
        "recognition": snapshot(session.get(Recognition, world.recognition.id)),  # type: ignore[arg-type]
        "awards": session.exec(select(func.count()).select_from(GradeAward)).one(),
        "award": snapshot(session.get(GradeAward, world.certificate.award_id)),  # type: ignore[arg-type]
        "appointments": session.exec(select(func.count()).select_from(Appointment)).one(),
        "employments": session.exec(select(func.count()).select_from(Employment)).one(),
        "certificate": snapshot(session.get(Certificate, world.certificate.id)),  # type: ignore[arg-type]
        "certificates": session.exec(select(func.count()).select_from(Certificate)).one(),
        "share_links": [snapshot(x) for x in session.exec(select(ShareLink)).all()],
        "assessors": session.exec(select(func.count()).select_from(Assessor)).one(),
    }


def _call(client: TestClient, world: World, method: str, path: str, payload: Any, *, draft: bool = False) -> Any:
    url = world.fill(path)
    if draft:
        url = url.replace(str(world.victim_filing.id), str(world.victim_draft.id))
    kwargs: dict[str, Any] = {"headers": world.intruder_headers}
    if payload is not None:
        kwargs["params" if method == "GET" else "json"] = world.fill(payload)
    return client.request(method, url, **kwargs)


def _routes() -> set[tuple[str, str]]:
    """Every route: the OpenAPI document's, plus the HTML pages kept out of it (the console's included)."""
    paths = create_app(Settings()).openapi()["paths"]
    routes = {(method.upper(), path) for path, operations in paths.items() for method in operations}
    pages = {
        (method, route.path)
        for router in console.ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods - {"HEAD"}
    }
    return routes | HTML_PAGES | pages


def test_every_route_is_classified() -> None:
    classified = (
        PUBLIC
        | SELF
        | CONSOLE_OWN
        | CONSOLE_REGULATOR
        | CONSOLE_BODY
        | SHARED
        | OWN_CREATES
        | OWN_UPLOADS
        | set(REGULATOR_ONLY)
        | set(TENANT)
        | set(LISTS)
        | set(UPLOADS)
    )
    assert _routes() - classified == set(), "classify the new routes in tests/api/test_isolation.py"
    assert classified - _routes() == set(), "remove routes that no longer exist"


@pytest.mark.parametrize(("method", "path"), sorted(TENANT), ids=str)
def test_other_bodies_records_are_out_of_reach(
    client: TestClient, session: Session, world: World, method: str, path: str
) -> None:
    before = _state(session, world)
    for draft in (False, True):
        response = _call(client, world, method, path, TENANT[(method, path)], draft=draft)
        assert response.status_code in {403, 404}, (method, path, response.status_code, response.text)
        assert response.json()["error"]
    assert _state(session, world) == before


@pytest.mark.parametrize(("method", "path"), sorted(UPLOADS), ids=str)
def test_uploads_to_other_bodies_batches_are_refused(
    client: TestClient, session: Session, world: World, method: str, path: str
) -> None:
    before = _state(session, world)
    response = client.post(
        world.fill(path),
        headers=world.intruder_headers,
        files={"file": ("x.csv", UPLOADS[(method, path)].encode(), "text/csv")},
    )
    assert response.status_code in {403, 404}, (path, response.status_code, response.text)
    assert _state(session, world) == before


def test_legacy_upload_naming_another_bodys_worker_changes_nothing(
    client: TestClient, session: Session, world: World
) -> None:
    before = _state(session, world)
    table = (
        "id_number,name,occupation_code,grade,family,issuing_authority,original_number,awarded_on,evidence_ref\n"
        f"{VICTIM_ID_NUMBER},{world.person.name},6-18-02-04,senior,qualification,广东省职业技能鉴定指导中心,"
        "1544000000008888,2018-06-30,越权\n"
    )
    response = client.post(
        "/api/v1/awards/legacy/upload",
        headers=world.intruder_headers,
        files={"file": ("legacy.csv", table.encode(), "text/csv")},
    )
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["zh"].startswith("不是本单位在职职工")
    assert world.person.name not in response.text
    assert _state(session, world) == before


@pytest.mark.parametrize(("method", "path"), sorted(REGULATOR_ONLY), ids=str)
def test_regulator_routes_refuse_body_admins(
    client: TestClient, session: Session, world: World, method: str, path: str
) -> None:
    before = _state(session, world)
    response = _call(client, world, method, path, REGULATOR_ONLY[(method, path)])
    assert response.status_code == 403, (method, path, response.status_code, response.text)
    assert _state(session, world) == before


@pytest.mark.parametrize(("method", "path"), sorted(LISTS), ids=str)
def test_lists_never_show_other_bodies_records(
    client: TestClient, session: Session, world: World, method: str, path: str
) -> None:
    response = _call(client, world, method, path, LISTS[(method, path)])
    assert response.status_code in {200, 403}, response.text
    if response.status_code == 200:
        text = response.text
        for foreign in (
            world.victim.id,
            world.victim_filing.id,
            world.victim_draft.id,
            world.batch.exam.id,
            world.recognition.id,
            world.person.id,
            world.job.id,
        ):
            assert str(foreign) not in text


def test_anonymous_callers_reach_no_tenant_route(client: TestClient, world: World) -> None:
    for method, path in sorted(TENANT) + sorted(REGULATOR_ONLY):
        payload = {**TENANT, **REGULATOR_ONLY}[(method, path)]
        kwargs: dict[str, Any] = {}
        if payload is not None:
            kwargs["params" if method == "GET" else "json"] = world.fill(payload)
        response = client.request(method, world.fill(path), **kwargs)
        assert response.status_code == 401, (method, path, response.status_code)


@pytest.mark.parametrize(("method", "path"), sorted(CONSOLE_OWN), ids=str)
def test_anonymous_visitors_are_sent_to_log_in_from_console_pages(client: TestClient, method: str, path: str) -> None:
    for placeholder in ("{job_id}", "{batch_id}", "{candidate_id}", "{link_id}", "{number}"):
        path = path.replace(placeholder, str(uuid.uuid4()))
    response = client.request(method, path, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/console")


@pytest.mark.parametrize(("method", "path"), sorted(CONSOLE_REGULATOR), ids=str)
def test_anonymous_visitors_are_sent_to_log_in_from_regulator_pages(client: TestClient, method: str, path: str) -> None:
    url = re.sub(r"\{[a-z_]+\}", str(uuid.uuid4()), path.replace(".{fmt}", ".csv"))
    response = client.request(method, url, follow_redirects=False)
    assert response.status_code == 303, (method, path, response.status_code)
    assert response.headers["location"].startswith("/login?next=/console/regulator")


def test_ids_that_do_not_exist_look_the_same_as_other_bodies(client: TestClient, world: World) -> None:
    missing = client.get(f"/api/v1/filings/{uuid.uuid4()}", headers=world.intruder_headers)
    foreign = client.get(f"/api/v1/filings/{world.victim_filing.id}", headers=world.intruder_headers)
    assert missing.status_code == foreign.status_code == 404
    assert missing.json()["error"] == foreign.json()["error"]
