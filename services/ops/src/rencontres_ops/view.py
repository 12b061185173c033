"""The overview as the page and the JSON endpoint show it, from one snapshot: pure, no I/O."""

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from babel.numbers import format_currency

from rencontres_ops import charts
from rencontres_ops.collector import Snapshot
from rencontres_ops.domain import (
    by_label,
    dead_letter_counts,
    errors,
    funnel,
    lag_rows,
    messages,
    places,
    total,
)


def overview(snap: Snapshot) -> dict[str, Any]:
    """Everything the page shows, as plain data (the JSON endpoint returns exactly this)."""
    samples = snap.samples
    lags = lag_rows(snap.kafka)
    return {
        "at": snap.at,
        "services": [asdict(s) for s in snap.services],
        "kafka_error": snap.kafka.error,
        "funnel": [{"stage": stage, "count": value} for stage, value in funnel(samples)],
        "places": [asdict(p) for p in places(samples)],
        "applications": by_label(samples, "incubator_applications", "state"),
        "money": {
            "invoiced_cents": total(samples, "invoiced_amount_cents"),
            "received_cents": total(samples, "received_amount_cents"),
        },
        "invoices": by_label(samples, "invoices", "state"),
        "messages": messages(samples),
        "throughput": {t: (list(v)[-1] if v else 0.0) for t, v in sorted(snap.throughput.items())},
        "lag": [asdict(r) for r in lags if r.messages or r.seconds],
        "lag_total": sum(r.messages for r in lags),
        "consumer_groups": sorted({r.group for r in lags}),
        "dead_letters": dead_letter_counts(snap.kafka),
        "errors": errors(samples),
        "consumed": by_label(samples, "events_consumed_total", "outcome"),
        "produced": total(samples, "events_produced_total"),
        "outbox_pending": total(samples, "outbox_pending"),
        "deliveries": [asdict(d) for d in snap.deliveries],
    }


def charts_for(snap: Snapshot, data: dict[str, Any]) -> dict[str, Any]:
    """The SVG charts of the page, drawn from the same data."""
    lag_points = list(snap.lag_history)
    return {
        "funnel": charts.bars(
            [(f["stage"], f["count"]) for f in data["funnel"]], "Funnel, registrations to emails"
        ),
        "applications": charts.bars(
            list(data["applications"].items()), "Incubator applications by state"
        ),
        "throughput": {
            topic: charts.sparkline(list(points), f"{topic}: messages per second")
            for topic, points in sorted(snap.throughput.items())
            if not topic.endswith(".dlt")
        },
        "lag": charts.sparkline(lag_points, "Consumer lag, all groups, messages"),
    }


def utc(epoch_ms: float) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def euros(cents: float | None) -> str:
    if cents is None:
        return "—"
    return format_currency(cents / 100, "EUR", locale="fr_FR")
