"""Billing settings, from `BILLING_*` environment variables (shared infra names too).

Everything a French invoice prints about the seller comes from here; the development
placeholders (and the development secrets) are refused when `BILLING_ENV=production`.
"""

from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_STAFF_TOKEN = "dev-staff-token-change-me"
"""The same development token as registration's: one token opens every staff API locally."""
DEV_SECRET_PREFIX = "dev-"
PLACEHOLDER = "PLACEHOLDER"
"""Marks seller details that are not the real ones yet; production refuses to start with them."""


class Seller(BaseModel):
    """The schools' legal entity that issues the invoices (`BILLING_SELLER__*`)."""

    legal_name: str = f"Rencontres Alès–Montpellier ({PLACEHOLDER})"
    address_line1: str = "6 avenue de Clavières"
    postal_code: str = "30100"
    city: str = "Alès"
    country: str = "FR"
    siret: str = "00000000000000"
    vat_number: str = "FR00000000000"
    legal_form: str = f"Association loi 1901 ({PLACEHOLDER})"
    email: str = "forum@example.fr"
    iban: str = "FR7630006000011234567890189"
    bic: str = "AGRIFRPPXXX"
    bank_holder: str = f"Rencontres Alès–Montpellier ({PLACEHOLDER})"

    def placeholders(self) -> list[str]:
        dev = {
            "siret": "00000000000000",
            "vat_number": "FR00000000000",
            "iban": "FR7630006000011234567890189",
        }
        fields = [n for n, v in self.model_dump().items() if PLACEHOLDER in str(v)]
        return fields + [n for n, v in dev.items() if getattr(self, n) == v]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", env_nested_delimiter="__")

    max_body_bytes: int = Field(default=65536, description="larger requests get 413")

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
    consume_batch_size: int = Field(
        default=500,
        ge=1,
        description="records read per poll and handled together (invoices numbered per claim)",
    )
    metrics_interval_seconds: float = Field(
        default=10.0, description="how often the business figures on /metrics are read again"
    )
    subscribe_topics: list[str] | None = Field(
        default=None,
        description="topics to consume; default: billing's rows of the topic catalog "
        "(tests point a second billing at a private topic)",
    )
    relay_enabled: bool = Field(
        default=True, description="publish the outbox (off: events stay owed, for crash tests)"
    )
    public_base_url: str = "http://127.0.0.1:8002"
    staff_token: str = DEV_STAFF_TOKEN
    link_secret: str = "dev-link-secret-change-me"
    link_ttl_days: int = Field(default=60, ge=1, description="how long an emailed PDF link works")
    webhook_secret: str = "dev-webhook-secret-change-me"
    webhook_tolerance_seconds: int = 300
    outbox_poll_seconds: float = 0.5
    payment_terms_days: int = Field(default=30, ge=0)
    late_penalty_rate: str | None = Field(
        default=None,
        description="late-payment penalty rate printed on invoices (Code de commerce L441-10); "
        "default: three times the French legal interest rate, in the invoice's language",
    )
    second_reminder_days: int = Field(default=15, ge=0)
    grace_days: int = Field(default=15, ge=0)
    cancellation_refund_percent: int = Field(default=100, ge=0, le=100)
    reminder_hour: int = Field(default=9, ge=0, le=23, description="Europe/Paris")
    timezone: str = "Europe/Paris"
    seller: Seller = Seller()

    @model_validator(mode="after")
    def _refuse_dev_values_in_production(self) -> "Settings":
        if self.environment != "production":
            return self
        if self.staff_token == DEV_STAFF_TOKEN or len(self.staff_token) < 32:
            raise ValueError("set BILLING_STAFF_TOKEN (32+ characters) for production")
        for name in ("link_secret", "webhook_secret"):
            if getattr(self, name).startswith(DEV_SECRET_PREFIX):
                raise ValueError(f"set BILLING_{name.upper()}: the development one is refused")
        if placeholders := self.seller.placeholders():
            raise ValueError(
                "set the seller's real details (BILLING_SELLER__...): "
                + ", ".join(placeholders)
                + " are development placeholders"
            )
        return self
