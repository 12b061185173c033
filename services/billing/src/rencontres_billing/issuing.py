"""Issuing: drafts become numbered documents, one at a time or a batch per claim.

What a number is and how it is claimed is `numbering` (rules) and `store.numbering` (the
counter); this module gives the claim its documents: the numbered invoice or credit note, with
the `*.issued.v1` it owes, inserted under its draft's id (see docs/architecture.md, "Gap-free
numbers" and "Batches"). `service.Billing` decides *when* something is issued.
"""

import uuid
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from prometheus_client import Counter
from rencontres_contracts import CloudEvent

from rencontres_billing.documents import number_fields
from rencontres_billing.events import EventMapper
from rencontres_billing.numbering import Series
from rencontres_billing.settings import Settings
from rencontres_billing.store.documents import BillingStore, Documents
from rencontres_billing.store.numbering import Numbering, Stamp, StampMany

ISSUED = Counter("billing_documents_issued_total", "Invoices and credit notes numbered", ["series"])
Doc = dict[str, Any]


class Issuer:
    def __init__(
        self,
        store: BillingStore,
        settings: Settings,
        mapper: EventMapper,
        today: Callable[[], date],
    ) -> None:
        self.store = store
        self.settings = settings
        self.mapper = mapper
        self.today = today
        self._documents: dict[Series, Documents] = {
            "FAC": store.invoices,
            "AV": store.credit_notes,
        }
        self._numbering: dict[Series, Numbering] = {
            # a helper finishing a claim another writer left pending reads its drafts
            series: Numbering(store.counters, documents, series, self._batch_stamper(series))
            for series, documents in self._documents.items()
        }
        self._fresh: dict[str, Doc] = {}

    async def issue(self, series: Series, draft: Doc) -> None:
        """Insert the draft (unless a repeat finds it there) and give it its number."""
        documents = self._documents[series]
        for stored in await documents.insert_drafts([draft], uuid.uuid4().hex):
            self._fresh[stored["_id"]] = stored  # numbered from memory: one read less
        try:
            await self.number(series, draft["_id"], fresh=draft["_id"] in self._fresh)
        finally:
            self._fresh.pop(draft["_id"], None)

    async def issue_invoices(self, drafts: Sequence[Doc], traces: dict[str, str | None]) -> None:
        """Invoice drafts (each with the trace of the event that revealed it) inserted in one
        write, numbered with one claim, the invoices in one insert and their events in one
        more, in the order given. A draft that was there already (a repeat) goes alone."""
        batch = uuid.uuid4().hex
        inserted = await self.store.invoices.insert_drafts(drafts, batch)
        fresh = {d["_id"]: d for d in inserted}  # as stored: no read needed
        ids = [d["_id"] for d in drafts if d["_id"] in fresh]
        await self._numbering["FAC"].number_batch(
            batch,
            ids,
            self.today().year,
            self._batch_stamper("FAC", fresh, traces),
            self._stamper("FAC"),
        )
        for draft in drafts:
            if draft["_id"] not in fresh:
                await self.number("FAC", draft["_id"])  # a repeat: most likely numbered already

    async def number(self, series: Series, doc_id: str, fresh: bool = False) -> None:
        numbering = self._numbering[series]
        await numbering.number(doc_id, self.today().year, self._stamper(series), fresh)

    async def recover(self) -> int:
        """Finish pending claims and number the drafts a crash left without their document;
        how many drafts it numbered."""
        finished = 0
        for series, numbering in self._numbering.items():
            for year in {self.today().year - 1, self.today().year}:
                await numbering.recover(year, self._stamper(series))
            for draft_id in await self._documents[series].unnumbered():
                await self.number(series, draft_id)
                finished += 1
        return finished

    def _batch_stamper(
        self,
        series: Series,
        fresh: dict[str, Doc] | None = None,
        traces: dict[str, str | None] | None = None,
    ) -> StampMany:
        """The numbered documents of a batch claim in one insert, then their `*.issued` in the
        entry outbox in one more, before the claim is released: a crash in between leaves the
        claim pending, and whoever finishes it writes the events of all its documents again
        (same ids). The writer knows its drafts (`fresh`) and owes the events of what it
        numbered; a helper reads the drafts and owes the events of the whole claim."""
        documents = self._documents[series]

        async def stamp_many(counter: str, token: str, stamps: Sequence[tuple[str, int]]) -> bool:
            today, terms = self.today(), self.settings.payment_terms_days
            drafts = fresh if fresh is not None else await self._drafts(documents, token, stamps)
            numbered = [  # tagged with the claim: `of_batch` finds them, and their events
                {**drafts[doc_id], **number_fields(series, counter, sequence, today, terms)}
                | {"batch": token}
                for doc_id, sequence in stamps
            ]
            written = await documents.issue_many(numbered)
            ISSUED.labels(series).inc(len(written))
            owed = numbered if fresh is not None else await documents.of_batch(token)
            await self.store.owe([self._issued_event(series, d, traces) for d in owed])
            return len(written) == len(numbered)

        return stamp_many

    @staticmethod
    async def _drafts(
        documents: Documents, token: str, stamps: Sequence[tuple[str, int]]
    ) -> dict[str, Doc]:
        """The drafts a claim still has to number: by its token, and one by one those a claim
        of the version before tags names untagged."""
        drafts = {d["_id"]: d for d in await documents.drafts_of(token)} if stamps else {}
        for doc_id, _ in stamps:
            if doc_id not in drafts:
                if (draft := await documents.draft(doc_id)) is None:
                    raise LookupError(f"no draft {doc_id} to number")  # never deleted
                drafts[doc_id] = draft
        return drafts

    def _issued_event(
        self, series: Series, document: Doc, traces: dict[str, str | None] | None = None
    ) -> CloudEvent[Any]:
        if series == "AV":
            return self.mapper.credit_note_issued(document)
        event = self.mapper.invoice_issued(document)
        if traces and traces.get(document["_id"]):  # the trace of the event that revealed it
            event = event.model_copy(update={"traceparent": traces[document["_id"]]})
        return event

    def _stamper(self, series: Series) -> Stamp:
        documents = self._documents[series]

        async def stamp(doc_id: str, counter: str, sequence: int) -> bool:
            # a draft this process just inserted is as stored (drafts never change); any
            # other is read. The insert is refused when the numbered document is there.
            draft = self._fresh.pop(doc_id, None) or await documents.draft(doc_id)
            if draft is None:
                return False
            fields = number_fields(
                series, counter, sequence, self.today(), self.settings.payment_terms_days
            )
            issued = {**draft, **fields}
            stamped = await documents.issue(issued, [self._issued_event(series, issued)])
            if stamped:
                ISSUED.labels(series).inc()
            return stamped

        return stamp
