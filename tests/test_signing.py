"""Signing keys and tokens: files not rows, rotation with history, and the attacks a verifier must survive."""

from __future__ import annotations

import base64
import datetime as dt
import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from jose import jws as jose_jws

from certificates import signing
from certificates.tokens import Claims
from certificates.verification import Verdict, verify_offline

NOW = dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC)
CLAIMS = Claims(
    "Y000044000101263000001",
    "3",
    "6-18-02-04",
    "91440606D0000028X1",
    dt.date(2026, 11, 21),
    "王*华",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    1,
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    signing.generate_key(tmp_path / "keys", now=NOW)
    return tmp_path / "keys"


def _token(key_dir: Path, claims: Claims = CLAIMS) -> str:
    return signing.sign(signing.load_signer(key_dir), claims.encode())


def _verdict(key_dir: Path, token: str) -> tuple[Verdict, str]:
    result = verify_offline(token, jwks=signing.jwks_document(key_dir), revocations=None)
    return result.verdict, result.checks[-1].en


class TestKeys:
    def test_private_key_file_is_owner_only(self, key_dir: Path) -> None:
        (key,) = signing.list_keys(key_dir)
        assert stat.S_IMODE((key_dir / f"{key.kid}.pem").stat().st_mode) == 0o600

    def test_jwks_holds_no_private_material(self, key_dir: Path) -> None:
        document = signing.jwks_document(key_dir)
        assert all("d" not in entry for entry in document["keys"])
        assert document["keys"][0]["alg"] == "ES256"

    def test_second_generate_is_refused(self, key_dir: Path) -> None:
        with pytest.raises(signing.KeyAlreadyActive):
            signing.generate_key(key_dir, now=NOW)

    def test_rotation_keeps_old_keys_for_verification(self, key_dir: Path) -> None:
        old_token = _token(key_dir)
        signing.rotate_key(key_dir, now=NOW + dt.timedelta(days=30))
        statuses = [k.status for k in signing.list_keys(key_dir)]
        assert statuses == ["retired", "active"]
        assert _verdict(key_dir, old_token)[0] == Verdict.STATUS_UNKNOWN  # genuine; status needs a list

    def test_token_dated_after_its_key_retired_fails(self, key_dir: Path) -> None:
        old_signer = signing.load_signer(key_dir)
        signing.rotate_key(key_dir, now=NOW + dt.timedelta(days=30))
        late = Claims(**{**CLAIMS.__dict__, "issued_on": dt.date(2027, 1, 5)})
        verdict, reason = _verdict(key_dir, signing.sign(old_signer, late.encode()))
        assert verdict == Verdict.INVALID
        assert "outside key" in reason

    def test_token_dated_before_its_key_existed_fails(self, key_dir: Path) -> None:
        early = Claims(**{**CLAIMS.__dict__, "issued_on": dt.date(2020, 1, 1)})
        assert _verdict(key_dir, _token(key_dir, early))[0] == Verdict.INVALID

    def test_windows_use_beijing_dates_like_issue_dates(self, tmp_path: Path) -> None:
        # 17:00 UTC on 1 March is already 2 March in Beijing, the date a certificate issued then carries.
        key_dir = tmp_path / "bj"
        signing.generate_key(key_dir, now=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))
        signer = signing.load_signer(key_dir)
        issued = Claims(**{**CLAIMS.__dict__, "issued_on": dt.date(2026, 3, 2)})
        token = signing.sign(signer, issued.encode())
        signing.rotate_key(key_dir, now=dt.datetime(2026, 3, 1, 18, tzinfo=dt.UTC))
        assert signing.list_keys(key_dir)[0].valid_to == dt.date(2026, 3, 2)
        assert _verdict(key_dir, token)[0] == Verdict.STATUS_UNKNOWN


class TestAttacks:
    def test_genuine_token_verifies(self, key_dir: Path) -> None:
        assert _verdict(key_dir, _token(key_dir))[0] == Verdict.STATUS_UNKNOWN

    def test_tampered_payload(self, key_dir: Path) -> None:
        header, _, signature = _token(key_dir).split(".")
        forged = Claims(**{**CLAIMS.__dict__, "level": "1"}).encode()
        assert _verdict(key_dir, f"{header}.{_b64(forged)}.{signature}") == (
            Verdict.INVALID,
            "invalid signature: tampered or forged",
        )

    def test_swapped_signature(self, key_dir: Path) -> None:
        other = Claims(**{**CLAIMS.__dict__, "number": "Y000044000101263000002"})
        header, payload, _ = _token(key_dir).split(".")
        signature = _token(key_dir, other).split(".")[2]
        assert _verdict(key_dir, f"{header}.{payload}.{signature}")[0] == Verdict.INVALID

    def test_alg_none(self, key_dir: Path) -> None:
        kid = signing.list_keys(key_dir)[0].kid
        header = _b64(json.dumps({"alg": "none", "kid": kid, "typ": "xc"}).encode())
        verdict, reason = _verdict(key_dir, f"{header}.{_b64(CLAIMS.encode())}.")
        assert verdict == Verdict.INVALID
        assert "malformed" in reason or "algorithm" in reason

    def test_hs256_signed_with_the_public_key(self, key_dir: Path) -> None:
        (key,) = signing.list_keys(key_dir)
        pem = (key_dir / f"{key.kid}.pem").read_bytes()
        public = (
            serialization.load_pem_private_key(pem, None)
            .public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
        header = {"alg": "HS256", "kid": key.kid, "typ": "xc"}
        raw_header = _b64(json.dumps(header).encode())
        import hashlib
        import hmac

        signing_input = f"{raw_header}.{_b64(CLAIMS.encode())}".encode()
        signature = _b64(hmac.new(public, signing_input, hashlib.sha256).digest())
        verdict, reason = _verdict(key_dir, f"{signing_input.decode()}.{signature}")
        assert verdict == Verdict.INVALID
        assert "algorithm" in reason

    def test_unknown_kid(self, key_dir: Path) -> None:
        _, payload, signature = _token(key_dir).split(".")
        fake = _b64(json.dumps({"alg": "ES256", "kid": "nosuchkey", "typ": "xc"}).encode())
        assert "unknown signing key" in _verdict(key_dir, f"{fake}.{payload}.{signature}")[1]

    @pytest.mark.parametrize("cut", [10, 100, 200])
    def test_truncated(self, key_dir: Path, cut: int) -> None:
        assert _verdict(key_dir, _token(key_dir)[:cut])[0] == Verdict.INVALID

    def test_token_from_another_registry(self, key_dir: Path, tmp_path: Path) -> None:
        elsewhere = tmp_path / "other"
        signing.generate_key(elsewhere, now=NOW)
        assert "unknown signing key" in _verdict(key_dir, _token(elsewhere))[1]

    def test_another_registry_reusing_our_kid(self, key_dir: Path, tmp_path: Path) -> None:
        elsewhere = tmp_path / "other"
        signing.generate_key(elsewhere, now=NOW)
        ours = signing.list_keys(key_dir)[0].kid
        signer = signing.load_signer(elsewhere)
        forged = jose_jws.sign(CLAIMS.encode(), signer.key, headers={"kid": ours, "typ": "xc"}, algorithm="ES256")
        assert "invalid signature" in _verdict(key_dir, forged)[1]

    def test_deeply_nested_header_is_refused_not_crashing(self, key_dir: Path) -> None:
        header = _b64(b"[" * 3000)
        assert _verdict(key_dir, f"{header}.{_b64(CLAIMS.encode())}.AAAA")[0] == Verdict.INVALID

    def test_access_tokens_are_not_certificate_tokens(self, key_dir: Path) -> None:
        from jose import jwt

        token = jwt.encode({"sub": "x", "typ": "access"}, "secret", algorithm="HS256")
        assert _verdict(key_dir, token)[0] == Verdict.INVALID


def _jose_payload(token: str, key: signing.KeyInfo) -> bytes | None:
    """What python-jose accepts: the verification before signing.verify checked with `cryptography` directly."""
    from jose import jwk
    from jose.exceptions import JOSEError

    public = jwk.construct({"kty": "EC", "crv": "P-256", **{c: key.public_jwk[c] for c in "xy"}}, signing.ALGORITHM)
    try:
        payload: bytes = jose_jws.verify(token, public, algorithms=[signing.ALGORITHM])
    except (JOSEError, ValueError, TypeError):
        return None
    return payload


def _ours_payload(token: str, key: signing.KeyInfo) -> bytes | None:
    try:
        return signing._es256_payload(token, signing._public_key(key.public_jwk["x"], key.public_jwk["y"]))
    except (ValueError, TypeError):
        return None


def _mutations(token: str) -> list[str]:
    header, body, signature = token.split(".")
    raw = base64.urlsafe_b64decode(signature + "==")
    twin = _b64(raw[:32] + (signing.P256_ORDER - int.from_bytes(raw[32:], "big")).to_bytes(32, "big"))
    std = token.replace("-", "+").replace("_", "/")
    not_utf8, bom, utf16 = _b64(bytes([0xFF])), _b64("\ufeff{}".encode()), _b64("{}".encode("utf-16"))
    return [
        token,
        f"{header}.{body}.{twin}",  # the high-s twin: the same signature to ECDSA
        std,  # standard base64 alphabet: jose's lenient decoder reads it the same
        f"{header}.{body}.{signature}==",  # padding
        f"{header}.{body}.{signature[:20]}é{signature[20:]}",  # a non-ASCII character the decoder skips
        f"{header}.{body}.{signature[:20]}!{signature[20:]}",
        f"{header}.{body}.{signature[:-2]}",
        f"{header}.{body}.{signature}AA",
        f"{header}.{body}x.{signature}",
        f"{header}.{body[:-1]}.{signature}",
        f"{header}.{_b64(b'[1]')}.{signature}",
        f"{_b64(b'[]')}.{body}.{signature}",  # a header that is not an object
        f"{bom}.{body}.{signature}",  # a UTF-8 byte-order mark
        f"{utf16}.{body}.{signature}",  # UTF-16 JSON
        f"{not_utf8}.{body}.{signature}",  # not UTF-8
        f"{header}.{body}",
        f"{header}.{body}.{signature}.{signature}",
        f"{header}..{signature}",
        f"{header}.{body}.{_b64(bytes(64))}",  # r = s = 0
        f"{header}.{body}.{_b64(signing.P256_ORDER.to_bytes(32, 'big') * 2)}",  # r = s = n
        header + "." + body + ".\ud800",  # a lone surrogate: not even UTF-8
    ]


def test_the_direct_check_accepts_exactly_what_jose_accepts(key_dir: Path) -> None:
    """signing.verify checks ES256 with `cryptography` itself (hot path); on genuine, rewritten and broken tokens
    it accepts and refuses exactly as python-jose's jws.verify, with the same payload."""
    (key,) = signing.list_keys(key_dir)
    token = _token(key_dir)
    for variant in _mutations(token):
        assert _ours_payload(variant, key) == _jose_payload(variant, key), variant
    accepted = [v for v in _mutations(token) if _jose_payload(v, key) is not None]
    assert len(accepted) >= 4  # the genuine token, its twin, the other alphabet, padding (and skipped junk)
    assert all(_ours_payload(v, key) == CLAIMS.encode() for v in accepted)
