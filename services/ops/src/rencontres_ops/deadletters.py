"""Dead letters read from Kafka, replayed to their original topic, each replay audited on Kafka.

Ops keeps no database: what is parked is read from the `.dlt` topics, and what was replayed
from `ops.audit` (read from its beginning, no consumer group). A replay sends the original
bytes, with the original key, to the original topic, then records a `deadletter.replayed.v1`
event; the consumers' processed-event ids make the replayed event apply once.
"""

import asyncio
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from rencontres_contracts import TOPICS, CloudEvent, InvalidEvent, new_event, parse_event
from rencontres_contracts.events.ops import DeadLetterReplayedV1
from rencontres_contracts.ids import new_id

from rencontres_ops.collector import partitions_of
from rencontres_ops.domain import DeadLetter, ReplayRefused, audited_ref, choose

AUDIT_TOPIC = DeadLetterReplayedV1.topic


class DeadLetterDesk:
    def __init__(self, bootstrap_servers: str, shown: int = 200) -> None:
        self._bootstrap = bootstrap_servers
        self._shown = shown
        self._lock = asyncio.Lock()  # one reader: assignments and seeks are per consumer
        self._reader: AIOKafkaConsumer | None = None
        self._admin: AIOKafkaAdminClient | None = None
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap,
            client_id="ops-replay",
            enable_idempotence=True,
            acks="all",
        )
        await self._producer.start()

    async def stop(self) -> None:
        for client in (self._reader, self._producer):
            if client is not None:
                await client.stop()
        if self._admin is not None:
            await self._admin.close()

    async def _consumer(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None:
            admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap, client_id="ops-dlt")
            await admin.start()
            self._admin = admin
        if self._reader is None:
            reader = AIOKafkaConsumer(
                bootstrap_servers=self._bootstrap,
                client_id="ops-dead-letters",
                group_id=None,
                enable_auto_commit=False,
            )
            await reader.start()
            self._reader = reader
        return self._admin, self._reader

    # ------------------------------------------------------------------ reading

    async def letters(self) -> list[DeadLetter]:
        """The most recent dead letters of every dead-letter topic, newest first."""
        topics = [t.dead_letter for t in TOPICS if t.name != AUDIT_TOPIC]
        records = await self._read(topics, self._shown)
        letters = [
            DeadLetter(
                r.topic,
                r.partition,
                r.offset,
                r.timestamp,
                r.key,
                {k: v.decode("utf-8", errors="replace") for k, v in r.headers},
                r.value or b"",
            )
            for r in records
        ]
        return sorted(letters, key=lambda d: d.timestamp_ms, reverse=True)

    async def audit(self) -> list[CloudEvent[DeadLetterReplayedV1]]:
        """Every replay recorded, oldest first."""
        events = []
        for record in await self._read([AUDIT_TOPIC], None):
            try:
                event = parse_event(record.value or b"")
            except InvalidEvent:
                continue
            if isinstance(event.data, DeadLetterReplayedV1):
                events.append(event)
        return events

    async def replayed(self) -> set[str]:
        return {audited_ref(e.data) for e in await self.audit()}

    async def _read(self, topics: list[str], last: int | None) -> list[Any]:
        """Records from `topics` up to their current end (the `last` of each partition)."""
        async with self._lock:
            admin, consumer = await self._consumer()
            tps = await partitions_of(admin, topics)
            if not tps:
                return []
            ends = await consumer.end_offsets(tps)
            starts = await consumer.beginning_offsets(tps)
            todo = {tp for tp in tps if ends[tp] > starts[tp]}
            if not todo:
                return []
            consumer.assign(list(todo))
            for tp in todo:
                first = starts[tp] if last is None else max(starts[tp], ends[tp] - last)
                consumer.seek(tp, first)
            out: list[Any] = []
            while todo:
                batch = await consumer.getmany(*todo, timeout_ms=1000)
                if not batch:
                    break  # nothing more within a second: the end moved back (retention)
                for tp, records in batch.items():
                    out.extend(r for r in records if r.offset < ends[tp])
                    if records and records[-1].offset >= ends[tp] - 1:
                        todo.discard(tp)
            return out

    # ------------------------------------------------------------------ replaying

    async def replay(
        self, refs: list[str] | None, by: str
    ) -> tuple[list[DeadLetterReplayedV1], list[tuple[str, str]]]:
        """Replay the dead letters named (all when None); what was replayed and what skipped."""
        letters = await self.letters()
        chosen, skipped = choose(letters, refs, await self.replayed())
        done = []
        for letter in chosen:
            done.append(await self._replay_one(letter, by))
        return done, skipped

    async def _replay_one(self, letter: DeadLetter, by: str) -> DeadLetterReplayedV1:
        if self._producer is None:
            raise ReplayRefused("not_started", letter.ref)
        event_id, event_type, _ = letter.event_facts()
        await self._producer.send_and_wait(
            letter.original_topic,
            letter.value,
            key=letter.replay_key(),
            headers=[*letter.replay_headers(), ("x-replayed-from", letter.ref.encode())],
        )
        headers = letter.headers
        record = DeadLetterReplayedV1(
            replay_id=new_id(),
            replayed_by=by,
            replayed_at=datetime.now(UTC),
            dead_letter_topic=letter.topic,
            dead_letter_partition=letter.partition,
            dead_letter_offset=letter.offset,
            original_topic=letter.original_topic,
            original_partition=_int(headers.get("x-original-partition")),
            original_offset=_int(headers.get("x-original-offset")),
            consumer_group=headers.get("x-consumer-group"),
            reason=letter.reason[:1000] or None,
            replayed_event_id=event_id[:64] if event_id else None,
            replayed_event_type=event_type[:100] if event_type else None,
        )
        event = new_event(record, source="ops", subject=record.replay_id)
        await self._producer.send_and_wait(
            AUDIT_TOPIC,
            event.to_bytes(),
            key=letter.topic.encode(),
            headers=[("content-type", b"application/cloudevents+json"),
                     ("ce_type", record.event_type.encode())],
        )  # fmt: skip
        return record


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None
