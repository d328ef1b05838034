"""Verify certificate tokens online (against the registry) and offline (saved JWKS and revocation list).

Never reports "not revoked" when the status could not be checked: without status data the verdict is
status_unknown, and a revocation list states its own age. The revocation list carries keyed hashes of numbers,
not numbers in clear, and is itself signed with the certificate key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from certificates import numbering, signing
from certificates.models import REASON_ZH, STATUS_ZH, Certificate, CertificateStatus, RevocationReason
from certificates.record import RECORD_PARTS, RecordPart, shown, values_of
from certificates.tokens import BadClaims, Claims
from registry import grades, pii
from registry.awards.legacy import LegacyMatch, find_legacy
from registry.awards.models import (
    AWARD_REASON_ZH,
    AWARD_STATUS_ZH,
    FAMILY_EN,
    FAMILY_ZH,
    AwardRevocationReason,
    AwardStatus,
    GradeAward,
)
from registry.bodies.models import BodyStatus, EvaluationBody
from registry.catalogue.models import Occupation
from registry.clock import CHINA_TZ, as_utc, utcnow
from registry.filings.models import Filing
from registry.grades import GradeCode
from registry.keys import derive_key
from registry.people.models import Person
from registry.settings import Settings
from registry.validators import mask_id_public, mask_name

REVOCATIONS_FORMAT = "xbj-revocations/1"
MAX_LIST_AGE = dt.timedelta(days=7)


class Verdict(StrEnum):
    """The one answer a verifier sees first."""

    VALID = "valid"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    SUPERSEDED = "superseded"
    INVALID = "invalid"
    STATUS_UNKNOWN = "status_unknown"
    LEGACY = "legacy"  # a pre-registry certificate this registry records but did not issue (look-up only)
    LEGACY_UNCONFIRMED = "legacy_unconfirmed"  # … recorded by a body, not yet confirmed by the regulator


VERDICT_ZH = {
    Verdict.VALID: "真实有效",
    Verdict.REVOKED: "已撤销",
    Verdict.SUSPENDED: "已暂停",
    Verdict.SUPERSEDED: "已换发（此印件作废）",
    Verdict.INVALID: "无法验证",
    Verdict.STATUS_UNKNOWN: "签名真实，状态未能核实",
    Verdict.LEGACY: "历史证书登记记录（非本系统签发）",
    Verdict.LEGACY_UNCONFIRMED: "历史证书登记记录，待人社部门确认（非本系统签发）",
}
VERDICT_EN = {
    Verdict.VALID: "Genuine and valid",
    Verdict.REVOKED: "Revoked",
    Verdict.SUSPENDED: "Suspended",
    Verdict.SUPERSEDED: "Superseded by a reissue (this print is void)",
    Verdict.INVALID: "Cannot be verified",
    Verdict.STATUS_UNKNOWN: "Signature genuine, status not checked",
    Verdict.LEGACY: "Pre-registry record (not issued here)",
    Verdict.LEGACY_UNCONFIRMED: "Pre-registry record, unconfirmed (not issued here)",
}


@dataclass(frozen=True)
class Check:
    """One check and its outcome (ok None = not performed)."""

    code: str
    ok: bool | None
    zh: str
    en: str


@dataclass
class VerificationResult:
    """The whole answer: verdict, every check, the certificate's masked fields, how fresh the status is."""

    verdict: Verdict
    checks: list[Check]
    fields: dict[str, Any] = field(default_factory=dict)
    status_as_of: dt.datetime | None = None
    status_source: str | None = None  # registry | revocation_list
    claims: Claims | None = None
    unknown_number: bool = False  # genuine signature, number not in the database read (a replica may be behind)

    @property
    def verdict_zh(self) -> str:
        """The verdict in Chinese."""
        return VERDICT_ZH[self.verdict]

    @property
    def verdict_en(self) -> str:
        """The verdict in English."""
        return VERDICT_EN[self.verdict]

    @property
    def record_parts(self) -> list[tuple[RecordPart, str]]:
        """The certificate record's parts that have a value, labelled, for the page and the CLI."""
        return shown(self.fields)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data (claims beyond the displayed fields are left out)."""
        return {
            "verdict": self.verdict.value,
            "verdict_zh": self.verdict_zh,
            "verdict_en": self.verdict_en,
            "checks": [{"code": c.code, "ok": c.ok, "zh": c.zh, "en": c.en} for c in self.checks],
            "fields": self.fields,
            "status_as_of": self.status_as_of.isoformat() if self.status_as_of else None,
            "status_source": self.status_source,
        }


BODY_STATUS_ZH = {BodyStatus.ACTIVE: "正常", BodyStatus.SUSPENDED: "已暂停", BodyStatus.REVOKED: "已取消评价资质"}


def _invalid(checks: list[Check]) -> VerificationResult:
    return VerificationResult(Verdict.INVALID, checks)


def _grade_of_level(level: str, settings_letters: tuple[str, str] = ("T", "C")) -> GradeCode | None:
    if level.isdigit():
        return grades.by_national_level(int(level))
    special, chief = settings_letters
    return {special: GradeCode.SPECIAL_TECHNICIAN, chief: GradeCode.CHIEF_TECHNICIAN, "A": GradeCode.APPRENTICE}.get(
        level
    )


def _cryptographic(token: str, keys: dict[str, signing.KeyInfo]) -> tuple[Claims | None, list[Check]]:
    """Signature, key and key window; returns the claims when all pass."""
    try:
        payload, key = signing.verify(token.strip(), keys)
    except signing.TokenRejected as rejected:
        return None, [Check("signature", False, rejected.zh, rejected.en)]
    checks = [Check("signature", True, "签名有效", "signature valid")]
    try:
        claims = Claims.decode(payload)
    except BadClaims:
        return None, [*checks, Check("claims", False, "证书内容格式无法识别", "unrecognised claim set")]
    if not numbering.is_well_formed(claims.number):
        return None, [*checks, Check("claims", False, "证书编号格式不正确", "malformed certificate number")]
    if not key.covers(claims.issued_on):
        window = f"{key.valid_from}…{key.valid_to or ''}"
        return None, [
            *checks,
            Check(
                "key_window",
                False,
                f"签发日期 {claims.issued_on} 不在密钥 {key.kid} 有效期 {window} 内",
                f"issue date {claims.issued_on} is outside key {key.kid}'s window {window}",
            ),
        ]
    return claims, [
        *checks,
        Check("key_window", True, f"签发密钥 {key.kid} 在签发日有效", f"key {key.kid} was valid on the issue date"),
    ]


def _fields(
    claims: Claims,
    in_registry: bool = False,
    occupation: str = "",
    body_name: str = "",
    settings_letters: tuple[str, str] = ("T", "C"),
    *,
    parts: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The answer's certificate fields; the record parts from the registry when read there, else the token's."""
    grade = _grade_of_level(claims.level, settings_letters)
    info = grades.info(grade) if grade else None
    return {
        "number": claims.number,
        "holder_name_masked": claims.name_masked,
        "grade": grade.value if grade else None,
        "grade_zh": info.name_zh if info else None,
        "national_level_zh": info.national_level_zh if info else None,
        "occupation_code": claims.occupation_code,
        "occupation_name_zh": occupation,
        "body_uscc": claims.body_uscc,
        "body_name": body_name,
        "issued_on": claims.issued_on.isoformat(),
        "print_serial": claims.print_serial,
        **{part.name: (claims.record if parts is None else parts).get(part.name, "") for part in RECORD_PARTS},
        "id_masked": None,
        "in_registry": in_registry,
    }


@lru_cache(maxsize=8)
def _keys(key_dir: str, mtime: int) -> dict[str, signing.KeyInfo]:
    del mtime  # cache key only
    return {k.kid: k for k in signing.list_keys(Path(key_dir))}


def registry_keys(settings: Settings) -> dict[str, signing.KeyInfo]:
    """The registry's own public keys (cached until the key manifest changes: one stat per verification)."""
    try:
        mtime = os.stat(settings.key_dir / signing.MANIFEST).st_mtime_ns
    except FileNotFoundError:
        return {}
    return _keys(str(settings.key_dir), mtime)


@dataclass(frozen=True)
class _Record:
    """The registry's view of one certificate, read in a single query; built by column name."""

    status: CertificateStatus
    revocation_reason: RevocationReason | None
    print_serial: int
    grade: GradeCode
    occupation_code: str
    issued_on: dt.date
    body_uscc: str
    body_name: str
    body_status: BodyStatus
    filing_starts_on: dt.date | None
    filing_ends_on: dt.date | None
    occupation_name: str | None
    id_type: str
    id_masked: str
    token: str
    award_status: AwardStatus
    award_reason: AwardRevocationReason | None
    status_changed_at: dt.datetime | None  # when the certificate was last revoked, suspended or reinstated
    award_changed_at: dt.datetime | None
    parts: dict[str, str]  # the certificate record's parts (certificates.record), by name


def _optional(kind: Any) -> Any:
    return lambda value: kind(value) if value else None


def _same(value: Any) -> Any:
    return value


_CONVERT: dict[str, Any] = {
    "status": CertificateStatus,
    "revocation_reason": _optional(RevocationReason),
    "grade": GradeCode,
    "body_status": BodyStatus,
    "award_status": AwardStatus,
    "award_reason": _optional(AwardRevocationReason),
}
_PART_NAMES = frozenset(part.name for part in RECORD_PARTS)


def _record_statement() -> sa.Select[Any]:
    c, b, a, f, o, p = (
        t.__table__  # type: ignore[union-attr]
        for t in (
            Certificate,
            EvaluationBody,
            GradeAward,
            Filing,
            Occupation,
            Person,
        )
    )
    return (
        sa.select(
            c.c.status,
            c.c.revocation_reason,
            c.c.print_serial,
            c.c.grade,
            c.c.occupation_code,
            c.c.issued_on,
            b.c.uscc.label("body_uscc"),
            b.c.name.label("body_name"),
            b.c.status.label("body_status"),
            f.c.starts_on.label("filing_starts_on"),
            f.c.ends_on.label("filing_ends_on"),
            o.c.name_zh.label("occupation_name"),
            p.c.id_type,
            p.c.id_masked,
            c.c.token,
            a.c.status.label("award_status"),
            a.c.revocation_reason.label("award_reason"),
            c.c.status_changed_at,
            a.c.status_changed_at.label("award_changed_at"),
            *(c.c[part.name] for part in RECORD_PARTS),
        )
        .select_from(
            c.join(b, b.c.id == c.c.body_id)
            .join(a, a.c.id == c.c.award_id)
            .join(p, p.c.id == c.c.person_id)
            .outerjoin(f, f.c.id == a.c.filing_id)
            .outerjoin(o, o.c.code == c.c.occupation_code)
        )
        .where(c.c.number == sa.bindparam("number"))
    )


# Built once: one joined Core statement (no ORM objects), its cache key memoised, so each verification costs one
# round trip and no query construction — verification is the hottest public path. Nothing about the certificate
# is cached: every answer reads its status now.
RECORD_STATEMENT = _record_statement()
RECORD_NAMES = tuple(column.name for column in RECORD_STATEMENT.selected_columns)


@lru_cache(maxsize=8)
def _driver_sql(dialect: sa.Dialect, statement: sa.Select[Any] = RECORD_STATEMENT) -> str:
    return str(statement.compile(dialect=dialect))


def _record_row(conn: Session | sa.Connection, number: str, statement: sa.Select[Any] = RECORD_STATEMENT) -> Any:
    """The record's row; on PostgreSQL straight through the pooled psycopg connection (server-side prepared by
    psycopg after a few uses), which saves SQLAlchemy's result machinery — a fifth of a verification's CPU."""
    if not isinstance(conn, sa.Connection) or conn.dialect.name != "postgresql":
        return conn.execute(statement, {"number": number}).first()
    dbapi = conn.dialect.loaded_dbapi
    raw = conn.connection.driver_connection
    assert raw is not None
    try:
        return raw.execute(_driver_sql(conn.dialect, statement), {"number": number}).fetchone()
    except dbapi.Error as error:
        gone = bool(raw.closed or raw.broken)
        if gone:
            conn.invalidate()  # the pool replaces it; Reads.run retries once on a fresh connection
        raise sa.exc.DBAPIError.instance(
            "certificate record", None, error, dbapi.Error, hide_parameters=True, connection_invalidated=gone
        ) from error


def _record_of(row: Any) -> _Record | None:
    """The record, built by column name from the row (a plain tuple from the driver as well)."""
    if row is None:
        return None
    values = dict(zip(RECORD_NAMES, row[: len(RECORD_NAMES)], strict=True))  # a longer row: more columns follow
    parts = {name: str(values.pop(name) or "") for name in _PART_NAMES}
    return _Record(**{k: _CONVERT.get(k, _same)(v) for k, v in values.items()}, parts=parts)


def record_sql(dialect: sa.Dialect, statement: sa.Select[Any] = RECORD_STATEMENT) -> str:
    """The record statement (or one that adds columns after its own) as the driver runs it (one bound parameter,
    `number`), for reads outside SQLAlchemy."""
    return _driver_sql(dialect, statement)


@dataclass(frozen=True)
class Started:
    """A verification whose cryptographic checks passed: the certificate number to read, then judge(row)."""

    token: str
    claims: Claims
    checks: list[Check]
    letters: tuple[str, str]

    @property
    def number(self) -> str:
        """The certificate number the record is read by."""
        return self.claims.number

    def judge(self, row: Any) -> VerificationResult:
        """The verdict on the record's row (RECORD_STATEMENT's columns, or None: no such certificate)."""
        return _judge(self, _record_of(row))


def start_online(token: str, settings: Settings) -> Started | VerificationResult:
    """Signature, key and key window (no database): what to read next, or the answer when a check failed."""
    claims, checks = _cryptographic(token, registry_keys(settings))
    if claims is None:
        return _invalid(checks)
    return Started(token, claims, checks, (settings.special_letter, settings.chief_letter))


def verify_online(session: Session | sa.Connection, *, token: str, settings: Settings) -> VerificationResult:
    """Verify a token against the registry: signature, key window, the record, its issuer, its status now."""
    return verify_online_row(session, token=token, settings=settings)[0]


def verify_online_row(
    session: Session | sa.Connection, *, token: str, settings: Settings, statement: sa.Select[Any] = RECORD_STATEMENT
) -> tuple[VerificationResult, Any]:
    """verify_online, reading `statement` (RECORD_STATEMENT, or one adding columns after its own): the result and
    the row read (None when none was: a failed signature check, or no such certificate)."""
    started = start_online(token, settings)
    if isinstance(started, VerificationResult):
        return started, None
    row = _record_row(session, started.number, statement)
    return started.judge(row), row


def _judge(started: Started, record: _Record | None) -> VerificationResult:
    """The checks against the registry's record of the certificate, and the verdict."""
    claims, checks, letters, token = started.claims, list(started.checks), started.letters, started.token
    if record is None:
        result = _invalid(
            [*checks, Check("record", False, "登记系统中没有此证书", "no such certificate in the registry")]
        )
        result.unknown_number = True
        return result
    consistent = (
        record.body_uscc == claims.body_uscc
        and record.occupation_code == claims.occupation_code
        and record.issued_on == claims.issued_on
        and _grade_of_level(claims.level, letters) == record.grade
    )
    if not consistent:
        return _invalid(
            [*checks, Check("record", False, "证书内容与登记记录不一致", "the token disagrees with the record")]
        )
    if claims.print_serial == record.print_serial and token.strip() != record.token:
        # The current print has exactly one valid string, the one issued: the ECDSA twin (s → n − s) of a token
        # signed before signing became low-s only verifies cryptographically, and is refused here.
        return _invalid(
            [
                *checks,
                Check(
                    "record",
                    False,
                    "此令牌字符串不是为本印件签发的那一个（签名值被改写）",
                    "this token string is not the one issued for this print (its signature was rewritten)",
                ),
            ]
        )
    checks.append(Check("record", True, "与登记记录一致", "matches the registry record"))
    in_window = (
        record.filing_starts_on is not None
        and record.filing_ends_on is not None
        and record.filing_starts_on <= record.issued_on <= record.filing_ends_on
    )
    if not in_window:
        return _invalid(
            [*checks, Check("scope", False, "发证日不在机构备案有效期内", "not issued within the body's filing")]
        )
    checks.append(Check("scope", True, "发证时在机构备案范围内", "issued within the body's filing"))
    # A sanction on the issuer after the fact is a warning: the certificate's own status (revoked by the regulator
    # where the evaluation was fraudulent) decides the verdict.
    active = record.body_status == BodyStatus.ACTIVE
    checks.append(
        Check(
            "issuer",
            True if active else None,
            f"发证机构状态：{BODY_STATUS_ZH[record.body_status]}" + ("" if active else "（证书本身的状态见下）"),
            f"issuer status: {record.body_status.value}"
            + ("" if active else " (the certificate's own status follows)"),
        )
    )
    award_stands = record.award_status == AwardStatus.ACTIVE
    award_reason = f"（原因：{AWARD_REASON_ZH[record.award_reason]}）" if record.award_reason else ""
    checks.append(
        Check(
            "award",
            award_stands,
            "证书所记载的等级有效"
            if award_stands
            else f"证书所记载的等级{AWARD_STATUS_ZH[record.award_status]}{award_reason}",
            "the grade the certificate documents stands"
            if award_stands
            else f"the grade the certificate documents is {record.award_status.value}"
            + (f" (reason: {record.award_reason.value})" if record.award_reason else ""),
        )
    )
    if record.status == CertificateStatus.REVOKED or not award_stands:
        verdict = Verdict.REVOKED
    elif record.status == CertificateStatus.SUSPENDED:
        verdict = Verdict.SUSPENDED
    elif claims.print_serial < record.print_serial:
        verdict = Verdict.SUPERSEDED
    else:
        verdict = Verdict.VALID
    reason = record.revocation_reason if record.status == CertificateStatus.REVOKED else None
    checks.append(
        Check(
            "status",
            verdict == Verdict.VALID,
            f"证书状态：{STATUS_ZH[record.status]}" + (f"（原因：{REASON_ZH[reason]}）" if reason else ""),
            f"certificate status: {record.status.value}" + (f" (reason: {reason.value})" if reason else ""),
        )
    )
    fields = _fields(claims, True, record.occupation_name or "", record.body_name, letters, parts=record.parts)
    fields["id_masked"] = mask_id_public(record.id_type, record.id_masked)
    fields["award_status"] = record.award_status.value
    if reason is not None:
        fields["revocation_reason"] = reason.value
    changed = record.status_changed_at if record.status != CertificateStatus.VALID else None
    if not award_stands:
        changed = changed or record.award_changed_at
    if changed is not None and verdict in {Verdict.REVOKED, Verdict.SUSPENDED}:
        fields["status_changed_at"] = as_utc(changed).isoformat()
    return VerificationResult(verdict, checks, fields, status_as_of=utcnow(), status_source="registry", claims=claims)


def lookup(session: Session, *, number: str, name: str, settings: Settings) -> VerificationResult | None:
    """Verify the certificate (or legacy record) with this number and holder name, or None — the same for every miss.

    A number this registry issued is verified in full; otherwise a pre-registry certificate the registry records
    (legacy) is reported as exactly that: recorded here, issued elsewhere, not signed by this registry.
    """
    number, name = number.strip().upper(), name.strip()
    try:
        number.encode("utf-8")
        name.encode("utf-8")
    except UnicodeEncodeError:
        return None
    if numbering.is_well_formed(number):
        token = session.exec(
            select(Certificate.token)
            .join(Person, col(Person.id) == col(Certificate.person_id))
            .where(Certificate.number == number, Person.name == name)
        ).first()
        if token is not None:
            return verify_online(session, token=token, settings=settings)
    match = find_legacy(session, number=number, name=name)
    return None if match is None else legacy_result(session, match)


def legacy_result(session: Session, match: LegacyMatch) -> VerificationResult:
    """Say plainly what a legacy record is: a certificate issued elsewhere, recorded here, with its standing."""
    award, legacy, person = match.award, match.legacy, match.person
    info = grades.info(award.grade)
    occupation = session.get(Occupation, award.occupation_code)
    family_zh, family_en = FAMILY_ZH[legacy.family], FAMILY_EN[legacy.family]
    checks = [
        Check(
            "record",
            True,
            f"本系统登记有此{family_zh}：{legacy.issuing_authority}颁发，原编号 {legacy.original_number}",
            f"this registry records a {family_en} issued by {legacy.issuing_authority}, "
            f"number {legacy.original_number}",
        ),
        Check(
            "issuer",
            None,
            "原证书不是本系统签发，本系统未对其签名；原件真伪请向原发证机构核实",
            "the original was not issued or signed by this registry; check the paper with its issuing authority",
        ),
    ]
    if award.status == AwardStatus.PENDING:
        verdict = Verdict.LEGACY_UNCONFIRMED
        checks.append(
            Check(
                "confirmed",
                None,
                "由评价机构登记，尚待人社部门确认；确认前不计入本系统",
                "recorded by a body and not yet confirmed by the regulator; it counts for nothing until then",
            )
        )
    elif award.status == AwardStatus.REVOKED:
        verdict = Verdict.REVOKED
        reason = award.revocation_reason
        checks.append(
            Check(
                "status",
                False,
                "该等级记录已撤销" + (f"（原因：{AWARD_REASON_ZH[reason]}）" if reason else ""),
                "the grade on record is revoked" + (f" (reason: {reason.value})" if reason else ""),
            )
        )
    else:
        verdict = Verdict.LEGACY
        checks.append(
            Check("confirmed", True, "等级记录经人社部门确认，有效", "the grade on record is confirmed and stands")
        )
    fields: dict[str, Any] = {
        "number": legacy.original_number,
        "holder_name_masked": mask_name(person.name),
        "grade": award.grade.value,
        "grade_zh": info.name_zh,
        "national_level_zh": info.national_level_zh,
        "occupation_code": award.occupation_code,
        "occupation_name_zh": occupation.name_zh if occupation else "",
        "body_uscc": "",
        "body_name": legacy.issuing_authority,
        "issued_on": award.awarded_on.isoformat(),
        "print_serial": None,
        **values_of(award),
        "id_masked": mask_id_public(person.id_type.value, person.id_masked),  # public: see the README threat model
        "in_registry": True,
        "legacy_family": legacy.family.value,
        "legacy_family_zh": family_zh,
        "award_status": award.status.value,
    }
    return VerificationResult(verdict, checks, fields, status_as_of=utcnow(), status_source="registry")


def check_holder_offline(claims: Claims, name: str, id_number: str) -> bool | None:
    """Whether a name and ID number match a v1 token's holder binding; None for v2 tokens (online only)."""
    if claims.holder_binding is None:
        return None
    return pii.check_holder_binding(claims.holder_binding, name, id_number)


# ------------------------------------------------------------------------------------------ revocation list


def _list_salt(settings: Settings, day: dt.date) -> str:
    return hmac.new(derive_key(settings, "revocation-list"), day.isoformat().encode(), hashlib.sha256).hexdigest()[:32]


def number_hash(salt: str, number: str, status_ref: str) -> str:
    """The keyed hash a revocation list uses: number and the token's status reference, so numbers cannot be
    enumerated from it (v2 tokens: a random value; v1 tokens: their holder binding)."""
    message = f"{number}|{status_ref}".encode()
    return hmac.new(bytes.fromhex(salt), message, hashlib.sha256).hexdigest()[:32]


def revocation_list(session: Session, *, settings: Settings) -> dict[str, Any]:
    """The signed list of revoked, suspended and reissued certificates, for offline verifiers.

    Entries hash the number together with the status reference in the token: an offline verifier holding a
    token can look it up, but walking a site's serial range does not reveal which numbers are listed. A
    certificate first issued with a v1 token is listed under its holder binding too, so old prints still
    show as superseded or revoked; nothing about the ID number can be read from either entry.
    """
    now = utcnow()
    salt = _list_salt(settings, now.date())
    rows = session.execute(
        sa.select(
            col(Certificate.number),
            col(Certificate.status),
            col(Certificate.print_serial),
            col(Certificate.status_ref),
            col(Person.holder_binding),
        )
        .join(Person, col(Person.id) == col(Certificate.person_id))
        .where((col(Certificate.status) != CertificateStatus.VALID) | (col(Certificate.print_serial) > 1))
    ).all()
    entries = sorted(
        (
            {"h": number_hash(salt, number, ref), "s": CertificateStatus(status).value, "ps": serial}
            for number, status, serial, status_ref, binding in rows
            for ref in (status_ref, binding)
            if ref
        ),
        key=lambda e: e["h"],
    )
    payload = {
        "format": REVOCATIONS_FORMAT,
        "issued_at": now.isoformat(timespec="seconds"),
        "salt": salt,
        "entries": entries,
    }
    signer = signing.load_signer(settings.key_dir)
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return {"jws": signing.sign(signer, body, typ=signing.REVOCATIONS_TYPE), **payload}


# ------------------------------------------------------------------------------------------ offline


def _list_document(revocations: dict[str, Any], keys: dict[str, signing.KeyInfo]) -> dict[str, Any] | None:
    """The signed payload of a revocation list, or None when it is not a genuine list of this registry."""
    try:
        listed, key = signing.verify(str(revocations["jws"]), keys, typ=signing.REVOCATIONS_TYPE)
        document = json.loads(listed)
        as_of = dt.datetime.fromisoformat(document["issued_at"])
    except (signing.TokenRejected, KeyError, TypeError, ValueError, RecursionError):
        return None
    if not isinstance(document, dict) or document.get("format") != REVOCATIONS_FORMAT:
        return None
    if not key.covers(as_utc(as_of).astimezone(CHINA_TZ).date()):
        return None
    return document


def verify_offline(
    token: str,
    *,
    jwks: dict[str, Any],
    revocations: dict[str, Any] | None,
    now: dt.datetime | None = None,
    max_age: dt.timedelta = MAX_LIST_AGE,
) -> VerificationResult:
    """Verify with saved public keys and, if given, a saved revocation list no older than max_age."""
    keys = signing.keys_from_jwks(jwks)
    claims, checks = _cryptographic(token, keys)
    if claims is None:
        return _invalid(checks)
    fields = _fields(claims)
    if revocations is None:
        checks.append(
            Check(
                "status",
                None,
                "未提供吊销列表，无法核实证书当前状态",
                "no revocation list given: the current status was not checked",
            )
        )
        return VerificationResult(Verdict.STATUS_UNKNOWN, checks, fields, claims=claims)
    document = _list_document(revocations, keys)
    if document is None:
        checks.append(
            Check(
                "status",
                None,
                "吊销列表无效（签名、类型或格式不符），无法核实状态",
                "the revocation list is not genuine (signature, type or format): status not checked",
            )
        )
        return VerificationResult(Verdict.STATUS_UNKNOWN, checks, fields, claims=claims)
    as_of = as_utc(dt.datetime.fromisoformat(document["issued_at"]))
    age = as_utc(now or utcnow()) - as_of
    hours = int(age.total_seconds() // 3600)
    if age > max_age:
        checks.append(
            Check(
                "status",
                None,
                f"吊销列表已有 {hours} 小时，超过上限，无法核实当前状态",
                f"the revocation list is {hours} hours old, past the limit: status not checked",
            )
        )
        return VerificationResult(
            Verdict.STATUS_UNKNOWN, checks, fields, status_as_of=as_of, status_source="revocation_list", claims=claims
        )
    hashed = number_hash(str(document["salt"]), claims.number, claims.status_ref)
    entry = next((e for e in document.get("entries", []) if isinstance(e, dict) and e.get("h") == hashed), None)
    verdict = Verdict.VALID
    if entry is not None:
        verdict = {"revoked": Verdict.REVOKED, "suspended": Verdict.SUSPENDED}.get(str(entry.get("s")), Verdict.VALID)
        if verdict == Verdict.VALID and claims.print_serial < int(entry.get("ps", 1)):
            verdict = Verdict.SUPERSEDED
    checks.append(
        Check(
            "status",
            verdict == Verdict.VALID,
            f"依据 {as_of:%Y-%m-%d %H:%M} UTC 的吊销列表（{hours} 小时前）",
            f"per the revocation list of {as_of.isoformat()} ({hours} hours old)",
        )
    )
    return VerificationResult(
        verdict, checks, fields, status_as_of=as_of, status_source="revocation_list", claims=claims
    )
