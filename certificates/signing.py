"""Signing keys and compact JWS (ES256) for certificates; with api/security.py the only jose importer.

python-jose signs; verification checks the signature with `cryptography` directly (the same steps: see
_es256_payload), since it runs on every public verification.

Keys are files in REGISTRY_KEY_DIR, never database rows: `<kid>.pem` (PKCS#8 private key, mode 0600) and
`keys.json` (public JWKs with validity windows and status). Rotation retires the active key — it stops
signing and its window closes at the rotation date — so certificates signed before still verify, and a token
whose issue date falls outside its key's window does not. Private keys are never logged or exported.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import secrets
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from jose import jwk, jws

from registry.clock import CHINA_TZ
from registry.errors import Conflict

ALGORITHM = "ES256"
# The order of P-256. An ECDSA signature (r, s) verifies with s and with n − s alike; signing only the low one
# (s ≤ n/2) gives each certificate print one valid token string.
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
HALF_ORDER = P256_ORDER // 2
REVOCATIONS_TYPE = "xc-rl"
MAX_HEADER = 512
TOKEN_TYPE = "xc"  # noqa: S105 - a short type tag (the token must fit a version-14 QR), not a secret
MANIFEST = "keys.json"


class NoSigningKey(Conflict):
    """No active signing key: run `registry keys generate`."""

    code = "no_signing_key"


class KeyAlreadyActive(Conflict):
    """An active key exists; rotate instead of generating another."""

    code = "key_already_active"


@dataclass(frozen=True)
class KeyInfo:
    """A key's public half and its validity window (Beijing dates, inclusive, like certificate issue dates)."""

    kid: str
    created_at: str
    valid_from: dt.date
    valid_to: dt.date | None
    status: str  # active | retired
    public_jwk: dict[str, Any]
    # Keys made since low-s signing: their tokens with a high s are refused. Older keys signed with either, so
    # both forms of their tokens verify offline; online only the stored token string is accepted for a print.
    low_s: bool = False

    def covers(self, day: dt.date) -> bool:
        """Whether day falls inside the key's window."""
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def as_jwk(self) -> dict[str, Any]:
        """The JWKS entry: the public key plus kid, use, alg, status and window."""
        return {
            **self.public_jwk,
            "kid": self.kid,
            "use": "sig",
            "alg": ALGORITHM,
            "status": self.status,
            "valid_from": self.valid_from.isoformat(),
            "valid_to": self.valid_to.isoformat() if self.valid_to else None,
            **({"low_s": True} if self.low_s else {}),
        }


def _b64(value: int) -> str:
    return _b64raw(value.to_bytes(32, "big"))


def _b64raw(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _read_manifest(key_dir: Path) -> list[dict[str, Any]]:
    path = key_dir / MANIFEST
    if not path.exists():
        return []
    keys: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["keys"]
    return keys


def _write_manifest(key_dir: Path, entries: list[dict[str, Any]]) -> None:
    with tempfile.NamedTemporaryFile("w", dir=key_dir, delete=False, encoding="utf-8") as handle:
        json.dump({"keys": entries}, handle, ensure_ascii=False, indent=2)
        temporary = Path(handle.name)
    temporary.replace(key_dir / MANIFEST)


def _info(entry: dict[str, Any]) -> KeyInfo:
    return KeyInfo(
        kid=entry["kid"],
        created_at=entry["created_at"],
        valid_from=dt.date.fromisoformat(entry["valid_from"]),
        valid_to=dt.date.fromisoformat(entry["valid_to"]) if entry.get("valid_to") else None,
        status=entry["status"],
        public_jwk=entry["public_jwk"],
        low_s=bool(entry.get("low_s", False)),
    )


def list_keys(key_dir: Path) -> list[KeyInfo]:
    """Return every key of the directory, oldest first."""
    return [_info(e) for e in _read_manifest(key_dir)]


def _new_key(key_dir: Path, now: dt.datetime) -> dict[str, Any]:
    key_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(key_dir, 0o700)
    private = ec.generate_private_key(ec.SECP256R1())
    kid = f"{now:%y%m%d}{secrets.token_hex(2)}"
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path = key_dir / f"{kid}.pem"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    numbers = private.public_key().public_numbers()
    return {
        "kid": kid,
        "created_at": now.isoformat(timespec="seconds"),
        "valid_from": now.astimezone(CHINA_TZ).date().isoformat(),
        "valid_to": None,
        "status": "active",
        "public_jwk": {"kty": "EC", "crv": "P-256", "x": _b64(numbers.x), "y": _b64(numbers.y)},
        "low_s": True,
    }


def generate_key(key_dir: Path, *, now: dt.datetime) -> KeyInfo:
    """Create the first signing key; refuse when an active key exists (rotate instead)."""
    entries = _read_manifest(key_dir)
    if any(e["status"] == "active" for e in entries):
        raise KeyAlreadyActive(
            "已有启用中的签名密钥，请使用 keys rotate 轮换", "an active key exists: use `keys rotate`"
        )
    entry = _new_key(key_dir, now)
    _write_manifest(key_dir, [*entries, entry])
    return _info(entry)


def rotate_key(key_dir: Path, *, now: dt.datetime) -> KeyInfo:
    """Start a new active key and retire the old one (its window closes today; its tokens still verify)."""
    entries = _read_manifest(key_dir)
    for entry in entries:
        if entry["status"] == "active":
            entry["status"] = "retired"
            entry["valid_to"] = now.astimezone(CHINA_TZ).date().isoformat()
    entry = _new_key(key_dir, now)
    _write_manifest(key_dir, [*entries, entry])
    return _info(entry)


def ensure_key(key_dir: Path, *, now: dt.datetime) -> KeyInfo:
    """Return the active key, generating the first one when the directory has none."""
    active = [k for k in list_keys(key_dir) if k.status == "active"]
    return active[-1] if active else generate_key(key_dir, now=now)


def jwks_document(key_dir: Path) -> dict[str, Any]:
    """The public JWKS: active and retired keys with their windows."""
    return {"keys": [k.as_jwk() for k in list_keys(key_dir)]}


@dataclass(frozen=True)
class Signer:
    """The active private key, ready to sign."""

    kid: str
    key: Any  # a jose key object; kept out of reprs and logs

    def __repr__(self) -> str:
        return f"Signer(kid={self.kid!r})"


@lru_cache(maxsize=8)
def _signer(key_dir: str, manifest_mtime: int) -> Signer:
    del manifest_mtime  # part of the cache key: a rotation invalidates the cached signer
    active = [k for k in list_keys(Path(key_dir)) if k.status == "active"]
    if not active:
        raise NoSigningKey(
            "没有启用中的签名密钥，请先运行 registry keys generate",
            "no active signing key: run `registry keys generate`",
        )
    kid = active[-1].kid
    pem = (Path(key_dir) / f"{kid}.pem").read_bytes()
    return Signer(kid, jwk.construct(pem, ALGORITHM))


def load_signer(key_dir: Path) -> Signer:
    """Return the active signer (cached until keys.json changes)."""
    manifest = key_dir / MANIFEST
    if not manifest.exists():
        raise NoSigningKey(
            "没有签名密钥，请先运行 registry keys generate", "no signing key: run `registry keys generate`"
        )
    return _signer(str(key_dir), manifest.stat().st_mtime_ns)


def _signature_s(segment: str) -> int | None:
    raw = _b64decode(segment)
    return int.from_bytes(raw[32:], "big") if len(raw) == 64 else None


def sign(signer: Signer, payload: bytes, *, typ: str = TOKEN_TYPE, kid: str | None = None) -> str:
    """Return a compact JWS (ES256) over payload with kid and typ in the header, its signature in low-s form.

    kid defaults to the key's own id; credentials name it as a verification method URL (`…/issuer#<kid>`).
    """
    headers = {"kid": kid or signer.kid, "typ": typ}
    token: str = jws.sign(payload, signer.key, headers=headers, algorithm=ALGORITHM)
    header, body, signature = token.split(".")
    raw = _b64decode(signature)
    s = int.from_bytes(raw[32:], "big")
    if s > HALF_ORDER:
        signature = _b64raw(raw[:32] + (P256_ORDER - s).to_bytes(32, "big"))
    return f"{header}.{body}.{signature}"


class TokenRejected(Exception):
    """A token failed a cryptographic check; reason is a stable code."""

    def __init__(self, reason: str, zh: str, en: str) -> None:
        super().__init__(en)
        self.reason, self.zh, self.en = reason, zh, en


@lru_cache(maxsize=64)
def _public_key(x: str, y: str) -> ec.EllipticCurvePublicKey:
    """A P-256 public key object, built once per key: building it costs more than a verification."""
    numbers = ec.EllipticCurvePublicNumbers(
        int.from_bytes(_b64decode(x), "big"), int.from_bytes(_b64decode(y), "big"), ec.SECP256R1()
    )
    return numbers.public_key()


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _b64decode_bytes(segment: bytes) -> bytes:
    return base64.urlsafe_b64decode(segment + b"=" * (-len(segment) % 4))


ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())


def _es256_payload(token: str, key: ec.EllipticCurvePublicKey) -> bytes:
    """The payload of a compact JWS whose ES256 signature `key` made; ValueError otherwise.

    What python-jose's jws.verify does for one ES256 key, step for step (tests/test_signing.py holds the two side
    by side on mutated tokens): the token as UTF-8 bytes split at its last and its first dot, each segment
    base64url-decoded leniently, the header a JSON object in UTF-8, the signature 64 raw bytes (r ‖ s), checked
    with `cryptography` over the first two segments — any failure of the check is a bad signature. Verification
    is the hottest public path; jose's generic machinery around the same check cost ~10 µs of ~70.
    """
    data = token.encode("utf-8")
    signing_input, crypto_segment = data.rsplit(b".", 1)
    header_segment, claims_segment = signing_input.split(b".", 1)
    header = json.loads(_b64decode_bytes(header_segment).decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError("the header is not a JSON object")
    payload = _b64decode_bytes(claims_segment)
    signature = _b64decode_bytes(crypto_segment)
    if len(signature) != 64:
        raise ValueError("an ES256 signature is 64 bytes")
    try:
        key.verify(
            encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")),
            signing_input,
            ECDSA_SHA256,
        )
    except Exception as failed:  # as jose: whatever makes the check fail, the signature is bad
        raise ValueError("invalid signature") from failed
    return payload


def verify(
    token: str, keys: dict[str, KeyInfo], *, typ: str = TOKEN_TYPE, kid_prefix: str = ""
) -> tuple[bytes, KeyInfo]:
    """Check a token's form, algorithm, type, kid and signature against public keys; return payload and key.

    kid_prefix: the header names the key as kid_prefix + kid (a credential's verification method URL).
    """
    parts = token.split(".")
    if len(parts) != 3 or not all(parts) or len(parts[0]) > MAX_HEADER:
        raise TokenRejected("malformed", "令牌格式不正确（可能被截断）", "the token is malformed or truncated")
    try:
        header = json.loads(_b64decode(parts[0]))
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise TokenRejected("malformed", "令牌头无法解析", "the token header cannot be read") from None
    if not isinstance(header, dict) or header.get("alg") != ALGORITHM:
        raise TokenRejected("algorithm", "签名算法不被接受（仅接受 ES256）", "signature algorithm refused (ES256 only)")
    if header.get("typ") != typ:
        raise TokenRejected("type", "令牌类型不符", f"wrong token type (expected {typ})")
    named = str(header.get("kid"))
    key = keys.get(named[len(kid_prefix) :]) if named.startswith(kid_prefix) else None
    if key is None:
        raise TokenRejected(
            "unknown_key",
            "签名密钥未知（不是本登记系统签发，或密钥已被撤除）",
            "unknown signing key (not issued by this registry)",
        )
    try:
        payload = _es256_payload(token, _public_key(key.public_jwk["x"], key.public_jwk["y"]))
    except (ValueError, TypeError):
        raise TokenRejected(
            "signature", "签名无效：证书内容被篡改或伪造", "invalid signature: tampered or forged"
        ) from None
    high = (_signature_s(parts[2]) or 0) > HALF_ORDER
    if high and key.low_s:
        raise TokenRejected(
            "signature",
            "签名值不是规范形式（高 s 值），不是本系统签发的令牌字符串",
            "the signature is not in canonical low-s form: not a token string this registry issued",
        )
    return payload, key


def keys_from_jwks(document: dict[str, Any]) -> dict[str, KeyInfo]:
    """Read a JWKS document (as served at /.well-known/jwks.json) into keys by kid."""
    keys = {}
    for entry in document.get("keys", []):
        if entry.get("kty") != "EC" or entry.get("crv") != "P-256":
            continue
        public = {"kty": "EC", "crv": "P-256", "x": entry["x"], "y": entry["y"]}
        keys[entry["kid"]] = KeyInfo(
            kid=entry["kid"],
            created_at="",
            valid_from=dt.date.fromisoformat(entry["valid_from"]),
            valid_to=dt.date.fromisoformat(entry["valid_to"]) if entry.get("valid_to") else None,
            status=entry.get("status", "active"),
            public_jwk=public,
            low_s=bool(entry.get("low_s", False)),
        )
    return keys
