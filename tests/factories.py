"""Typed factories with keyword overrides; they go through the services, so audit and rules apply."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from registry.accounts.models import UserAccount, UserCreate
from registry.accounts.service import create_user
from registry.actor import Actor, Role
from registry.bodies.models import BodyCreate, BodyKind, EvaluationBody
from registry.bodies.service import create_body
from registry.filings.models import Filing, FilingCreate, ScopeLineIn
from registry.filings.rules import EvaluationMethod
from registry.filings.service import create_filing, decide_filing, submit_filing
from registry.grades import GradeCode
from registry.settings import Settings
from registry.validators import org_code_check_char, uscc_check_char

SYSTEM = Actor.system("tests")
PASSWORD = "correct horse battery"
_sequence = itertools.count(1)


def valid_uscc(region: str = "440300") -> str:
    """Return a fresh, valid 统一社会信用代码 (GB 32100 and GB 11714 check characters)."""
    org = f"{uuid.uuid4().int % 10**8:08d}"
    org += org_code_check_char(org)
    first17 = f"91{region}{org}"
    return first17 + uscc_check_char(first17)


def make_body(session: Session, *, actor: Actor = SYSTEM, **overrides: Any) -> EvaluationBody:
    """Register a body (default: an ordinary Shenzhen manufacturer)."""
    n = next(_sequence)
    values: dict[str, Any] = {
        "uscc": valid_uscc(),
        "name": f"测试制造有限公司{n}",
        "kind": BodyKind.EMPLOYER,
        "province_code": "44",
        "city_code": "440300",
        "is_manufacturing": True,
        "site_code": f"{n % 10**6:06d}",
    }
    values.update(overrides)
    return create_body(session, actor=actor, data=BodyCreate(**values))


def make_user(
    session: Session,
    settings: Settings,
    *,
    role: Role = Role.REGULATOR,
    body: EvaluationBody | None = None,
    username: str | None = None,
    password: str = PASSWORD,
) -> UserAccount:
    """Create an account through the service."""
    name = username or f"{role.value.replace('_', '-')}-{next(_sequence)}"
    data = UserCreate(username=name, role=role, body_id=body.id if body else None, password=password, display_name=name)
    return create_user(session, actor=SYSTEM, data=data, settings=settings)


def scope_line(
    occupation_code: str = "6-18-02-04", max_grade: GradeCode = GradeCode.SENIOR_TECHNICIAN, **overrides: Any
) -> ScopeLineIn:
    """A scope line (default: 焊工 up to 高级技师 by theory and skill)."""
    values: dict[str, Any] = {
        "occupation_code": occupation_code,
        "max_grade": max_grade,
        "methods": [
            EvaluationMethod.THEORY_EXAM,
            EvaluationMethod.SKILL_OPERATION,
            EvaluationMethod.COMPREHENSIVE_REVIEW,
        ],
        "post_norm_ref": "岗位规范 2026 版",
    }
    values.update(overrides)
    return ScopeLineIn(**values)


def filing_data(body: EvaluationBody, **overrides: Any) -> FilingCreate:
    """A filing payload (default: 高级技师 ceiling, 焊工 and 电工, three years from 2026-01-01)."""
    values: dict[str, Any] = {
        "body_id": body.id,
        "ceiling": GradeCode.SENIOR_TECHNICIAN,
        "starts_on": dt.date(2026, 1, 1),
        "ends_on": dt.date(2028, 12, 31),
        "lines": [scope_line(), scope_line("6-31-01-03")],
    }
    values.update(overrides)
    return FilingCreate(**values)


def make_filing(
    session: Session,
    settings: Settings,
    *,
    body: EvaluationBody,
    approve: bool = True,
    submit: bool = True,
    **overrides: Any,
) -> Filing:
    """Create a filing and (by default) submit and approve it."""
    filing = create_filing(session, actor=SYSTEM, data=filing_data(body, **overrides))
    if submit:
        submit_filing(session, actor=SYSTEM, filing_id=filing.id, settings=settings)
        if approve:
            decide_filing(session, actor=SYSTEM, filing_id=filing.id, approve=True, note="符合条件", settings=settings)
    return filing


def login(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """Log in through the API and return the Authorization header."""
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def to_json(model: Any) -> Any:
    """A pydantic model as a JSON-ready dict."""
    return model.model_dump(mode="json")
