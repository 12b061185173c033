"""The only code that talks to the registration database."""

from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from rencontres_contracts import CloudEvent
from rencontres_kit.outbox import OUTBOX_FIELD, outbox_entry

Doc = dict[str, Any]


class AlreadyRegistered(Exception):
    """The same email already holds this offer for one of these editions."""

    def __init__(self, existing: Doc) -> None:
        super().__init__(existing["reference"])
        self.existing = existing


class RegistrationStore:
    def __init__(self, db: AsyncDatabase[Doc]) -> None:
        self.registrations = db["registrations"]

    async def create_indexes(self) -> None:
        await self.registrations.create_index(
            [("dedupe_keys", ASCENDING)], unique=True, name="one_per_email_offer_edition"
        )
        await self.registrations.create_index(
            [("idempotency_key", ASCENDING)], unique=True, name="idempotency_key"
        )
        await self.registrations.create_index([("reference", ASCENDING)], unique=True)

    async def by_idempotency_key(self, key: str) -> Doc | None:
        return await self.registrations.find_one({"idempotency_key": key})

    async def get(self, registration_id: str) -> Doc | None:
        return await self.registrations.find_one({"_id": registration_id}, {OUTBOX_FIELD: 0})

    async def insert(
        self, document: Doc, event: CloudEvent[Any], idempotency_key: str | None
    ) -> Doc:
        """Store the registration and the event it owes in one write.

        A repeat of an idempotency key returns the first registration; a clash on the
        email/offer/edition key raises AlreadyRegistered with the existing one.
        """
        # Every document carries a key (its own id when the client gave none): FerretDB has no
        # partial indexes, and a unique index must not see two documents without one.
        key = idempotency_key or f"auto:{document['_id']}"
        doc = {**document, "idempotency_key": key, OUTBOX_FIELD: [outbox_entry(event)]}
        try:
            await self.registrations.insert_one(doc)
        except DuplicateKeyError:
            existing = idempotency_key and await self.by_idempotency_key(idempotency_key)
            if existing:
                return existing
            clash = await self.registrations.find_one(
                {"dedupe_keys": {"$in": document["dedupe_keys"]}}
            )
            if clash is None:
                raise
            raise AlreadyRegistered(clash) from None
        return doc
