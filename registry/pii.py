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
