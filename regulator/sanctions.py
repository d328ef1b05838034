"""Sanctions (DESIGN.md §6): warning with a deadline, suspend a filing, revoke 评价资质 (002:27), and revoke
the certificates and awards of a batch found fraudulent (虚假评价, 000:53).

`impose` first plans: the plan lists exactly what will change (bodies, filings, batches, awards, certificates).
A dry run returns the plan and changes nothing; otherwise the plan is carried out through the services that own
each record — `set_body_status`, `set_filing_status`, `cancel_batch`, and for every award of the batch the
one revocation path `certificates.service.revoke_award` (award and certificates together, each audited) — in
the request's one transaction, then the sanction itself is recorded and audited with its reason.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from assessment.batches.models import Candidate, ExamSession, SessionStatus
from assessment.batches.service import cancel_batch
from certificates.models import Certificate, CertificateStatus
from certificates.service import revoke_award
from registry import access
from registry.access import Power
from registry.actor import Actor
from registry.audit.service import record
from registry.awards.models import AwardRevocationReason, AwardStatus, GradeAward
from registry.bodies.models import KIND_ZH, BodyStatus, EvaluationBody
from registry.bodies.service import BodyNotFound, set_body_status
from registry.clock import today, utcnow
from registry.errors import Conflict, InvalidInput, NotFound
from registry.filings.models import Filing, FilingStatus
from registry.filings.service import public_catalogue, set_filing_status
from registry.text import within
from registry.transitions import TransitionTable, apply_transition
from regulator.models import (
    LIFTABLE,
    SANCTION_BASIS,
    SANCTION_STATUS_ZH,
    SANCTION_ZH,
    BodyStanding,
    CatalogueEntryStanding,
    LiftIn,
    PublicSanction,
    RegulatorAction,
    Sanction,
    SanctionIn,
    SanctionKind,
    SanctionPlan,
    SanctionPublic,
    SanctionStatus,
    SpotFinding,
)

CANCELLABLE = (SessionStatus.PLANNED, SessionStatus.OPEN)
SANCTION_TRANSITIONS = TransitionTable(
    "处罚 sanction",
    {SanctionStatus.IN_EFFECT: {SanctionStatus.LIFTED}},
    actions={SanctionStatus.LIFTED: RegulatorAction.SANCTION_LIFTED},
)


class SanctionNotFound(NotFound):
    """No such sanction."""

    code = "sanction_not_found"


class SanctionNotApplicable(Conflict):
    """The sanction cannot apply to the body as it stands (already revoked, nothing to suspend, not liftable…)."""

    code = "sanction_not_applicable"


def _body(session: Session, body_id: uuid.UUID) -> EvaluationBody:
    body = session.get(EvaluationBody, body_id)
    if body is None:
        raise BodyNotFound("评价机构不存在", "no such evaluation body")
    return body


def _filings_to_suspend(session: Session, body: EvaluationBody, data: SanctionIn) -> list[Filing]:
    if data.filing_id is not None:
        filing = session.get(Filing, data.filing_id)
        if filing is None or filing.body_id != body.id:
            raise InvalidInput("该备案不属于此机构", "the filing is not this body's", extra={"field": "filing_id"})
        if filing.status != FilingStatus.APPROVED:
            raise SanctionNotApplicable(
                f"备案状态为 {filing.status.value}，只能暂停已批准的备案",
                f"the filing is {filing.status.value}: only an approved filing can be suspended",
            )
        return [filing]
    filings = list(
        session.exec(
            select(Filing)
            .where(Filing.body_id == body.id, Filing.status == FilingStatus.APPROVED)
            .order_by(col(Filing.starts_on))
        ).all()
    )
    if not filings:
        raise SanctionNotApplicable("该机构没有已批准的备案可暂停", "the body has no approved filing to suspend")
    return filings


def _batch_awards(
    session: Session, body: EvaluationBody, batch_id: uuid.UUID | None
) -> tuple[ExamSession, list[GradeAward]]:
    if batch_id is None:
        raise InvalidInput("撤销批次证书须指定 batch_id", "revoke_batch needs batch_id", extra={"field": "batch_id"})
    batch = session.get(ExamSession, batch_id)
    if batch is None or batch.body_id != body.id:
        raise InvalidInput("该批次不属于此机构", "the batch is not this body's", extra={"field": "batch_id"})
    awards = session.exec(
        select(GradeAward)
        .join(Candidate, col(Candidate.award_id) == col(GradeAward.id))
        .where(Candidate.session_id == batch.id, GradeAward.status == AwardStatus.ACTIVE)
        .order_by(col(GradeAward.id))
    ).all()
    return batch, list(awards)


def plan(session: Session, *, actor: Actor, data: SanctionIn) -> SanctionPlan:
    """Exactly what the sanction would change; changes nothing."""
    access.require(actor, Power.REGULATE)
    body = _body(session, data.body_id)
    if data.finding_id is not None and session.get(SpotFinding, data.finding_id) is None:
        raise InvalidInput("抽查发现不存在", "no such finding", extra={"field": "finding_id"})
    if body.status == BodyStatus.REVOKED and data.kind != SanctionKind.REVOKE_BATCH:
        raise SanctionNotApplicable(
            "该机构的评价资质已被取消（最终状态）", "the body's evaluation qualification is already revoked (final)"
        )
    result = SanctionPlan(
        dry_run=data.dry_run,
        kind=data.kind,
        kind_zh=SANCTION_ZH[data.kind],
        body_id=body.id,
        body_name=body.name,
        basis=SANCTION_BASIS[data.kind],
        counts={},
    )
    if data.kind == SanctionKind.WARNING:
        if data.deadline is None or data.deadline <= today():
            raise InvalidInput(
                "警告须给出今天之后的整改期限 deadline",
                "a warning needs a rectification deadline after today",
                extra={"field": "deadline"},
            )
    elif data.kind == SanctionKind.SUSPEND_FILING:
        result.filings = [f.id for f in _filings_to_suspend(session, body, data)]
    elif data.kind == SanctionKind.REVOKE_QUALIFICATION:
        result.body_status = {"from": body.status.value, "to": BodyStatus.REVOKED.value}
        result.filings = list(
            session.exec(
                select(Filing.id).where(
                    Filing.body_id == body.id,
                    col(Filing.status).in_([FilingStatus.APPROVED, FilingStatus.SUSPENDED]),
                )
            ).all()
        )
        result.batches_cancelled = list(
            session.exec(
                select(ExamSession.id).where(ExamSession.body_id == body.id, col(ExamSession.status).in_(CANCELLABLE))
            ).all()
        )
    else:
        _, awards = _batch_awards(session, body, data.batch_id)
        result.awards = [a.id for a in awards]
        if awards:
            result.certificates = list(
                session.exec(
                    select(Certificate.number)
                    .where(
                        col(Certificate.award_id).in_(result.awards),
                        col(Certificate.status) != CertificateStatus.REVOKED,
                    )
                    .order_by(col(Certificate.number))
                ).all()
            )
        if not awards:
            raise SanctionNotApplicable("该批次没有有效的等级可撤销", "the batch has no standing awards to revoke")
    result.counts = {
        "bodies": 1 if result.body_status else 0,
        "filings": len(result.filings),
        "batches_cancelled": len(result.batches_cancelled),
        "awards": len(result.awards),
        "certificates": len(result.certificates),
    }
    return result


def impose(session: Session, *, actor: Actor, data: SanctionIn) -> SanctionPlan:
    """Plan, then (unless a dry run) carry out the plan and record the sanction, all audited."""
    result = plan(session, actor=actor, data=data)
    if data.dry_run:
        return result
    note = within(f"{SANCTION_ZH[data.kind]}（{SANCTION_BASIS[data.kind]}）：{data.reason}")
    if data.kind == SanctionKind.SUSPEND_FILING:
        for filing_id in result.filings:
            set_filing_status(session, actor=actor, filing_id=filing_id, status=FilingStatus.SUSPENDED, reason=note)
    elif data.kind == SanctionKind.REVOKE_QUALIFICATION:
        for batch_id in result.batches_cancelled:
            cancel_batch(session, actor=actor, batch_id=batch_id, reason=note)
        for filing_id in result.filings:
            set_filing_status(session, actor=actor, filing_id=filing_id, status=FilingStatus.REVOKED, reason=note)
        set_body_status(session, actor=actor, body_id=data.body_id, status=BodyStatus.REVOKED, reason=note)
    elif data.kind == SanctionKind.REVOKE_BATCH:
        for award_id in result.awards:
            revoke_award(
                session, actor=actor, award_id=award_id, reason=AwardRevocationReason.FRAUDULENT_EVALUATION, note=note
            )
    sanction = Sanction(
        body_id=data.body_id,
        kind=data.kind,
        filing_id=data.filing_id,
        batch_id=data.batch_id,
        finding_id=data.finding_id,
        basis=SANCTION_BASIS[data.kind],
        reason=data.reason,
        deadline=data.deadline,
        effects={**result.counts, "filings": [str(f) for f in result.filings]},
        decided_at=utcnow(),
        decided_by=actor.label,
    )
    session.add(sanction)
    session.flush()
    record(
        session,
        actor=actor,
        action=RegulatorAction.SANCTION_IMPOSED.value,
        entity_type="sanction",
        entity_id=sanction.id,
        body_id=data.body_id,
        after={"kind": data.kind, "basis": sanction.basis, "deadline": data.deadline, **result.counts},
        reason=data.reason,
    )
    result.sanction = view(session, sanction)
    return result


def lift(session: Session, *, actor: Actor, sanction_id: uuid.UUID, data: LiftIn) -> Sanction:
    """Lift a warning (rectified) or a suspension (its filings approved again); revocations are final."""
    access.require(actor, Power.REGULATE)
    sanction = session.get(Sanction, sanction_id)
    if sanction is None:
        raise SanctionNotFound("处罚记录不存在", "no such sanction")
    if sanction.kind not in LIFTABLE:
        raise SanctionNotApplicable(
            "只有警告或暂停备案可以解除（取消资质和撤销证书是最终决定）",
            "only a warning or a suspension can be lifted (revocations are final)",
        )

    def restore(row: Sanction) -> dict[str, Any]:
        restored = []
        if row.kind == SanctionKind.SUSPEND_FILING:
            if _body(session, row.body_id).status == BodyStatus.REVOKED:
                raise SanctionNotApplicable(
                    "机构资质已取消，备案不能恢复", "the body is revoked: its filings cannot return"
                )
            for filing_id in row.effects.get("filings", []):
                filing = session.get(Filing, uuid.UUID(filing_id))
                if filing is not None and filing.status == FilingStatus.SUSPENDED:
                    set_filing_status(
                        session, actor=actor, filing_id=filing.id, status=FilingStatus.APPROVED, reason=data.reason
                    )
                    restored.append(filing_id)
        row.lift_reason = data.reason
        return {"filings_reinstated": restored}

    return apply_transition(
        session,
        sanction,
        table=SANCTION_TRANSITIONS,
        target=SanctionStatus.LIFTED,
        actor=actor,
        entity_type="sanction",
        body_id=sanction.body_id,
        reason=data.reason,
        prepare=restore,
        stamp=("lifted_at",),
    )


def view(session: Session, sanction: Sanction) -> SanctionPublic:
    """A sanction as the regulator sees it."""
    body = session.get(EvaluationBody, sanction.body_id)
    return SanctionPublic(
        **sanction.model_dump(),
        body_name=body.name if body else "",
        kind_zh=SANCTION_ZH[sanction.kind],
        status_zh=SANCTION_STATUS_ZH[sanction.status],
    )


def list_sanctions(
    session: Session, *, actor: Actor, body_id: uuid.UUID | None = None, limit: int = 200
) -> list[SanctionPublic]:
    """Sanctions, newest first (regulator)."""
    access.require(actor, Power.REGULATE)
    query = select(Sanction).order_by(col(Sanction.decided_at).desc()).limit(limit)
    if body_id is not None:
        query = query.where(Sanction.body_id == body_id)
    return [view(session, s) for s in session.exec(query).all()]


def _public(sanction: Sanction) -> PublicSanction:
    beijing = dt.timedelta(hours=8)
    return PublicSanction(
        kind=sanction.kind,
        kind_zh=SANCTION_ZH[sanction.kind],
        basis=sanction.basis,
        status=sanction.status,
        status_zh=SANCTION_STATUS_ZH[sanction.status],
        decided_on=(sanction.decided_at + beijing).date(),
        deadline=sanction.deadline,
        lifted_on=(sanction.lifted_at + beijing).date() if sanction.lifted_at else None,
    )


STANDING_ZH = {
    "good": "正常",
    "warned": "整改中（警告）",
    "suspended": "备案暂停",
    "body_suspended": "机构暂停",
    "revoked": "已取消评价资质",
}


def standings(session: Session, *, in_catalogue: set[uuid.UUID], only_sanctioned: bool = False) -> list[BodyStanding]:
    """Every body's public standing and sanction history (in effect / lifted), no personal data."""
    history: dict[uuid.UUID, list[Sanction]] = {}
    for sanction in session.exec(select(Sanction).order_by(col(Sanction.decided_at))).all():
        history.setdefault(sanction.body_id, []).append(sanction)
    bodies = session.exec(select(EvaluationBody).order_by(col(EvaluationBody.name))).all()
    out = []
    for body in bodies:
        sanctions = history.get(body.id, [])
        if only_sanctioned and not sanctions and body.status == BodyStatus.ACTIVE:
            continue
        standing = _standing(body, sanctions)
        out.append(
            BodyStanding(
                body_id=body.id,
                name=body.name,
                uscc=body.uscc,
                kind_zh=KIND_ZH[body.kind],
                province_code=body.province_code,
                city_code=body.city_code,
                status=body.status.value,
                standing=standing,
                standing_zh=STANDING_ZH[standing],
                in_catalogue=body.id in in_catalogue,
                sanctions=[_public(s) for s in sanctions],
            )
        )
    return out


def _standing(body: EvaluationBody, sanctions: Sequence[Sanction]) -> str:
    if body.status == BodyStatus.REVOKED:
        return "revoked"
    if body.status == BodyStatus.SUSPENDED:
        return "body_suspended"
    live = {s.kind for s in sanctions if s.status == SanctionStatus.IN_EFFECT}
    if SanctionKind.SUSPEND_FILING in live:
        return "suspended"
    if SanctionKind.WARNING in live:
        return "warned"
    return "good"


def catalogue(session: Session) -> list[CatalogueEntryStanding]:
    """The public catalogue (000:43) with each body's standing and sanction history."""
    entries = public_catalogue(session)
    history: dict[uuid.UUID, list[Sanction]] = {}
    ids = list({e.body_id for e in entries})
    if ids:
        for sanction in session.exec(
            select(Sanction).where(col(Sanction.body_id).in_(ids)).order_by(col(Sanction.decided_at))
        ).all():
            history.setdefault(sanction.body_id, []).append(sanction)
    bodies = {b.id: b for b in session.exec(select(EvaluationBody).where(col(EvaluationBody.id).in_(ids))).all()}
    out = []
    for entry in entries:
        sanctions = history.get(entry.body_id, [])
        standing = _standing(bodies[entry.body_id], sanctions)
        out.append(
            CatalogueEntryStanding(
                **entry.model_dump(),
                standing=standing,
                standing_zh=STANDING_ZH[standing],
                sanctions=[_public(s) for s in sanctions],
            )
        )
    return out
