"""Regulator statistics against a hand-counted fixture, with the edges: revoked, suspended, superseded (reissued),
legacy and apprentice records, another province, a month outside the range, a direct recognition.

The fixture (issue months set after issuing; the tally follows the update):

| # | body | occupation | grade | month | status |
|---|------|-----------|-------|-------|--------|
| 1 | A (employer, 440300) | 焊工 | 高级工 | 2026-03 | valid |
| 2 | A | 焊工 | 技师 | 2026-03 | valid |
| 3 | A | 焊工 | 初级工 | 2026-07 | revoked, 虚假评价 (award revoked too) |
| 4 | A | 6-31-01-03 | 中级工 | 2026-07 | suspended |
| 5 | A | 焊工 | 学徒工 | 2026-11 | valid |
| 6 | A | 焊工 | 高级工 | 2026-11 | valid, reissued (a superseded print) |
| 7 | B (social org, 440100) | 焊工 | 高级工 | 2026-07 | valid |
| 8 | B | 焊工 | 高级技师 | 2026-07 | revoked, 信息错误 (award stands) |
| 9 | C (employer, Jiangsu) | 焊工 | 中级工 | 2026-03 | valid |
| 10 | A | 焊工 | 高级工 | 2025-06 | valid (outside 2026-01…2026-12) |

Plus a legacy award (2020, no certificate) and an approved DR-E recognition (T6) by A for a junior grade.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Connection
from sqlmodel import Session

from assessment.recognition.models import Evidence, Path, RecognitionIn, Trigger
from assessment.recognition.service import apply_for_recognition, decide_recognition
from certificates.models import Certificate, CertificateStatus, RevocationReason
from certificates.service import reissue, set_status
from registry.bodies.models import BodyKind, EvaluationBody
from registry.grades import GradeCode as G
from registry.settings import RegulatorTarget, Settings
from regulator import stats
from regulator.filters import StatsFilter
from regulator.models import StatTally
from regulator.tally_sql import rebuild_statements
from tests.conftest import built_once, sharing_records
from tests.factories import (
    SYSTEM,
    give_award,
    login,
    make_body,
    make_certificate,
    make_filing,
    make_person,
    make_user,
    scope_line,
)

RANGE = StatsFilter.build(month_from="2026-01", month_to="2026-12")


@dataclass
class World:
    a: EvaluationBody
    b: EvaluationBody
    c: EvaluationBody
    numbers: list[str]


def _issue(session: Session, settings: Settings, body: EvaluationBody, grade: G, month: str, occupation: str) -> str:
    certificate = make_certificate(session, settings, body=body, grade=grade, occupation_code=occupation)
    day = dt.date.fromisoformat(f"{month}-15")
    session.execute(sa.update(Certificate).where(Certificate.id == certificate.id).values(issued_on=day))  # type: ignore[arg-type]
    return str(certificate.number)


# The three bodies and their certificates are built once for the module, in a transaction each test sees and none
# keeps (each test runs in a savepoint rolled back after it).


_settings, _session = sharing_records()  # this module's settings and session fixtures


@pytest.fixture(scope="module")
def world(shared_connection: Connection, settings: Settings) -> World:
    return built_once(shared_connection, lambda s: _world(s, settings))


def _world(session: Session, settings: Settings) -> World:
    lines = [scope_line(), scope_line("6-31-01-03")]
    a = make_body(session, name="甲制造有限公司")
    make_filing(session, settings, body=a, starts_on=dt.date(2025, 1, 1), lines=lines)
    b = make_body(session, name="乙培训评价组织", kind=BodyKind.SOCIAL_ORG, city_code="440100", is_manufacturing=False)
    make_filing(session, settings, body=b, lines=lines)
    c = make_body(session, name="丙制造有限公司", province_code="32", city_code=None, uscc=None or _jiangsu_uscc())
    make_filing(session, settings, body=c, lines=lines)
    welder, electric = "6-18-02-04", "6-31-01-03"
    plan = [
        (a, G.SENIOR, "2026-03", welder),
        (a, G.TECHNICIAN, "2026-03", welder),
        (a, G.JUNIOR, "2026-07", welder),
        (a, G.INTERMEDIATE, "2026-07", electric),
        (a, G.APPRENTICE, "2026-11", welder),
        (a, G.SENIOR, "2026-11", welder),
        (b, G.SENIOR, "2026-07", welder),
        (b, G.SENIOR_TECHNICIAN, "2026-07", welder),
        (c, G.INTERMEDIATE, "2026-03", welder),
        (a, G.SENIOR, "2025-06", welder),
    ]
    numbers = [_issue(session, settings, *row) for row in plan]
    set_status(
        session,
        actor=SYSTEM,
        number=numbers[2],
        target=CertificateStatus.REVOKED,
        note="虚假评价，撤销",
        reason=RevocationReason.FRAUDULENT_EVALUATION,
    )
    set_status(session, actor=SYSTEM, number=numbers[3], target=CertificateStatus.SUSPENDED, note="核查期间暂停")
    reissue(session, actor=SYSTEM, number=numbers[5], note="证书污损换发", settings=settings)
    set_status(
        session,
        actor=SYSTEM,
        number=numbers[7],
        target=CertificateStatus.REVOKED,
        note="信息录入错误",
        reason=RevocationReason.ISSUED_IN_ERROR,
    )
    give_award(session, person=make_person(session, settings, employer=a), grade=G.SENIOR, on=dt.date(2020, 6, 30))
    worker = make_person(session, settings, employer=a)
    recognition = apply_for_recognition(
        session,
        actor=SYSTEM,
        settings=settings,
        data=RecognitionIn(
            body_id=a.id,
            person_id=worker.id,
            occupation_code=welder,
            target_grade=G.JUNIOR,
            path=Path.DR_E,
            triggers=[Trigger.T6],
            evidence=[Evidence(kind="业绩材料", ref="材料-1")],
        ),
    )
    decide_recognition(
        session, actor=SYSTEM, recognition_id=recognition.id, approve=True, note="通过", settings=settings
    )
    return World(a, b, c, numbers)


def _jiangsu_uscc() -> str:
    from tests.factories import valid_uscc

    return valid_uscc("320100")


def _report(session: Session, settings: Settings, only: StatsFilter = RANGE, **changes: Any) -> dict[str, Any]:
    return stats.statistics(session, actor=SYSTEM, settings=settings.model_copy(update=changes), only=only)


def _by(report: dict[str, Any], dimension: str, field: str = "issued") -> dict[str | None, int]:
    return {row["key"]: row[field] for row in report["certificates"]["by"][dimension]}


class TestCertificateCounts:
    def test_totals_count_each_certificate_once_whatever_its_prints(
        self, session: Session, settings: Settings, world: World
    ) -> None:
        certificates = _report(session, settings)["certificates"]
        assert (certificates["issued"], certificates["in_force"]) == (9, 6)
        assert (certificates["suspended"], certificates["revoked"]) == (1, 2)

    def test_by_grade(self, session: Session, settings: Settings, world: World) -> None:
        report = _report(session, settings)
        assert _by(report, "grade") == {
            "senior": 3,
            "intermediate": 2,
            "technician": 1,
            "junior": 1,
            "apprentice": 1,
            "senior_technician": 1,
        }
        assert _by(report, "grade", "revoked") == {
            "senior": 0,
            "intermediate": 0,
            "technician": 0,
            "junior": 1,
            "apprentice": 0,
            "senior_technician": 1,
        }

    def test_by_body_kind_and_region(self, session: Session, settings: Settings, world: World) -> None:
        report = _report(session, settings)
        assert _by(report, "body") == {str(world.a.id): 6, str(world.b.id): 2, str(world.c.id): 1}
        assert _by(report, "body", "in_force") == {str(world.a.id): 4, str(world.b.id): 1, str(world.c.id): 1}
        assert _by(report, "body_kind") == {"employer": 7, "social_org": 2}
        assert _by(report, "province") == {"44": 8, "32": 1}
        assert _by(report, "city") == {"440300": 6, "440100": 2, None: 1}
        labels = {row["key"]: row["label"] for row in report["certificates"]["by"]["body"]}
        assert labels[str(world.b.id)] == "乙培训评价组织"

    def test_by_month_and_occupation(self, session: Session, settings: Settings, world: World) -> None:
        report = _report(session, settings)
        assert _by(report, "month") == {"2026-03": 3, "2026-07": 4, "2026-11": 2}
        assert _by(report, "occupation") == {"6-18-02-04": 8, "6-31-01-03": 1}

    def test_filters_narrow_every_breakdown(self, session: Session, settings: Settings, world: World) -> None:
        only = StatsFilter.build(month_from="2025-01", month_to="2026-12", province_code="44", grade=G.SENIOR)
        report = _report(session, settings, only)
        assert report["certificates"]["issued"] == 4  # 1, 6, 7 and the 2025 one
        assert _by(report, "month") == {"2025-06": 1, "2026-03": 1, "2026-07": 1, "2026-11": 1}

    def test_high_skill_share_leaves_apprentices_and_the_invalid_out(
        self, session: Session, settings: Settings, world: World
    ) -> None:
        high = _report(session, settings)["high_skill"]
        assert (high["high_skill_in_force"], high["skilled_in_force"], high["share"]) == (4, 5, 0.8)


class TestOtherFigures:
    def test_revocations_by_reason(self, session: Session, settings: Settings, world: World) -> None:
        revocations = _report(session, settings)["revocations"]
        certificates = {r["reason"]: r["count"] for r in revocations["certificates"]}
        assert certificates["fraudulent_evaluation"] == 1
        assert certificates["issued_in_error"] == 1
        assert sum(certificates.values()) == 2
        awards = {r["reason"]: r["count"] for r in revocations["awards"]}
        assert awards["fraudulent_evaluation"] == 1  # the award fell with certificate 3; 8's award stands
        assert sum(awards.values()) == 1

    def test_awards_count_legacy_records_and_recognitions(
        self, session: Session, settings: Settings, world: World
    ) -> None:
        only = StatsFilter.build(month_from="2020-01", month_to="2026-12")
        awards = {row["basis"]: row for row in _report(session, settings, only)["awards"]["by_basis"]}
        assert awards["legacy"] == {"basis": "legacy", "active": 1}
        assert awards["recognition"] == {"basis": "recognition", "active": 1}
        assert awards["exam"] == {"basis": "exam", "active": 9, "revoked": 1}

    def test_direct_recognitions_by_path_and_trigger(self, session: Session, settings: Settings, world: World) -> None:
        recognitions = _report(session, settings, StatsFilter.build())["direct_recognitions"]
        assert recognitions["by_path"] == [{"path": "DR-E", "count": 1}]
        triggers = {t["trigger"]: t["count"] for t in recognitions["by_trigger"]}
        assert triggers["T6"] == 1
        assert sum(triggers.values()) == 1

    def test_targets_count_valid_skill_certificates_in_their_window_and_province(
        self, session: Session, settings: Settings, world: World
    ) -> None:
        targets = {t["citation"]: t for t in _report(session, settings)["targets"]}
        assert targets["000:26"]["achieved"] == 6  # 1, 2, 4, 6, 7 and the 2025 one: not 3/8 (revoked), 5, 9
        assert targets["003:213-219"]["achieved"] == 1  # 2021–2025: the 2025 one
        assert targets["003:221-229"]["achieved"] == 1
        assert targets["000:26"]["target"] == 1_500_000

    def test_configured_targets_replace_the_defaults(self, session: Session, settings: Settings, world: World) -> None:
        mine = RegulatorTarget(
            id="js",
            name_zh="江苏试点目标",
            province_code="32",
            start=dt.date(2026, 1, 1),
            end=dt.date(2026, 12, 31),
            metric="certificates",
            target=2,
        )
        (target,) = _report(session, settings, regulator_targets=(mine,))["targets"]
        assert (target["achieved"], target["share"]) == (1, 0.5)

    def test_a_target_ending_before_it_starts_is_refused(self) -> None:
        with pytest.raises(ValueError, match="before its start"):
            RegulatorTarget(
                id="x",
                name_zh="错误目标",
                start=dt.date(2026, 1, 1),
                end=dt.date(2025, 1, 1),
                metric="certificates",
                target=1,
            )


class TestTallyStaysExact:
    def test_tally_equals_a_recount_after_issuing_revoking_and_reissuing(
        self, session: Session, settings: Settings, world: World
    ) -> None:
        def rows() -> set[tuple[Any, ...]]:
            result = session.execute(
                sa.select(
                    StatTally.kind,
                    StatTally.month,
                    StatTally.body_id,
                    StatTally.occupation_code,
                    StatTally.grade,
                    StatTally.basis,
                    StatTally.status,
                    StatTally.reason,
                    StatTally.n,
                ).where(StatTally.n != 0)
            ).all()
            return {tuple(r) for r in result}

        live = rows()
        for statement in rebuild_statements(session.get_bind().dialect.name):
            session.execute(sa.text(statement))
        assert rows() == live

    def test_a_rolled_back_issuance_leaves_no_count(self, session: Session, settings: Settings, world: World) -> None:
        before = _report(session, settings, StatsFilter.build())["certificates"]["issued"]
        savepoint = session.begin_nested()
        make_certificate(session, settings, body=world.a)
        assert _report(session, settings, StatsFilter.build())["certificates"]["issued"] == before + 1
        savepoint.rollback()
        assert _report(session, settings, StatsFilter.build())["certificates"]["issued"] == before


class TestApi:
    def test_regulator_reads_the_statistics(
        self, client: TestClient, session: Session, settings: Settings, world: World
    ) -> None:
        make_user(session, settings, username="stats-regulator")
        response = client.get(
            "/api/v1/regulator/stats",
            params={"from": "2026-01", "to": "2026-12"},
            headers=login(client, "stats-regulator"),
        )
        assert response.status_code == 200, response.text
        assert response.json()["certificates"]["issued"] == 9

    def test_a_bad_month_is_refused_naming_the_field(
        self, client: TestClient, session: Session, settings: Settings
    ) -> None:
        make_user(session, settings, username="stats-regulator2")
        response = client.get(
            "/api/v1/regulator/stats", params={"from": "2026-13"}, headers=login(client, "stats-regulator2")
        )
        assert response.status_code in {400, 422}
        assert "from" in response.text

    def test_unknown_body_id_gives_empty_figures(self, session: Session, settings: Settings, world: World) -> None:
        report = _report(session, settings, StatsFilter.build(body_id=uuid.uuid4()))
        assert report["certificates"]["issued"] == 0
