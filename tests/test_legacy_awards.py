"""Legacy awards: certificates issued before the registry — who records them, what they count for, the import."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
from sqlmodel import Session, func, select
from typer.testing import CliRunner

from api.cli import app as cli
from assessment.batches.models import EnrolIn
from assessment.batches.service import NotEligible, enrol
from certificates.verification import Verdict, lookup
from registry.actor import Actor, Role
from registry.audit.models import AuditEvent
from registry.awards.legacy import (
    LEGACY_COLUMNS,
    LEGACY_OPTIONAL,
    LegacyNumberTaken,
    NotALegacyRecord,
    decide_legacy_award,
    import_legacy,
    record_legacy_award,
)
from registry.awards.models import (
    AppointmentCreate,
    AwardBasis,
    AwardStatus,
    CertificateFamily,
    GradeAward,
    LegacyCertificate,
)
from registry.awards.service import AwardExists, create_appointment, create_award, held_grades
from registry.bodies.models import EvaluationBody
from registry.db import make_engine, session_scope
from registry.errors import InvalidInput, PermissionDenied
from registry.grades import GradeCode as G
from registry.people.models import Employment
from registry.people.service import PersonNotFound
from registry.settings import Settings
from registry.tabular import Row, read_table
from tests.factories import SYSTEM, legacy_data, make_batch, make_body, make_filing, make_person, valid_id

WELDER = "6-18-02-04"


@pytest.fixture
def body(session: Session, settings: Settings) -> EvaluationBody:
    body = make_body(session)
    make_filing(session, settings, body=body)
    return body


def _admin(body: EvaluationBody) -> Actor:
    return Actor(label="admin", role=Role.BODY_ADMIN, body_id=body.id)


class TestRecord:
    def test_the_regulators_record_counts_at_once(self, session: Session, settings: Settings) -> None:
        person = make_person(session, settings)
        award, legacy = record_legacy_award(session, actor=SYSTEM, data=legacy_data(person, number="1544 0010 0230"))
        assert (award.status, award.basis, award.body_id, award.filing_id) == (
            AwardStatus.ACTIVE,
            AwardBasis.LEGACY,
            None,
            None,
        )
        assert (legacy.family, legacy.original_number, legacy.number_key) == (
            CertificateFamily.QUALIFICATION,
            "1544 0010 0230",
            "154400100230",
        )
        assert held_grades(session, person_id=person.id, occupation_code=WELDER) == [(G.SENIOR, dt.date(2020, 6, 30))]
        event = session.exec(select(AuditEvent).where(AuditEvent.entity_id == str(award.id))).one()
        assert event.action == "award.recorded"
        assert event.after["original_number"] == "1544 0010 0230"

    def test_a_body_records_its_own_staff_pending_the_regulator(
        self, session: Session, settings: Settings, body: EvaluationBody
    ) -> None:
        person = make_person(session, settings, employer=body)
        award, legacy = record_legacy_award(session, actor=_admin(body), data=legacy_data(person))
        assert award.status == AwardStatus.PENDING
        assert legacy.recorded_by_body_id == body.id
        assert held_grades(session, person_id=person.id, occupation_code=WELDER) == []

    def test_a_body_may_not_record_someone_it_no_longer_employs(
        self, session: Session, settings: Settings, body: EvaluationBody
    ) -> None:
        person = make_person(session, settings, employer=body, employed_since=dt.date(2010, 1, 1))
        for job in person_jobs(session, person.id):
            job.ends_on = dt.date(2020, 1, 1)
        session.flush()
        with pytest.raises(PermissionDenied):
            record_legacy_award(session, actor=_admin(body), data=legacy_data(person))

    def test_a_body_may_not_record_another_bodys_worker(
        self, session: Session, settings: Settings, body: EvaluationBody
    ) -> None:
        other = make_person(session, settings, employer=make_body(session))
        with pytest.raises(PersonNotFound):
            record_legacy_award(session, actor=_admin(body), data=legacy_data(other))

    @pytest.mark.parametrize("role", [Role.WORKER, Role.ASSESSOR, Role.SUPERVISOR])
    def test_other_roles_may_not_record(self, session: Session, settings: Settings, role: Role) -> None:
        person = make_person(session, settings)
        with pytest.raises(PermissionDenied):
            record_legacy_award(
                session, actor=Actor(label="x", role=role, person_id=person.id), data=legacy_data(person)
            )

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            pytest.param({"grade": G.SPECIAL_TECHNICIAN}, "grade", id="qualification-has-no-special-technician"),
            pytest.param({"grade": G.APPRENTICE, "family": CertificateFamily.SKILL_LEVEL}, "grade", id="no-apprentice"),
            pytest.param({"on": dt.date(2099, 1, 1)}, "awarded_on", id="future-date"),
            pytest.param({"number": "15#44"}, "original_number", id="bad-number"),
        ],
    )
    def test_bad_records_are_refused_naming_the_field(
        self, session: Session, settings: Settings, changes: dict[str, object], field: str
    ) -> None:
        person = make_person(session, settings)
        with pytest.raises(InvalidInput) as refused:
            record_legacy_award(session, actor=SYSTEM, data=legacy_data(person, **changes))  # type: ignore[arg-type]
        assert refused.value.extra["field"] == field

    def test_the_same_original_certificate_is_recorded_once(self, session: Session, settings: Settings) -> None:
        first, second = make_person(session, settings), make_person(session, settings)
        record_legacy_award(session, actor=SYSTEM, data=legacy_data(first, number="154400000001"))
        with pytest.raises(LegacyNumberTaken):
            record_legacy_award(session, actor=SYSTEM, data=legacy_data(second, number="154400000001"))

    def test_a_grade_already_on_record_is_refused(self, session: Session, settings: Settings) -> None:
        person = make_person(session, settings)
        record_legacy_award(session, actor=SYSTEM, data=legacy_data(person))
        with pytest.raises(AwardExists):
            record_legacy_award(session, actor=SYSTEM, data=legacy_data(person))

    def test_create_award_never_makes_a_legacy_record(self, session: Session, settings: Settings) -> None:
        person = make_person(session, settings)
        with pytest.raises(ValueError, match="record_legacy_award"):
            create_award(
                session,
                actor=SYSTEM,
                person_id=person.id,
                body_id=make_body(session).id,
                occupation_code=WELDER,
                grade=G.SENIOR,
                basis=AwardBasis.LEGACY,
                basis_ref=None,
            )


def person_jobs(session: Session, person_id: uuid.UUID) -> list[Employment]:
    return list(session.exec(select(Employment).where(Employment.person_id == person_id)).all())


class TestConfirm:
    def test_the_regulator_confirms_and_it_counts(
        self, session: Session, settings: Settings, body: EvaluationBody
    ) -> None:
        person = make_person(session, settings, employer=body)
        award, legacy = record_legacy_award(session, actor=_admin(body), data=legacy_data(person))
        decide_legacy_award(session, actor=SYSTEM, award_id=award.id, approve=True, note="原件已核验")
        assert award.status == AwardStatus.ACTIVE and legacy.decision_note == "原件已核验"
        assert held_grades(session, person_id=person.id, occupation_code=WELDER) == [(G.SENIOR, dt.date(2020, 6, 30))]

    def test_a_rejected_record_frees_its_number(
        self, session: Session, settings: Settings, body: EvaluationBody
    ) -> None:
        person = make_person(session, settings, employer=body)
        award, _ = record_legacy_award(session, actor=_admin(body), data=legacy_data(person, number="154400000077"))
        decide_legacy_award(session, actor=SYSTEM, award_id=award.id, approve=False, note="原件无法核实")
        assert award.status == AwardStatus.REJECTED
        again, _ = record_legacy_award(session, actor=SYSTEM, data=legacy_data(person, number="154400000077"))
        assert again.status == AwardStatus.ACTIVE

    def test_a_body_may_not_confirm(self, session: Session, settings: Settings, body: EvaluationBody) -> None:
        person = make_person(session, settings, employer=body)
        award, _ = record_legacy_award(session, actor=_admin(body), data=legacy_data(person))
        with pytest.raises(PermissionDenied):
            decide_legacy_award(session, actor=_admin(body), award_id=award.id, approve=True, note="自己确认")

    def test_only_pending_records_are_decided(self, session: Session, settings: Settings) -> None:
        person = make_person(session, settings)
        award, _ = record_legacy_award(session, actor=SYSTEM, data=legacy_data(person))
        with pytest.raises(NotALegacyRecord):
            decide_legacy_award(session, actor=SYSTEM, award_id=award.id, approve=False, note="再次决定")


class TestWhatItCountsFor:
    def test_a_legacy_senior_admits_a_technician_candidate(
        self, session: Session, settings: Settings, body: EvaluationBody
    ) -> None:
        person = make_person(session, settings, employer=body)
        record_legacy_award(session, actor=SYSTEM, data=legacy_data(person, grade=G.SENIOR, on=dt.date(2020, 6, 30)))
        batch = make_batch(session, settings, body=body, grade=G.TECHNICIAN)
        candidate = enrol(
            session, actor=SYSTEM, batch_id=batch.exam.id, data=EnrolIn(person_id=person.id), settings=settings
        )
        outcomes = {r["rule_id"]: r["outcome"] for r in candidate.eligibility["results"]}
        assert outcomes["ELIG-PREREQUISITE"] == outcomes["ELIG-YEARS"] == "passed"

    def test_an_unconfirmed_record_admits_nobody(
        self, session: Session, settings: Settings, body: EvaluationBody
    ) -> None:
        person = make_person(session, settings, employer=body)
        record_legacy_award(session, actor=_admin(body), data=legacy_data(person, grade=G.SENIOR))
        batch = make_batch(session, settings, body=body, grade=G.TECHNICIAN)
        with pytest.raises(NotEligible) as refused:
            enrol(session, actor=SYSTEM, batch_id=batch.exam.id, data=EnrolIn(person_id=person.id), settings=settings)
        assert "ELIG-PREREQUISITE" in {r["rule_id"] for r in refused.value.extra["rules"] if r["outcome"] == "failed"}

    def test_a_legacy_senior_technician_may_be_appointed_to_the_post(
        self, session: Session, settings: Settings, body: EvaluationBody
    ) -> None:
        person = make_person(session, settings, employer=body)
        award, _ = record_legacy_award(session, actor=SYSTEM, data=legacy_data(person, grade=G.SENIOR_TECHNICIAN))
        appointment = create_appointment(
            session,
            actor=SYSTEM,
            data=AppointmentCreate(
                person_id=person.id,
                body_id=body.id,
                occupation_code=WELDER,
                post_grade=G.SENIOR_TECHNICIAN,
                post_title="高级技师岗",
                starts_on=dt.date(2026, 7, 1),
            ),
        )
        assert appointment.award_id == award.id


class TestLookup:
    def test_the_original_number_and_name_say_plainly_what_it_is(self, session: Session, settings: Settings) -> None:
        person = make_person(session, settings, name="李秀英")
        record_legacy_award(session, actor=SYSTEM, data=legacy_data(person, number="1544-0010-0231"))
        result = lookup(session, number="1544-0010-0231", name="李秀英", settings=settings)
        assert result is not None and result.verdict == Verdict.LEGACY
        assert "非本系统签发" in result.verdict_zh and "not issued here" in result.verdict_en
        checks = {c.code: c for c in result.checks}
        assert checks["issuer"].ok is None and "不是本系统签发" in checks["issuer"].zh
        assert result.fields["legacy_family_zh"] == "职业资格证书"
        assert result.fields["holder_name_masked"] != "李秀英"

    def test_a_wrong_name_finds_nothing(self, session: Session, settings: Settings) -> None:
        person = make_person(session, settings, name="李秀英")
        record_legacy_award(session, actor=SYSTEM, data=legacy_data(person, number="154400100232"))
        assert lookup(session, number="154400100232", name="李秀", settings=settings) is None

    def test_a_pending_record_says_it_is_unconfirmed(
        self, session: Session, settings: Settings, body: EvaluationBody
    ) -> None:
        person = make_person(session, settings, employer=body, name="陈海波")
        record_legacy_award(session, actor=_admin(body), data=legacy_data(person, number="154400100233"))
        result = lookup(session, number="154400100233", name="陈海波", settings=settings)
        assert result is not None and result.verdict == Verdict.LEGACY_UNCONFIRMED

    def test_a_rejected_record_finds_nothing(self, session: Session, settings: Settings, body: EvaluationBody) -> None:
        person = make_person(session, settings, employer=body, name="陈海波")
        award, _ = record_legacy_award(session, actor=_admin(body), data=legacy_data(person, number="154400100234"))
        decide_legacy_award(session, actor=SYSTEM, award_id=award.id, approve=False, note="原件无法核实")
        assert lookup(session, number="154400100234", name="陈海波", settings=settings) is None


HEADER = ",".join(LEGACY_COLUMNS) + ",id_type\n"


def _table(*lines: str) -> list[Row]:
    return read_table(
        (HEADER + "".join(lines)).encode(), filename="legacy.csv", required=LEGACY_COLUMNS, optional=LEGACY_OPTIONAL
    )


def _line(id_number: str, name: str, *, grade: str = "senior", family: str = "qualification", number: str = "") -> str:
    number = number or f"1544{id_number[-8:]}"
    return (
        f"{id_number},{name},{WELDER},{grade},{family},广东省职业技能鉴定指导中心,{number},2019-06-30,档案-{number},\n"
    )


class TestImport:
    def test_the_regulator_imports_registering_new_people(self, session: Session, settings: Settings) -> None:
        rows = _table(_line(valid_id(), "赵志强"), _line(valid_id(), "钱丽娟", grade="高级技师", family="职业资格证书"))
        summary = import_legacy(session, actor=SYSTEM, rows=rows, settings=settings)
        assert (summary.rows, summary.active, summary.pending) == (2, 2, 0)

    def test_one_bad_row_refuses_the_file_naming_every_bad_row(self, session: Session, settings: Settings) -> None:
        before = session.exec(select(func.count()).select_from(GradeAward)).one()
        rows = _table(
            _line(valid_id(), "赵志强"),
            _line(valid_id(), "钱丽娟", grade="grand_master"),
            _line("110105194912310099", "孙文杰"),
            _line(valid_id(), "李明辉", family="diploma"),
        )
        with pytest.raises(InvalidInput) as refused:
            import_legacy(session, actor=SYSTEM, rows=rows, settings=settings)
        assert refused.value.extra["bad_rows"] == [3, 4, 5]
        assert {e["field"] for e in refused.value.extra["errors"]} == {"grade", "id_number", "family"}
        assert session.exec(select(func.count()).select_from(GradeAward)).one() == before

    def test_a_number_twice_in_one_file_is_named(self, session: Session, settings: Settings) -> None:
        rows = _table(_line(valid_id(), "赵志强", number="15440001"), _line(valid_id(), "钱丽娟", number="15440001"))
        with pytest.raises(InvalidInput) as refused:
            import_legacy(session, actor=SYSTEM, rows=rows, settings=settings)
        assert refused.value.extra["bad_rows"] == [3]

    def test_a_body_imports_only_its_own_staff_and_they_wait(
        self, session: Session, settings: Settings, body: EvaluationBody
    ) -> None:
        staff_id, stranger_id = valid_id(), valid_id()
        make_person(session, settings, employer=body, id_number=staff_id, name="周建华")
        make_person(session, settings, employer=make_body(session), id_number=stranger_id, name="吴国栋")
        with pytest.raises(InvalidInput) as refused:
            import_legacy(
                session,
                actor=_admin(body),
                rows=_table(_line(staff_id, "周建华"), _line(stranger_id, "吴国栋")),
                settings=settings,
            )
        (error,) = refused.value.extra["errors"]
        assert error["line"] == 3 and "不是本单位在职职工" in error["zh"]
        summary = import_legacy(session, actor=_admin(body), rows=_table(_line(staff_id, "周建华")), settings=settings)
        assert (summary.active, summary.pending) == (0, 1)

    def test_cli_imports_a_file(self, committed_url: str, tmp_path: Path) -> None:
        file = tmp_path / "legacy.csv"
        file.write_text(HEADER + _line(valid_id(), "郑春梅") + _line(valid_id(), "王永红", grade="technician"))
        result = CliRunner().invoke(cli, ["import", "legacy", str(file)])
        assert result.exit_code == 0, result.output
        assert "2 rows: 2 legacy awards recorded" in result.output
        engine = make_engine(committed_url)
        try:
            with session_scope(engine) as s:
                assert s.exec(select(func.count()).select_from(LegacyCertificate)).one() == 2
        finally:
            engine.dispose()

    def test_cli_refuses_a_bad_file_and_names_the_rows(self, committed_url: str, tmp_path: Path) -> None:
        file = tmp_path / "legacy.csv"
        file.write_text(HEADER + _line(valid_id(), "郑春梅") + _line(valid_id(), "王永红", grade="master"))
        result = CliRunner().invoke(cli, ["import", "legacy", str(file)])
        assert result.exit_code == 1
        assert "line 3" in result.output
        engine = make_engine(committed_url)
        try:
            with session_scope(engine) as s:
                assert s.exec(select(func.count()).select_from(LegacyCertificate)).one() == 0
        finally:
            engine.dispose()
