"""Billing settings, from `BILLING_*` environment variables (shared infra names too)."""

from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_")

    environment: Literal["development", "production"] = Field(
        default="development", validation_alias=AliasChoices("BILLING_ENV", "RENCONTRES_ENV")
    )
    mongodb_uri: str = Field(
        default="mongodb://127.0.0.1:27027/",
        validation_alias=AliasChoices("BILLING_MONGODB_URI", "MONGODB_URI"),
    )
    database: str = "billing"
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:19092",
        validation_alias=AliasChoices("BILLING_KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS"),
    )
    consumer_group: str = "billing"
