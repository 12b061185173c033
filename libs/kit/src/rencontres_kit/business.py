"""The business figures each service exposes on `/metrics`, named once for every service.

They are gauges read from the service's own store by a sampler (`Sampler`), not counters kept in
memory: a restarted replica, or two replicas, still tell the truth. The ops dashboard, the
Grafana dashboards and the alert rules use these names; a service fills only its own.

| metric | labels | filled by |
| --- | --- | --- |
| `registrations` | offer, status, edition | registration |
| `edition_places_total`, `edition_places_left` | edition, campus, day, resource | registration |
| `edition_waiting_list` | edition, campus, day, offer | registration |
| `incubator_applications` | state | registration |
| `invoices` | state (issued, paid, overdue, lapsed, cancelled) | billing |
| `invoiced_amount_cents`, `received_amount_cents` | currency (EUR) | billing |
| `messages` | channel (email, sms), outcome (sent, failed, deferred, resent) | notify |
"""

import logging
from collections.abc import Awaitable, Callable

from prometheus_client import Gauge

from rencontres_kit.periodic import Periodic

log = logging.getLogger(__name__)

REGISTRATIONS = Gauge(
    "registrations", "Registrations by offer, status and edition", ["offer", "status", "edition"]
)
PLACES_TOTAL = Gauge(
    "edition_places_total", "Places of an edition", ["edition", "campus", "day", "resource"]
)
PLACES_LEFT = Gauge(
    "edition_places_left", "Places still free", ["edition", "campus", "day", "resource"]
)
WAITING_LIST = Gauge(
    "edition_waiting_list", "People waiting for a place", ["edition", "campus", "day", "offer"]
)
APPLICATIONS = Gauge("incubator_applications", "Incubator applications by state", ["state"])

INVOICES = Gauge("invoices", "Invoices by state", ["state"])
INVOICED_CENTS = Gauge("invoiced_amount_cents", "Total invoiced incl. VAT, in cents", ["currency"])
RECEIVED_CENTS = Gauge("received_amount_cents", "Total payments received, in cents", ["currency"])
"""Labelled (currency="EUR") so that a service that does not fill them exports no sample."""

MESSAGES = Gauge("messages", "Messages by channel and outcome", ["channel", "outcome"])

BUSINESS_METRICS = (
    "registrations",
    "edition_places_total",
    "edition_places_left",
    "edition_waiting_list",
    "incubator_applications",
    "invoices",
    "invoiced_amount_cents",
    "received_amount_cents",
    "messages",
)


class Sampler(Periodic):
    """Runs `sample()` every `interval` seconds; a failing sample is logged, not fatal."""

    def __init__(self, sample: Callable[[], Awaitable[None]], interval: float = 10.0) -> None:
        super().__init__("business-metrics", sample, interval)
