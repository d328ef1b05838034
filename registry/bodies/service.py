"""Register, read, update and sanction evaluation bodies; maintain chain members."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session, col, select

from registry import access
from registry.access import Power
from registry.actor import Actor
from registry.audit.service import changes, record, snapshot
from registry.bodies.models import (
    BODY_ADMIN_EDITABLE,
    NUMBERING_FIELDS,
    BodyAction,
    BodyCreate,
    BodyKind,
    BodyStatus,
    BodyUpdate,
    ChainMember,
    ChainMemberIn,
    EvaluationBody,
    default_category,
)
from registry.catalogue.models import City, Province
from registry.clock import utcnow
from registry.db import get_for_update
from registry.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from registry.transitions import TransitionTable, apply_transition
from registry.validators import check_uscc

BODY_TRANSITIONS = TransitionTable(
    "评价机构 evaluation body",
    {
        BodyStatus.ACTIVE: {BodyStatus.SUSPENDED, BodyStatus.REVOKED},
        BodyStatus.SUSPENDED: {BodyStatus.ACTIVE, BodyStatus.REVOKED},
    },
    actions={
        BodyStatus.SUSPENDED: BodyAction.SUSPENDED,
        BodyStatus.ACTIVE: BodyAction.REINSTATED,
        BodyStatus.REVOKED: BodyAction.REVOKED,
    },
)


class BodyNotFound(NotFound):
    """No such body, or not one the actor may see."""

    code = "body_not_found"


class BodyExists(Conflict):
    """A body with this USCC is already registered."""

    code = "body_exists"


class InvalidUSCC(InvalidInput):
    """The 统一社会信用代码 fails GB 32100."""

    code = "invalid_uscc"


class SiteCodeTaken(Conflict):
    """Another body of the province holds this site code, or numbered certificates with it."""

    code = "site_code_taken"


class BodyNotActive(Conflict):
    """The body is suspended or its evaluation qualification was revoked: it runs no batch (002:27)."""

    code = "body_not_active"


def require_body_active(session: Session, body_id: uuid.UUID) -> None:
    """Refuse a batch step for a body that is suspended or whose 评价资质 was revoked (002:27)."""
    body = session.get(EvaluationBody, body_id)
    if body is None or body.status != BodyStatus.ACTIVE:
        status = body.status.value if body else "missing"
        raise BodyNotActive(
            f"机构状态为 {status}，不能继续开展考核批次（只能取消）",
            f"the body is {status}: its batches cannot go on (only be cancelled)",
            extra={"rule": "002:27", "body_status": status},
        )


class ReasonRequired(InvalidInput):
    """Changing how a body's certificates are numbered, once it has issued some, needs a reason on the record."""

    code = "reason_required"


# registry may not import certificates (certificates builds on registry); these two checks read the certificate
# table by name: whether a body has issued certificates, and whether a site code ever numbered another body's.
_CERTIFICATE = sa.table("certificate", sa.column("body_id"), sa.column("number"))


def normalise_uscc(value: str, *, field: str = "uscc") -> str:
    """Upper-case and validate a USCC, or raise InvalidUSCC naming the field and the reason."""
    uscc = value.strip().upper()
    problem = check_uscc(uscc)
    if problem is not None:
        raise InvalidUSCC(f"{field}：{problem.zh}", f"{field}: {problem.en}", extra={"field": field})
    return uscc


def _check_region(session: Session, province_code: str, city_code: str | None) -> None:
    if session.get(Province, province_code) is None:
        raise InvalidInput(
            f"省份代码 {province_code} 不存在（GB/T 2260 两位代码）",
            f"province {province_code} is not a GB/T 2260 code",
            extra={"field": "province_code"},
        )
    if city_code is not None:
        city = session.get(City, city_code)
        if city is None or city.province_code != province_code:
            raise InvalidInput(
                f"城市代码 {city_code} 不属于省份 {province_code}",
                f"city {city_code} is not in province {province_code}",
                extra={"field": "city_code"},
            )


def _has_certificates(session: Session, body_id: uuid.UUID) -> bool:
    statement = sa.select(sa.literal(1)).select_from(_CERTIFICATE).where(_CERTIFICATE.c.body_id == body_id).limit(1)
    return session.execute(statement).first() is not None


def _check_site_code(session: Session, *, body_id: uuid.UUID | None, province_code: str, site_code: str) -> None:
    """A site code names one body of its province, for good: held by another body, or ever on another body's
    certificate numbers (Y/S + ministry + province + site…, or XT + province + site…), it is refused."""
    holder = session.exec(
        select(EvaluationBody.name).where(
            EvaluationBody.province_code == province_code,
            EvaluationBody.site_code == site_code,
            col(EvaluationBody.id) != body_id,
        )
    ).first()
    numbered = session.execute(
        sa.select(sa.literal(1))
        .select_from(_CERTIFICATE)
        .where(
            sa.or_(
                _CERTIFICATE.c.number.like(f"_____{province_code}{site_code}%"),
                _CERTIFICATE.c.number.like(f"XT{province_code}{site_code}%"),
            ),
            _CERTIFICATE.c.body_id != body_id if body_id is not None else sa.true(),
        )
        .limit(1)
    ).first()
    if holder is not None or numbered is not None:
        owner = f"（{holder}）" if holder else "（曾用于其他机构的证书编号）"
        owner_en = f" ({holder})" if holder else " (it numbered another body's certificates)"
        raise SiteCodeTaken(
            f"站点代码 {site_code} 在省份 {province_code} 已被占用{owner}，证书编号不能与其他机构重叠",
            f"site code {site_code} of province {province_code} is taken{owner_en}: numbers may not overlap",
            extra={"field": "site_code"},
        )


def _flush_codes(session: Session, site_code: str | None) -> None:
    """Flush, turning a concurrent registration of the same site code (the unique key) into SiteCodeTaken."""
    try:
        with session.begin_nested():
            session.flush()
    except sa.exc.IntegrityError:
        raise SiteCodeTaken(
            f"站点代码 {site_code} 刚被其他机构占用",
            f"site code {site_code} was just taken",
            extra={"field": "site_code"},
        ) from None


def create_body(session: Session, *, actor: Actor, data: BodyCreate) -> EvaluationBody:
    """Register an evaluation body (regulator); the USCC must be valid and not yet registered."""
    access.require(actor, Power.REGULATE)
    uscc = normalise_uscc(data.uscc)
    _check_region(session, data.province_code, data.city_code)
    if data.site_code is not None:
        _check_site_code(session, body_id=None, province_code=data.province_code, site_code=data.site_code)
    if session.exec(select(EvaluationBody.id).where(EvaluationBody.uscc == uscc)).first() is not None:
        raise BodyExists(
            f"统一社会信用代码 {uscc} 的机构已登记",
            f"a body with USCC {uscc} is already registered",
            extra={"field": "uscc"},
        )
    now = utcnow()
    values = data.model_dump(exclude={"uscc", "cert_category"})
    body = EvaluationBody(
        **values,
        uscc=uscc,
        cert_category=data.cert_category or default_category(data.kind),
        created_at=now,
        updated_at=now,
    )
    session.add(body)
    _flush_codes(session, data.site_code)
    record(
        session,
        actor=actor,
        action=BodyAction.CREATED,
        entity_type="body",
        entity_id=body.id,
        body_id=body.id,
        after=snapshot(body),
    )
    return body


def get_body(session: Session, *, actor: Actor, body_id: uuid.UUID) -> EvaluationBody:
    """Return a body the actor may see (regulator: any; body admin: their own)."""
    body = session.get(EvaluationBody, body_id)
    if body is None or not access.sees(session, actor, body):
        raise BodyNotFound("评价机构不存在", "no such evaluation body", extra={"body_id": str(body_id)})
    return body


def list_bodies(
    session: Session,
    *,
    actor: Actor,
    status: BodyStatus | None = None,
    kind: BodyKind | None = None,
    province_code: str | None = None,
) -> Sequence[EvaluationBody]:
    """Return every registered body, whatever its status (regulator)."""
    access.require(actor, Power.REGULATE)
    query = select(EvaluationBody)
    if status is not None:
        query = query.where(col(EvaluationBody.status) == status)
    if kind is not None:
        query = query.where(col(EvaluationBody.kind) == kind)
    if province_code is not None:
        query = query.where(col(EvaluationBody.province_code) == province_code)
    return session.exec(query.order_by(col(EvaluationBody.name))).all()


def update_body(session: Session, *, actor: Actor, body_id: uuid.UUID, data: BodyUpdate) -> EvaluationBody:
    """Change a body's fields; body admins may change only their own contact details.

    Site codes stay unique per province for good (see _check_site_code). Once the body has issued certificates,
    changing how its numbers are made (category, ministry or site code) needs a reason, kept on the audit record.
    """
    get_body(session, actor=actor, body_id=body_id)
    access.require(actor, Power.MANAGE_BODY, body_id=body_id)
    fields = data.model_dump(exclude_unset=True)
    reason: str | None = fields.pop("reason", None)
    if not access.allowed(actor, Power.REGULATE):
        forbidden = sorted(set(fields) - BODY_ADMIN_EDITABLE)
        if forbidden:
            raise PermissionDenied(
                f"机构管理员不能修改：{', '.join(forbidden)}（由监管部门维护）",
                f"a body admin may not change: {', '.join(forbidden)} (kept by the regulator)",
                extra={"fields": forbidden},
            )
    body: EvaluationBody = get_for_update(session, EvaluationBody, body_id)
    if "city_code" in fields:
        _check_region(session, body.province_code, fields["city_code"])
    renumbered = sorted(name for name in NUMBERING_FIELDS & set(fields) if fields[name] != getattr(body, name))
    if renumbered and reason is None and _has_certificates(session, body.id):
        raise ReasonRequired(
            f"本机构已发证，修改 {', '.join(renumbered)} 会改变今后的证书编号，须填写原因 reason（记入审计日志）",
            f"the body has issued certificates: changing {', '.join(renumbered)} changes future certificate "
            "numbers and needs a reason (kept on the audit record)",
            extra={"field": "reason", "fields": renumbered},
        )
    if "site_code" in renumbered:
        _check_site_code(session, body_id=body.id, province_code=body.province_code, site_code=fields["site_code"])
    before = snapshot(body)
    for name, value in fields.items():
        setattr(body, name, value)
    body.updated_at = utcnow()
    _flush_codes(session, body.site_code)
    old, new = changes(before, snapshot(body))
    if new:
        record(
            session,
            actor=actor,
            action=BodyAction.UPDATED,
            entity_type="body",
            entity_id=body.id,
            body_id=body.id,
            before=old,
            after=new,
            reason=reason,
        )
    return body


def set_body_status(
    session: Session, *, actor: Actor, body_id: uuid.UUID, status: BodyStatus, reason: str
) -> EvaluationBody:
    """Suspend, reinstate or revoke (评价资质, final) a body, with the reason on the record (regulator)."""
    access.require(actor, Power.REGULATE)
    body = get_body(session, actor=actor, body_id=body_id)

    def prepare(body: EvaluationBody) -> None:
        body.status_reason = reason

    return apply_transition(
        session,
        body,
        table=BODY_TRANSITIONS,
        target=status,
        actor=actor,
        entity_type="body",
        body_id=body.id,
        reason=reason,
        prepare=prepare,
        stamp=("status_changed_at", "updated_at"),
    )


def replace_chain_members(
    session: Session, *, actor: Actor, body_id: uuid.UUID, members: Sequence[ChainMemberIn]
) -> list[ChainMember]:
    """Replace the member enterprises of a chain body's industry chain (001:46)."""
    body = get_body(session, actor=actor, body_id=body_id)
    access.require(actor, Power.MANAGE_BODY, body_id=body_id)
    if body.kind != BodyKind.CHAIN_BODY and not body.is_chain_lead:
        raise InvalidInput(
            "只有产教评技能生态链评价机构或链主企业可登记链上企业",
            "only chain bodies or chain-lead enterprises have chain members",
        )
    parsed: dict[str, str] = {}
    for index, member in enumerate(members):
        uscc = normalise_uscc(member.uscc, field=f"members[{index}].uscc")
        if uscc in parsed:
            raise InvalidInput(f"members[{index}]：统一社会信用代码重复", f"members[{index}]: USCC repeated")
        parsed[uscc] = member.name
    existing = session.exec(select(ChainMember).where(ChainMember.chain_body_id == body_id)).all()
    before = sorted(m.member_uscc for m in existing)
    for old in existing:
        session.delete(old)
    session.flush()
    now = utcnow()
    rows = [ChainMember(chain_body_id=body_id, member_uscc=u, member_name=n, created_at=now) for u, n in parsed.items()]
    session.add_all(rows)
    session.flush()
    record(
        session,
        actor=actor,
        action=BodyAction.CHAIN_MEMBERS_REPLACED,
        entity_type="body",
        entity_id=body_id,
        body_id=body_id,
        before={"members": before},
        after={"members": sorted(parsed)},
    )
    return rows


def list_chain_members(session: Session, *, actor: Actor, body_id: uuid.UUID) -> Sequence[ChainMember]:
    """Return a chain body's member enterprises."""
    get_body(session, actor=actor, body_id=body_id)
    return session.exec(
        select(ChainMember).where(ChainMember.chain_body_id == body_id).order_by(col(ChainMember.member_name))
    ).all()
