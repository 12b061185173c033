"""The CloudEvents 1.0 envelope around every message.

Each event type is a pydantic model subclassing `EventData` that names its CloudEvents `type`
and the topic it travels on. The envelope is generic over that model so a consumer that asks for
`CloudEvent[RegistrationSubmittedV1]` gets `data` validated.

Strict in what we send, liberal in what we accept: `new_event` fills every attribute, but the
envelope requires only what CloudEvents 1.0 requires (`specversion`, `id`, `source`, `type`)
and gives the optional ones a default when another team's producer leaves them out:
`correlationid` = the event's own id (it starts a correlation), `dataschema` = our schema URN
for the type, `time` = when we read it, `subject` = the id (a consumer may pass the Kafka key).
"""

import functools
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rencontres_contracts.ids import new_id

SCHEMA_URN_PREFIX = "urn:rencontres:schema:"


class EventData(BaseModel):
    """Base of every event payload: immutable, strict about unknown fields' absence of meaning.

    Unknown fields are ignored rather than rejected so that a consumer on an older minor revision
    of a `.vN` type still reads events that carry newer optional fields.
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_type: ClassVar[str]
    topic: ClassVar[str]

    @classmethod
    def dataschema(cls) -> str:
        return SCHEMA_URN_PREFIX + cls.event_type


DataT = TypeVar("DataT")


class CloudEvent(BaseModel, Generic[DataT]):
    """A CloudEvents 1.0 event with its `data` and the tracing extensions we rely on."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(min_length=1, max_length=200, description="UUIDv7, unique and time-sortable")
    source: str = Field(min_length=1, max_length=1000, description="URI-reference of the producer")
    type: str = Field(pattern=r"^[a-z][a-z_]*(\.[a-z_]+)+\.v[0-9]+$")
    time: datetime = Field(description="when it happened; when it was read if absent")
    subject: str = Field(
        min_length=1, max_length=200, description="aggregate id; the Kafka key; the id if absent"
    )
    datacontenttype: str = Field(default="application/json", max_length=100)
    dataschema: str = Field(max_length=1000, description="our schema URN for the type if absent")
    correlationid: str = Field(
        min_length=1, max_length=200, description="the event's own id if absent"
    )
    causationid: str | None = Field(default=None, max_length=64)
    traceparent: str | None = Field(default=None, max_length=55)
    data: DataT

    @model_validator(mode="before")
    @classmethod
    def _default_optional_attributes(cls, value: Any) -> Any:
        """Fill what CloudEvents 1.0 leaves optional and our consumers rely on."""
        if not isinstance(value, dict) or "id" not in value:
            return value
        filled = dict(value)
        for name, default in (
            ("correlationid", value["id"]),
            ("subject", value["id"]),
            ("dataschema", SCHEMA_URN_PREFIX + str(value.get("type"))),
        ):
            if filled.get(name) in (None, ""):
                filled[name] = default
        if filled.get("time") in (None, ""):
            filled["time"] = datetime.now(UTC)
        return filled

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    def follow_up(self, data: "EventData", *, source: str, subject: str | None = None) -> Any:
        """A new event caused by this one: same correlation id, causation id = this id."""
        return new_event(
            data,
            source=source,
            subject=subject or self.subject,
            correlation_id=self.correlationid,
            causation_id=self.id,
            traceparent=self.traceparent,
        )


E = TypeVar("E", bound=EventData)


@functools.cache
def envelope_of(model: type[EventData]) -> type["CloudEvent[Any]"]:
    """`CloudEvent[model]`, looked up once per type: pydantic's own lookup of a parametrized
    class, and now and then its rebuilding, took 1.7 % of notify's event loop while draining a
    backlog (py-spy), for a class that never changes."""
    return CloudEvent[model]  # type: ignore[valid-type]


def new_event(
    data: E,
    *,
    source: str,
    subject: str,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    traceparent: str | None = None,
    event_id: str | None = None,
    time: datetime | None = None,
) -> CloudEvent[E]:
    """Wrap `data` in a fresh envelope; a new id starts a new correlation unless one is given."""
    eid = event_id or new_id()
    envelope: Any = envelope_of(type(data))
    return envelope(
        id=eid,
        source=source,
        type=data.event_type,
        time=time or datetime.now(UTC),
        subject=subject,
        dataschema=data.dataschema(),
        correlationid=correlation_id or eid,
        causationid=causation_id,
        traceparent=traceparent,
        data=data,
    )
