"""Process settings read from REGISTRY_* environment variables; imports only pydantic-settings."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "development-only-secret-change-me"  # noqa: S105 - the placeholder production refuses
MIN_SECRET_LENGTH = 32


class InvalidSettings(RuntimeError):
    """The environment's REGISTRY_* settings are refused; the message names them, never their values."""


class Settings(BaseSettings):
    """Everything the registry reads from its environment, with development defaults."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_", extra="ignore", frozen=True)

    env: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///./var/registry.db"
    public_url: str = "http://127.0.0.1:8000"
    key_dir: Path = Path("var/keys")
    secret_key: SecretStr = SecretStr(PLACEHOLDER_SECRET)
    publicity_days: int = Field(default=5, ge=0, le=90)
    cert_font: Path | None = None
    access_token_minutes: int = Field(default=30, ge=1, le=24 * 60)
    login_max_failures: int = Field(default=5, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    # argon2id cost (OWASP: m=19 MiB, t=2 as a floor); tests may lower it, production refuses to.
    argon2_time_cost: int = Field(default=2, ge=1)
    argon2_memory_kib: int = Field(default=19 * 1024, ge=8)
    # Jurisdictions (GB/T 2260 province codes) where the draft document 001's rules apply.
    draft_rules_jurisdictions: tuple[str, ...] = ("44",)
    # Assessor minimums per batch (DESIGN.md §3): technician and above, and below.
    assessors_min_high: int = Field(default=3, ge=1)
    assessors_min_low: int = Field(default=2, ge=1)
    max_upload_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    # Online holder checks (name + ID number) per certificate holder in a rolling 24 hours, across every
    # API process: what stops a distributed sweep of the ~1,000 numbers left once birth date and district are known.
    holder_checks_per_day: int = Field(default=10, ge=1, le=1000)
    # Years since the prerequisite grade, per target grade; overrides the §9 defaults (outside knowledge).
    eligibility_min_years: dict[str, int] = Field(default_factory=dict)
    lookup_rate_per_minute: int = Field(default=10, ge=1)
    # How the ID number appears on certificate PDFs: masked (default) or in full.
    cert_id_display: Literal["masked", "full"] = "masked"
    special_letter: str = Field(default="T", pattern=r"^[B-Z]$")  # A is the apprentice records' level
    chief_letter: str = Field(default="C", pattern=r"^[B-Z]$")
    # Reverse proxies whose X-Forwarded-For names the client (comma-separated IPs or networks, or "*"); none by
    # default, so a client can never pick the address its rate limits are counted against.
    forwarded_allow_ips: str = ""
    # A read replica (PostgreSQL streaming replica) for public verification reads; unset: the primary serves all.
    read_database_url: str | None = None
    # After this process commits a write, its verification reads go to the primary for this long (seconds), so
    # a revocation shows at once here; other processes see it once the replica has replayed it (README).
    read_fallback_seconds: float = Field(default=5.0, ge=0, le=3600)
    # Worker threads per API process for sync routes; each database pool holds as many connections, so a busy
    # process never opens and closes connections beyond its pool (README, performance).
    threads: int = Field(default=16, ge=1, le=256)
    # Background jobs: bulk work above jobs_threshold items runs as a job. Without a broker URL jobs run in a
    # thread of the API process (make run); with a Redis URL (redis://host:6379/4) they go to a dramatiq queue
    # that `registry jobs worker` processes run. A killed worker's job resumes on another after the heartbeat.
    jobs_broker_url: str | None = None
    jobs_threshold: int = Field(default=500, ge=1)
    jobs_issue_chunk: int = Field(default=200, ge=1, le=5000)  # awards per transaction in an issuance job
    jobs_heartbeat_seconds: float = Field(default=15.0, gt=0, le=3600)
    job_dir: Path = Path("var/jobs")

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _ips_or_networks(cls, value: str) -> str:
        items = [item.strip() for item in value.split(",") if item.strip()]
        for item in items:
            if item != "*":
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError(f"{item!r} is not an IP address or network (不是 IP 地址或网段)") from None
        return ",".join(items)

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.env != "development":
            secret = self.secret_key.get_secret_value()
            if secret == PLACEHOLDER_SECRET or len(secret) < MIN_SECRET_LENGTH:
                raise ValueError(
                    "REGISTRY_SECRET_KEY must be set to a random value of at least "
                    f"{MIN_SECRET_LENGTH} characters outside development "
                    "(生产环境必须设置随机的 REGISTRY_SECRET_KEY)"
                )
            if self.argon2_time_cost < 2 or self.argon2_memory_kib < 19 * 1024:
                raise ValueError("argon2 cost below the OWASP floor (t=2, m=19 MiB) is refused outside development")
        return self

    @property
    def public_base(self) -> str:
        """Public URL without a trailing slash."""
        return self.public_url.rstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process settings, read once; refused ones raise InvalidSettings, which never shows a value.

    pydantic's own error text echoes the input (a refused production secret ended up on stderr), so only the
    setting names and reasons are kept, and the original error is not chained.
    """
    try:
        return Settings()
    except ValidationError as error:
        reasons = "; ".join(
            f"REGISTRY_{'_'.join(str(p) for p in e['loc']).upper() or 'SETTINGS'}: {e['msg']}"
            for e in error.errors(include_input=False, include_url=False, include_context=False)
        )
        raise InvalidSettings(f"设置无效 / invalid settings: {reasons}") from None
