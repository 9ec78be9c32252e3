"""Settings: one class, read from the environment with the CUSTOMERBASE_ prefix."""

from __future__ import annotations

import enum
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(enum.StrEnum):
    development = "development"
    production = "production"


MIN_SECRET_KEY_LENGTH = 32


class ConfigurationError(Exception):
    """The settings cannot run the service (raised at start-up, never per request)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CUSTOMERBASE_", extra="ignore")

    env: Environment = Environment.development
    data_dir: Path = Field(default_factory=lambda: Path.cwd() / "data")
    database_url: str | None = None
    secret_key: SecretStr | None = None
    log_level: str = "INFO"
    # Pool sizes: PostgreSQL only; SQLite has its own fixed layout (see kit.db).
    db_pool_size: int = 10
    db_max_overflow: int = 10
    # The server process delivers webhooks itself (an embedded worker) unless this is off;
    # `customerbase worker` runs the same loop on its own.
    embedded_worker: bool = True
    # Webhook URLs may point at private, loopback and link-local addresses (development, tests).
    webhook_allow_private: bool = False
    # How long a worker holds a claimed delivery: one that dies mid-send leaves the delivery
    # due again after this. Longer than the 15 s a receiver has to answer.
    webhook_lease_seconds: float = Field(60.0, ge=16.0)
    # Sanctions screening: the match score from which a name is a potential match (0 to 1),
    # and how often the server looks for customers screened against older lists (seconds;
    # 0 turns continuous screening off in this process).
    screening_threshold: float = Field(0.84, gt=0, le=1)
    screening_interval: float = Field(30.0, ge=0)
    # KYC (see customerbase.kyc): the identity provider of each environment. The live
    # environment never uses the sandbox unless an operator sets it here explicitly.
    kyc_provider_test: str = "sandbox"
    kyc_provider_live: str = "http"
    kyc_http_url: str | None = None
    kyc_http_token: SecretStr | None = None
    kyc_http_timeout_seconds: float = 5.0
    kyc_http_retries: int = 2
    kyc_name_match_threshold: float = 85.0
    kyc_link_ttl_seconds: int = 86_400
    # The address customers reach this server at, for the links it mails (default: the
    # address the API request came in on).
    public_url: str | None = None
    # Email: SMTP when a host is set; otherwise, in development, files in <data_dir>/outbox/.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_tls: str = "starttls"  # starttls | tls | none
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "customerbase <no-reply@customerbase.local>"
    # Documents: the largest file accepted (bytes), and where they are kept: empty for
    # <data_dir>/documents, `file:///path`, or `s3://bucket/prefix?endpoint_url=...&region=...`.
    max_document_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    document_store: str | None = None

    @property
    def is_production(self) -> bool:
        return self.env is Environment.production

    @cached_property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to an embedded SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'customerbase.db'}"

    def check_production(self) -> None:
        """Refuse settings that are unsafe outside development."""
        if not self.is_production:
            return
        key = self.secret_key.get_secret_value() if self.secret_key else ""
        if len(key) < MIN_SECRET_KEY_LENGTH:
            raise ConfigurationError(
                "CUSTOMERBASE_SECRET_KEY must be set to a random string of at least "
                f"{MIN_SECRET_KEY_LENGTH} characters in production "
                '(for example: python -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
