"""Spot checks (抽查, 002:20 政府抽评): reproducible random samples and the findings recorded against them.

The population is listed in a fixed order (ids, or certificate numbers) and drawn with `random.Random(seed)`:
the same seed over the same population draws the same items, in the same order. Weighted samples give flagged
items (anomaly flags over the sample's date range) five times the weight of others, by Efraimidis–Spirakis keys
(u ** (1 / w)) drawn from the same seeded generator. The seed, the filters and the population size are stored
with the drawn items, so a sample can be shown to have been drawn fairly.
"""

from __future__ import annotations

import random
import secrets
import uuid
from collections.abc import Sequence

from sqlmodel import Session, col, select

from assessment.batches.models import ExamSession
from certificates.models import Certificate
from registry import access
from registry.access import Power
from registry.actor import Actor
from registry.audit.service import record
from registry.bodies.models import EvaluationBody
from registry.clock import utcnow
from registry.errors import InvalidInput, NotFound
from registry.settings import Settings
from regulator import anomalies
from regulator.models import (
    FINDING_ZH,
    FindingIn,
    FindingPublic,
    Population,
    RegulatorAction,
    SampleIn,
    SampleItemPublic,
    SamplePublic,
    SpotFinding,
    SpotSample,
    SpotSampleItem,
)

FLAG_WEIGHT = 5.0


class SampleNotFound(NotFound):
    """No such sample (or item)."""

    code = "sample_not_found"


def _population(session: Session, data: SampleIn) -> list[tuple[str, uuid.UUID | None, str]]:
    """(ref, body id, label) of every item, in a fixed order."""
    if data.population == Population.BODIES:
        query = select(EvaluationBody.id, EvaluationBody.name).order_by(col(EvaluationBody.id))
        if data.province_code:
            query = query.where(EvaluationBody.province_code == data.province_code)
        return [(str(i), i, name) for i, name in session.exec(query).all()]
    if data.population == Population.BATCHES:
        batches = (
            select(  # type: ignore[call-overload]
                ExamSession.id, ExamSession.body_id, ExamSession.exam_on, ExamSession.occupation_code
            )
            .join(EvaluationBody, col(EvaluationBody.id) == col(ExamSession.body_id))
            .order_by(col(ExamSession.id))
        )
        if data.date_from:
            batches = batches.where(col(ExamSession.exam_on) >= data.date_from)
        if data.date_to:
            batches = batches.where(col(ExamSession.exam_on) <= data.date_to)
        if data.province_code:
            batches = batches.where(EvaluationBody.province_code == data.province_code)
        return [(str(i), b, f"{o} · {d.isoformat()}") for i, b, d, o in session.exec(batches).all()]
    certificates = (
        select(Certificate.number, Certificate.body_id)
        .join(EvaluationBody, col(EvaluationBody.id) == col(Certificate.body_id))
        .order_by(col(Certificate.number))
    )
    if data.date_from:
        certificates = certificates.where(col(Certificate.issued_on) >= data.date_from)
    if data.date_to:
        certificates = certificates.where(col(Certificate.issued_on) <= data.date_to)
    if data.province_code:
        certificates = certificates.where(EvaluationBody.province_code == data.province_code)
    return [(number, body, number) for number, body in session.exec(certificates).all()]


def draw(refs: Sequence[str], flagged: Sequence[bool], *, size: int, seed: int, weighted: bool) -> list[int]:
    """Indexes of the drawn items, in draw order; a pure function of its arguments."""
    rng = random.Random(seed)  # noqa: S311 - reproducible on purpose; seeds come from secrets when omitted
    if size >= len(refs):
        order = list(range(len(refs)))
        rng.shuffle(order)
        return order
    if not weighted:
        return rng.sample(range(len(refs)), size)
    keys = [(rng.random() ** (1.0 / (FLAG_WEIGHT if f else 1.0)), i) for i, f in enumerate(flagged)]
    keys.sort(reverse=True)
    return [i for _, i in keys[:size]]


def _flags(session: Session, actor: Actor, settings: Settings, data: SampleIn) -> tuple[set[str], set[str]]:
    window = anomalies.Window.build(settings, start=data.date_from, end=data.date_to, body_id=None)
    flags = anomalies.anomalies(session, actor=actor, settings=settings, window=window)
    return anomalies.flagged_bodies(flags), anomalies.flagged_batches(flags)


def create_sample(session: Session, *, actor: Actor, settings: Settings, data: SampleIn) -> SpotSample:
    """Draw and store a sample (audited with its seed and reason)."""
    access.require(actor, Power.REGULATE)
    if data.date_from and data.date_to and data.date_from > data.date_to:
        raise InvalidInput("起始日期晚于结束日期", "from is after to", extra={"field": "from"})
    seed = data.seed if data.seed is not None else secrets.randbelow(2**31)
    items = _population(session, data)
    bodies: set[str] = set()
    batches: set[str] = set()
    if data.weighted:
        bodies, batches = _flags(session, actor, settings, data)

    def is_flagged(ref: str, body: uuid.UUID | None) -> bool:
        if data.population == Population.BATCHES:
            return ref in batches or str(body) in bodies
        return str(body) in bodies

    flagged = [is_flagged(ref, body) for ref, body, _ in items]
    chosen = draw([ref for ref, _, _ in items], flagged, size=data.size, seed=seed, weighted=data.weighted)
    filters = {
        "from": data.date_from.isoformat() if data.date_from else None,
        "to": data.date_to.isoformat() if data.date_to else None,
        "province_code": data.province_code,
    }
    sample = SpotSample(
        population=data.population,
        seed=seed,
        size=len(chosen),
        weighted=data.weighted,
        filters=filters,
        population_size=len(items),
        reason=data.reason,
        created_at=utcnow(),
        created_by=actor.label,
    )
    session.add(sample)
    session.flush()
    session.add_all(
        SpotSampleItem(
            sample_id=sample.id,
            position=position,
            item_ref=items[index][0],
            body_id=items[index][1],
            label=items[index][2][:255],
            flagged=flagged[index],
        )
        for position, index in enumerate(chosen, start=1)
    )
    session.flush()
    record(
        session,
        actor=actor,
        action=RegulatorAction.SAMPLE_DRAWN.value,
        entity_type="spot_sample",
        entity_id=sample.id,
        after={
            "population": data.population,
            "seed": seed,
            "size": len(chosen),
            "weighted": data.weighted,
            "population_size": len(items),
            "filters": filters,
        },
        reason=data.reason,
    )
    return sample


def get_sample(session: Session, *, actor: Actor, sample_id: uuid.UUID) -> SpotSample:
    """One sample (regulator)."""
    access.require(actor, Power.REGULATE)
    sample = session.get(SpotSample, sample_id)
    if sample is None:
        raise SampleNotFound("抽查样本不存在", "no such sample")
    return sample


def list_samples(session: Session, *, actor: Actor, limit: int = 100) -> Sequence[SpotSample]:
    """Recent samples, newest first."""
    access.require(actor, Power.REGULATE)
    return session.exec(select(SpotSample).order_by(col(SpotSample.created_at).desc()).limit(limit)).all()


def _finding_view(finding: SpotFinding) -> FindingPublic:
    return FindingPublic(
        id=finding.id,
        item_id=finding.item_id,
        outcome=finding.outcome,
        outcome_zh=FINDING_ZH[finding.outcome],
        note=finding.note,
        recorded_at=finding.recorded_at,
        recorded_by=finding.recorded_by,
    )


def sample_view(session: Session, sample: SpotSample) -> SamplePublic:
    """A sample with its items and their findings."""
    items = session.exec(
        select(SpotSampleItem).where(SpotSampleItem.sample_id == sample.id).order_by(col(SpotSampleItem.position))
    ).all()
    findings: dict[uuid.UUID, list[FindingPublic]] = {}
    if items:
        for finding in session.exec(
            select(SpotFinding)
            .where(col(SpotFinding.item_id).in_([i.id for i in items]))
            .order_by(col(SpotFinding.recorded_at))
        ).all():
            findings.setdefault(finding.item_id, []).append(_finding_view(finding))
    return SamplePublic(
        **sample.model_dump(exclude={"id"}),
        id=sample.id,
        items=[
            SampleItemPublic(**item.model_dump(exclude={"sample_id"}), findings=findings.get(item.id, []))
            for item in items
        ],
    )


def record_finding(
    session: Session, *, actor: Actor, sample_id: uuid.UUID, item_id: uuid.UUID, data: FindingIn
) -> SpotFinding:
    """Record what a check of one sampled item found (audited); a finding may then ground a sanction."""
    access.require(actor, Power.REGULATE)
    item = session.get(SpotSampleItem, item_id)
    if item is None or item.sample_id != sample_id:
        raise SampleNotFound("抽查样本中没有此项", "no such item in this sample")
    finding = SpotFinding(
        item_id=item.id, outcome=data.outcome, note=data.note, recorded_at=utcnow(), recorded_by=actor.label
    )
    session.add(finding)
    session.flush()
    record(
        session,
        actor=actor,
        action=RegulatorAction.FINDING_RECORDED.value,
        entity_type="spot_finding",
        entity_id=finding.id,
        body_id=item.body_id,
        after={"sample_id": str(sample_id), "item": item.item_ref, "outcome": data.outcome},
        reason=data.note,
    )
    return finding


def finding_view(finding: SpotFinding) -> FindingPublic:
    """A finding as returned."""
    return _finding_view(finding)
