"""Every regulator export is audited: who, which kind and format, the filter and — for certificate or personal
data — the reason, which is required; the audit record holds no exported data, and the chain stays intact."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from registry.actor import Role
from registry.audit.models import AuditEvent
from registry.db import make_engine, session_scope
from registry.settings import Settings, get_settings
from tests.factories import login, make_body, make_user

URL = "/api/v1/regulator/export.{}"
REASON = "专项检查：核对本季度发证情况"


def _exports(session: Session) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == "export.exported").order_by(AuditEvent.seq)  # type: ignore[arg-type]
    return list(session.exec(query).all())


@pytest.fixture
def headers(client: TestClient, session: Session, settings: Settings) -> dict[str, str]:
    make_user(session, settings, username="regulator-exports")
    return login(client, "regulator-exports")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", ["stats", "bodies", "certificates", "anomalies"])
def test_each_export_writes_one_event_with_actor_filter_and_reason(
    client: TestClient, session: Session, headers: dict[str, str], kind: str, fmt: str
) -> None:
    body = make_body(session)
    params = {"kind": kind, "from": "2026-01", "to": "2026-06", "province_code": "44", "body_id": str(body.id)}
    response = client.get(URL.format(fmt), params={**params, "reason": REASON}, headers=headers)
    assert response.status_code == 200, response.text
    (event,) = _exports(session)
    assert (event.actor_label, event.actor_role, event.reason) == ("regulator-exports", "regulator", REASON)
    assert (event.entity_type, event.entity_id, event.body_id) == ("export", f"{kind}.{fmt}", None)
    assert event.after == {
        "kind": kind,
        "format": fmt,
        "filter": {
            "from": "2026-01",
            "to": "2026-06",
            "body_id": str(body.id),
            "body_kind": None,
            "province_code": "44",
            "city_code": None,
            "occupation_code": None,
            "grade": None,
        },
    }


@pytest.mark.parametrize("kind", ["certificates", "anomalies"])
@pytest.mark.parametrize("reason", [None, "", "   ", "查"])
def test_personal_data_without_a_reason_is_refused_and_nothing_is_recorded(
    client: TestClient, session: Session, headers: dict[str, str], kind: str, reason: str | None
) -> None:
    params = {"kind": kind} if reason is None else {"kind": kind, "reason": reason}
    response = client.get(URL.format("csv"), params=params, headers=headers)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["field"] == "reason"
    assert "须说明理由" in error["detail_zh"] and "give the reason" in error["detail_en"]
    assert _exports(session) == []


def test_a_reason_with_control_characters_is_refused(client: TestClient, headers: dict[str, str]) -> None:
    response = client.get(URL.format("csv"), params={"kind": "certificates", "reason": "核查\x07"}, headers=headers)
    assert response.status_code in (400, 422), response.text


def test_statistics_and_the_register_need_no_reason(
    client: TestClient, session: Session, headers: dict[str, str]
) -> None:
    for kind in ("stats", "bodies"):
        assert client.get(URL.format("csv"), params={"kind": kind}, headers=headers).status_code == 200
    assert [(e.entity_id, e.reason) for e in _exports(session)] == [("stats.csv", None), ("bodies.csv", None)]


def test_a_body_admin_is_refused_before_any_record(client: TestClient, session: Session, settings: Settings) -> None:
    body = make_body(session)
    make_user(session, settings, username="body-exports", role=Role.BODY_ADMIN, body=body)
    response = client.get(
        URL.format("csv"), params={"kind": "certificates", "reason": REASON}, headers=login(client, "body-exports")
    )
    assert response.status_code == 403
    assert _exports(session) == []


def test_the_chain_verifies_with_the_command_after_exports(committed_url: str) -> None:
    engine = make_engine(committed_url)
    settings = get_settings()
    with session_scope(engine) as s:
        make_user(s, settings, username="regulator-chain")
    with TestClient(create_app(settings)) as client:
        headers = login(client, "regulator-chain")
        for kind in ("certificates", "stats"):
            response = client.get(URL.format("xlsx"), params={"kind": kind, "reason": REASON}, headers=headers)
            assert response.status_code == 200, response.text
    with session_scope(engine) as s:
        assert [e.entity_id for e in _exports(s)] == ["certificates.xlsx", "stats.xlsx"]
        stored = s.execute(sa.text("SELECT after FROM audit_event WHERE action = 'export.exported'")).all()
    assert all("number" not in str(row) for row in stored)
    result = CliRunner().invoke(cli, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.output
    engine.dispose()
