"""A delivery: one message to one person on one channel. Pure rules, no I/O.

Lifecycle (the one table of statuses):

    pending ──claim──▶ sending ──accepted──▶ sent
       ▲                 │ └──permanent / window spent──▶ failed
       └──transient──────┘ (as `retrying`, due again after the backoff)
    pending / retrying / sending (lease run out) are *due* once `due_at` has passed;
    any unsent delivery may become `suppressed` (SMS opt-out, daily cap) or `erased`.

A `sending` delivery carries a lease (`due_at` is when it runs out): nobody else claims it
before then, so a slow send is never doubled by a second worker; after it, the sender is
presumed dead and another may take over (the one window where a second copy may leave).
A delivery recorded to go at once is stored `grouped` instead, in a send group (`group`, no
`due_at`): the group's lease is its own, and the group records which of its emails were
accepted. Readers never see `grouped`: through its group it reads `sent`, or `sending` while
the group is out (`groups.py`). Nothing scans for `grouped`: a group whose lease ran out makes
its members `sending` and due.
"""

import re
from typing import Literal

Status = Literal["pending", "retrying", "sending", "sent", "failed", "suppressed", "erased"]
Channel = Literal["email", "sms"]

STATUSES: dict[Status, str] = {
    "pending": "recorded, not tried yet (or deferred past quiet hours)",
    "retrying": "a transient failure; tried again at due_at",
    "sending": "claimed by a sender until due_at (its lease)",
    "sent": "accepted by the SMTP server or the SMS provider",
    "failed": "a permanent failure, or transient ones for the whole retry window",
    "suppressed": "not sent by policy: SMS opt-out or daily cap",
    "erased": "its person was erased before it went out",
}
DUE: tuple[Status, ...] = ("pending", "retrying", "sending")
FINAL: tuple[Status, ...] = ("sent", "failed", "suppressed", "erased")
GROUPED = "grouped"
"""The stored status of a send group's member (`groups.py`); never shown as such."""

_NOT_ATEXT = re.compile(r"[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+")


def delivery_id(event_id: str, channel: Channel, recipient: str | None = None) -> str:
    """`{event}:{channel}`, or `{event}:{recipient}:{channel}` when an event speaks to several."""
    return f"{event_id}:{recipient}:{channel}" if recipient else f"{event_id}:{channel}"


def message_id(delivery: str, domain: str) -> str:
    """The whole Message-ID from the delivery id alone: a resend after a crash carries the same
    one, so the receiving side can drop the copy. RFC 5322 dot-atom: other characters become
    dots."""
    local = _NOT_ATEXT.sub(".", delivery).strip(".")
    return f"<{local}@{domain}>"


def mask_email(address: str) -> str:
    """`c***@example.fr`: enough for staff to tell two addresses apart, not to write to one."""
    if not address:
        return ""
    user, _, domain = address.partition("@")
    return f"{user[:1]}***@{domain}" if domain else "***"


def mask_phone(number: str) -> str:
    """`+33******78`."""
    if not number:
        return ""
    return number[:3] + "*" * max(0, len(number) - 5) + number[-2:]


def mask(channel: Channel, address: str) -> str:
    return mask_email(address) if channel == "email" else mask_phone(address)
