"""Registration settings, from `REGISTRATION_*` environment variables (shared infra names too)."""

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rencontres_registration.catalog import DEFAULT_CATALOG

DEV_STAFF_TOKEN = "dev-staff-token-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REGISTRATION_")

    environment: Literal["development", "production"] = Field(
        default="development", validation_alias=AliasChoices("REGISTRATION_ENV", "RENCONTRES_ENV")
    )
    mongodb_uri: str = Field(
        default="mongodb://127.0.0.1:27027/",
        validation_alias=AliasChoices("REGISTRATION_MONGODB_URI", "MONGODB_URI"),
    )
    database: str = "registration"
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:19092",
        validation_alias=AliasChoices(
            "REGISTRATION_KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS"
        ),
    )
    public_base_url: str = "http://127.0.0.1:8001"
    catalog_path: Path = DEFAULT_CATALOG
    staff_token: str = DEV_STAFF_TOKEN
    outbox_poll_seconds: float = 0.5
    jobs_interval_seconds: float = Field(
        default=30.0, description="how often offers expire, pools close and waiting lists move"
    )
    pending_flush_seconds: float = Field(
        default=0.2, description="how often places now recorded by their holders leave `pending`"
    )
    consumer_group: str = "registration"
    metrics_interval_seconds: float = Field(
        default=10.0, description="how often the business figures on /metrics are read again"
    )
    rate_limit_per_second: float = Field(
        default=2.0, description="sustained public POSTs per client address; 0 disables"
    )
    rate_limit_burst: int = 20
    trusted_proxies: str = Field(
        default="",
        description="comma-separated addresses or networks of the reverse proxies whose "
        "X-Forwarded-For is believed; empty: the TCP peer is the client",
    )
    max_body_bytes: int = 64 * 1024
    csrf_secret: str = "dev-csrf-secret-change-me"
    link_secret: str = Field(
        default="dev-link-secret-change-me",
        description="derives the private links' tokens; changing it invalidates every link",
    )

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_production(self) -> "Settings":
        if self.environment == "production" and self.staff_token == DEV_STAFF_TOKEN:
            raise ValueError(
                "set REGISTRATION_STAFF_TOKEN: the development token is refused in production"
            )
        if self.environment == "production" and self.csrf_secret.startswith("dev-"):
            raise ValueError(
                "set REGISTRATION_CSRF_SECRET: the development secret is refused in production"
            )
        if self.environment == "production" and self.link_secret.startswith("dev-"):
            raise ValueError(
                "set REGISTRATION_LINK_SECRET: the development secret is refused in production"
            )
        if self.environment == "production" and len(self.staff_token) < 32:
            raise ValueError(
                "REGISTRATION_STAFF_TOKEN must be at least 32 characters in production"
            )
        return self
