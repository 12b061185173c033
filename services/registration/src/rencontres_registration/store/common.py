"""What the three collections' stores share: the document type, the fields a read leaves
out, and how a write that owes events hands them to the outbox relay."""

from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from rencontres_contracts import CloudEvent
from rencontres_kit.outbox import OUTBOX_FIELD, OWED_FIELD, Wake, outbox_entry

Doc = dict[str, Any]
HIDDEN = {OUTBOX_FIELD: 0, OWED_FIELD: 0}


def changes(set_fields: Doc, events: list[CloudEvent[Any]], history: Doc | None) -> dict[str, Any]:
    """The update that sets `set_fields` and records the events it owes (and a history line)."""
    update: dict[str, Any] = {"$set": set_fields}
    push: Doc = {}
    if events:
        push[OUTBOX_FIELD] = {"$each": [outbox_entry(e) for e in events]}
        update["$set"] = {**set_fields, OWED_FIELD: True}
    if history:
        push["history"] = history
    if push:
        update["$push"] = push
    return update


def no_relay(collection: str, doc_id: str, outbox: list[Doc] | None) -> None:
    """For a store used without a relay (tests, scripts): events wait for a sweep."""


class Committed:
    """`wake` is the outbox relay's: every write that records events hands it the outbox it
    committed, so the relay publishes at once without reading the document back."""

    def __init__(self, wake: Wake = no_relay) -> None:
        self._wake = wake

    def __call__(self, collection: AsyncCollection[Doc], doc: Doc | None) -> Doc | None:
        """Hand the outbox a write returned to the relay, and return the document without it
        (FerretDB 1.24 has no projection on findAndModify)."""
        if doc is None:
            return None
        outbox = doc.pop(OUTBOX_FIELD, None)
        if doc.pop(OWED_FIELD, False) and outbox:
            self._wake(collection.name, doc["_id"], outbox)
        return doc

    def wake(self, collection: AsyncCollection[Doc], doc_id: str, outbox: list[Doc]) -> None:
        """Hand the relay the outbox of a document just inserted."""
        self._wake(collection.name, doc_id, outbox)
