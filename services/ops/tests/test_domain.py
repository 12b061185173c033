"""The dashboard's figures, dead-letter views and sessions, without I/O."""

import json

from rencontres_ops.charts import bars, sparkline
from rencontres_ops.domain import (
    DeadLetter,
    KafkaState,
    choose,
    dead_letter_counts,
    funnel,
    lag_rows,
    masked_payload,
    parse_metrics,
    places,
)

PAGE = """
# TYPE registrations gauge
registrations{offer="stand",status="reserved",edition="a"} 3
registrations{offer="stand",status="confirmed",edition="a"} 1
registrations{offer="student_pass",status="confirmed",edition="a"} 7
registrations{offer="stand",status="waitlisted",edition="a"} 2
# TYPE edition_places_left gauge
edition_places_left{edition="a",campus="ales",day="2027-11-17",resource="stand"} 0
# TYPE edition_places_total gauge
edition_places_total{edition="a",campus="ales",day="2027-11-17",resource="stand"} 4
# TYPE edition_waiting_list gauge
edition_waiting_list{edition="a",campus="ales",day="2027-11-17",offer="stand"} 2
# TYPE invoices gauge
invoices{state="issued"} 2
invoices{state="paid"} 1
"""


def test_funnel_counts_paying_offers_and_shows_missing_stages_as_none() -> None:
    samples, families = parse_metrics(PAGE)
    assert "registrations" in families
    stages = dict(funnel(samples))
    assert stages["submitted"] == 6 and stages["reserved"] == 4 and stages["confirmed"] == 1
    assert stages["invoiced"] == 3 and stages["paid"] == 1
    assert stages["notified"] is None  # notify exports nothing here
    nobody_confirmed = [s for s in samples if s.labels.get("status") != "confirmed"]
    assert dict(funnel(nobody_confirmed))["confirmed"] == 0  # exported, none yet: 0, not "—"


def test_places_join_totals_and_waiting_lists() -> None:
    samples, _ = parse_metrics(PAGE)
    [row] = places(samples)
    assert (row.edition, row.total, row.left, row.waiting) == ("a", 4, 0, 2)


def test_lag_and_dead_letters_from_offsets() -> None:
    kafka = KafkaState(
        ends={("t", 0): 10, ("t", 1): 5, ("t.dlt", 0): 7},
        starts={("t.dlt", 0): 2},
        committed={"g": {("t", 0): 4, ("t", 1): 5}},
        lag_seconds={("g", "t", 0): 12.5},
    )
    rows = lag_rows(kafka)
    assert [(r.partition, r.messages, r.seconds) for r in rows] == [(0, 6, 12.5), (1, 0, 0.0)]
    assert dead_letter_counts(kafka) == {"t.dlt": 5}


def _letter(offset: int, value: bytes = b"{}") -> DeadLetter:
    headers = {"x-original-topic": "t", "x-dead-letter-reason": "failed for bob@example.fr"}
    return DeadLetter("t.dlt", 0, offset, 0, None, headers, value)


def test_replay_choices_skip_unknown_and_already_replayed() -> None:
    letters = [_letter(1), _letter(2), _letter(3)]
    chosen, skipped = choose(letters, ["t.dlt/0/1", "t.dlt/0/2", "t.dlt/0/9"], {"t.dlt/0/2"})
    assert [d.ref for d in chosen] == ["t.dlt/0/1"]
    assert skipped == [("t.dlt/0/2", "already_replayed"), ("t.dlt/0/9", "unknown")]
    everything, _ = choose(letters, None, {"t.dlt/0/2"})
    assert [d.ref for d in everything] == ["t.dlt/0/1", "t.dlt/0/3"]


def test_payload_and_reason_are_masked_and_the_key_is_the_aggregate() -> None:
    event = {
        "id": "e1",
        "type": "registration.submitted.v1",
        "subject": "r1",
        "data": {
            "contact": {"name": "Claire Martin", "email": "c@example.fr"},
            "note": "06 12 34 56 78",
        },
    }
    letter = _letter(1, json.dumps(event).encode())
    shown = masked_payload(letter.value)
    assert "Claire" not in shown and "c@example.fr" not in shown and "12 34 56" not in shown
    assert "bob@example.fr" not in letter.reason
    assert letter.replay_key() == b"r1" and letter.event_facts()[:2] == (
        "e1",
        letter.event_facts()[1],
    )
    assert masked_payload(b"\xff not json bob@example.fr").count("bob@") == 0


def test_charts_are_escaped_svg() -> None:
    svg = str(bars([("<b>", 3.0), ("none", None)], "a & b"))
    assert svg.startswith("<svg") and "&lt;b&gt;" in svg and "—" in svg and "a &amp; b" in svg
    assert "<path" in str(sparkline([0, 1, 2], "x"))
