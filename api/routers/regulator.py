"""The regulator's routes (人社部门): statistics, anomaly flags, spot checks, sanctions, exports; and the public
sanction register. Regulator-only except the register, which shows standings without personal data."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from sqlmodel import SQLModel

from api.deps import SessionDep, SessionFactoryDep, SettingsDep
from api.openapi import errors
from api.security import RegulatorActor
from registry.bodies.models import BodyKind
from registry.filings.service import public_catalogue
from registry.grades import GradeCode
from regulator import anomalies, exports, samples, sanctions, stats
from regulator.filters import StatsFilter
from regulator.models import (
    BodyStanding,
    FindingIn,
    FindingPublic,
    LiftIn,
    SampleIn,
    SamplePublic,
    SanctionIn,
    SanctionPlan,
    SanctionPublic,
)

router = APIRouter(prefix="/api/v1", tags=["regulator"])

ProvinceQuery = Annotated[str | None, Query(pattern=r"^[0-9]{2}$")]
CityQuery = Annotated[str | None, Query(pattern=r"^[0-9]{6}$")]
OccupationQuery = Annotated[str | None, Query(pattern=r"^[1-8]-[0-9]{2}-[0-9]{2}-[0-9]{2}$")]
ExportKind = Annotated[str, Query(pattern=r"^(stats|bodies|certificates|anomalies)$")]


class AnomalyOut(SQLModel):
    """One anomaly flag: the figure, the peer baseline, the threshold it crossed and why it matters."""

    rule: str
    rule_zh: str
    level: str
    subject_id: str
    subject_label: str
    body_id: str | None
    body_name: str
    figure: float
    baseline: float | None
    threshold: float
    unit: str
    why_zh: str
    why_en: str
    details: dict[str, Any]


class AnomalyList(SQLModel):
    """The flags of a window."""

    window: dict[str, str | None]
    count: int
    flags: list[AnomalyOut]


def _filter(
    month_from: Annotated[str | None, Query(alias="from", pattern=r"^\d{4}-\d{2}$")] = None,
    month_to: Annotated[str | None, Query(alias="to", pattern=r"^\d{4}-\d{2}$")] = None,
    body_id: uuid.UUID | None = None,
    body_kind: BodyKind | None = None,
    province_code: ProvinceQuery = None,
    city_code: CityQuery = None,
    occupation_code: OccupationQuery = None,
    grade: GradeCode | None = None,
) -> StatsFilter:
    """The statistics filter from the query: from/to months, body, body kind, region, occupation, grade."""
    return StatsFilter.build(
        month_from=month_from,
        month_to=month_to,
        body_id=body_id,
        body_kind=body_kind,
        province_code=province_code,
        city_code=city_code,
        occupation_code=occupation_code,
        grade=grade,
    )


FilterDep = Annotated[StatsFilter, Depends(_filter)]


@router.get("/regulator/stats", response_model=dict[str, Any], responses=errors(400))
def regulator_stats(
    session: SessionDep,
    settings: SettingsDep,
    actor: RegulatorActor,
    only: FilterDep,
) -> dict[str, Any]:
    """Certificates and awards by grade, occupation, body, kind, province, city and month (default: the last
    twelve months); the 高技能人才 share; direct recognitions by path and trigger; revocations by reason; progress
    against the configured targets (000:26, 003:221-229)."""
    return stats.statistics(session, actor=actor, settings=settings, only=only)


def _window(
    settings: Any, date_from: dt.date | None, date_to: dt.date | None, body_id: uuid.UUID | None
) -> anomalies.Window:
    return anomalies.Window.build(settings, start=date_from, end=date_to, body_id=body_id)


@router.get("/regulator/anomalies", response_model=AnomalyList, responses=errors(400))
def regulator_anomalies(
    session: SessionDep,
    settings: SettingsDep,
    actor: RegulatorActor,
    date_from: Annotated[dt.date | None, Query(alias="from")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to")] = None,
    body_id: uuid.UUID | None = None,
    rule: Annotated[list[str] | None, Query(max_length=20, description="flag names (default: all)")] = None,
) -> AnomalyList:
    """Anomaly flags per body, batch, assessor and certificate (default: the last REGISTRY_ANOMALY_DEFAULT_DAYS)."""
    window = _window(settings, date_from, date_to, body_id)
    flags = anomalies.anomalies(session, actor=actor, settings=settings, window=window, rules=rule)
    return AnomalyList(
        window={
            "from": window.start.isoformat(),
            "to": window.end.isoformat(),
            "body_id": str(body_id) if body_id else None,
        },
        count=len(flags),
        flags=[AnomalyOut(**f.as_dict()) for f in flags],
    )


@router.post("/regulator/samples", response_model=SamplePublic, status_code=201, responses=errors(400))
def draw_sample(session: SessionDep, settings: SettingsDep, actor: RegulatorActor, data: SampleIn) -> SamplePublic:
    """Draw a reproducible random sample of bodies, batches or certificates (seed recorded; same seed, same
    population → same sample), optionally weighted towards flagged ones."""
    sample = samples.create_sample(session, actor=actor, settings=settings, data=data)
    return samples.sample_view(session, sample)


@router.get("/regulator/samples", response_model=list[SamplePublic])
def list_samples(session: SessionDep, actor: RegulatorActor) -> list[SamplePublic]:
    """Recent samples with their items and findings."""
    return [samples.sample_view(session, s) for s in samples.list_samples(session, actor=actor)]


@router.get("/regulator/samples/{sample_id}", response_model=SamplePublic, responses=errors(404))
def get_sample(session: SessionDep, actor: RegulatorActor, sample_id: uuid.UUID) -> SamplePublic:
    """One sample with its items and findings."""
    return samples.sample_view(session, samples.get_sample(session, actor=actor, sample_id=sample_id))


@router.post(
    "/regulator/samples/{sample_id}/items/{item_id}/findings",
    response_model=FindingPublic,
    status_code=201,
    responses=errors(404),
)
def record_finding(
    session: SessionDep, actor: RegulatorActor, sample_id: uuid.UUID, item_id: uuid.UUID, data: FindingIn
) -> FindingPublic:
    """Record what the check of a sampled item found (audited); a finding can ground a sanction (finding_id)."""
    finding = samples.record_finding(session, actor=actor, sample_id=sample_id, item_id=item_id, data=data)
    return samples.finding_view(finding)


@router.post("/regulator/sanctions", response_model=SanctionPlan, responses=errors(400, 404, 409))
def impose_sanction(session: SessionDep, actor: RegulatorActor, data: SanctionIn) -> SanctionPlan:
    """Sanction a body: warning (deadline), suspend filing, revoke 评价资质 (002:27), or revoke a fraudulent batch's
    certificates and awards (000:53). `dry_run: true` returns exactly what would change and changes nothing."""
    return sanctions.impose(session, actor=actor, data=data)


@router.get("/regulator/sanctions", response_model=list[SanctionPublic])
def list_sanctions(
    session: SessionDep, actor: RegulatorActor, body_id: uuid.UUID | None = None
) -> list[SanctionPublic]:
    """Sanctions with their reasons and effects, newest first."""
    return sanctions.list_sanctions(session, actor=actor, body_id=body_id)


@router.post("/regulator/sanctions/{sanction_id}/lift", response_model=SanctionPublic, responses=errors(404, 409))
def lift_sanction(session: SessionDep, actor: RegulatorActor, sanction_id: uuid.UUID, data: LiftIn) -> SanctionPublic:
    """Lift a warning (rectified) or a filing suspension (filings approved again); revocations are final."""
    return sanctions.view(session, sanctions.lift(session, actor=actor, sanction_id=sanction_id, data=data))


@router.get("/sanctions", response_model=list[BodyStanding])
def sanction_register(session: SessionDep) -> list[BodyStanding]:
    """Public register: every body that is sanctioned or not in good standing, with its sanction history (kind,
    legal basis, dates, in effect / lifted) — no reasons, no personal data."""
    listed = {entry.body_id for entry in public_catalogue(session)}
    return sanctions.standings(session, in_catalogue=listed, only_sanctioned=True)


def _rows(
    kind: str, session: Any, settings: Any, actor: Any, only: StatsFilter, open_session: Any
) -> Iterable[Iterable[Any]]:
    if kind == "stats":
        return list(stats.stat_rows(stats.statistics(session, actor=actor, settings=settings, only=only)))
    if kind == "anomalies":
        window = anomalies.Window.build(settings, start=only.first_day, end=only.last_day, body_id=only.body_id)
        return list(anomalies.anomaly_rows(anomalies.anomalies(session, actor=actor, settings=settings, window=window)))
    if kind == "bodies":
        listed = {entry.body_id for entry in public_catalogue(session)}
        return list(_body_rows(sanctions.standings(session, in_catalogue=listed)))
    return exports.certificate_rows(open_session, only)


def _body_rows(standings: list[BodyStanding]) -> Iterator[list[Any]]:
    yield [
        "机构名称",
        "统一社会信用代码",
        "机构类型",
        "省份代码",
        "城市代码",
        "状态",
        "信用状况",
        "在目录中",
        "处罚次数",
        "生效中处罚",
    ]
    for s in standings:
        live = [p.kind_zh for p in s.sanctions if p.status == "in_effect"]
        yield [
            s.name,
            s.uscc,
            s.kind_zh,
            s.province_code,
            s.city_code,
            s.status,
            s.standing_zh,
            "是" if s.in_catalogue else "否",
            len(s.sanctions),
            "；".join(live),
        ]


EXPORT_DOC = (
    "kind=stats | bodies | certificates | anomalies, with the statistics filter (from/to months, body, kind, region,"
    " occupation, grade); Chinese headers, streamed in constant memory. Every export is audited (export.exported:"
    " actor, kind, format, filter, reason); certificates and anomalies carry certificate or personal data and need"
    " reason= (at least 4 characters), refused with 400 without it"
)
ReasonQuery = Annotated[
    str | None,
    Query(max_length=2000, description="why the data is exported (required for certificates and anomalies)"),
]


@router.get(
    "/regulator/export.csv",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": EXPORT_DOC},
        **errors(400),
    },
)
def export_csv(
    session: SessionDep,
    settings: SettingsDep,
    actor: RegulatorActor,
    open_session: SessionFactoryDep,
    only: FilterDep,
    kind: ExportKind = "stats",
    reason: ReasonQuery = None,
) -> StreamingResponse:
    """Export as CSV (UTF-8 with BOM), audited with its reason."""
    exports.record_export(session, actor=actor, kind=kind, file_format="csv", only=only, reason=reason)
    rows = _rows(kind, session, settings, actor, only, open_session)
    return StreamingResponse(
        exports.csv_stream(rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="regulator-{kind}.csv"'},
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(
    "/regulator/export.xlsx",
    response_class=StreamingResponse,
    responses={
        200: {"content": {XLSX: {"schema": {"type": "string", "format": "binary"}}}, "description": EXPORT_DOC},
        **errors(400),
    },
)
def export_xlsx(
    session: SessionDep,
    settings: SettingsDep,
    actor: RegulatorActor,
    open_session: SessionFactoryDep,
    only: FilterDep,
    kind: ExportKind = "stats",
    reason: ReasonQuery = None,
) -> StreamingResponse:
    """Export as an Excel workbook, audited with its reason."""
    exports.record_export(session, actor=actor, kind=kind, file_format="xlsx", only=only, reason=reason)
    rows = _rows(kind, session, settings, actor, only, open_session)
    return StreamingResponse(
        exports.xlsx_stream(rows, title=kind),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="regulator-{kind}.xlsx"'},
    )
