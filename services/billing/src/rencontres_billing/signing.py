"""HMAC signatures, without I/O: expiring PDF links and the card provider's webhook.

A PDF link is `/invoices/{number}.pdf?expires=<unix>&signature=<hex>` where the signature is
HMAC-SHA256 over `number:expires` with `BILLING_LINK_SECRET`: whoever holds the link reads
that one document until it expires, and nothing else.

The webhook carries `Payment-Timestamp: <unix>` and `Payment-Signature: <hex>`,
HMAC-SHA256 over `<timestamp>.<raw body>` with `BILLING_WEBHOOK_SECRET` (the scheme Stripe and
most providers use). An older timestamp than the tolerance is refused as a replay.
"""

import hashlib
import hmac
from datetime import datetime
from urllib.parse import urlencode

from rencontres_billing.errors import BillingRefused


def _mac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def link_signature(secret: str, number: str, expires: int) -> str:
    return _mac(secret, f"{number}:{expires}".encode())


def signed_pdf_url(base_url: str, secret: str, number: str, expires_at: datetime) -> str:
    expires = int(expires_at.timestamp())
    query = urlencode({"expires": expires, "signature": link_signature(secret, number, expires)})
    return f"{base_url.rstrip('/')}/invoices/{number}.pdf?{query}"


def check_link(secret: str, number: str, expires: int, signature: str, now: datetime) -> None:
    if not hmac.compare_digest(link_signature(secret, number, expires), signature):
        raise BillingRefused("bad_signature", "signature")
    if now.timestamp() > expires:
        raise BillingRefused("link_expired", "expires")


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    return _mac(secret, timestamp.encode() + b"." + body)


def check_webhook(
    secret: str, timestamp: str, signature: str, body: bytes, now: datetime, tolerance: int
) -> None:
    """Refuse a forged body (bad signature) and a replayed one (timestamp too old)."""
    expected = webhook_signature(secret, timestamp, body)
    if not hmac.compare_digest(expected, signature):
        raise BillingRefused("bad_signature", "Payment-Signature")
    try:
        sent = int(timestamp)
    except ValueError:
        raise BillingRefused("bad_signature", "Payment-Timestamp") from None
    if abs(now.timestamp() - sent) > tolerance:
        raise BillingRefused("stale_signature", "Payment-Timestamp")
