"""Message contracts shared by the Rencontres services.

Only what is defined here crosses a service boundary: the CloudEvents envelope, one pydantic
model per event type, and the topic catalog.
"""

from rencontres_contracts.envelope import CloudEvent, EventData, new_event
from rencontres_contracts.registry import EVENT_TYPES, InvalidEvent, parse_event
from rencontres_contracts.topics import TOPICS, Topic, topic_for

__all__ = [
    "EVENT_TYPES",
    "TOPICS",
    "CloudEvent",
    "EventData",
    "InvalidEvent",
    "Topic",
    "new_event",
    "parse_event",
    "topic_for",
]
