"""Keys derived from REGISTRY_SECRET_KEY, one per purpose (HKDF-SHA256); imports cryptography only."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from registry.settings import Settings

PURPOSES = frozenset(
    {
        "access-token",
        "pii-encryption",
        "pii-lookup",
        "revocation-list",
        "rate-limit",
        "verification-network",
        "credential-holder",
        "console-csrf",
        "claim-ticket",
    }
)


def derive_key(settings: Settings, purpose: str, *, length: int = 32) -> bytes:
    """Return the key for one purpose; different purposes never share key material."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown key purpose {purpose!r}")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=b"xinbaji-registry/v1", info=purpose.encode())
    return hkdf.derive(settings.secret_key.get_secret_value().encode())
