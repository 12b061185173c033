"""Ops settings, from `OPS_*` environment variables (shared infrastructure names too)."""

from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SESSION_SECRET = "dev-ops-session-secret-change-me"
DEV_ACCOUNTS = {"staff": "dev-ops-password-change-me"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPS_")

    max_body_bytes: int = Field(default=65536, description="larger requests get 413")

    environment: Literal["development", "production"] = Field(
        default="development", validation_alias=AliasChoices("OPS_ENV", "RENCONTRES_ENV")
    )
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:19092",
        validation_alias=AliasChoices("OPS_KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS"),
    )
    services: dict[str, str] = Field(
        default={
            "registration": "http://127.0.0.1:8001",
            "billing": "http://127.0.0.1:8002",
            "notify": "http://127.0.0.1:8003",
        },
        description="name → base URL of each service watched (JSON in OPS_SERVICES)",
    )
    session_secret: str = DEV_SESSION_SECRET
    session_max_age_seconds: int = 8 * 3600
    staff_accounts: dict[str, str] = Field(
        default=DEV_ACCOUNTS, description="name → password of each staff member (JSON)"
    )
    poll_seconds: float = Field(default=2.0, description="how often services and Kafka are read")
    probe_timeout_seconds: float = 1.5
    dead_letters_shown: int = Field(default=200, description="most recent per dead-letter topic")

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_production(self) -> "Settings":
        if self.environment != "production":
            return self
        if self.session_secret == DEV_SESSION_SECRET or len(self.session_secret) < 32:
            raise ValueError("set OPS_SESSION_SECRET (32+ characters) in production")
        weak = [n for n, p in self.staff_accounts.items() if p.startswith("dev-") or len(p) < 12]
        if weak or self.staff_accounts == DEV_ACCOUNTS:
            raise ValueError("set OPS_STAFF_ACCOUNTS: development or short passwords in production")
        return self
