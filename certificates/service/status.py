"""A certificate's status: suspend, reinstate, revoke (taking a fraudulent award with it)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session, col, select

from certificates.models import (
    Certificate,
    CertificateAction,
    CertificateStatus,
    RevocationReason,
)
from certificates.service.views import get_certificate, require_manager
from registry.actor import Actor
from registry.awards import service as awards
from registry.awards.models import AwardRevocationReason, AwardStatus, GradeAward
from registry.db import get_for_update
from registry.text import within
from registry.transitions import TransitionTable, apply_transition

CERTIFICATE_TRANSITIONS = TransitionTable(
    "证书 certificate",
    {
        CertificateStatus.VALID: {CertificateStatus.SUSPENDED, CertificateStatus.REVOKED},
        CertificateStatus.SUSPENDED: {CertificateStatus.VALID, CertificateStatus.REVOKED},
    },
    actions={
        CertificateStatus.SUSPENDED: CertificateAction.SUSPENDED,
        CertificateStatus.VALID: CertificateAction.REINSTATED,
        CertificateStatus.REVOKED: CertificateAction.REVOKED,
    },
)
# A certificate revoked for these reasons takes its award with it (the grade was never genuinely earned).
AWARD_FALLS_WITH_CERTIFICATE = {
    RevocationReason.FRAUDULENT_EVALUATION: AwardRevocationReason.FRAUDULENT_EVALUATION,
    RevocationReason.AWARD_WITHDRAWN: AwardRevocationReason.OTHER,
}


def change_status(
    session: Session,
    *,
    actor: Actor,
    certificate: Certificate,
    target: CertificateStatus,
    note: str,
    reason: RevocationReason | None = None,
) -> None:
    """Move a locked certificate along its transition table and audit it."""

    def prepare(certificate: Certificate) -> dict[str, Any]:
        certificate.status_note = note
        if target == CertificateStatus.REVOKED:
            certificate.revocation_reason = reason or RevocationReason.OTHER
        return {"reason": certificate.revocation_reason}

    apply_transition(
        session,
        certificate,
        table=CERTIFICATE_TRANSITIONS,
        target=target,
        actor=actor,
        entity_type="certificate",
        body_id=certificate.body_id,
        reason=note,
        prepare=prepare,
        stamp=("status_changed_at",),
        lock=False,  # the callers locked it
    )


def set_status(
    session: Session,
    *,
    actor: Actor,
    number: str,
    target: CertificateStatus,
    note: str,
    reason: RevocationReason | None = None,
) -> Certificate:
    """Suspend, reinstate or revoke (final, with reason code) a certificate; audited.

    A revocation for fraudulent evaluation (虚假评价) or a withdrawn award also revokes the award, in the same
    transaction: the grade then counts for nothing (prerequisites, appointments, 比照).
    """
    certificate = get_certificate(session, actor=actor, number=number, lock=True)
    require_manager(actor, certificate)
    change_status(session, actor=actor, certificate=certificate, target=target, note=note, reason=reason)
    award_reason = AWARD_FALLS_WITH_CERTIFICATE.get(reason) if reason else None
    if target == CertificateStatus.REVOKED and award_reason is not None:
        award = session.get(GradeAward, certificate.award_id)
        if award is not None and award.status == AwardStatus.ACTIVE:
            awards.revoke_award(
                session,
                actor=actor,
                award_id=award.id,
                reason=award_reason,
                note=within(f"证书 {certificate.number}：{note}"),
            )
    return certificate


def revoke_award(
    session: Session, *, actor: Actor, award_id: uuid.UUID, reason: AwardRevocationReason, note: str
) -> GradeAward:
    """Revoke an award and every certificate documenting it, in one transaction, each change audited."""
    award = awards.revoke_award(session, actor=actor, award_id=award_id, reason=reason, note=note)
    certificate_reason = (
        RevocationReason.FRAUDULENT_EVALUATION
        if reason == AwardRevocationReason.FRAUDULENT_EVALUATION
        else RevocationReason.AWARD_WITHDRAWN
    )
    for certificate_id in session.exec(
        select(Certificate.id).where(
            Certificate.award_id == award.id, col(Certificate.status) != CertificateStatus.REVOKED
        )
    ).all():
        certificate = get_for_update(session, Certificate, certificate_id)
        change_status(
            session,
            actor=actor,
            certificate=certificate,
            target=CertificateStatus.REVOKED,
            note=within(f"等级已撤销 / award revoked: {note}"),
            reason=certificate_reason,
        )
    return award
