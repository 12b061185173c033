"""Create the topics of the contracts' catalog on a broker, leaving existing ones alone."""

import asyncio

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from rencontres_contracts.topics import TOPICS


def _new_topics() -> list[NewTopic]:
    specs = []
    for topic in TOPICS:
        config = {"retention.ms": str(topic.retention_ms), "min.insync.replicas": "1"}
        specs.append(NewTopic(topic.name, topic.partitions, 1, topic_configs=config))
        specs.append(NewTopic(topic.dead_letter, 1, 1, topic_configs=config))
    return specs


async def ensure_topics(bootstrap_servers: str) -> list[str]:
    """Create what is missing; returns the names created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="rencontres-infra")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in _new_topics() if t.name not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass  # another starter won the race
        return [t.name for t in missing]
    finally:
        await admin.close()


def ensure_topics_sync(bootstrap_servers: str) -> list[str]:
    return asyncio.run(ensure_topics(bootstrap_servers))
