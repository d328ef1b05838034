"""Personal identifiers at rest: AES-256-GCM encryption and a keyed look-up hash (HMAC-SHA256).

The ID number is never stored in clear, never logged, never put in a token or URL; de-duplication and
look-ups go through the keyed hash, so the database alone cannot be searched for a known number.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from registry.keys import derive_key
from registry.settings import Settings

NONCE_BYTES = 12
VERSION = b"\x01"


def encrypt(settings: Settings, plaintext: str, *, context: str) -> str:
    """Encrypt plaintext bound to context (e.g. the ID type); returns base64 text."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(derive_key(settings, "pii-encryption")).encrypt(nonce, plaintext.encode(), context.encode())
    return base64.b64encode(VERSION + nonce + sealed).decode()


def decrypt(settings: Settings, token: str, *, context: str) -> str:
    """Decrypt a value made by encrypt() with the same context."""
    raw = base64.b64decode(token)
    if raw[:1] != VERSION:
        raise ValueError("unknown ciphertext version")
    nonce, sealed = raw[1 : 1 + NONCE_BYTES], raw[1 + NONCE_BYTES :]
    return AESGCM(derive_key(settings, "pii-encryption")).decrypt(nonce, sealed, context.encode()).decode()


def lookup_hash(settings: Settings, id_type: str, id_number: str) -> str:
    """Return the keyed hash used to find and de-duplicate a person by ID type and number."""
    message = f"{id_type}:{id_number}".encode()
    return hmac.new(derive_key(settings, "pii-lookup"), message, hashlib.sha256).hexdigest()


BINDING_SALT_BYTES = 8
MAX_LOG2N = 17
BINDING_TAG_BYTES = 12


def _binding_tag(name: str, id_number: str, salt: bytes, log2_n: int) -> bytes:
    message = f"{name.strip()}\x00{id_number.strip().upper()}".encode()
    return hashlib.scrypt(
        message, salt=salt, n=1 << log2_n, r=8, p=1, maxmem=256 * 1024 * 1024, dklen=BINDING_TAG_BYTES
    )


def holder_binding(name: str, id_number: str, *, log2_n: int) -> str:
    """A salted, deliberately slow hash of name + ID number, verifiable offline by someone holding the ID card.

    Layout (base64url): cost byte (log2 N of scrypt) + 8-byte salt + 12-byte tag. The cost makes guessing the
    ID number from a shared token expensive; it cannot make it impossible (see README, decisions log).
    """
    salt = os.urandom(BINDING_SALT_BYTES)
    raw = bytes([log2_n]) + salt + _binding_tag(name, id_number, salt, log2_n)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def check_holder_binding(binding: str, name: str, id_number: str) -> bool:
    """Whether name + ID number match a binding made by holder_binding."""
    try:
        raw = base64.urlsafe_b64decode(binding + "=" * (-len(binding) % 4))
    except ValueError:
        return False
    if len(raw) != 1 + BINDING_SALT_BYTES + BINDING_TAG_BYTES or not 1 <= raw[0] <= MAX_LOG2N:
        return False
    salt, tag = raw[1 : 1 + BINDING_SALT_BYTES], raw[1 + BINDING_SALT_BYTES :]
    return hmac.compare_digest(_binding_tag(name, id_number, salt, raw[0]), tag)
