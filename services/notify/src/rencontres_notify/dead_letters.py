"""The dead letters failed deliveries owe (`dead_letter_owed`, set with the `failed` status):
the source event's bytes on its topic's dead-letter topic, with the reason in the headers;
at least once (a crash before the flag is cleared publishes again)."""

from rencontres_contracts import topic_for
from rencontres_kit.outbox import Publish

from rencontres_notify.store import DeliveryStore

FALLBACK_TOPIC = "notify.events.dlt"
"""For a source event type the catalog does not know (it routed here once, then changed)."""


async def flush(store: DeliveryStore, publish: Publish, group: str) -> None:
    for doc in await store.dead_letters_owed():
        try:
            topic = topic_for(doc.get("event_type", "")).dead_letter
        except KeyError:
            topic = FALLBACK_TOPIC
        reason = f"delivery {doc['_id']} failed: {doc.get('last_error', '')}"
        headers = {
            "x-dead-letter-reason": reason[:1000],
            "x-consumer-group": group,
            "x-original-topic": topic.removesuffix(".dlt"),
            "x-delivery-id": doc["_id"],
            "x-channel": doc["channel"],
        }
        await publish(topic, doc["_id"].encode(), str(doc.get("event", "")).encode(), headers)
        await store.dead_lettered(doc["_id"])
