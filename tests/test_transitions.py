"""One way to change a status: every table names its audit actions, verbs mean the same in every area."""

from __future__ import annotations

import enum
import importlib
import inspect
from typing import Any

import pytest
from sqlmodel import Session, col, select

from assessment.assessors.service import ASSESSOR_TRANSITIONS
from assessment.batches.service.reads import BATCH_TRANSITIONS, OBJECTION_TRANSITIONS
from assessment.recognition.service import RECOGNITION_TRANSITIONS
from certificates.models import CertificateStatus
from certificates.service import CERTIFICATE_TRANSITIONS
from registry.audit.actions import Verb, verb_of
from registry.audit.models import AuditEvent
from registry.audit.service import verify_chain
from registry.awards.service import AWARD_TRANSITIONS
from registry.bodies.models import BodyStatus
from registry.bodies.service import BODY_TRANSITIONS, set_body_status
from registry.errors import TransitionNotAllowed
from registry.filings.models import FilingStatus
from registry.filings.service import FILING_TRANSITIONS
from registry.transitions import TransitionTable
from tests.factories import SYSTEM, make_body

ACTION_MODULES = (
    "registry.bodies.models",
    "registry.filings.models",
    "registry.awards.models",
    "registry.people.models",
    "registry.accounts.models",
    "assessment.assessors.models",
    "assessment.batches.models",
    "assessment.recognition.models",
    "certificates.models",
    "certificates.open_models",
    "regulator.models",
)
TABLES: dict[str, TransitionTable[Any]] = {
    "assessor": ASSESSOR_TRANSITIONS,
    "body": BODY_TRANSITIONS,
    "filing": FILING_TRANSITIONS,
    "award": AWARD_TRANSITIONS,
    "batch": BATCH_TRANSITIONS,
    "objection": OBJECTION_TRANSITIONS,
    "recognition": RECOGNITION_TRANSITIONS,
    "certificate": CERTIFICATE_TRANSITIONS,
}


def _action_enums() -> list[type[enum.StrEnum]]:
    found = []
    for name in ACTION_MODULES:
        module = importlib.import_module(name)
        found += [
            obj
            for attr, obj in vars(module).items()
            if attr.endswith("Action") and inspect.isclass(obj) and issubclass(obj, enum.StrEnum)
        ]
    return found


class TestActionNames:
    def test_every_area_has_one_action_enum(self) -> None:
        assert len(_action_enums()) == len(ACTION_MODULES)

    @pytest.mark.parametrize("actions", _action_enums(), ids=lambda e: e.__name__)
    def test_every_action_ends_in_a_shared_verb_named_like_its_member(self, actions: type[enum.StrEnum]) -> None:
        for member in actions:
            verb = verb_of(member.value)  # ValueError for a verb outside the vocabulary
            assert member.name == verb.name or member.name.endswith(f"_{verb.name}"), member

    def test_an_unknown_verb_is_refused(self) -> None:
        with pytest.raises(ValueError, match="active"):
            verb_of("body.active")


class TestTables:
    @pytest.mark.parametrize("name", sorted(TABLES))
    def test_every_step_has_an_audit_action(self, name: str) -> None:
        table = TABLES[name]
        for src, dst in table.edges():
            assert verb_of(table.action(src, dst).value) in Verb

    @pytest.mark.parametrize(
        ("table", "suspended", "active"),
        [
            (BODY_TRANSITIONS, BodyStatus.SUSPENDED, BodyStatus.ACTIVE),
            (FILING_TRANSITIONS, FilingStatus.SUSPENDED, FilingStatus.APPROVED),
            (CERTIFICATE_TRANSITIONS, CertificateStatus.SUSPENDED, CertificateStatus.VALID),
        ],
        ids=["body", "filing", "certificate"],
    )
    def test_reinstatement_is_reinstated_in_every_area(
        self, table: TransitionTable[Any], suspended: Any, active: Any
    ) -> None:
        assert verb_of(table.action(suspended, active).value) == Verb.REINSTATED

    def test_approval_after_submission_is_approved(self) -> None:
        action = FILING_TRANSITIONS.action(FilingStatus.SUBMITTED, FilingStatus.APPROVED)
        assert verb_of(action.value) == Verb.APPROVED

    def test_objections_have_a_table_and_a_decision_is_final(self) -> None:
        from assessment.batches.models import ObjectionStatus

        assert OBJECTION_TRANSITIONS.allowed_from(ObjectionStatus.OPEN) == {
            ObjectionStatus.UPHELD,
            ObjectionStatus.DISMISSED,
        }
        assert OBJECTION_TRANSITIONS.is_final(ObjectionStatus.UPHELD)
        assert OBJECTION_TRANSITIONS.is_final(ObjectionStatus.DISMISSED)


class TestApplyTransition:
    def _events(self, session: Session, entity_id: Any) -> list[AuditEvent]:
        return list(
            session.exec(
                select(AuditEvent).where(AuditEvent.entity_id == str(entity_id)).order_by(col(AuditEvent.seq))
            ).all()
        )

    def test_a_body_reinstated_is_audited_as_reinstated_with_before_and_after(self, session: Session) -> None:
        body = make_body(session)
        set_body_status(session, actor=SYSTEM, body_id=body.id, status=BodyStatus.SUSPENDED, reason="核查")
        set_body_status(session, actor=SYSTEM, body_id=body.id, status=BodyStatus.ACTIVE, reason="整改完成")
        last = self._events(session, body.id)[-1]
        assert (last.action, last.before, last.after, last.reason) == (
            "body.reinstated",
            {"status": "suspended"},
            {"status": "active"},
            "整改完成",
        )
        assert body.status_changed_at == body.updated_at
        assert verify_chain(session).ok

    def test_a_refused_step_changes_nothing_and_audits_nothing(self, session: Session) -> None:
        body = make_body(session)
        set_body_status(session, actor=SYSTEM, body_id=body.id, status=BodyStatus.REVOKED, reason="撤销资质")
        count = len(self._events(session, body.id))
        with pytest.raises(TransitionNotAllowed):
            set_body_status(session, actor=SYSTEM, body_id=body.id, status=BodyStatus.ACTIVE, reason="恢复")
        assert body.status == BodyStatus.REVOKED
        assert len(self._events(session, body.id)) == count
