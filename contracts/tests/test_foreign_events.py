"""Liberal in what we accept: any CloudEvents 1.0 event of a known type whose data validates.

Events here are written as another team would: by hand with only the attributes the spec
requires, and with the official CloudEvents Python SDK's Kafka binding in both content modes.
"""

import json
from typing import Any

import pytest
from cloudevents.v1.http import CloudEvent as SdkEvent
from cloudevents.v1.kafka import to_binary, to_structured
from rencontres_contracts import InvalidEvent, parse_event
from rencontres_contracts.events.registration import RegistrationSubmittedV1
from rencontres_contracts.export import EXAMPLES_DIR

TYPE = RegistrationSubmittedV1.event_type


def _data() -> dict[str, Any]:
    path = next((EXAMPLES_DIR / TYPE).glob("*.json"))
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _sdk_event(**extra: str) -> SdkEvent:
    attributes = {
        "type": TYPE,
        "source": "urn:other-team:crm",
        "datacontenttype": "application/json",
    }
    return SdkEvent({**attributes, **extra}, _data())


def test_only_the_required_attributes_plus_subject_and_time_are_enough() -> None:
    doc = {
        "specversion": "1.0",
        "id": "evt-42",
        "source": "urn:other-team:crm",
        "type": TYPE,
        "subject": "reg-1",
        "time": "2027-10-02T09:15:00Z",
        "data": _data(),
    }
    event = parse_event(json.dumps(doc))
    assert event.data == RegistrationSubmittedV1.model_validate(_data())
    assert event.correlationid == "evt-42", "a missing correlation starts at the event itself"
    assert event.dataschema.endswith(TYPE)
    assert event.causationid is None and event.traceparent is None


def test_without_subject_or_time_the_key_and_the_reading_time_stand_in() -> None:
    doc = {"specversion": "1.0", "id": "evt-43", "source": "/x", "type": TYPE, "data": _data()}
    event = parse_event(json.dumps(doc), key=b"reg-from-key")
    assert event.subject == "reg-from-key"
    assert event.time.tzinfo is not None
    assert parse_event(json.dumps(doc)).subject == "evt-43"


def test_binary_mode_from_the_official_sdk() -> None:
    message = to_binary(_sdk_event(subject="reg-2"))
    assert "ce_type" in message.headers  # really the binary mode
    event = parse_event(message.value, message.headers, message.key)
    assert event.type == TYPE and event.source == "urn:other-team:crm"
    assert event.subject == "reg-2"
    assert event.id == message.headers["ce_id"].decode()
    assert event.data.registration_id == _data()["registration_id"]


def test_binary_mode_headers_as_a_kafka_client_hands_them_over() -> None:
    message = to_binary(_sdk_event(correlationid="corr-7"))
    pairs = list(message.headers.items())  # aiokafka: a sequence of (str, bytes)
    event = parse_event(message.value, pairs, b"reg-3")
    assert event.correlationid == "corr-7"
    assert event.subject == "reg-3"


def test_structured_mode_from_the_official_sdk() -> None:
    message = to_structured(_sdk_event(subject="reg-4"))
    event = parse_event(message.value, message.headers, message.key)
    assert event.subject == "reg-4" and event.type == TYPE


@pytest.mark.parametrize(
    ("headers", "value", "reason"),
    [
        (
            {"ce_specversion": b"1.0", "ce_id": b"1", "ce_source": b"/x", "ce_type": b"nope.v1"},
            b"{}",
            "unknown event type",
        ),
        (
            {
                "ce_specversion": b"1.0",
                "ce_id": b"1",
                "ce_source": b"/x",
                "ce_type": TYPE.encode(),
                "content-type": b"application/xml",
            },
            b"<a/>",
            "JSON expected",
        ),
        (
            {"ce_specversion": b"1.0", "ce_id": b"1", "ce_source": b"/x", "ce_type": TYPE.encode()},
            b'{"registration_id": 1}',
            TYPE,
        ),
        (
            {"ce_specversion": b"1.0", "ce_source": b"/x", "ce_type": TYPE.encode()},
            json.dumps(_data()).encode(),
            "id",
        ),
    ],
)
def test_a_bad_binary_event_says_why(headers: dict[str, bytes], value: bytes, reason: str) -> None:
    with pytest.raises(InvalidEvent, match=reason):
        parse_event(value, headers)


def test_structured_mode_still_needs_the_required_attributes() -> None:
    doc = {"specversion": "1.0", "id": "evt-44", "type": TYPE, "data": _data()}  # no source
    with pytest.raises(InvalidEvent, match="source"):
        parse_event(json.dumps(doc))
