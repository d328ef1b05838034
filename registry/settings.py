"""Process settings read from REGISTRY_* environment variables; imports only pydantic-settings."""

from __future__ import annotations

import datetime as dt
import ipaddress
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "development-only-secret-change-me"  # noqa: S105 - the placeholder production refuses
MIN_SECRET_LENGTH = 32


class InvalidSettings(RuntimeError):
    """The environment's REGISTRY_* settings are refused; the message names them, never their values."""


class RegulatorTarget(BaseModel):
    """A numeric target the statistics report progress against (policy-requirements.md §7)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,40}$")
    name_zh: str = Field(min_length=2, max_length=200)
    citation: str = Field(default="", max_length=32)
    province_code: str | None = Field(default=None, pattern=r"^[0-9]{2}$")
    start: dt.date
    end: dt.date
    metric: Literal["certificates", "high_skill_certificates"]
    target: int = Field(gt=0, le=10**9)

    @model_validator(mode="after")
    def _ordered(self) -> RegulatorTarget:
        if self.end < self.start:
            raise ValueError("target end is before its start (目标结束日期早于开始日期)")
        return self


DEFAULT_TARGETS = (
    RegulatorTarget(
        id="gd-2025-2027-certificates",
        name_zh="广东 2025-2027 年新增取得技能类职业资格证书或职业技能等级证书 150 万人次",
        citation="000:26",
        province_code="44",
        start=dt.date(2025, 1, 1),
        end=dt.date(2027, 12, 31),
        metric="certificates",
        target=1_500_000,
    ),
    RegulatorTarget(
        id="gd-14th-fyp-certificates",
        name_zh="广东“十四五”新增取得职业资格证书或职业技能等级证书 300 万人次",
        citation="003:213-219",
        province_code="44",
        start=dt.date(2021, 1, 1),
        end=dt.date(2025, 12, 31),
        metric="certificates",
        target=3_000_000,
    ),
    RegulatorTarget(
        id="gd-14th-fyp-high-skill",
        name_zh="广东“十四五”其中新增取得高级工以上证书 100 万人次",
        citation="003:221-229",
        province_code="44",
        start=dt.date(2021, 1, 1),
        end=dt.date(2025, 12, 31),
        metric="high_skill_certificates",
        target=1_000_000,
    ),
)


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
    # Regulator (DESIGN.md §6): anomaly thresholds (README "Regulator" explains each default), the statistics
    # targets, and the verification-event log. Targets are JSON: [{"id", "name_zh", "citation", "province_code",
    # "start", "end", "metric": "certificates" | "high_skill_certificates", "target"}].
    anomaly_min_candidates: int = Field(default=20, ge=1)
    anomaly_pass_rate_margin: float = Field(default=0.25, gt=0, le=1)
    anomaly_heaping_band: float = Field(default=3.0, gt=0, le=10)  # half points (see _half_points)
    anomaly_heaping_share: float = Field(default=0.5, gt=0, le=1)
    anomaly_dr_share: float = Field(default=0.5, gt=0, le=1)
    anomaly_dr_min_awards: int = Field(default=10, ge=1)
    anomaly_grade_skips: int = Field(default=3, ge=1)
    anomaly_assessor_daily_max: int = Field(default=60, ge=1)
    anomaly_identical_share: float = Field(default=0.9, gt=0, le=1)
    anomaly_identical_min: int = Field(default=10, ge=2)
    anomaly_haste_days: int = Field(default=7, ge=0, le=365)
    anomaly_late_corrections: int = Field(default=3, ge=1)
    anomaly_verify_networks: int = Field(default=20, ge=2)
    anomaly_verify_window_hours: int = Field(default=24, ge=1, le=24 * 30)
    anomaly_default_days: int = Field(default=365, ge=1, le=3660)
    regulator_targets: tuple[RegulatorTarget, ...] = DEFAULT_TARGETS
    verification_log_flush_seconds: float = Field(default=5.0, gt=0, le=3600)
    verification_log_batch: int = Field(default=500, ge=1, le=100_000)
    verification_log_retention_days: int = Field(default=90, ge=1, le=3660)
    # Reverse proxies whose X-Forwarded-For names the client (comma-separated IPs or networks, or "*"); none by
    # default, so a client can never pick the address its rate limits are counted against.
    forwarded_allow_ips: str = ""
    # Shared per-client rate limits (look-ups, holder checks, logins): redis://host:port/db. Empty: each process
    # counts in memory. Unreachable: the limits fail open with a warning (api/ratelimit.py says why).
    redis_url: str = Field(default="", pattern=r"^(|(redis|rediss|unix)://.*)$")
    # Log attempts per client address per minute (beside the per-username lock-out above).
    login_rate_per_minute: int = Field(default=30, ge=1)
    # Console (browser) sessions: a login lasts this long at most (server-side rows; logout and a disabled
    # account end it at once).
    session_hours: int = Field(default=8, ge=1, le=24 * 7)
    # Log lines: text for a terminal, json (one object per line) for a log collector.
    log_format: Literal["text", "json"] = "text"
    # How long a SQLite writer waits for the write lock before the request answers 503 "busy, retry".
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0, le=600_000)
    # A read replica (PostgreSQL streaming replica) for public verification reads; unset: the primary serves all.
    read_database_url: str | None = None
    # After this process commits a write, its verification reads go to the primary for this long (seconds), so
    # a revocation shows at once here; other processes see it once the replica has replayed it (README).
    read_fallback_seconds: float = Field(default=5.0, ge=0, le=3600)
    # Worker threads per API process for sync routes; each database pool holds as many connections, so a busy
    # process never opens and closes connections beyond its pool (README, performance).
    threads: int = Field(default=16, ge=1, le=256)
    # PostgreSQL, opt-in: `registry serve` verifies on the event loop through psycopg's async pool instead of in
    # worker threads. Measured slower here (more CPU per request, README benchmarks), so off by default.
    async_reads: bool = False
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

    @field_validator("anomaly_heaping_band")
    @classmethod
    def _half_points(cls, value: float) -> float:
        # the anomaly summary keeps totals per half point above the pass mark (regulator/summary_sql.py)
        if value * 2 != round(value * 2):
            raise ValueError(f"{value} is not a multiple of 0.5 points (须为 0.5 分的整数倍)")
        return value

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
