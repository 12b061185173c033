"""Staff review incubator applications: under review, accepted or rejected."""

from rencontres_registration import events
from rencontres_registration.core import (
    Core,
)
from rencontres_registration.documents import RegistrationDoc
from rencontres_registration.domain import (
    RegistrationRefused,
    TransitionRefused,
    check_transition,
)


class Review(Core):
    async def review(
        self, doc: RegistrationDoc, decision: str, message: str | None
    ) -> RegistrationDoc:
        if doc.offer != "incubator_application":
            raise RegistrationRefused(
                "not_reviewable", "decision", "only incubator applications are reviewed"
            )
        check_transition("review", doc.status)
        done = await self.store.registrations.transition(
            doc.id,
            [doc.status],
            {"status": decision, "review_message": message},
            [events.reviewed(self._linked(doc), decision, message)],
            self._history(decision, "staff"),
        )
        if done is None:
            raise TransitionRefused("review", (await self._reload(doc.id)).status)
        return done
