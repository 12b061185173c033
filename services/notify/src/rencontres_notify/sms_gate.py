"""The gate every SMS passes before it is sent: the rules of `sms` applied to the delivery log
(opt-outs, quiet hours, the daily cap per number), each outcome recorded at once."""

from datetime import UTC, datetime, time
from typing import Any

from rencontres_notify import sms
from rencontres_notify.store import DeliveryStore


async def sms_gate(
    store: DeliveryStore,
    doc: dict[str, Any],
    token: str,
    now: datetime,
    quiet: tuple[time, time],
    daily_cap: int,
) -> str | None:
    """The delivery's new status when it must not go now (opted out or over the daily cap:
    `suppressed`; quiet hours: `pending`, deferred to the morning); None when it may go."""
    number = doc["to"]
    if await store.opted_out(number):
        await store.suppressed(doc["_id"], "opted out (STOP)", now)
        return "suppressed"
    morning = sms.quiet_until(now, *quiet)
    if morning is not None:
        await store.defer(doc["_id"], token, morning.astimezone(UTC), "quiet hours")
        return "pending"
    if not doc.get("counted"):
        if not await store.count_sms(number, sms.paris_day(now), daily_cap):
            await store.suppressed(doc["_id"], "daily SMS cap reached", now)
            return "suppressed"
        await store.counted(doc["_id"])
    return None
