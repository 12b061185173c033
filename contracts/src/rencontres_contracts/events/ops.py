"""What the ops dashboard publishes on `ops.audit`: its audit trail, keyed by dead-letter topic."""

from datetime import datetime
from typing import ClassVar

from pydantic import ConfigDict, Field

from rencontres_contracts.envelope import EventData


class DeadLetterReplayedV1(EventData):
    """A staff member sent a dead-lettered record back to its original topic.

    The dead letter is named by its own topic, partition and offset; `replayed_event_id` and
    `replayed_event_type` are those of the replayed event when its bytes were a valid event.
    """

    event_type: ClassVar[str] = "deadletter.replayed.v1"
    topic: ClassVar[str] = "ops.audit"
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "replay_id": "0193a1c2-9000-7abc-8def-00000000aaaa",
                    "replayed_by": "marie",
                    "replayed_at": "2027-11-17T09:30:00Z",
                    "dead_letter_topic": "registration.events.dlt",
                    "dead_letter_partition": 0,
                    "dead_letter_offset": 12,
                    "original_topic": "registration.events",
                    "original_partition": 3,
                    "original_offset": 4711,
                    "consumer_group": "notify",
                    "reason": "handler failed 3 times: SMTPServerDisconnected",
                    "replayed_event_id": "0193a1c2-7f00-7abc-8def-0123456789ab",
                    "replayed_event_type": "registration.submitted.v1",
                }
            ]
        }
    )

    replay_id: str = Field(min_length=1, max_length=64)
    replayed_by: str = Field(min_length=1, max_length=100, description="the staff member")
    replayed_at: datetime
    dead_letter_topic: str = Field(min_length=1, max_length=200)
    dead_letter_partition: int = Field(ge=0)
    dead_letter_offset: int = Field(ge=0)
    original_topic: str = Field(min_length=1, max_length=200)
    original_partition: int | None = Field(default=None, ge=0)
    original_offset: int | None = Field(default=None, ge=0)
    consumer_group: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=1000, description="masked")
    replayed_event_id: str | None = Field(default=None, max_length=64)
    replayed_event_type: str | None = Field(default=None, max_length=100)
