"""What the dashboard shows, computed from what was read: pure, no I/O.

The collector reads each service's `/readyz` and `/metrics` and Kafka's offsets; these
functions turn that into the page's figures (funnel, places, applications, money, messages,
throughput, lag, errors) and the dead-letter views (payload masked, replay choices).
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from rencontres_contracts.events.ops import DeadLetterReplayedV1
from rencontres_kit.masking import mask, mask_value

# ------------------------------------------------------------------ metrics


@dataclass(frozen=True)
class Sample:
    name: str
    labels: dict[str, str]
    value: float


def parse_metrics(text: str) -> tuple[list[Sample], set[str]]:
    """The samples of a Prometheus text page and the names of every family it declares."""
    samples: list[Sample] = []
    families: set[str] = set()
    for family in text_string_to_metric_families(text):
        families.add(family.name)
        for s in family.samples:
            samples.append(Sample(s.name, dict(s.labels), float(s.value)))
    return samples, families


def total(samples: Iterable[Sample], name: str, **match: str | tuple[str, ...]) -> float | None:
    """The sum of `name`'s samples whose labels match: 0 when the service exports `name` but
    no sample matches (a gauge keeps only the label sets it has seen), None when no service
    exports `name` at all ("—" on the page)."""
    found = None
    for s in samples:
        if s.name != name:
            continue
        found = found or 0.0
        if all(s.labels.get(k) in (v if isinstance(v, tuple) else (v,)) for k, v in match.items()):
            found += s.value
    return found


# ------------------------------------------------------------------ the page's figures


@dataclass(frozen=True)
class ServiceStatus:
    name: str
    up: bool
    ready: bool
    checks: dict[str, str] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class KafkaState:
    """Offsets as read in one poll: end offsets per topic partition, committed per group."""

    ends: dict[tuple[str, int], int] = field(default_factory=dict)
    starts: dict[tuple[str, int], int] = field(default_factory=dict)
    committed: dict[str, dict[tuple[str, int], int]] = field(default_factory=dict)
    lag_seconds: dict[tuple[str, str, int], float] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class Delivery:
    """One line of notify's `delivery.sent.v1` / `delivery.failed.v1`, as the page shows it."""

    at: str
    outcome: str
    channel: str
    template: str
    recipient: str
    attempts: int
    error: str | None = None


def delivery_of(event_type: str, data: Any) -> Delivery | None:
    """The page's line for a notify event; None for any other type."""
    if event_type not in ("delivery.sent.v1", "delivery.failed.v1"):
        return None
    error = getattr(data, "error", None)
    return Delivery(
        at=data.at.isoformat(timespec="seconds"),
        outcome="sent" if event_type == "delivery.sent.v1" else "failed",
        channel=data.channel,
        template=data.template,
        recipient=mask(data.recipient_masked),  # masked by notify; masked again, to be sure
        attempts=data.attempts,
        error=mask(error) if error else None,
    )


@dataclass(frozen=True)
class LagRow:
    group: str
    topic: str
    partition: int
    messages: int
    seconds: float


def lag_rows(kafka: KafkaState) -> list[LagRow]:
    rows = []
    for group, offsets in sorted(kafka.committed.items()):
        for (topic, partition), committed in sorted(offsets.items()):
            end = kafka.ends.get((topic, partition), committed)
            seconds = kafka.lag_seconds.get((group, topic, partition), 0.0)
            rows.append(LagRow(group, topic, partition, max(end - committed, 0), seconds))
    return rows


def dead_letter_counts(kafka: KafkaState) -> dict[str, int]:
    """Messages held by each dead-letter topic (what retention has not yet removed)."""
    counts: dict[str, int] = {}
    for (topic, partition), end in kafka.ends.items():
        if topic.endswith(".dlt"):
            start = kafka.starts.get((topic, partition), 0)
            counts[topic] = counts.get(topic, 0) + max(end - start, 0)
    return dict(sorted(counts.items()))


def topic_totals(kafka: KafkaState) -> dict[str, int]:
    """Messages ever written per topic (end offsets summed), for throughput between polls."""
    totals: dict[str, int] = {}
    for (topic, _), end in kafka.ends.items():
        totals[topic] = totals.get(topic, 0) + end
    return totals


FUNNEL = ("submitted", "reserved", "invoiced", "paid", "confirmed", "notified")


def funnel(samples: list[Sample]) -> list[tuple[str, float | None]]:
    """Submitted → reserved → invoiced → paid → confirmed → notified, from the three services.

    A stage whose metric no service exports yet shows as None ("—" on the page).
    Registrations are counted per edition booked; "notified" counts emails sent (all offers).
    """
    paying = ("stand", "pool_seat")
    submitted = total(samples, "registrations", offer=paying)
    reserved = total(samples, "registrations", offer=paying, status=("reserved", "confirmed"))
    invoiced = total(samples, "invoices", state=("issued", "paid", "overdue", "lapsed"))
    paid = total(samples, "invoices", state="paid")
    confirmed = total(samples, "registrations", offer=paying, status="confirmed")
    # no stand-in while notify does not export `messages`: its consumed events count every
    # offer and every event type, which would read as more people told than registered
    notified = total(samples, "messages", channel="email", outcome=("sent", "resent"))
    values = (submitted, reserved, invoiced, paid, confirmed, notified)
    return list(zip(FUNNEL, values, strict=True))


@dataclass(frozen=True)
class PlaceRow:
    edition: str
    campus: str
    day: str
    resource: str
    total: int
    left: int
    waiting: int


def places(samples: list[Sample]) -> list[PlaceRow]:
    waiting: dict[tuple[str, str], float] = {}
    offer_resource = {"stand": "stand", "pool_seat": "stand", "student_pass": "student_pass"}
    for s in samples:
        if s.name == "edition_waiting_list":
            key = (s.labels["edition"], offer_resource.get(s.labels.get("offer", ""), "stand"))
            waiting[key] = waiting.get(key, 0) + s.value
    rows = []
    for s in samples:
        if s.name != "edition_places_left":
            continue
        lab = s.labels
        size = total(
            samples, "edition_places_total", edition=lab["edition"], resource=lab["resource"]
        )
        rows.append(
            PlaceRow(
                lab["edition"],
                lab.get("campus", ""),
                lab.get("day", ""),
                lab["resource"],
                int(size or 0),
                int(s.value),
                int(waiting.get((lab["edition"], lab["resource"]), 0)),
            )
        )
    return sorted(rows, key=lambda r: (r.day, r.campus, r.resource))


def by_label(samples: list[Sample], name: str, label: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for s in samples:
        if s.name == name:
            out[s.labels.get(label, "")] = out.get(s.labels.get(label, ""), 0) + s.value
    return dict(sorted(out.items()))


def messages(samples: list[Sample]) -> dict[str, dict[str, float]]:
    """outcome → channel → count, from notify's `messages` gauge."""
    out: dict[str, dict[str, float]] = {}
    for s in samples:
        if s.name == "messages":
            row = out.setdefault(s.labels.get("outcome", ""), {})
            row[s.labels.get("channel", "")] = s.value
    return out


def errors(samples: list[Sample]) -> dict[str, float]:
    """Per service: 5xx answers, handler failures and dead letters since it started."""
    out: dict[str, float] = {}
    for s in samples:
        svc = s.labels.get("service", "")
        if s.name == "http_requests_total" and s.labels.get("status", "").startswith("5"):
            out[f"{svc} HTTP 5xx"] = out.get(f"{svc} HTTP 5xx", 0) + s.value
        elif s.name == "event_handler_failures_total":
            out[f"{svc} handler failures"] = out.get(f"{svc} handler failures", 0) + s.value
        elif s.name == "dead_letters_total":
            out[f"{svc} dead-lettered"] = out.get(f"{svc} dead-lettered", 0) + s.value
    return dict(sorted(out.items()))


# ------------------------------------------------------------------ dead letters

PERSONAL_KEYS = frozenset(
    {"name", "email", "phone", "line1", "line2", "buyer_name", "holder", "iban", "recipient"}
)


def _hide(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "***" if k in PERSONAL_KEYS and v else _hide(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_hide(v) for v in value]
    return mask_value(value)


def masked_payload(value: bytes) -> str:
    """The payload as staff may read it: names, emails, phones and addresses hidden."""
    try:
        doc = json.loads(value)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return mask(value.decode("utf-8", errors="replace"))[:4000]
    return json.dumps(_hide(doc), indent=2, ensure_ascii=False)[:20000]


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    headers: dict[str, str]
    value: bytes

    @property
    def ref(self) -> str:
        """The dead letter's name in URLs and forms: topic/partition/offset."""
        return f"{self.topic}/{self.partition}/{self.offset}"

    @property
    def original_topic(self) -> str:
        return self.headers.get("x-original-topic") or self.topic.removesuffix(".dlt")

    @property
    def reason(self) -> str:
        return mask(self.headers.get("x-dead-letter-reason", ""))

    def masked_headers(self) -> dict[str, str]:
        return {k: mask(v) for k, v in sorted(self.headers.items())}

    def event_facts(self) -> tuple[str | None, str | None, str | None]:
        """(event id, event type, subject) when the payload is a JSON event."""
        try:
            doc = json.loads(self.value)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return None, None, None
        if not isinstance(doc, dict):
            return None, None, None
        facts = (doc.get("id"), doc.get("type"), doc.get("subject"))
        return tuple(str(f) if f is not None else None for f in facts)  # type: ignore[return-value]

    def replay_headers(self) -> list[tuple[str, bytes]]:
        """The original record's headers (a binary-mode event's `ce_*` ones included), without
        what dead-lettering added or the trace headers the replay's own send will carry."""
        dropped = ("x-dead-letter-", "x-consumer-group", "x-original-", "traceparent", "tracestate")
        return [(k, v.encode()) for k, v in self.headers.items() if not k.startswith(dropped)] or [
            ("content-type", b"application/cloudevents+json")
        ]

    def replay_key(self) -> bytes | None:
        """The original record's key: its header, else the event's subject (the aggregate id)."""
        if "x-original-key" in self.headers:
            return self.headers["x-original-key"].encode()
        subject = self.event_facts()[2]
        return subject.encode() if subject else None


def audited_ref(replay: DeadLetterReplayedV1) -> str:
    """The dead letter an audit record names, as `DeadLetter.ref` names it."""
    return f"{replay.dead_letter_topic}/{replay.dead_letter_partition}/{replay.dead_letter_offset}"


class ReplayRefused(Exception):
    """A replay that cannot be done; `code` is what the faces translate."""

    def __init__(self, code: str, ref: str) -> None:
        super().__init__(f"{code}: {ref}")
        self.code = code
        self.ref = ref


def choose(
    letters: list[DeadLetter], refs: list[str] | None, replayed: set[str]
) -> tuple[list[DeadLetter], list[tuple[str, str]]]:
    """The dead letters to replay (all when `refs` is None) and the refs skipped, with why.

    A dead letter already replayed is not sent twice: its consumers would skip the event id
    anyway, but a record that was never a valid event would be processed again.
    """
    known = {d.ref: d for d in letters}
    wanted = list(known) if refs is None else refs
    chosen, skipped = [], []
    for ref in dict.fromkeys(wanted):
        if ref not in known:
            skipped.append((ref, "unknown"))
        elif ref in replayed:
            skipped.append((ref, "already_replayed"))
        else:
            chosen.append(known[ref])
    return chosen, skipped
