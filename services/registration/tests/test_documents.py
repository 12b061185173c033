"""Stored documents read into typed models whatever version wrote them, and lose nothing."""

from datetime import UTC, datetime

from rencontres_registration.core import _records_take
from rencontres_registration.documents import CapacityDoc, PoolDoc, RegistrationDoc

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_a_registration_from_an_earlier_version_reads_with_defaults() -> None:
    old = {
        "_id": "r1",
        "offer": "stand",
        "status": "reserved",
        "created_at": NOW,
        "contact": {"name": "Léa", "email": "lea@example.org", "fax": "04 66"},
        "history": [{"at": NOW, "status": "reserved", "by": "system"}],
        "token_hash": "abc",
        "a_field_from_later": {"kept": True},
    }
    doc = RegistrationDoc.model_validate(old)
    assert doc.id == "r1" and doc.place_token is None and doc.invoices == {}
    assert doc.join_waiting_list and doc.contact.language == "fr"
    assert _records_take(doc, "any")  # it held a place before tokens existed
    dumped = doc.model_dump(by_alias=True, exclude_unset=True)
    assert dumped["a_field_from_later"] == {"kept": True}
    assert dumped["contact"]["fax"] == "04 66"
    assert "place_token" not in dumped and "link_requested_at" not in dumped


def test_a_copy_keeps_every_field_it_was_read_with() -> None:
    doc = RegistrationDoc.model_validate(
        {"_id": "r2", "offer": "stand", "status": "placing", "created_at": NOW, "extra": 1}
    )
    placed = doc.model_copy(update={"status": "reserved", "place_token": "t"})
    assert placed.model_dump(by_alias=True, exclude_unset=True) == {
        "_id": "r2",
        "offer": "stand",
        "status": "reserved",
        "created_at": NOW,
        "extra": 1,
        "place_token": "t",
    }
    assert _records_take(placed, "t") and not _records_take(placed, "other")


def test_pool_and_capacity_read_with_defaults() -> None:
    pool = PoolDoc.model_validate(
        {"_id": "p1", "edition_id": "e", "status": "open", "deadline": NOW, "members": ["r1"]}
    )
    assert pool.id == "p1" and pool.place_token is None and pool.max_members == 0
    counter = CapacityDoc.model_validate({"_id": "e:stand", "total": 2, "taken": 1})
    assert counter.pending == [] and counter.pending_by == {}
