"""The hoisted verification routes (api.hot): a plain GET skips FastAPI's request handler and answers exactly as
the route does; everything else still takes the route, and no other route under the same paths is shadowed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.deps import get_reads
from certificates.models import CertificateStatus, RevocationReason
from certificates.service import set_status
from registry.settings import Settings
from tests.conftest import ClientFactory
from tests.factories import SYSTEM, make_certificate

STAMPS = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?(\+00:00| UTC)?")


def _json(response: Any) -> dict[str, Any]:
    assert response.status_code == 200
    answer: dict[str, Any] = response.json()
    answer.pop("status_as_of")  # the moment of the read (when there was one): differs between two reads
    return answer


@pytest.fixture
def routed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths FastAPI's route handling served (APIRoute.handle): a hot route's own answer never goes there."""
    seen: list[str] = []
    original = APIRoute.handle

    async def handle(self: APIRoute, scope: Any, receive: Any, send: Any) -> None:
        seen.append(f"{scope['path']}?{scope['query_string'].decode()}".rstrip("?"))
        await original(self, scope, receive, send)

    monkeypatch.setattr(APIRoute, "handle", handle)
    return seen


@pytest.mark.parametrize("target", ["valid", "suspended", "revoked"])
def test_a_plain_get_answers_exactly_as_the_route_does(
    client: TestClient, session: Session, settings: Settings, routed: list[str], target: str
) -> None:
    certificate = make_certificate(session, settings)
    if target != "valid":
        set_status(
            session,
            actor=SYSTEM,
            number=certificate.number,
            target=CertificateStatus(target),
            note="核查",
            reason=RevocationReason.ISSUED_IN_ERROR if target == "revoked" else None,
        )
    plain = _json(client.get(f"/api/v1/verify/{certificate.token}"))
    with_query = _json(client.get(f"/api/v1/verify/{certificate.token}?basis=false"))  # FastAPI's handler
    assert plain == with_query
    assert plain["verdict"] == target
    assert routed == [f"/api/v1/verify/{certificate.token}?basis=false"]  # the plain GET never reached it


def test_a_bad_token_gets_the_same_answer_both_ways(client: TestClient, routed: list[str]) -> None:
    for token in ("not-a-token", "a.b.c", "eyJhbGciOiJub25lIn0.e30.x"):
        assert _json(client.get(f"/api/v1/verify/{token}")) == _json(client.get(f"/api/v1/verify/{token}?x=1"))
    assert routed == [f"/api/v1/verify/{t}?x=1" for t in ("not-a-token", "a.b.c", "eyJhbGciOiJub25lIn0.e30.x")]


def test_the_page_is_the_same_page_both_ways(
    client: TestClient, session: Session, settings: Settings, routed: list[str]
) -> None:
    certificate = make_certificate(session, settings)
    plain = client.get(f"/v/{certificate.token}")
    with_query = client.get(f"/v/{certificate.token}?lang=zh")
    assert plain.status_code == with_query.status_code == 200
    assert plain.headers["cache-control"] == with_query.headers["cache-control"] == "no-store"

    def comparable(text: str) -> str:  # the CSRF token and the moment of the read differ between two pages
        return STAMPS.sub("T", re.sub(r'name="csrf_token" value="[^"]+"', "", text))

    assert comparable(plain.text) == comparable(with_query.text)
    assert 'data-verdict="valid"' in plain.text
    assert routed == [f"/v/{certificate.token}?lang=zh"]


def test_query_parameters_are_still_validated_by_the_route(client: TestClient, routed: list[str]) -> None:
    response = client.get("/api/v1/verify/x.y.z?as_of=not-a-date")
    assert response.status_code == 422
    assert response.json()["error"] == "validation_error"
    assert client.get("/v/x.y.z?as_of=2026-13-01").status_code == 422
    assert routed == ["/api/v1/verify/x.y.z?as_of=not-a-date", "/v/x.y.z?as_of=2026-13-01"]


def test_the_routes_siblings_are_not_shadowed(
    client: TestClient, session: Session, settings: Settings, routed: list[str]
) -> None:
    make_certificate(session, settings)  # a signing key for the revocation list
    revocations = client.get("/api/v1/verify/revocations")
    assert revocations.status_code == 200
    assert revocations.json()["format"] == "xbj-revocations/1"
    # lookup and pdf are POST routes: a GET of their path was, and stays, a verification of that "token"
    assert _json(client.get("/api/v1/verify/lookup"))["verdict"] == "invalid"
    assert client.post("/api/v1/verify/lookup", json={"number": "X", "name": "张三"}).status_code == 404
    assert client.head("/api/v1/verify/x.y.z").status_code == 405
    assert client.post("/api/v1/verify/x.y.z").status_code == 405
    # the revocation list, the POST look-up, the HEAD and the POST took FastAPI's handler; the GET of lookup did not
    assert routed == [
        "/api/v1/verify/revocations",
        "/api/v1/verify/lookup",
        "/api/v1/verify/x.y.z",
        "/api/v1/verify/x.y.z",
    ]


def test_an_overridden_dependency_takes_the_route(
    client_for: ClientFactory, settings: Settings, routed: list[str]
) -> None:
    client = client_for(settings)
    reads = client.app.state.reads  # type: ignore[attr-defined]
    client.app.dependency_overrides[get_reads] = lambda: reads  # type: ignore[attr-defined]
    assert _json(client.get("/api/v1/verify/not-a-token"))["verdict"] == "invalid"
    assert routed == ["/api/v1/verify/not-a-token"]


def test_the_openapi_document_keeps_the_verification_operation(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/api/v1/verify/{token}"]["get"]
    assert operation["operationId"] == "verify_json_api_v1_verify__token__get"
    assert operation["tags"] == ["verification"]
    assert {p["name"] for p in operation["parameters"]} == {"token", "as_of", "basis"}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("VerificationOut")
