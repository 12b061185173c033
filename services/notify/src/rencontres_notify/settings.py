"""Notify settings, from `NOTIFY_*` environment variables (shared infra names too)."""

from datetime import time
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_STAFF_TOKEN = "dev-staff-token-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_")

    max_body_bytes: int = Field(default=65536, description="larger requests get 413")

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
    metrics_interval_seconds: float = Field(
        default=10.0, description="how often the business figures on /metrics are read again"
    )
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
    sms_provider: Literal["sink", "twilio"] = "sink"
    twilio_base_url: str = "https://api.twilio.com"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    public_base_url: str = "http://127.0.0.1:8003"
    """Where the SMS provider reaches notify's webhooks (status callback, inbound STOP)."""
    staff_token: str = DEV_STAFF_TOKEN
    unsubscribe: str = "<mailto:unsubscribe@rencontres.example?subject=unsubscribe>"
    """List-Unsubscribe of the emails that are not strictly transactional."""

    smtp_connections: int = 4
    smtp_timeout_seconds: float = 15
    lease_seconds: float = 60
    """How long a claimed delivery is ours; after it another attempt may take it over."""
    retry_base_seconds: float = 30
    retry_cap_seconds: float = 1800
    retry_window_hours: float = 24
    """Transient failures are retried for this long after the delivery was recorded."""
    consumer_batch_size: int = Field(default=200, ge=0)
    """Records read per poll and handled together (one `$in` for applied ids, one insert of
    the deliveries of consecutive events of a type, one insert of applied ids); 0 reads one
    record at a time, with `consumer_workers`."""
    consumer_workers: int = Field(default=6, ge=1)
    """Without batches: Kafka consumers per topic in this process, each on its own partitions
    (records of one key stay in order), so partitions go side by side."""
    dispatch_poll_seconds: float = 1.0
    dispatch_concurrency: int = 8
    dispatch_max_unsent: int = Field(
        default=1000,
        ge=1,
        description="deliveries recorded to send at once and not sent yet above which the "
        "consumer waits (at most half a lease) before reading on",
    )
    sms_quiet_start: time = time(21, 0)
    sms_quiet_end: time = time(8, 0)
    """No SMS leaves between these Europe/Paris wall-clock times: it waits for the end."""
    sms_daily_cap: int = 5
    """At most this many SMS per number per Paris day; more are suppressed (email goes on)."""

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_production(self) -> "Settings":
        if self.environment == "production" and (
            self.staff_token == DEV_STAFF_TOKEN or len(self.staff_token) < 32
        ):
            raise ValueError(
                "set NOTIFY_STAFF_TOKEN (32+ characters): the development token is refused"
                " in production"
            )
        if self.environment == "production" and self.sms_provider == "sink":
            raise ValueError(
                "set NOTIFY_SMS_PROVIDER=twilio in production: the local sink's webhooks are"
                " not signed"
            )
        if self.sms_provider == "twilio" and not (
            self.twilio_account_sid and self.twilio_auth_token
        ):
            raise ValueError(
                "NOTIFY_SMS_PROVIDER=twilio needs NOTIFY_TWILIO_ACCOUNT_SID and _AUTH_TOKEN"
            )
        return self
