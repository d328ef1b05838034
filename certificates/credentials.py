"""Standard credentials: W3C VC 2.0 secured as `application/vc+jwt` (VC-JOSE-COSE), shaped as Open Badges 3.0.

The JWT payload IS the credential (no `vc` claim), signed ES256 with the registry's certificate keys; the header
names the key as a verification method of the issuer document (`{PUBLIC_URL}/issuer#<kid>`), whose public keys
are the JWKS's. Status: W3C Bitstring Status List v1.0, one revocation and one suspension list per list number,
each certificate at one random index in both (never in issue order), each list itself a signed vc+jwt.

Nothing here carries the ID number: the holder is `urn:uuid:` of a keyed hash of the person's record id.
"""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from certificates import signing
from certificates.models import Certificate, CertificateStatus
from certificates.open_models import STATUS_LIST_FILL, STATUS_LIST_LENGTH, CredentialStatusSlot
from registry import grades
from registry.awards.models import AwardStatus, GradeAward
from registry.bodies.models import EvaluationBody
from registry.catalogue.models import Occupation
from registry.clock import CHINA_TZ, as_utc, utcnow
from registry.errors import NotFound
from registry.grades import GradeCode
from registry.keys import derive_key
from registry.people.models import Person
from registry.settings import Settings

CREDENTIAL_TYPE = "vc+jwt"
MEDIA_TYPE = "application/vc+jwt"
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CID_CONTEXT = "https://www.w3.org/ns/cid/v1"
PURPOSES = ("revocation", "suspension")
STATUS_TTL_MS = 5 * 60 * 1000  # the lists are regenerated on request; caches may keep one five minutes
ISSUER_NAME = "新八级工职业技能等级登记系统 / New Eight-Level Skill Grade Registry"


class StatusListNotFound(NotFound):
    """No status list with this number (lists open as certificates are issued)."""

    code = "status_list_not_found"


# ------------------------------------------------------------------------------------------ identifiers


def issuer_id(settings: Settings) -> str:
    """The issuer's identifier: the URL of its controlled identifier document."""
    return f"{settings.public_base}/issuer"


def method_prefix(issuer: str) -> str:
    """How a credential's header kid names a key: issuer id + '#' + the JWKS kid."""
    return f"{issuer}#"


def status_list_url(settings: Settings, number: int, purpose: str) -> str:
    """The stable URL of one status list credential."""
    return f"{settings.public_base}/api/v1/status-lists/{number}/{purpose}"


def holder_id(settings: Settings, person_id: uuid.UUID) -> str:
    """A stable holder identifier: urn:uuid of a keyed hash of the person's record id (not of the ID number)."""
    digest = hmac.new(derive_key(settings, "credential-holder"), person_id.bytes, hashlib.sha256).digest()
    return f"urn:uuid:{uuid.UUID(bytes=digest[:16], version=4)}"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


# ------------------------------------------------------------------------------------------ issuer metadata


def verification_methods(settings: Settings) -> list[dict[str, Any]]:
    """The certificate keys as JsonWebKey verification methods of the issuer (active and retired)."""
    issuer = issuer_id(settings)
    return [
        {
            "id": method_prefix(issuer) + key.kid,
            "type": "JsonWebKey",
            "controller": issuer,
            "publicKeyJwk": {**key.public_jwk, "kid": key.kid, "alg": signing.ALGORITHM, "use": "sig"},
            "validFrom": key.valid_from.isoformat(),
            **({"validUntil": key.valid_to.isoformat()} if key.valid_to else {}),
        }
        for key in signing.list_keys(settings.key_dir)
    ]


def issuer_document(settings: Settings) -> dict[str, Any]:
    """The issuer's controlled identifier document (W3C CID 1.0): its keys as verification methods."""
    methods = verification_methods(settings)
    return {
        "@context": [CID_CONTEXT],
        "id": issuer_id(settings),
        "name": ISSUER_NAME,
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
        "jwks_uri": f"{settings.public_base}/.well-known/jwks.json",
        "scope_statements_uri": f"{settings.public_base}/.well-known/scope-statements.json",
    }


def jwt_vc_issuer_metadata(settings: Settings) -> dict[str, Any]:
    """JWT VC issuer metadata (`/.well-known/jwt-vc-issuer/issuer`): the keys under the kids credentials name."""
    return {
        "issuer": issuer_id(settings),
        "jwks": {"keys": [{**m["publicKeyJwk"], "kid": m["id"]} for m in verification_methods(settings)]},
    }


# ------------------------------------------------------------------------------------------ status slots


def allocate_slots(session: Session, certificate_ids: Sequence[uuid.UUID]) -> None:
    """Give each certificate a random free index in the current status list (a new list opens at half full).

    Random, not sequential: an index must not tell how many certificates were issued before, or when.
    """
    if not certificate_ids:
        return
    latest = session.exec(select(func.max(CredentialStatusSlot.list_number))).one() or 1
    pending = list(certificate_ids)
    rows: list[dict[str, Any]] = []
    rng = secrets.SystemRandom()
    while pending:
        used = set(
            session.exec(select(CredentialStatusSlot.list_index).where(CredentialStatusSlot.list_number == latest))
        )
        room = STATUS_LIST_FILL - len(used)
        if room <= 0:
            latest += 1
            continue
        take, pending = pending[:room], pending[room:]
        chosen: set[int] = set()
        while len(chosen) < len(take):
            index = rng.randrange(STATUS_LIST_LENGTH)
            if index not in used:
                chosen.add(index)
        rows.extend(
            {"certificate_id": cid, "list_number": latest, "list_index": index}
            for cid, index in zip(take, rng.sample(sorted(chosen), len(chosen)), strict=True)
        )
        if pending:
            latest += 1
    session.execute(sa.insert(CredentialStatusSlot.__table__), rows)  # type: ignore[attr-defined]


def slot_of(session: Session, certificate_id: uuid.UUID) -> CredentialStatusSlot:
    """The certificate's slot, allocating one for a certificate that has none yet."""
    slot = session.get(CredentialStatusSlot, certificate_id)
    if slot is None:
        allocate_slots(session, [certificate_id])
        slot = session.get(CredentialStatusSlot, certificate_id)
    assert slot is not None
    return slot


# ------------------------------------------------------------------------------------------ the credential


def _midnight(day: dt.date) -> str:
    return dt.datetime.combine(day, dt.time(), tzinfo=CHINA_TZ).isoformat()


def achievement(occupation: Occupation | None, code: str, grade: GradeCode, settings: Settings) -> dict[str, Any]:
    """The OB3 Achievement: the occupation (national code) at a grade and its national level, zh and en."""
    info = grades.info(grade)
    name_zh = occupation.name_zh if occupation else code
    name_en = (occupation.name_en if occupation else "") or code
    level_zh = f"（国家职业技能等级{info.national_level_zh}）" if info.national_level else ""
    level_en = f" (national skill level {info.national_level})" if info.national_level else ""
    apprentice = grade == GradeCode.APPRENTICE
    identifiers = [
        {"type": "IdentifierEntry", "identifier": code, "identifierType": "ext:OccupationCode"},
        {"type": "IdentifierEntry", "identifier": grade.value, "identifierType": "ext:SkillGrade"},
    ]
    if info.national_level:
        identifiers.append(
            {"type": "IdentifierEntry", "identifier": str(info.national_level), "identifierType": "ext:NationalLevel"}
        )
    return {
        "id": f"{settings.public_base}/api/v1/occupations/{code}#{grade.value}",
        "type": ["Achievement"],
        "achievementType": "ApprenticeshipCertificate" if apprentice else "Certification",
        "name": f"{name_zh} {info.name_zh}{level_zh} / {name_en}, {info.name_en}{level_en}",
        "description": (
            f"职业（工种）{code} {name_zh}，职业技能等级：{info.name_zh}{level_zh}（新八级工）。"
            f" / Occupation {code} {name_en}; skill grade: {info.name_en}{level_en} (New Eight-Level ladder)."
        ),
        "criteria": {
            "narrative": (
                "经备案评价机构按国家职业标准评价或直接认定，并经公示。"
                " / Evaluated against the national occupational standard (or directly recognised) by a filed"
                " evaluation body, results published before award."
            )
        },
        "humanCode": f"{code} {info.name_zh}",
        "fieldOfStudy": name_zh,
        "inLanguage": "zh-CN",
        "otherIdentifier": identifiers,
    }


@dataclass(frozen=True)
class CredentialParts:
    """What the credential states, read in one place."""

    certificate: Certificate
    person: Person
    body: EvaluationBody
    occupation: Occupation | None


def _parts(session: Session, certificate: Certificate) -> CredentialParts:
    person = session.get(Person, certificate.person_id)
    body = session.get(EvaluationBody, certificate.body_id)
    assert person is not None and body is not None
    return CredentialParts(certificate, person, body, session.get(Occupation, certificate.occupation_code))


def credential_document(session: Session, certificate: Certificate, settings: Settings) -> dict[str, Any]:
    """The certificate as an OB3 OpenBadgeCredential (VC Data Model 2.0), unsigned."""
    parts = _parts(session, certificate)
    slot = slot_of(session, certificate.id)
    issuer = issuer_id(settings)
    grade = GradeCode(certificate.grade)
    shaped = achievement(parts.occupation, certificate.occupation_code, grade, settings)
    shaped["creator"] = {
        "id": f"urn:uuid:{parts.body.id}",
        "type": ["Profile"],
        "name": parts.body.name,
        "otherIdentifier": [{"type": "IdentifierEntry", "identifier": parts.body.uscc, "identifierType": "ext:USCC"}],
    }
    title_zh = "学徒工培训评价记录" if grade == GradeCode.APPRENTICE else "职业技能等级证书"
    title_en = "Apprentice Assessment Record" if grade == GradeCode.APPRENTICE else "Vocational Skill Level Certificate"
    return {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": f"urn:uuid:{certificate.id}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer, "type": ["Profile"], "name": ISSUER_NAME},
        "validFrom": _midnight(certificate.issued_on),
        "name": f"{title_zh} {certificate.number} / {title_en}",
        "credentialSubject": {
            "id": holder_id(settings, parts.person.id),
            "type": ["AchievementSubject"],
            "identifier": [
                {"type": "IdentityObject", "identityHash": parts.person.name, "identityType": "name", "hashed": False}
            ],
            "licenseNumber": certificate.number,
            "achievement": shaped,
        },
        "credentialStatus": [
            {
                "id": f"{status_list_url(settings, slot.list_number, purpose)}#{slot.list_index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": str(slot.list_index),
                "statusListCredential": status_list_url(settings, slot.list_number, purpose),
            }
            for purpose in PURPOSES
        ],
    }


def _sign_document(document: dict[str, Any], settings: Settings) -> str:
    """Sign as vc+jwt. `iat` (a JWT claim VC-JOSE-COSE allows beside the credential) says when it was signed:
    a credential for a certificate issued before a key rotation is signed by today's key, whose window is
    checked against the signing date, not against the certificate's validFrom."""
    signer = signing.load_signer(settings.key_dir)
    document = {**document, "iat": int(utcnow().timestamp())}
    payload = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    return signing.sign(signer, payload, typ=CREDENTIAL_TYPE, kid=method_prefix(issuer_id(settings)) + signer.kid)


def credential_jwt(session: Session, certificate: Certificate, settings: Settings) -> str:
    """The certificate as a signed `application/vc+jwt`."""
    return _sign_document(credential_document(session, certificate, settings), settings)


# ------------------------------------------------------------------------------------------ status lists


def encode_bits(indices: Sequence[int], length: int = STATUS_LIST_LENGTH) -> str:
    """The `encodedList`: multibase base64url (prefix u) of the GZIP-compressed bitstring; index 0 is the
    most significant bit of the first byte."""
    bits = bytearray(length // 8)
    for index in indices:
        bits[index // 8] |= 0x80 >> (index % 8)
    return "u" + _b64url(gzip.compress(bytes(bits), mtime=0))


def bit_at(encoded: str, index: int) -> int:
    """Read one status bit from an encodedList."""
    if not encoded.startswith("u"):
        raise ValueError("encodedList must be multibase base64url (prefix u)")
    bits = gzip.decompress(_b64decode(encoded[1:]))
    if not 0 <= index < len(bits) * 8:
        raise ValueError("index outside the list")
    return (bits[index // 8] >> (7 - index % 8)) & 1


def status_list_document(session: Session, *, number: int, purpose: str, settings: Settings) -> dict[str, Any]:
    """One BitstringStatusListCredential: the set bits of list `number` for revocation or suspension."""
    if purpose not in PURPOSES:
        raise StatusListNotFound("没有这种状态列表", "no such status list purpose")
    latest = session.exec(select(func.max(CredentialStatusSlot.list_number))).one() or 1
    if not 1 <= number <= latest:
        raise StatusListNotFound("没有这个编号的状态列表", "no status list with this number")
    s, c, a = (t.__table__ for t in (CredentialStatusSlot, Certificate, GradeAward))  # type: ignore[union-attr]
    if purpose == "revocation":
        flagged = (c.c.status == CertificateStatus.REVOKED.value) | (a.c.status != AwardStatus.ACTIVE.value)
    else:
        flagged = c.c.status == CertificateStatus.SUSPENDED.value
    indices = session.execute(
        sa.select(s.c.list_index)
        .select_from(s.join(c, c.c.id == s.c.certificate_id).join(a, a.c.id == c.c.award_id))
        .where(s.c.list_number == number, flagged)
    ).scalars()
    url = status_list_url(settings, number, purpose)
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id(settings),
        "validFrom": utcnow().isoformat(timespec="seconds"),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encode_bits(list(indices)),
            "ttl": STATUS_TTL_MS,
        },
    }


def status_list_jwt(session: Session, *, number: int, purpose: str, settings: Settings) -> str:
    """A status list credential, signed as vc+jwt."""
    return _sign_document(status_list_document(session, number=number, purpose=purpose, settings=settings), settings)


# ------------------------------------------------------------------------------------------ reading (offline too)


class CredentialRejected(Exception):
    """A vc+jwt failed a check; zh/en say which."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh, self.en = zh, en


def payload_of(token: str) -> dict[str, Any]:
    """The credential a vc+jwt carries, decoded WITHOUT verifying it (display only)."""
    return _unverified(token)


def _unverified(token: str) -> dict[str, Any]:
    try:
        payload = json.loads(_b64decode(token.split(".")[1]))
    except (ValueError, IndexError, UnicodeDecodeError, RecursionError):
        raise CredentialRejected("凭证无法解析", "the credential cannot be read") from None
    if not isinstance(payload, dict):
        raise CredentialRejected("凭证内容不是对象", "the credential is not a JSON object")
    return payload


def open_credential(token: str, keys: dict[str, signing.KeyInfo]) -> tuple[dict[str, Any], signing.KeyInfo]:
    """Verify a vc+jwt's signature with the issuer's keys (kid `<issuer>#<kid>`) and the key's window on the
    signing date (iat); return the credential."""
    token = token.strip()
    claimed = _unverified(token)
    issuer = claimed.get("issuer")
    issuer = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not isinstance(issuer, str) or not issuer:
        raise CredentialRejected("凭证没有签发者", "the credential names no issuer")
    try:
        payload, key = signing.verify(token, keys, typ=CREDENTIAL_TYPE, kid_prefix=method_prefix(issuer))
    except signing.TokenRejected as rejected:
        raise CredentialRejected(rejected.zh, rejected.en) from None
    document = json.loads(payload)
    try:
        dt.datetime.fromisoformat(str(document["validFrom"]))
        signed = dt.datetime.fromtimestamp(int(document["iat"]), dt.UTC).astimezone(CHINA_TZ).date()
    except (KeyError, ValueError, TypeError, OverflowError):
        raise CredentialRejected(
            "凭证缺少有效的 validFrom 或签名时间 iat", "the credential lacks a valid validFrom or iat"
        ) from None
    if not key.covers(signed):
        raise CredentialRejected(
            f"签名日期 {signed} 不在密钥 {key.kid} 有效期内", f"signed on {signed}, outside key {key.kid}'s window"
        )
    return document, key


@dataclass(frozen=True)
class ListedStatus:
    """A status list credential, verified: which list it is and when it was made."""

    url: str
    purpose: str
    encoded: str
    issued_at: dt.datetime


def open_status_list(token: str, keys: dict[str, signing.KeyInfo]) -> ListedStatus:
    """Verify a status list credential (vc+jwt) and return its list."""
    document, _ = open_credential(token, keys)
    subject = document.get("credentialSubject")
    if "BitstringStatusListCredential" not in document.get("type", []) or not isinstance(subject, dict):
        raise CredentialRejected("不是状态列表凭证", "not a BitstringStatusListCredential")
    return ListedStatus(
        url=str(document.get("id")),
        purpose=str(subject.get("statusPurpose")),
        encoded=str(subject.get("encodedList")),
        issued_at=as_utc(dt.datetime.fromisoformat(str(document["validFrom"]))),
    )


def status_bits(credential: dict[str, Any], lists: Sequence[ListedStatus]) -> dict[str, int | None]:
    """For each status entry of a credential, its bit in the matching given list (None: no such list given)."""
    entries = credential.get("credentialStatus", [])
    entries = entries if isinstance(entries, list) else [entries]
    found: dict[str, int | None] = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("type") != "BitstringStatusListEntry":
            continue
        purpose = str(entry.get("statusPurpose"))
        listed = next((x for x in lists if x.url == entry.get("statusListCredential") and x.purpose == purpose), None)
        found[purpose] = None if listed is None else bit_at(listed.encoded, int(str(entry.get("statusListIndex"))))
    return found


def certificate_of(session: Session, number: str) -> Certificate | None:
    """The certificate with this number, if any."""
    return session.exec(select(Certificate).where(col(Certificate.number) == number)).first()
