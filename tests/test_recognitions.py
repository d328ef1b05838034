"""Direct recognition through the services, and appointments (评聘)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from assessment.recognition.models import (
    CompetitionResult,
    CompetitionTier,
    Evidence,
    Path,
    RecognitionIn,
    Trigger,
    Waiver,
)
from assessment.recognition.service import (
    RecognitionRefused,
    apply_for_recognition,
    decide_recognition,
    replace_competition_rules,
)
from registry.actor import Actor, Role
from registry.awards.models import AppointmentCreate, AwardBasis
from registry.awards.service import AppointmentNotAllowed, create_appointment, list_awards
from registry.bodies.models import EvaluationBody
from registry.bodies.service import BodyNotFound
from registry.grades import GradeCode as G
from registry.settings import Settings
from tests.factories import SYSTEM, give_award, make_body, make_filing, make_person, scope_line

EVIDENCE = [Evidence(kind="project_report", ref="档案号 2026-JS-017", description="攻克焊接变形工艺难题")]


def _chain_lead(session: Session, settings: Settings) -> EvaluationBody:
    body = make_body(session, is_large=True, is_chain_lead=True, qualified_special=True)
    make_filing(
        session,
        settings,
        body=body,
        ceiling=G.CHIEF_TECHNICIAN,
        lines=[scope_line(max_grade=G.CHIEF_TECHNICIAN, direct_recognition=True), scope_line("6-31-01-03")],
    )
    return body


def _ordinary(session: Session, settings: Settings) -> EvaluationBody:
    body = make_body(session)
    make_filing(session, settings, body=body)
    return body


def _application(body: EvaluationBody, person_id, **changes) -> RecognitionIn:  # type: ignore[no-untyped-def]
    values = {
        "body_id": body.id,
        "person_id": person_id,
        "occupation_code": "6-18-02-04",
        "target_grade": G.SENIOR,
        "path": Path.DR_A,
        "triggers": [Trigger.T1],
        "evidence": EVIDENCE,
        "waived": [Waiver.EDUCATION],
    }
    values.update(changes)
    return RecognitionIn(**values)


class TestApply:
    def test_chain_lead_recognises_a_technician_directly_under_dr_d(self, session: Session, settings: Settings) -> None:
        body = _chain_lead(session, settings)
        worker = make_person(session, settings, employer=body)
        recognition = apply_for_recognition(
            session,
            actor=SYSTEM,
            settings=settings,
            data=_application(
                body,
                worker.id,
                target_grade=G.TECHNICIAN,
                path=Path.DR_D,
                triggers=[Trigger.T8],
                waived=[Waiver.SEQUENTIAL],
                methods=["performance_review", "skill_operation"],
            ),
        )
        decide_recognition(
            session, actor=SYSTEM, recognition_id=recognition.id, approve=True, note="评审通过", settings=settings
        )
        (award,) = list_awards(session, actor=SYSTEM, person_id=worker.id)
        assert (award.grade, award.basis) == (G.TECHNICIAN, AwardBasis.RECOGNITION)
        assert recognition.award_id == award.id

    def test_ordinary_employer_cannot_skip_grades(self, session: Session, settings: Settings) -> None:
        body = _ordinary(session, settings)
        worker = make_person(session, settings, employer=body)
        with pytest.raises(RecognitionRefused) as refused:
            apply_for_recognition(
                session,
                actor=SYSTEM,
                settings=settings,
                data=_application(
                    body,
                    worker.id,
                    target_grade=G.TECHNICIAN,
                    path=Path.DR_D,
                    triggers=[Trigger.T8],
                    waived=[Waiver.SEQUENTIAL],
                    methods=["performance_review"],
                ),
            )
        failed = {r["rule_id"]: r["source"] for r in refused.value.extra["rules"] if r["outcome"] == "failed"}
        assert failed["REC-DR-D"] == "001:46"

    def test_dr_a_to_senior_with_evidence(self, session: Session, settings: Settings) -> None:
        body = _ordinary(session, settings)
        worker = make_person(session, settings, employer=body)
        give_award(session, person=worker, body=body, grade=G.INTERMEDIATE, on=dt.date(2026, 2, 1))
        recognition = apply_for_recognition(
            session, actor=SYSTEM, settings=settings, data=_application(body, worker.id)
        )
        assert recognition.report["allowed"] is True
        decide_recognition(
            session, actor=SYSTEM, recognition_id=recognition.id, approve=True, note="通过", settings=settings
        )
        assert {a.grade for a in list_awards(session, actor=SYSTEM, person_id=worker.id)} == {G.INTERMEDIATE, G.SENIOR}

    def test_competition_winner_is_promoted_per_the_table(self, session: Session, settings: Settings) -> None:
        body = _ordinary(session, settings)
        worker = make_person(session, settings, employer=body)
        give_award(session, person=worker, body=body, grade=G.SENIOR, on=dt.date(2026, 2, 1))
        recognition = apply_for_recognition(
            session,
            actor=SYSTEM,
            settings=settings,
            data=_application(
                body,
                worker.id,
                target_grade=G.TECHNICIAN,
                path=Path.DR_G,
                triggers=[Trigger.T7],
                waived=[],
                competition=CompetitionResult(
                    name="广东省职业技能大赛焊工赛项", tier=CompetitionTier.PROVINCIAL, rank=2, year=2026
                ),
            ),
        )
        decide_recognition(
            session, actor=SYSTEM, recognition_id=recognition.id, approve=True, note="获奖晋升", settings=settings
        )
        awards = {a.grade: a.basis for a in list_awards(session, actor=SYSTEM, person_id=worker.id)}
        assert awards[G.TECHNICIAN] == AwardBasis.COMPETITION

    def test_the_competition_table_is_configurable(self, session: Session, settings: Settings) -> None:
        body = _ordinary(session, settings)
        worker = make_person(session, settings, employer=body)
        give_award(session, person=worker, body=body, grade=G.SENIOR, on=dt.date(2026, 2, 1))
        replace_competition_rules(session, actor=SYSTEM, rows=[])
        with pytest.raises(RecognitionRefused, match="REC-DR-G"):
            apply_for_recognition(
                session,
                actor=SYSTEM,
                settings=settings,
                data=_application(
                    body,
                    worker.id,
                    target_grade=G.TECHNICIAN,
                    path=Path.DR_G,
                    triggers=[Trigger.T7],
                    waived=[],
                    competition=CompetitionResult(name="省赛", tier=CompetitionTier.PROVINCIAL, rank=1, year=2026),
                ),
            )

    def test_another_body_may_not_apply_for_our_worker(self, session: Session, settings: Settings) -> None:
        body = _ordinary(session, settings)
        worker = make_person(session, settings, employer=body)
        other = make_body(session)
        intruder = Actor(label="x", role=Role.BODY_ADMIN, body_id=other.id)
        with pytest.raises(BodyNotFound):
            apply_for_recognition(session, actor=intruder, settings=settings, data=_application(body, worker.id))


class TestAppointments:
    def test_appointment_needs_the_grade(self, session: Session, settings: Settings) -> None:
        body = _chain_lead(session, settings)
        worker = make_person(session, settings, employer=body)
        with pytest.raises(AppointmentNotAllowed) as refused:
            create_appointment(
                session,
                actor=SYSTEM,
                data=AppointmentCreate(
                    person_id=worker.id,
                    body_id=body.id,
                    occupation_code="6-18-02-04",
                    post_grade=G.SENIOR_TECHNICIAN,
                    post_title="高级技师岗",
                    starts_on=dt.date(2026, 7, 1),
                ),
            )
        (rule,) = refused.value.extra["rules"]
        assert (rule["rule_id"], rule["provenance"], rule["citation"]) == ("AWD-APPOINTMENT-GRADE", "registry", None)
        assert "登记系统规则" in refused.value.zh and "registry rule" in refused.value.en

    def test_holder_is_appointed_to_a_post(self, session: Session, settings: Settings) -> None:
        body = _chain_lead(session, settings)
        worker = make_person(session, settings, employer=body)
        award = give_award(session, person=worker, body=body, grade=G.SPECIAL_TECHNICIAN, on=dt.date(2026, 2, 1))
        appointment = create_appointment(
            session,
            actor=SYSTEM,
            data=AppointmentCreate(
                person_id=worker.id,
                body_id=body.id,
                occupation_code="6-18-02-04",
                post_grade=G.SPECIAL_TECHNICIAN,
                post_title="焊接工艺特级技师",
                starts_on=dt.date(2026, 7, 1),
            ),
        )
        assert appointment.award_id == award.id


class TestLifelongRecord:
    def test_a_worker_sees_only_their_own_awards(self, session: Session, settings: Settings) -> None:
        body = _ordinary(session, settings)
        me, someone = make_person(session, settings, employer=body), make_person(session, settings, employer=body)
        give_award(session, person=me, body=body, grade=G.JUNIOR)
        give_award(session, person=someone, body=body, grade=G.JUNIOR)
        worker = Actor(label="w", role=Role.WORKER, person_id=me.id)
        assert {a.person_id for a in list_awards(session, actor=worker)} == {me.id}
