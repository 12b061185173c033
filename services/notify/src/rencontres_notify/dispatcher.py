"""Sends what the store holds as due, in the background, so a slow or absent SMTP server or
SMS provider never holds a Kafka partition: handlers only record deliveries.

Each attempt claims its delivery with a lease, sends, and records the outcome: `sent` (with its
`delivery.sent.v1`), `retrying` at the next time on the backoff schedule, or `failed` (with its
`delivery.failed.v1` and a record on the source topic's dead-letter topic, with the reason).
"""

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from time import monotonic
from typing import Any

from prometheus_client import Counter, Gauge
from rencontres_kit.masking import mask
from rencontres_kit.outbox import Publish, publish_entry

from rencontres_notify import dead_letters, events
from rencontres_notify.deliveries import DUE as DUE_STATUSES
from rencontres_notify.deliveries import GROUPED, message_id
from rencontres_notify.retry import Backoff, SendError, transient
from rencontres_notify.senders import (
    Email,
    EmailSender,
    OutgoingEmail,
    OutgoingSms,
    SmsProvider,
    domain_of,
)
from rencontres_notify.sms_gate import sms_gate
from rencontres_notify.store import DeliveryStore

log = logging.getLogger(__name__)

Doc = dict[str, Any]
Clock = Callable[[], datetime]

ATTEMPTS = Counter(
    "notify_send_attempts_total", "Send attempts, by channel and outcome", ["channel", "outcome"]
)
RESENDS = Counter(
    "notify_possible_resends_total",
    "Attempts after one that may have got through (its lease ran out, or it timed out without an "
    "answer): a second copy may leave, with the same Message-ID or provider key",
    ["channel"],
)
DIRECT_FALLBACKS = Counter(
    "notify_sent_events_via_outbox_total",
    "delivery.sent.v1 events the broker did not acknowledge in time, left to the outbox relay",
)
DUE = Gauge(
    "notify_deliveries_due", "Deliveries due at the last scan (pending, retrying, lease out)"
)


@dataclass(frozen=True)
class Accepted:
    """An email the server accepted, not recorded yet: its `delivery.sent.v1` and fields."""

    delivery_id: str
    entry: Doc
    extra: Doc


UNKNOWN = "unknown"
"""An attempt's outcome when it failed unexpectedly: its delivery's state is not known."""


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Policy:
    lease: timedelta = timedelta(seconds=60)
    backoff: Backoff = field(default_factory=Backoff)
    sms_daily_cap: int = 5
    quiet: tuple[time, time] = (time(21, 0), time(8, 0))
    poll_interval: float = 1.0
    batch: int = 200
    concurrency: int = 8
    publish_timeout: float = 5.0
    max_unsent: int = 1000


class Dispatcher:
    def __init__(
        self,
        store: DeliveryStore,
        email: EmailSender,
        sms_provider: SmsProvider,
        publish: Publish,
        group: str,
        policy: Policy = Policy(),
        clock: Clock = utcnow,
        wake_outbox: Callable[[str, str, list[Doc]], None] = lambda name, doc_id, outbox: None,
    ) -> None:
        self.store, self.email, self.sms = store, email, sms_provider
        self._publish, self._group, self.policy, self.now = publish, group, policy, clock
        self._wake_outbox = wake_outbox
        self._wakeup = asyncio.Event()
        self._hints: dict[str, Doc] = {}
        self._unsent = 0
        """Deliveries recorded claimed for us (woken) and not through `_send_group` yet."""
        self._room = asyncio.Event()
        self._room.set()
        self._stopping = False
        self._groups: set[asyncio.Task[None]] = set()
        """Groups being sent (`_start_groups`)."""
        self._task: asyncio.Task[None] | None = None
        self._slots = asyncio.Semaphore(policy.concurrency)
        self.domain = domain_of(email.mail_from)
        """The Message-ID's domain (`deliveries.message_id`)."""

    def claimed_now(self, lease: str) -> Doc:
        """The fields a delivery is recorded with when it is ours to send at once: recorded
        already claimed (one insert, no claiming write: the proxy in front of FerretDB
        serialises updates per collection, not inserts).

        `lease` is one token for all the deliveries recorded together (`new_lease`), the id
        of their send group (`groups.py`, opened first by `open_group`), whose lease is
        theirs: their acceptances are recorded on the group, by one write
        (`_send_group`); a crash leaves the group's lease to run out."""
        return {"status": GROUPED, "lease": lease, "group": lease, "attempts": 1}

    async def open_group(self, lease: str, now: datetime) -> None:
        await self.store.groups.open(lease, now, now + self.policy.lease)

    @staticmethod
    def new_lease() -> str:
        return uuid.uuid4().hex

    def wake(self, *claimed: Doc) -> None:
        """Send these deliveries, recorded claimed by `claimed_now`, soon."""
        self._hints.update({doc["_id"]: doc for doc in claimed})
        self._unsent += len(claimed)
        if self._unsent >= self.policy.max_unsent:
            self._room.clear()
        self._wakeup.set()

    async def room(self) -> None:
        """Return once fewer than `max_unsent` woken deliveries wait to be sent, or after half
        a lease. The consumer awaits it after recording, so a backlog waits in Kafka (where the
        lag shows it) rather than here: a delivery recorded claimed must go out before its
        lease runs out, or the due scan takes it over and a second copy may leave. The wait is
        bounded so that a consumer is never held past Kafka's poll interval."""
        if self._room.is_set() or self._stopping:
            return
        try:
            await asyncio.wait_for(self._room.wait(), self.policy.lease.total_seconds() / 2)
        except TimeoutError:
            log.warning("%d deliveries still unsent; reading on", self._unsent)

    def _sent_some(self, count: int) -> None:
        self._unsent -= count
        if self._unsent < self.policy.max_unsent:
            self._room.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notify-dispatcher")

    async def stop(self) -> None:
        self._stopping = True
        self._room.set()  # a consumer waiting for room goes on (what it recorded is durable)
        tasks = [*self._groups, *([self._task] if self._task else [])]
        for task in tasks:  # a group cut short keeps its leases, to be taken over
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self) -> None:
        """Hinted deliveries at once, each group as a task of its own (a group's publish and
        record overlap the next group's sends); every `poll_interval` a scan of everything due
        (retries, deferred SMS, what another replica recorded) and owed dead letters, and
        every quarter of a lease one for leases run out too."""
        last_scan = last_lease_scan = 0.0
        lease_scan_interval = self.policy.lease.total_seconds() / 4
        while True:
            busy = False
            try:
                self._start_groups()
                if monotonic() - last_scan >= self.policy.poll_interval:
                    # leases run out after a minute: looking for them every poll made FerretDB
                    # read every delivery in flight each second of a drain (0.2 s for 1,000)
                    leases = monotonic() - last_lease_scan >= lease_scan_interval
                    busy = await self.scan(leases)
                    last_scan = 0.0 if busy else monotonic()
                    if leases:  # a full batch taken over: more may wait, look again at once
                        last_lease_scan = 0.0 if busy else monotonic()
            except Exception:
                log.exception("dispatcher pass failed; will try again")
            if busy or self._hints:
                continue
            self._wakeup.clear()
            try:
                await asyncio.wait_for(self._wakeup.wait(), self.policy.poll_interval)
            except TimeoutError:
                pass

    async def run_once(self) -> bool:
        """What the background loop does, once: the just-recorded deliveries, then a scan."""
        await self.send_claimed()
        return await self.scan()

    async def send_claimed(self) -> None:
        """Send the deliveries recorded already claimed for us, and wait until every group
        started is sent and recorded."""
        while self._hints or self._groups:
            self._start_groups()
            await asyncio.gather(*self._groups)

    def _start_groups(self) -> None:
        """A task per group of woken deliveries (one lease token each); the semaphore keeps
        the sends to `concurrency` at once, first come first served."""
        hinted, self._hints = self._hints, {}
        groups: dict[str, list[Doc]] = {}
        for doc in hinted.values():
            groups.setdefault(doc["lease"], []).append(doc)
        for lease, docs in groups.items():
            task = asyncio.create_task(self._send_group(lease, docs))
            self._groups.add(task)
            task.add_done_callback(self._groups.discard)

    async def _send_group(self, lease: str, docs: list[Doc]) -> None:
        """Send deliveries recorded together, claimed under one `lease` (their send group);
        publish the `delivery.sent.v1` of the emails accepted side by side (the producer packs
        them into few requests), then record those acceptances on the group, one write for
        them all, instead of one update of each delivery, the write FerretDB does slowest.

        Every other outcome (a refusal, a retry, an SMS, an event the broker did not take, which
        then rides its delivery's outbox) is recorded by its own write first, moving its
        delivery off `grouped`, so what is left `grouped` in the group is exactly what was
        accepted and published. When an attempt or one of those writes failed in a way that
        leaves a delivery's state unknown, the acceptances are recorded one by one instead and
        the group is left to run out. A group whose release began (its lease ran out) refuses
        the write, and the acceptances are recorded one by one. A crash before the write
        leaves the group's lease to run out: the window for a second copy (same Message-ID,
        counted) spans the group's sending time."""
        try:
            await self._send_and_record(lease, docs)
        finally:
            self._sent_some(len(docs))

    async def _send_and_record(self, lease: str, docs: list[Doc]) -> None:
        accepted: list[Accepted] = []
        outcomes = await asyncio.gather(*(self._guarded(d["_id"], d, accepted) for d in docs))
        published = await asyncio.gather(*(self._published(a.entry) for a in accepted))
        settled = UNKNOWN not in outcomes
        together = []
        for done, ok in zip(accepted, published, strict=True):
            if ok:
                together.append(done)
                continue
            try:
                await self._sent_via_outbox(done)
            except Exception:
                log.exception("recording the acceptance of %s failed", done.delivery_id)
                settled = False
        await self._record_together(lease, together, settled)

    async def _record_together(self, lease: str, accepted: list[Accepted], settled: bool) -> None:
        """Record the group `sent` with its accepted emails (none: an empty list, so that it is
        not left open to run out); when a member's state is unknown, the acceptances on the
        deliveries instead, the group left to run out and release that member."""
        now = self.now()
        try:
            if not settled:
                for done in accepted:
                    await self.store.sent(done.delivery_id, now, done.extra)
                return
            ids = [done.delivery_id for done in accepted]
            if not await self.store.groups.sent(lease, ids, now):
                if ids:
                    log.warning("group %s released before its %d acceptances", lease, len(ids))
                for done in accepted:
                    await self.store.sent(done.delivery_id, now, done.extra)
        except Exception:
            log.exception(
                "recording %d acceptances failed; their group's lease will run out", len(accepted)
            )

    async def scan(self, leases: bool = True) -> bool:
        """Every due delivery tried (side by side), owed dead letters published. True when a
        full batch was found (there may be more). Without `leases`, deliveries whose lease ran
        out are left for a later scan."""
        await self.flush_dead_letters()
        if leases:
            await self._release_groups()
        statuses = DUE_STATUSES if leases else ("pending", "retrying")
        ids = await self.store.due(self.now(), self.policy.batch, statuses)
        DUE.set(len(ids))
        await asyncio.gather(*(self._guarded(i) for i in ids))
        return len(ids) == self.policy.batch

    async def _release_groups(self) -> None:
        """Groups whose lease ran out (their sender crashed, stalled, or was stopped): what is
        still `grouped` in them becomes due, to be taken over one by one by this scan."""
        now = self.now()
        for token in await self.store.groups.expired(now, self.policy.batch):
            released = await self.store.release_group(token, now)
            log.warning("send group %s ran out of its lease; %d due again", token, released)

    async def _guarded(
        self, delivery_id: str, claimed: Doc | None = None, accepted: list[Accepted] | None = None
    ) -> str | None:
        async with self._slots:
            try:
                return await self.attempt(delivery_id, claimed, accepted)
            except Exception:
                log.exception("attempt on %s failed unexpectedly", delivery_id)
                return UNKNOWN

    async def attempt(
        self, delivery_id: str, claimed: Doc | None = None, accepted: list[Accepted] | None = None
    ) -> str | None:
        """Claim (unless recorded `claimed` for us), send, record; the new status, or None
        when someone else holds it. With `accepted`, an email accepted is neither published nor
        recorded but added there, for the caller to do both with its group."""
        now = self.now()
        if claimed is not None:
            token, doc = claimed["lease"], claimed
        else:
            token = uuid.uuid4().hex
            before = await self.store.claim(delivery_id, token, now, self.policy.lease)
            if before is None:
                return None
            if before["status"] == "sending" or before.get("maybe_sent"):
                RESENDS.labels(before["channel"]).inc()  # the earlier one may have got through
                if not before.get("maybe_sent"):  # a lease taken over: remembered for figures
                    await self.store.mark_maybe_sent(delivery_id, token)
            doc = {**before, "attempts": before.get("attempts", 0) + 1, "status": "sending"}
        channel = doc["channel"]
        if channel == "sms":
            policy = self.policy
            held = await sms_gate(self.store, doc, token, now, policy.quiet, policy.sms_daily_cap)
            if held:
                return held
        try:
            extra = await self._send(doc)
        except SendError as exc:
            ATTEMPTS.labels(channel, exc.kind).inc()
            return await self._failure(doc, token, exc)
        except Exception as exc:  # a case no sender classified: retried, within the window
            log.exception("unclassified failure sending %s", delivery_id)
            ATTEMPTS.labels(channel, "transient").inc()
            reason = f"unclassified {type(exc).__name__}: {exc}"
            return await self._failure(doc, token, transient(reason, maybe_delivered=True))
        ATTEMPTS.labels(channel, "sent").inc()
        done = Accepted(delivery_id, events.sent_entry(doc, self.now()), extra)
        if accepted is not None and channel == "email":
            accepted.append(done)  # published and recorded with its group
        elif await self._published(done.entry):  # one write: the status, no outbox to empty
            await self.store.sent(delivery_id, self.now(), extra)
        else:
            await self._sent_via_outbox(done)
        return "sent"

    async def _sent_via_outbox(self, done: Accepted) -> None:
        """Record an acceptance whose event the broker did not take, with that event."""
        if await self.store.sent(done.delivery_id, self.now(), done.extra, done.entry):
            self._wake_outbox(self.store.deliveries.name, done.delivery_id, [done.entry])

    async def _published(self, entry: Doc) -> bool:
        """Publish `delivery.sent.v1` straight away, before the acceptance is recorded; False
        (the entry then rides the delivery's outbox, as before) when the broker does not
        acknowledge it in time.

        Why not always the outbox: it costs a second update per email (the relay empties the
        outbox), and updates are what FerretDB does slowest. Why it is safe: the event states
        an outside fact (the server accepted the message), already true when it is published;
        a crash after it and before the record is the crash window the resend metric counts
        (the email may leave again, with the same Message-ID, and so may a second event, with
        another id, exactly as with the outbox); a publish that times out but still lands
        repeats this entry's id in the outbox's copy, which consumers drop."""
        try:
            async with asyncio.timeout(self.policy.publish_timeout):  # no task per event
                await publish_entry(self._publish, entry)
        except Exception as exc:
            DIRECT_FALLBACKS.inc()
            log.warning("delivery.sent.v1 not published directly (%s); via the outbox", exc)
            return False
        return True

    async def _send(self, doc: Doc) -> Doc:
        content = doc["content"]
        if doc["channel"] == "email":
            mid = doc.get("message_id") or message_id(doc["_id"], self.domain)
            await self.email.send(
                OutgoingEmail(
                    to=doc["to"],
                    name=doc.get("name", ""),
                    email=Email(content["subject"], content["text"], content["html"]),
                    message_id=mid,
                    delivery_id=doc["_id"],
                    date=self.now(),
                    list_unsubscribe=content.get("list_unsubscribe"),
                )
            )
            return {"message_id": mid}
        provider_id = await self.sms.send(OutgoingSms(doc["to"], content["text"], doc["_id"]))
        return {"provider_id": provider_id}

    async def _failure(self, doc: Doc, token: str, exc: SendError) -> str:
        now = self.now()
        # A server's refusal may quote the address ("550 <claire@…> unknown"): the reason is
        # kept in the log, the delivery event and the dead letter's headers, so masked here.
        error = mask(exc.reason)
        if exc.kind == "transient":
            created = doc["created_at"]
            created = created if created.tzinfo else created.replace(tzinfo=UTC)
            at = self.policy.backoff.next_attempt(doc["attempts"], created, now)
            if at is not None:
                await self.store.retry(doc["_id"], token, at, error, now, exc.maybe_delivered)
                return "retrying"
            reason = f"gave up after {doc['attempts']} attempts: {error}"
        else:
            reason = error
        entry = events.failed_entry(doc, now, reason, exc.kind == "permanent")
        if await self.store.failed(doc["_id"], reason, now, entry):
            self._wake_outbox(self.store.deliveries.name, doc["_id"], [entry])
            await self.flush_dead_letters()
        return "failed"

    async def flush_dead_letters(self) -> None:
        await dead_letters.flush(self.store, self._publish, self._group)
