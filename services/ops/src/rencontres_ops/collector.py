"""Reads every service and Kafka every few seconds; the pages only ever read its last snapshot.

So a page costs no call to anything: it stays fast while the platform is busy, and a stopped
service shows as down at the next poll (a probe times out after `probe_timeout` seconds).
The same snapshot is exported on ops' own `/metrics`: services up and ready, consumer lag per
group and partition in messages and in seconds, dead letters per topic, messages per topic.
"""

import asyncio
import logging
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector as PrometheusCollector
from rencontres_contracts import TOPICS, InvalidEvent, parse_event

from rencontres_ops.domain import (
    Delivery,
    KafkaState,
    Sample,
    ServiceStatus,
    dead_letter_counts,
    delivery_of,
    lag_rows,
    parse_metrics,
    topic_totals,
)

log = logging.getLogger(__name__)

DELIVERIES = "notify.events"
HISTORY = 90
"""Polls kept for the sparklines (three minutes at the default two seconds)."""


@dataclass
class Snapshot:
    at: float = 0.0
    services: list[ServiceStatus] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    families: dict[str, set[str]] = field(default_factory=dict)
    kafka: KafkaState = field(default_factory=KafkaState)
    throughput: dict[str, deque[float]] = field(default_factory=dict)
    """Messages per second written to each topic, one point per poll."""
    lag_history: deque[float] = field(default_factory=lambda: deque(maxlen=HISTORY))
    deliveries: list[Delivery] = field(default_factory=list)
    """The latest messages notify reported sent or failed (`notify.events`), newest first."""


class Collector:
    def __init__(
        self,
        services: dict[str, str],
        bootstrap_servers: str,
        *,
        interval: float = 2.0,
        probe_timeout: float = 1.5,
    ) -> None:
        self._services = services
        self._bootstrap = bootstrap_servers
        self._interval = interval
        self._timeout = probe_timeout
        self._http = httpx.AsyncClient(timeout=probe_timeout)
        self._admin: AIOKafkaAdminClient | None = None
        self._offsets: AIOKafkaConsumer | None = None
        self._task: asyncio.Task[None] | None = None
        self._previous: tuple[float, dict[str, int]] | None = None
        self._deliveries_marker: tuple[int, ...] = ()
        self.snapshot = Snapshot()
        self.polled = asyncio.Event()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="ops-collector")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._http.aclose()
        await self._close_kafka()

    async def _close_kafka(self) -> None:
        try:
            if self._admin is not None:
                await self._admin.close()
            if self._offsets is not None:
                await self._offsets.stop()
        except Exception:
            log.debug("closing a Kafka client failed", exc_info=True)
        self._admin = self._offsets = None

    async def _run(self) -> None:
        while True:
            started = time.monotonic()
            try:
                await self.poll()
            except Exception:
                log.exception("ops poll failed; next in %.0f s", self._interval)
            await asyncio.sleep(max(self._interval - (time.monotonic() - started), 0.1))

    # ------------------------------------------------------------------ one poll

    async def poll(self) -> Snapshot:
        probes = [self._probe(name, url) for name, url in self._services.items()]
        results, (kafka, deliveries) = await asyncio.gather(
            asyncio.gather(*probes), self._kafka_state()
        )
        snap = Snapshot(
            at=time.time(),
            services=[status for status, _, _ in results],
            samples=[s for _, samples, _ in results for s in samples],
            families={status.name: families for status, _, families in results},
            kafka=kafka,
            throughput=self.snapshot.throughput,
            lag_history=self.snapshot.lag_history,
            deliveries=deliveries if deliveries is not None else self.snapshot.deliveries,
        )
        self._history(snap)
        self.snapshot = snap
        self.polled.set()
        return snap

    async def _probe(self, name: str, url: str) -> tuple[ServiceStatus, list[Sample], set[str]]:
        try:
            ready, metrics = await asyncio.gather(
                self._http.get(f"{url}/readyz"), self._http.get(f"{url}/metrics")
            )
        except httpx.HTTPError as exc:
            return ServiceStatus(name, False, False, error=type(exc).__name__), [], set()
        try:
            checks = dict(ready.json().get("checks", {}))
        except ValueError:
            checks = {}
        samples, families = (
            parse_metrics(metrics.text) if metrics.status_code == 200 else ([], set())
        )
        tagged = [Sample(s.name, {**s.labels, "service": name}, s.value) for s in samples]
        status = ServiceStatus(name, True, ready.status_code == 200, checks)
        return status, tagged, families

    def _history(self, snap: Snapshot) -> None:
        totals = topic_totals(snap.kafka)
        if self._previous is not None and totals:
            at, before = self._previous
            seconds = max(snap.at - at, 0.001)
            for topic, count in totals.items():
                rate = max(count - before.get(topic, count), 0) / seconds
                snap.throughput.setdefault(topic, deque(maxlen=HISTORY)).append(rate)
        if totals:
            self._previous = (snap.at, totals)
        snap.lag_history.append(sum(r.messages for r in lag_rows(snap.kafka)))

    # ------------------------------------------------------------------ Kafka

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None or self._offsets is None:
            admin = AIOKafkaAdminClient(
                bootstrap_servers=self._bootstrap, client_id="ops", request_timeout_ms=5000
            )
            offsets = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap,
                client_id="ops-offsets",
                group_id=None,
                enable_auto_commit=False,
                request_timeout_ms=5000,
            )
            await admin.start()
            await offsets.start()
            self._admin, self._offsets = admin, offsets
        return self._admin, self._offsets

    async def _kafka_state(self) -> tuple[KafkaState, list[Delivery] | None]:
        try:
            async with asyncio.timeout(max(self._interval * 2, 5.0)):
                state = await self._read_kafka()
                return state, await self._deliveries(state)
        except Exception as exc:
            log.warning("reading Kafka failed: %s", exc)
            await self._close_kafka()
            return KafkaState(error=f"{type(exc).__name__}: {exc}"[:200]), None

    async def _deliveries(self, state: KafkaState, last: int = 10) -> list[Delivery] | None:
        """The last `last` records of each partition of `notify.events`; None when unchanged."""
        wanted = {
            TopicPartition(topic, p): end
            for (topic, p), end in state.ends.items()
            if topic == DELIVERIES and end > state.starts.get((topic, p), 0)
        }
        marker = tuple(sorted(state.ends.get((t.topic, t.partition), 0) for t in wanted))
        if marker == self._deliveries_marker:
            return None
        self._deliveries_marker = marker
        assert self._offsets is not None
        self._offsets.assign(list(wanted))
        for tp, end in wanted.items():
            self._offsets.seek(tp, max(state.starts.get((tp.topic, tp.partition), 0), end - last))
        found: list[Delivery] = []
        batch = await self._offsets.getmany(*wanted, timeout_ms=500) if wanted else {}
        for records in batch.values():
            for record in records:
                try:
                    event = parse_event(record.value or b"", record.headers, record.key)
                except InvalidEvent:
                    continue
                line = delivery_of(event.type, event.data)
                if line is not None:
                    found.append(line)
        return sorted(found, key=lambda d: d.at, reverse=True)[: last * 2]

    async def _read_kafka(self) -> KafkaState:
        admin, consumer = await self._clients()
        names = [n for t in TOPICS for n in (t.name, t.dead_letter)]
        partitions = await partitions_of(admin, names)
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        committed: dict[str, dict[tuple[str, int], int]] = {}
        for group, _protocol in await admin.list_consumer_groups():
            offsets = await admin.list_consumer_group_offsets(group)
            committed[group] = {
                (tp.topic, tp.partition): meta.offset
                for tp, meta in offsets.items()
                if meta.offset >= 0
            }
        state = KafkaState(
            ends={(tp.topic, tp.partition): o for tp, o in ends.items()},
            starts={(tp.topic, tp.partition): o for tp, o in starts.items()},
            committed=committed,
        )
        return KafkaState(
            state.ends, state.starts, committed, await self._lag_seconds(consumer, state)
        )

    async def _lag_seconds(
        self, consumer: AIOKafkaConsumer, state: KafkaState
    ) -> dict[tuple[str, str, int], float]:
        """How old the first record each group has not yet consumed is, per partition."""
        lagging = [r for r in lag_rows(state) if r.messages > 0]
        if not lagging:
            return {}
        wanted = {TopicPartition(r.topic, r.partition) for r in lagging}
        consumer.assign(list(wanted))
        now_ms = time.time() * 1000
        seconds: dict[tuple[str, str, int], float] = {}
        for row in lagging:
            tp = TopicPartition(row.topic, row.partition)
            consumer.seek(tp, state.committed[row.group][(row.topic, row.partition)])
            batch = await consumer.getmany(tp, timeout_ms=500, max_records=1)
            records = batch.get(tp, [])
            if records:
                seconds[(row.group, row.topic, row.partition)] = max(
                    (now_ms - records[0].timestamp) / 1000, 0.0
                )
        return seconds


async def partitions_of(admin: AIOKafkaAdminClient, names: list[str]) -> list[TopicPartition]:
    """Every partition of the topics named that exist."""
    described = await admin.describe_topics(names)
    return [
        TopicPartition(t["topic"], p["partition"])
        for t in described
        if not t.get("error_code")
        for p in sorted(t["partitions"], key=lambda p: int(p["partition"]))
    ]


class SnapshotMetrics(PrometheusCollector):
    """Ops' own `/metrics`, read from the collector's last snapshot at scrape time."""

    def __init__(self, collector: Collector) -> None:
        self._collector = collector

    def collect(self) -> Iterator[Metric]:
        snap = self._collector.snapshot
        up = GaugeMetricFamily("rencontres_service_up", "The service answers", labels=["service"])
        ready = GaugeMetricFamily(
            "rencontres_service_ready", "The service is ready", labels=["service"]
        )
        for s in snap.services:
            up.add_metric([s.name], 1.0 if s.up else 0.0)
            ready.add_metric([s.name], 1.0 if s.ready else 0.0)
        lag = GaugeMetricFamily(
            "kafka_consumergroup_lag",
            "Messages a consumer group has not consumed yet",
            labels=["group", "topic", "partition"],
        )
        lag_s = GaugeMetricFamily(
            "kafka_consumergroup_lag_seconds",
            "Age of the oldest message a consumer group has not consumed yet",
            labels=["group", "topic", "partition"],
        )
        for row in lag_rows(snap.kafka):
            labels = [row.group, row.topic, str(row.partition)]
            lag.add_metric(labels, row.messages)
            lag_s.add_metric(labels, row.seconds)
        dead = GaugeMetricFamily(
            "dead_letter_messages", "Messages held by a dead-letter topic", labels=["topic"]
        )
        for topic, count in dead_letter_counts(snap.kafka).items():
            dead.add_metric([topic], count)
        written = CounterMetricFamily(
            "kafka_topic_messages", "Messages written to a topic", labels=["topic"]
        )
        for topic, count in topic_totals(snap.kafka).items():
            written.add_metric([topic], count)
        kafka_up = GaugeMetricFamily("ops_kafka_readable", "Ops could read Kafka's offsets")
        kafka_up.add_metric([], 0.0 if snap.kafka.error else 1.0)
        yield from (up, ready, lag, lag_s, dead, written, kafka_up)
