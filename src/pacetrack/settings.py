"""Settings from the environment and ``.env`` (prefix ``PACETRACK_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    auth_cache_seconds: float = Field(
        default=5,
        ge=0,
        le=60,
        description="How long a process may reuse a bearer token's checked account and roles "
        "(0: check every request); revocations in the same process apply at once",
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

    embedded_worker: bool = Field(
        default=True,
        description="Run the background worker inside `pacetrack serve` (off: `serve --no-worker`)",
    )
    worker_poll_seconds: float = Field(default=0.5, gt=0)
    worker_lease_seconds: float = Field(
        default=60,
        gt=0,
        le=60,
        description="How long a claimed job stays claimed without a heartbeat",
    )
    worker_batch_size: int = Field(default=50, ge=1, le=1000)
    worker_max_attempts: int = Field(
        default=8, ge=1, le=100, description="Attempts of a failing job before it is dead"
    )
    worker_retry_base_seconds: float = Field(
        default=5, gt=0, description="Backoff after the first failure; doubles per attempt"
    )
    worker_retry_cap_seconds: float = Field(default=3600, gt=0, description="Longest backoff")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
