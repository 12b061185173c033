"""Notify's business figures, from the delivery log (pure)."""

from rencontres_notify.figures import tally


def test_messages_per_channel_and_outcome() -> None:
    deliveries = [
        {"channel": "email", "status": "sent"},
        {"channel": "email", "status": "sent", "maybe_sent": True},
        {"channel": "email", "status": "retrying"},
        {"channel": "sms", "status": "pending", "deferred": "quiet hours"},
        {"channel": "sms", "status": "pending"},  # due now: not deferred
        {"channel": "sms", "status": "failed"},
        {"channel": "sms", "status": "suppressed"},
    ]
    counts = tally(deliveries)
    assert counts[("email", "sent")] == 2 and counts[("email", "resent")] == 1
    assert counts[("email", "deferred")] == 1 and counts[("email", "failed")] == 0
    assert counts[("sms", "deferred")] == 1 and counts[("sms", "failed")] == 1
    assert counts[("sms", "sent")] == 0
