"""Offline checks beyond the printed token: a vc+jwt credential with its status lists, and the scope proof.

Like the token verifier, never "valid" without status: a credential without both of its status lists (or with a
list older than the limit) is status_unknown; a certificate outside its issuer's approved scope on its issue
date is invalid whatever its signature says.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from certificates import credentials, scope, signing
from certificates.verification import MAX_LIST_AGE, Check, Verdict, VerificationResult, _grade_of_level
from registry import grades
from registry.clock import CHINA_TZ, as_utc, utcnow
from registry.grades import GradeCode
from registry.validators import mask_name


def is_credential(token: str) -> bool:
    """Whether a token is a vc+jwt (rather than the compact certificate token of the QR code)."""
    head = token.strip().split(".")[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    return isinstance(header, dict) and header.get("typ") == credentials.CREDENTIAL_TYPE


def _identifier(entries: Any, kind: str) -> str | None:
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and entry.get("identifierType") == kind:
            return str(entry.get("identifier"))
    return None


def credential_facts(document: dict[str, Any]) -> dict[str, Any]:
    """The certificate facts a credential states: number, grade, occupation, issuer body, issue date."""
    subject = document.get("credentialSubject") or {}
    achievement = subject.get("achievement") or {}
    creator = achievement.get("creator") or {}
    grade_value = _identifier(achievement.get("otherIdentifier"), "ext:SkillGrade")
    grade = GradeCode(grade_value) if grade_value in {g.value for g in GradeCode} else None
    info = grades.info(grade) if grade else None
    names = [i.get("identityHash") for i in subject.get("identifier", []) if isinstance(i, dict)]
    issued = as_utc(dt.datetime.fromisoformat(str(document["validFrom"]))).astimezone(CHINA_TZ).date()
    return {
        "number": subject.get("licenseNumber"),
        "holder_name_masked": mask_name(str(names[0])) if names else "",
        "grade": grade.value if grade else None,
        "grade_zh": info.name_zh if info else None,
        "national_level_zh": info.national_level_zh if info else None,
        "occupation_code": _identifier(achievement.get("otherIdentifier"), "ext:OccupationCode"),
        "occupation_name_zh": achievement.get("fieldOfStudy", ""),
        "body_uscc": _identifier(creator.get("otherIdentifier"), "ext:USCC"),
        "body_name": creator.get("name", ""),
        "issued_on": issued.isoformat(),
        "print_serial": None,
        "id_masked": None,
        "in_registry": False,
    }


def verify_credential_offline(
    token: str,
    *,
    jwks: dict[str, Any],
    status_lists: Sequence[str] = (),
    now: dt.datetime | None = None,
    max_age: dt.timedelta = MAX_LIST_AGE,
) -> VerificationResult:
    """Verify a vc+jwt with saved keys and, if given, its saved status list credentials (revocation, suspension)."""
    keys = signing.keys_from_jwks(jwks)
    try:
        document, key = credentials.open_credential(token, keys)
        fields = credential_facts(document)
    except credentials.CredentialRejected as rejected:
        return VerificationResult(Verdict.INVALID, [Check("signature", False, rejected.zh, rejected.en)])
    except (KeyError, ValueError, TypeError, AttributeError):
        return VerificationResult(
            Verdict.INVALID, [Check("claims", False, "凭证内容格式无法识别", "unrecognised credential")]
        )
    checks = [
        Check("signature", True, f"凭证签名有效（密钥 {key.kid}）", f"credential signature valid (key {key.kid})")
    ]
    lists: list[credentials.ListedStatus] = []
    moment = as_utc(now or utcnow())
    for raw in status_lists:
        try:
            listed = credentials.open_status_list(raw, keys)
        except (credentials.CredentialRejected, KeyError, ValueError, TypeError):
            checks.append(Check("status_list", None, "状态列表无效，已忽略", "a status list is not genuine: ignored"))
            continue
        if moment - listed.issued_at > max_age:
            hours = int((moment - listed.issued_at).total_seconds() // 3600)
            checks.append(
                Check(
                    "status_list",
                    None,
                    f"{listed.purpose} 状态列表已有 {hours} 小时，超过上限",
                    f"the {listed.purpose} list is {hours} hours old, past the limit",
                )
            )
            continue
        lists.append(listed)
    try:
        bits = credentials.status_bits(document, lists)
    except ValueError:
        bits = {}
    as_of = min((x.issued_at for x in lists), default=None)
    if bits.get("revocation") == 1:
        verdict = Verdict.REVOKED
    elif bits.get("suspension") == 1:
        verdict = Verdict.SUSPENDED
    elif set(bits) >= set(credentials.PURPOSES) and None not in bits.values():
        verdict = Verdict.VALID
    else:
        verdict = Verdict.STATUS_UNKNOWN
    checks.append(
        Check(
            "status",
            verdict == Verdict.VALID if verdict != Verdict.STATUS_UNKNOWN else None,
            {
                Verdict.VALID: "依据状态列表：未撤销、未暂停",
                Verdict.REVOKED: "依据状态列表：已撤销",
                Verdict.SUSPENDED: "依据状态列表：已暂停",
            }.get(verdict, "未提供有效的撤销和暂停状态列表，无法核实状态"),
            {
                Verdict.VALID: "per the status lists: neither revoked nor suspended",
                Verdict.REVOKED: "per the status lists: revoked",
                Verdict.SUSPENDED: "per the status lists: suspended",
            }.get(verdict, "no valid revocation and suspension lists given: status not checked"),
        )
    )
    return VerificationResult(
        verdict, checks, fields, status_as_of=as_of, status_source="status_list" if as_of else None
    )


def apply_scope_proof(
    result: VerificationResult, document: dict[str, Any], *, jwks: dict[str, Any], letters: tuple[str, str]
) -> VerificationResult:
    """Check the certificate against the issuer's signed scope statements; outside them it is invalid."""
    if result.verdict == Verdict.INVALID:
        return result
    f = result.fields
    grade = None
    if result.claims is not None:
        grade = _grade_of_level(result.claims.level, letters)
    elif f.get("grade"):
        grade = GradeCode(f["grade"])
    statements = scope.genuine_statements(document, signing.keys_from_jwks(jwks))
    if grade is None or not f.get("body_uscc") or not f.get("occupation_code"):
        finding = scope.ScopeFinding(False, "证书缺少核对范围所需的信息", "the certificate lacks the facts to check")
    else:
        finding = scope.check_scope(
            statements,
            body_uscc=str(f["body_uscc"]),
            occupation_code=str(f["occupation_code"]),
            grade=grade,
            issued_on=dt.date.fromisoformat(str(f["issued_on"])),
        )
    result.checks.append(Check("scope_proof", finding.ok, finding.zh, finding.en))
    if not finding.ok:
        result.verdict = Verdict.INVALID
    return result
