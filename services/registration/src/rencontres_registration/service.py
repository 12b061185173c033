"""What happens when someone registers: the one place that composes rules, store and relay."""

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rencontres_contracts import new_event
from rencontres_contracts.ids import new_id

from rencontres_registration.catalog import Catalog
from rencontres_registration.domain import new_registration
from rencontres_registration.schemas import RegistrationIn
from rencontres_registration.store import RegistrationStore

SOURCE = "/services/registration"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Registrations:
    def __init__(
        self,
        catalog: Catalog,
        store: RegistrationStore,
        public_base_url: str,
        wake_relay: Callable[[], None],
    ) -> None:
        self.catalog = catalog
        self.store = store
        self._base_url = public_base_url.rstrip("/")
        self._wake_relay = wake_relay

    async def submit(self, request: RegistrationIn, idempotency_key: str | None) -> dict[str, Any]:
        """Store a registration and its submitted event; a repeated key returns the first one."""
        if idempotency_key and (done := await self.store.by_idempotency_key(idempotency_key)):
            return done
        registration_id, token = new_id(), secrets.token_urlsafe(24)
        status_url = f"{self._base_url}/r/{registration_id}?t={token}"
        new = new_registration(
            self.catalog,
            request,
            registration_id=registration_id,
            token_hash=hash_token(token),
            status_url=status_url,
            now=datetime.now(UTC),
        )
        event = new_event(new.event, source=SOURCE, subject=registration_id)
        stored = await self.store.insert(
            {**new.document, "status_url": status_url}, event, idempotency_key
        )
        self._wake_relay()
        return stored

    async def for_owner(self, registration_id: str, token: str) -> dict[str, Any] | None:
        doc = await self.store.get(registration_id)
        if doc is None or not secrets.compare_digest(doc["token_hash"], hash_token(token)):
            return None
        return doc
