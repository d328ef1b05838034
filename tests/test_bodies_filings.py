"""Bodies and filings through the services: validation, transitions, rules at submission, scope, catalogue."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, func, select

from registry.actor import Actor, Role
from registry.audit.models import AuditEvent
from registry.bodies.models import BodyKind, BodyStatus, BodyUpdate, ChainMemberIn
from registry.bodies.service import (
    BodyExists,
    InvalidUSCC,
    replace_chain_members,
    set_body_status,
    update_body,
)
from registry.catalogue.service import OccupationNotFound
from registry.clock import today
from registry.errors import InvalidInput, PermissionDenied, TransitionNotAllowed
from registry.filings.models import FilingStatus
from registry.filings.service import (
    FilingNotEditable,
    FilingRulesFailed,
    OutsideFilingScope,
    create_filing,
    decide_filing,
    filing_view,
    public_catalogue,
    require_scope,
    set_filing_status,
    submit_filing,
    update_filing,
)
from registry.grades import GradeCode
from registry.settings import Settings
from tests.factories import SYSTEM, filing_data, make_body, make_filing, scope_line, valid_uscc

ON = dt.date(2026, 6, 1)


def _audit_count(session: Session) -> int:
    return session.exec(select(func.count()).select_from(AuditEvent)).one()


class TestRegisterBody:
    def test_uscc_is_upper_cased_and_checked(self, session: Session) -> None:
        uscc = valid_uscc()
        assert make_body(session, uscc=uscc.lower()).uscc == uscc

    @pytest.mark.parametrize("bad", ["91440300708461136X", "123", "91440300708461136I"])
    def test_invalid_uscc_is_refused_naming_the_field(self, session: Session, bad: str) -> None:
        with pytest.raises(InvalidUSCC) as refused:
            make_body(session, uscc=bad)
        assert refused.value.extra["field"] == "uscc"

    def test_duplicate_uscc_is_a_conflict(self, session: Session) -> None:
        body = make_body(session)
        with pytest.raises(BodyExists):
            make_body(session, uscc=body.uscc)

    def test_unknown_province_is_refused(self, session: Session) -> None:
        with pytest.raises(InvalidInput, match="province"):
            make_body(session, province_code="99", city_code=None)

    def test_city_must_be_in_the_province(self, session: Session) -> None:
        with pytest.raises(InvalidInput, match="city"):
            make_body(session, province_code="11", city_code="440300")

    def test_category_letter_follows_the_kind(self, session: Session) -> None:
        assert make_body(session).cert_category == "Y"
        assert make_body(session, kind=BodyKind.SOCIAL_ORG, is_manufacturing=False).cert_category == "S"


class TestUpdateBody:
    def test_body_admin_may_change_contact_details(self, session: Session) -> None:
        body = make_body(session)
        admin = Actor(label="a", role=Role.BODY_ADMIN, body_id=body.id)
        assert update_body(session, actor=admin, body_id=body.id, data=BodyUpdate(contact_phone="020-1")).contact_phone

    def test_body_admin_may_not_grant_itself_rule_attributes(self, session: Session) -> None:
        body = make_body(session)
        admin = Actor(label="a", role=Role.BODY_ADMIN, body_id=body.id)
        with pytest.raises(PermissionDenied) as refused:
            update_body(session, actor=admin, body_id=body.id, data=BodyUpdate(qualified_special=True))
        assert refused.value.extra["fields"] == ["qualified_special"]
        assert not body.qualified_special

    def test_changes_are_audited_with_before_and_after(self, session: Session) -> None:
        body = make_body(session)
        update_body(session, actor=SYSTEM, body_id=body.id, data=BodyUpdate(is_chain_lead=True))
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "body.updated")).one()
        assert (event.before, event.after) == ({"is_chain_lead": False}, {"is_chain_lead": True})


class TestBodyStatus:
    def test_suspend_and_reinstate(self, session: Session) -> None:
        body = make_body(session)
        set_body_status(session, actor=SYSTEM, body_id=body.id, status=BodyStatus.SUSPENDED, reason="抽查发现问题")
        set_body_status(session, actor=SYSTEM, body_id=body.id, status=BodyStatus.ACTIVE, reason="整改完成")
        assert body.status == BodyStatus.ACTIVE

    def test_revocation_is_final(self, session: Session) -> None:
        body = make_body(session)
        set_body_status(session, actor=SYSTEM, body_id=body.id, status=BodyStatus.REVOKED, reason="虚假评价")
        with pytest.raises(TransitionNotAllowed):
            set_body_status(session, actor=SYSTEM, body_id=body.id, status=BodyStatus.ACTIVE, reason="申诉")


class TestChainMembers:
    def test_chain_body_lists_its_members(self, session: Session) -> None:
        chain = make_body(session, kind=BodyKind.CHAIN_BODY)
        rows = replace_chain_members(
            session, actor=SYSTEM, body_id=chain.id, members=[ChainMemberIn(uscc=valid_uscc(), name="链上企业甲")]
        )
        assert len(rows) == 1

    def test_ordinary_employer_has_no_chain(self, session: Session) -> None:
        body = make_body(session)
        with pytest.raises(InvalidInput):
            replace_chain_members(
                session, actor=SYSTEM, body_id=body.id, members=[ChainMemberIn(uscc=valid_uscc(), name="某企业")]
            )

    def test_member_uscc_is_checked(self, session: Session) -> None:
        chain = make_body(session, kind=BodyKind.CHAIN_BODY)
        with pytest.raises(InvalidUSCC, match=r"members\[0\]"):
            replace_chain_members(
                session,
                actor=SYSTEM,
                body_id=chain.id,
                members=[ChainMemberIn(uscc="91440300708461136X", name="坏代码企业")],
            )


class TestDraftFiling:
    def test_unknown_occupation_is_refused(self, session: Session) -> None:
        body = make_body(session)
        with pytest.raises(OccupationNotFound):
            create_filing(session, actor=SYSTEM, data=filing_data(body, lines=[scope_line("6-99-99-99")]))

    def test_end_before_start_is_refused(self, session: Session) -> None:
        body = make_body(session)
        with pytest.raises(ValueError, match="ends_on"):
            filing_data(body, starts_on=dt.date(2027, 1, 1), ends_on=dt.date(2026, 1, 1))

    def test_repeated_lines_are_refused(self, session: Session) -> None:
        body = make_body(session)
        with pytest.raises(InvalidInput, match=r"lines\[1\]"):
            create_filing(session, actor=SYSTEM, data=filing_data(body, lines=[scope_line(), scope_line()]))

    def test_admin_may_not_file_for_another_body(self, session: Session) -> None:
        mine, other = make_body(session), make_body(session)
        admin = Actor(label="a", role=Role.BODY_ADMIN, body_id=mine.id)
        with pytest.raises(Exception) as refused:  # noqa: PT011 - NotFound: the other body is invisible
            create_filing(session, actor=admin, data=filing_data(other))
        assert refused.value.__class__.__name__ == "BodyNotFound"

    def test_only_drafts_can_be_edited(self, session: Session, settings: Settings) -> None:
        body = make_body(session)
        filing = make_filing(session, settings, body=body)
        with pytest.raises(FilingNotEditable):
            update_filing(session, actor=SYSTEM, filing_id=filing.id, data=filing_data(body))


class TestSubmitFiling:
    def test_failed_rules_refuse_submission_and_change_nothing(self, session: Session, settings: Settings) -> None:
        body = make_body(session)
        filing = create_filing(
            session,
            actor=SYSTEM,
            data=filing_data(
                body, ceiling=GradeCode.CHIEF_TECHNICIAN, lines=[scope_line(max_grade=GradeCode.CHIEF_TECHNICIAN)]
            ),
        )
        events = _audit_count(session)
        with pytest.raises(FilingRulesFailed) as refused:
            submit_filing(session, actor=SYSTEM, filing_id=filing.id, settings=settings)
        assert filing.status == FilingStatus.DRAFT
        assert _audit_count(session) == events
        failed = {r["rule_id"]: r for r in refused.value.extra["rules"] if r["outcome"] == "failed"}
        assert set(failed) == {"FIL-CEILING-SPECIAL", "FIL-CEILING-CHIEF"}
        assert failed["FIL-CEILING-CHIEF"]["source"] == "001:44"
        assert "001:44" in refused.value.en

    def test_passing_rules_submit_with_the_report(self, session: Session, settings: Settings) -> None:
        filing = make_filing(session, settings, body=make_body(session), approve=False)
        assert filing.status == FilingStatus.SUBMITTED
        assert filing.rule_report is not None
        assert filing.rule_report["allowed"] is True
        assert filing.ruleset_version == filing.rule_report["version"]

    def test_draft_rules_are_off_outside_guangdong(self, session: Session, settings: Settings) -> None:
        body = make_body(session, province_code="11", city_code=None, qualified_special=True)
        filing = create_filing(
            session, actor=SYSTEM, data=filing_data(body, ceiling=GradeCode.SPECIAL_TECHNICIAN, lines=[scope_line()])
        )
        with pytest.raises(FilingRulesFailed) as refused:
            submit_filing(session, actor=SYSTEM, filing_id=filing.id, settings=settings)
        outcomes = {r["rule_id"]: r["outcome"] for r in refused.value.extra["rules"]}
        assert outcomes["FIL-CEILING-NATIONAL"] == "failed"
        assert outcomes["FIL-CEILING-SPECIAL"] == "disabled"


class TestDecisions:
    def test_approve_then_sanction(self, session: Session, settings: Settings) -> None:
        filing = make_filing(session, settings, body=make_body(session))
        assert filing.status == FilingStatus.APPROVED
        set_filing_status(session, actor=SYSTEM, filing_id=filing.id, status=FilingStatus.SUSPENDED, reason="抽查")
        set_filing_status(session, actor=SYSTEM, filing_id=filing.id, status=FilingStatus.APPROVED, reason="整改")
        set_filing_status(session, actor=SYSTEM, filing_id=filing.id, status=FilingStatus.REVOKED, reason="违规")
        with pytest.raises(TransitionNotAllowed):
            set_filing_status(session, actor=SYSTEM, filing_id=filing.id, status=FilingStatus.APPROVED, reason="x")

    def test_a_draft_cannot_be_approved(self, session: Session, settings: Settings) -> None:
        filing = make_filing(session, settings, body=make_body(session), submit=False)
        with pytest.raises(TransitionNotAllowed) as refused:
            decide_filing(session, actor=SYSTEM, filing_id=filing.id, approve=True, note="ok", settings=settings)
        assert refused.value.extra["allowed"] == ["submitted"]

    def test_rejection_is_final(self, session: Session, settings: Settings) -> None:
        filing = make_filing(session, settings, body=make_body(session), approve=False)
        decide_filing(session, actor=SYSTEM, filing_id=filing.id, approve=False, note="材料不全", settings=settings)
        with pytest.raises(TransitionNotAllowed):
            decide_filing(session, actor=SYSTEM, filing_id=filing.id, approve=True, note="ok", settings=settings)

    def test_approval_rechecks_the_rules(self, session: Session, settings: Settings) -> None:
        body = make_body(session)
        filing = make_filing(session, settings, body=body, approve=False)
        set_body_status(session, actor=SYSTEM, body_id=body.id, status=BodyStatus.SUSPENDED, reason="检查")
        with pytest.raises(FilingRulesFailed, match="FIL-BODY-ACTIVE"):
            decide_filing(session, actor=SYSTEM, filing_id=filing.id, approve=True, note="ok", settings=settings)

    def test_body_admin_cannot_decide(self, session: Session, settings: Settings) -> None:
        body = make_body(session)
        filing = make_filing(session, settings, body=body, approve=False)
        admin = Actor(label="a", role=Role.BODY_ADMIN, body_id=body.id)
        with pytest.raises(PermissionDenied):
            decide_filing(session, actor=admin, filing_id=filing.id, approve=True, note="ok", settings=settings)


class TestScope:
    def test_approved_line_grants_its_grades(self, session: Session, settings: Settings) -> None:
        body = make_body(session)
        filing = make_filing(session, settings, body=body)
        grant = require_scope(session, body_id=body.id, occupation_code="6-18-02-04", grade=GradeCode.TECHNICIAN, on=ON)
        assert grant.filing.id == filing.id

    @pytest.mark.parametrize(
        ("occupation", "grade", "on"),
        [
            pytest.param("6-18-02-04", GradeCode.SPECIAL_TECHNICIAN, ON, id="above-the-line"),
            pytest.param("4-10-01-05", GradeCode.JUNIOR, ON, id="occupation-not-filed"),
            pytest.param("6-18-02-04", GradeCode.JUNIOR, dt.date(2029, 1, 1), id="after-the-filing-expired"),
            pytest.param("6-18-02-04", GradeCode.JUNIOR, dt.date(2025, 12, 31), id="before-the-filing-starts"),
        ],
    )
    def test_outside_the_scope_is_refused(
        self, session: Session, settings: Settings, occupation: str, grade: GradeCode, on: dt.date
    ) -> None:
        body = make_body(session)
        make_filing(session, settings, body=body)
        with pytest.raises(OutsideFilingScope):
            require_scope(session, body_id=body.id, occupation_code=occupation, grade=grade, on=on)

    def test_suspended_filing_grants_nothing(self, session: Session, settings: Settings) -> None:
        body = make_body(session)
        filing = make_filing(session, settings, body=body)
        set_filing_status(session, actor=SYSTEM, filing_id=filing.id, status=FilingStatus.SUSPENDED, reason="检查")
        with pytest.raises(OutsideFilingScope):
            require_scope(session, body_id=body.id, occupation_code="6-18-02-04", grade=GradeCode.JUNIOR, on=ON)

    def test_suspended_body_grants_nothing(self, session: Session, settings: Settings) -> None:
        body = make_body(session)
        make_filing(session, settings, body=body)
        set_body_status(session, actor=SYSTEM, body_id=body.id, status=BodyStatus.SUSPENDED, reason="检查")
        with pytest.raises(OutsideFilingScope, match="suspended"):
            require_scope(session, body_id=body.id, occupation_code="6-18-02-04", grade=GradeCode.JUNIOR, on=ON)


class TestCatalogue:
    def test_lists_active_bodies_with_an_approved_unexpired_filing(self, session: Session, settings: Settings) -> None:
        listed = make_body(session)
        make_filing(session, settings, body=listed)
        draft_only = make_body(session)
        make_filing(session, settings, body=draft_only, submit=False)
        suspended = make_body(session)
        make_filing(session, settings, body=suspended)
        set_body_status(session, actor=SYSTEM, body_id=suspended.id, status=BodyStatus.SUSPENDED, reason="检查")
        ids = {e.body_id for e in public_catalogue(session, on=ON)}
        assert listed.id in ids
        assert draft_only.id not in ids
        assert suspended.id not in ids

    def test_expired_filings_leave_the_catalogue(self, session: Session, settings: Settings) -> None:
        body = make_body(session)
        make_filing(session, settings, body=body)
        assert body.id not in {e.body_id for e in public_catalogue(session, on=dt.date(2029, 1, 1))}

    def test_an_approved_filing_past_its_end_reads_as_expired(self, session: Session, settings: Settings) -> None:
        filing = make_filing(session, settings, body=make_body(session))
        assert filing_view(session, filing=filing, settings=settings).status_zh == "已备案"
        filing.ends_on = today() - dt.timedelta(days=1)
        view = filing_view(session, filing=filing, settings=settings)
        assert (view.status, view.effective_status, view.status_zh) == (FilingStatus.APPROVED, "expired", "已过期")

    def test_entries_show_scope_but_nothing_private(self, session: Session, settings: Settings) -> None:
        body = make_body(session, contact_phone="13800000000")
        make_filing(session, settings, body=body)
        (entry,) = [e for e in public_catalogue(session, on=ON) if e.body_id == body.id]
        assert {line.occupation_name_zh for line in entry.scope} == {"焊工", "电工"}
        assert "13800000000" not in entry.model_dump_json()
