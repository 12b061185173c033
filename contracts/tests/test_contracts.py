"""The contracts package: envelope, registry, exported artefacts and their history."""

import json
import time

import jsonschema
import pytest
from rencontres_contracts import EVENT_TYPES, InvalidEvent, new_event, parse_event, topic_for
from rencontres_contracts.events.registration import RegistrationSubmittedV1
from rencontres_contracts.export import (
    EXAMPLES_DIR,
    SCHEMAS_DIR,
    orphan_schemas,
    stale_files,
)
from rencontres_contracts.ids import uuid7
from rencontres_contracts.topics import TOPICS, all_topic_names


def _example() -> RegistrationSubmittedV1:
    path = next((EXAMPLES_DIR / RegistrationSubmittedV1.event_type).glob("*.json"))
    return RegistrationSubmittedV1.model_validate_json(path.read_text())


def test_exported_files_match_the_models() -> None:
    stale = [str(p) for p in stale_files()]
    assert stale == [], f"run `make contracts` and commit: {stale}"


def test_no_schema_is_left_without_its_model() -> None:
    assert orphan_schemas() == []


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_every_committed_example_is_accepted_by_the_committed_schema(event_type: str) -> None:
    schema = json.loads((SCHEMAS_DIR / f"{event_type}.json").read_text())
    examples = sorted((EXAMPLES_DIR / event_type).glob("*.json"))
    assert examples, f"{event_type} has no committed example"
    for path in examples:
        doc = json.loads(path.read_text())
        jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
        EVENT_TYPES[event_type].model_validate(doc)


def test_envelope_round_trips_through_bytes() -> None:
    data = _example()
    event = new_event(data, source="/registration", subject=data.registration_id)
    parsed = parse_event(event.to_bytes())
    assert parsed.data == data
    assert parsed.type == "registration.submitted.v1"
    assert parsed.correlationid == event.id
    assert parsed.dataschema.endswith("registration.submitted.v1")


def test_follow_up_keeps_correlation_and_points_to_its_cause() -> None:
    data = _example()
    first = new_event(data, source="/registration", subject=data.registration_id)
    second = first.follow_up(data, source="/billing")
    assert second.correlationid == first.correlationid
    assert second.causationid == first.id
    assert second.id != first.id


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"type": "nope.v1"}', "unknown event type"),
        (b'{"type": "registration.submitted.v1", "id": "x"}', "registration.submitted.v1"),
    ],
)
def test_bad_bytes_say_why(raw: bytes, reason: str) -> None:
    with pytest.raises(InvalidEvent, match=reason):
        parse_event(raw)


def test_unknown_optional_fields_are_tolerated() -> None:
    """Additive evolution: a newer producer may add optional fields."""
    data = _example()
    doc = json.loads(new_event(data, source="/r", subject="s").to_bytes())
    doc["data"]["a_field_from_the_future"] = 1
    assert parse_event(json.dumps(doc)).data == data


def test_uuid7_is_time_sortable_and_unique() -> None:
    ids = []
    for _ in range(50):
        ids.append(uuid7())
        time.sleep(0.001)
    assert ids == sorted(ids)
    assert len(set(ids)) == 50
    assert all(u.version == 7 for u in ids)


def test_every_event_type_has_exactly_one_topic() -> None:
    for event_type in EVENT_TYPES:
        assert sum(event_type in t.event_types for t in TOPICS) == 1
        assert topic_for(event_type).name == EVENT_TYPES[event_type].topic
    assert "registration.events.dlt" in all_topic_names()
