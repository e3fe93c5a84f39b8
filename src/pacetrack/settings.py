"""Settings from the environment and ``.env`` (prefix ``PACETRACK_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from pacetrack.adapters import passwords


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PACETRACK_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default_factory=lambda: f"sqlite:///{Path.cwd() / 'pacetrack.db'}",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000", description="Public URL, used in links in emails"
    )
    token_ttl_days: int = Field(default=30, ge=1, description="Lifetime of login tokens")
    db_pool_size: int = Field(default=10, ge=1)
    db_pool_recycle_seconds: int = Field(
        default=1800, ge=1, description="Replace pooled PostgreSQL connections older than this"
    )
    db_pool_pre_ping: bool = Field(
        default=False,
        description="Test each pooled PostgreSQL connection with a round trip before use",
    )
    login_free_failures: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="Failed logins of one account before each further attempt must wait",
    )
    login_lock_failures: int = Field(
        default=15,
        ge=1,
        le=10_000,
        description="Failed logins of one account that lock it for login_lock_seconds",
    )
    login_address_free_failures: int = Field(
        default=20,
        ge=1,
        le=10_000,
        description="Failed logins from one client address (any account, any tenant) "
        "before each further attempt from it must wait",
    )
    login_address_lock_failures: int = Field(
        default=100,
        ge=1,
        le=100_000,
        description="Failed logins from one client address that lock it out",
    )
    login_delay_seconds: float = Field(
        default=1,
        gt=0,
        le=3600,
        description="The first wait after the free failures; doubles with each further failure",
    )
    login_lock_seconds: float = Field(
        default=900,
        gt=0,
        le=86_400,
        description="How long a lock lasts after the failure that caused it; also the longest wait",
    )
    login_forget_seconds: float = Field(
        default=3600,
        gt=0,
        le=30 * 86_400,
        description="A streak of failed logins is forgotten once none has happened for this long",
    )
    password_memory_kib: int = Field(
        default=passwords.MEMORY_KIB,
        ge=8,
        le=4 * 1024 * 1024,
        description="argon2id memory in KiB for new password hashes (at least 8 per lane)",
    )
    password_time_cost: int = Field(
        default=passwords.TIME_COST,
        ge=1,
        le=100,
        description="argon2id passes for new password hashes",
    )
    password_parallelism: int = Field(
        default=passwords.PARALLELISM,
        ge=1,
        le=64,
        description="argon2id lanes for new password hashes",
    )
    metrics_token: str | None = Field(
        default=None,
        min_length=32,
        description="Bearer token of the operator's Prometheus scraper (GET /metrics, all tenants)",
    )
    operator_token: str | None = Field(
        default=None,
        min_length=32,
        description="Bearer token of the platform operator: changes tenants' feature flags "
        "(POST /api/tenant/update-features); unset, only the command line can",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=16 * 1024,
        le=1024 * 1024 * 1024,
        description="Largest request body in bytes; larger ones are refused with 413 unread",
    )
    max_import_body_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=16 * 1024,
        le=1024 * 1024 * 1024,
        description="Largest request body in bytes of a pipeline template import",
    )

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_tls: str = Field(default="starttls", pattern="^(none|starttls|tls)$")
    smtp_from: str = "PaceTrack <pacetrack@localhost>"

    server_healthcheck_seconds: int = Field(
        default=60,
        ge=1,
        le=3600,
        description="`serve --workers N`: how long a server process may take to answer its "
        "supervisor's health check before it is killed and replaced",
    )
    embedded_worker: bool = Field(
        default=True,
        description="Run the background worker inside `pacetrack serve` (off: `serve --no-worker`)",
    )
    worker_poll_seconds: float = Field(default=0.5, gt=0)
    live_heartbeat_seconds: float = Field(
        default=15,
        gt=0,
        le=300,
        description="Seconds between the keep-alive comments of /api/events/stream",
    )
    worker_lease_seconds: float = Field(
        default=10,
        gt=0,
        le=60,
        description="How long a claimed job stays claimed without a heartbeat",
    )
    worker_batch_size: int = Field(default=50, ge=1, le=1000)
    worker_network_concurrency: int = Field(
        default=16,
        ge=1,
        le=1000,
        description="Network jobs (webhooks, email) one worker performs at once",
    )
    worker_endpoint_concurrency: int = Field(
        default=4,
        ge=1,
        le=100,
        description="Requests one worker has in flight to one webhook endpoint",
    )
    worker_max_attempts: int = Field(
        default=8, ge=1, le=100, description="Attempts of a failing job before it is dead"
    )
    worker_retry_base_seconds: float = Field(
        default=5, gt=0, description="Backoff after the first failure; doubles per attempt"
    )
    worker_retry_cap_seconds: float = Field(default=3600, gt=0, description="Longest backoff")

    @model_validator(mode="after")
    def _login_thresholds(self) -> Settings:
        if self.login_lock_failures < self.login_free_failures:
            raise ValueError("login_lock_failures must be at least login_free_failures")
        if self.login_address_lock_failures < self.login_address_free_failures:
            raise ValueError(
                "login_address_lock_failures must be at least login_address_free_failures"
            )
        if self.login_forget_seconds < self.login_lock_seconds:
            # The streak would be forgotten, and the lock lifted, before the lock ends.
            raise ValueError("login_forget_seconds must be at least login_lock_seconds")
        if self.password_memory_kib < 8 * self.password_parallelism:
            raise ValueError("password_memory_kib must be at least 8 per lane of parallelism")
        return self

    @property
    def password_cost(self) -> passwords.PasswordCost:
        return passwords.PasswordCost(
            memory_kib=self.password_memory_kib,
            time_cost=self.password_time_cost,
            parallelism=self.password_parallelism,
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
