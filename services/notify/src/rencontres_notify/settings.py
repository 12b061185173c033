"""Notify settings, from `NOTIFY_*` environment variables (shared infra names too)."""

from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_")

    environment: Literal["development", "production"] = Field(
        default="development", validation_alias=AliasChoices("NOTIFY_ENV", "RENCONTRES_ENV")
    )
    mongodb_uri: str = Field(
        default="mongodb://127.0.0.1:27027/",
        validation_alias=AliasChoices("NOTIFY_MONGODB_URI", "MONGODB_URI"),
    )
    database: str = "notify"
    kafka_bootstrap_servers: str = Field(
        default="127.0.0.1:19092",
        validation_alias=AliasChoices("NOTIFY_KAFKA_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS"),
    )
    consumer_group: str = "notify"
    smtp_host: str = Field(
        default="127.0.0.1", validation_alias=AliasChoices("NOTIFY_SMTP_HOST", "SMTP_HOST")
    )
    smtp_port: int = Field(
        default=1025, validation_alias=AliasChoices("NOTIFY_SMTP_PORT", "SMTP_PORT")
    )
    smtp_username: str | None = Field(
        default=None, validation_alias=AliasChoices("NOTIFY_SMTP_USERNAME", "SMTP_USERNAME")
    )
    smtp_password: str | None = Field(
        default=None, validation_alias=AliasChoices("NOTIFY_SMTP_PASSWORD", "SMTP_PASSWORD")
    )
    smtp_starttls: bool = Field(
        default=False, validation_alias=AliasChoices("NOTIFY_SMTP_STARTTLS", "SMTP_STARTTLS")
    )
    mail_from: str = "Rencontres Entreprises <forum@rencontres.example>"
    sms_provider_url: str = Field(
        default="http://127.0.0.1:1080/sms/send",
        validation_alias=AliasChoices("NOTIFY_SMS_PROVIDER_URL", "SMS_PROVIDER_URL"),
    )
    sms_sender: str = "Rencontres"
