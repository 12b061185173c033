"""What happens to money, in one place: issue, pay, remind, lapse, cancel, erase.

Each flow is a few idempotent steps over single-document writes (state and the events it owes
in one write), safe to repeat after a crash: a redelivered event or a second scheduler run
finds the step already done and goes on with the next.
"""

import logging
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from prometheus_client import Counter

from rencontres_billing import events
from rencontres_billing.documents import (
    Billable,
    credit_note_draft,
    invoice_draft,
    invoice_id,
    totals_of,
)
from rencontres_billing.errors import BillingRefused
from rencontres_billing.invoices import LIVE, PAYABLE, after_payment
from rencontres_billing.issuing import Issuer
from rencontres_billing.numbering import batch_allowed
from rencontres_billing.policy import Lapse, Remind, ReminderPolicy, chase, credit_for
from rencontres_billing.settings import Settings
from rencontres_billing.store.documents import BillingStore

log = logging.getLogger(__name__)
PAYMENTS = Counter("billing_payments_total", "Payments recorded", ["method"])
PAID_CENTS = Counter("billing_payments_cents_total", "Money received, in cents", ["method"])
OVERPAID = Counter("billing_overpayments_total", "Payments that overpaid an invoice")
REMINDED = Counter("billing_reminders_total", "Overdue reminders published", ["reminder"])
LAPSED = Counter("billing_lapsed_total", "Invoices that lapsed unpaid")
Doc = dict[str, Any]
Clock = Callable[[], datetime]
CreditReason = Literal["cancelled", "lapsed", "correction"]


def system_clock() -> datetime:
    return datetime.now(UTC)


class Billing:
    def __init__(self, store: BillingStore, settings: Settings, clock: Clock = system_clock):
        self.store = store
        self.settings = settings
        self.clock = clock
        self.mapper = events.EventMapper(settings, clock)
        self.zone = ZoneInfo(settings.timezone)
        self.issuer = Issuer(store, settings, self.mapper, self.today)
        self.policy = ReminderPolicy(settings.second_reminder_days, settings.grace_days)

    def today(self) -> date:
        return self.clock().astimezone(self.zone).date()

    # ------------------------------------------------------------------ issuing

    async def invoice(self, billable: Billable) -> None:
        """One numbered invoice per billable registration; free ones are never invoiced."""
        draft = invoice_draft(billable, self.clock())
        if draft["totals"]["incl_vat_cents"] == 0:
            return
        if billable.pool_id and await self.store.was_erased(billable.registration_id):
            draft["contact"] = None  # erased before its pool closed: no contact, no email
        await self.issuer.issue("FAC", draft)
        await self._credit_if_cancelled(billable)
        if billable.pool_id and await self.store.was_erased(billable.registration_id):
            await self.erase(billable.registration_id)  # erased while this was being issued

    async def _credit_if_cancelled(self, billable: Billable) -> None:
        if billable.pool_id and await self.store.was_cancelled(billable.registration_id):
            # a seat's cancellation (keyed by registration) overtook its pool's closing (keyed
            # by pool): the invoice stands, and is credited at once
            await self.cancel(billable.registration_id)

    async def invoice_many(self, billables: Sequence[tuple[Billable, str | None]]) -> None:
        """`invoice` for many billable registrations (each with the trace of the event that
        revealed it), issued as one batch (`Issuer.issue_invoices`), in the order given."""
        if not batch_allowed(self.today()):
            for billable, _ in billables:
                await self.invoice(billable)
            return
        now = self.clock()
        drafts: dict[str, Doc] = {}
        traces: dict[str, str | None] = {}
        for billable, traceparent in billables:
            draft = invoice_draft(billable, now)
            if draft["totals"]["incl_vat_cents"] and draft["_id"] not in drafts:
                drafts[draft["_id"]], traces[draft["_id"]] = draft, traceparent
        await self.issuer.issue_invoices(list(drafts.values()), traces)
        for billable, _ in billables:
            await self._credit_if_cancelled(billable)

    async def recover(self) -> int:
        """Finish what a crash left half done: pending numbers, unnumbered drafts, lapsed
        invoices without their credit note. Returns how many documents it finished."""
        finished = await self.issuer.recover()
        for invoice in await self.store.invoices.find(
            {"status": {"$in": ["lapsed", "cancelled"]}, "credit_note_id": None}
        ):
            await self._credit(invoice, "lapsed" if invoice["status"] == "lapsed" else "cancelled")
            finished += 1
        return finished

    # ------------------------------------------------------------------ payments

    async def record_payment(
        self,
        number: str,
        amount_cents: int,
        paid_on: date,
        reference: str,
        method: Literal["transfer", "card"],
        payment_id: str | None = None,
    ) -> Doc:
        """Add a payment (idempotent on `payment_id`): paid once the payments cover the total,
        overpayment flagged for staff.

        Without an id, a payment is known by what the bank statement says of it (reference,
        amount, date): the same line entered twice is recorded once."""
        if amount_cents <= 0:
            raise BillingRefused("amount_not_positive", "amount_cents")
        if paid_on > self.today():
            raise BillingRefused("paid_on_in_future", "paid_on")
        payment_id = payment_id or f"{method}:{reference}:{amount_cents}:{paid_on.isoformat()}"
        while True:
            invoice = await self.store.invoices.by_number(number)
            if invoice is None:
                raise BillingRefused("invoice_not_found", "number")
            if payment_id in invoice["payment_ids"]:
                return invoice  # the same payment, reported again
            if invoice["status"] not in PAYABLE:
                raise BillingRefused("invoice_not_payable", "number")
            total = invoice["totals"]["incl_vat_cents"]
            settled = after_payment(total, invoice["paid_cents"], amount_cents)
            payment = {
                "payment_id": payment_id,
                "amount_cents": amount_cents,
                "method": method,
                "paid_on": paid_on.isoformat(),
                "reference": reference,
                "recorded_at": self.clock(),
            }
            status = "paid" if settled.covered else invoice["status"]
            after = {
                **invoice,
                "paid_cents": settled.paid_cents,
                "overpaid_cents": settled.overpaid_cents,
                "status": status,
            }
            owed = [self.mapper.payment_received(after, payment, settled)]
            if status == "paid" and invoice["status"] != "paid":
                owed.append(self.mapper.invoice_paid(after, self.clock()))
            changed = await self.store.invoices.change(
                {"_id": invoice["_id"], "paid_cents": invoice["paid_cents"]},
                {
                    "$set": {
                        "paid_cents": settled.paid_cents,
                        "overpaid_cents": settled.overpaid_cents,
                        "status": status,
                    },
                    "$push": {"payments": payment, "payment_ids": payment_id},
                },
                owed,
            )
            if changed is not None:
                PAYMENTS.labels(method).inc()
                PAID_CENTS.labels(method).inc(amount_cents)
                if settled.overpaid_cents:
                    OVERPAID.inc()
                    log.warning("invoice %s overpaid by %d cents", number, settled.overpaid_cents)
                return changed

    async def record_refund(
        self, number: str, amount_cents: int, refunded_on: date, reference: str
    ) -> Doc:
        if amount_cents <= 0:
            raise BillingRefused("amount_not_positive", "amount_cents")
        note = await self.store.credit_notes.by_number(number)
        if note is None:
            raise BillingRefused("credit_note_not_found", "number")
        same = (reference, amount_cents, refunded_on.isoformat())
        if same in {(r["reference"], r["amount_cents"], r["refunded_on"]) for r in note["refunds"]}:
            return note  # the same refund entered again (a double click, a retried request)
        if note["refunded_cents"] + amount_cents > note["refund_cents"]:
            raise BillingRefused("refund_exceeds_due", "amount_cents")
        refund = {
            "amount_cents": amount_cents,
            "refunded_on": refunded_on.isoformat(),
            "reference": reference,
            "recorded_at": self.clock(),
        }
        changed = await self.store.credit_notes.change(
            {"_id": note["_id"], "refunded_cents": note["refunded_cents"]},
            {"$inc": {"refunded_cents": amount_cents}, "$push": {"refunds": refund}},
        )
        if changed is None:  # another refund landed meanwhile: check the amount again
            return await self.record_refund(number, amount_cents, refunded_on, reference)
        return changed

    # ------------------------------------------------------------------ cancellation, lapse

    async def cancel(self, registration_id: str) -> None:
        """A registration ended: credit its invoice under the refund policy."""
        invoice = await self._invoice_of(registration_id)
        if invoice is None:
            # nothing invoiced yet; remember it, in case the invoice is on its way (a seat's
            # pool closing travels on another key), then look once more
            await self.store.remember_cancelled(registration_id, self.clock())
            invoice = await self._invoice_of(registration_id)
            if invoice is None:
                return
        if invoice is not None and invoice["status"] in LIVE:
            await self._credit(invoice, "cancelled")

    async def _invoice_of(self, registration_id: str) -> Doc | None:
        """The registration's invoice; a draft whose issuing was cut short is numbered first."""
        doc_id = invoice_id(registration_id)
        invoice = await self.store.invoices.get(doc_id)
        if invoice is None and await self.store.invoices.draft(doc_id) is not None:
            await self.issuer.number("FAC", doc_id)
            invoice = await self.store.invoices.get(doc_id)
        return invoice

    async def _credit(self, invoice: Doc, reason: CreditReason) -> None:
        percent = self.settings.cancellation_refund_percent if reason == "cancelled" else 100
        credit = credit_for(totals_of(invoice), invoice["paid_cents"], percent)
        draft = credit_note_draft(invoice, credit, reason, self.clock())
        await self.issuer.issue("AV", draft)
        status = "lapsed" if reason == "lapsed" else "cancelled"
        await self.store.invoices.change(
            {"_id": invoice["_id"], "credit_note_id": None},
            {"$set": {"status": status, "credit_note_id": draft["_id"]}},
        )

    async def run_reminders(self) -> dict[str, int]:
        """The daily run: reminders owed today, lapses, and what a crash left unfinished.
        Safe to run twice: each step is conditional on the state it moves from."""
        today = self.today()
        done = {"reminded": 0, "lapsed": 0, "recovered": await self.recover()}
        due = await self.store.invoices.find(
            {"status": "issued", "due_on": {"$lte": today.isoformat()}}, limit=100_000
        )
        for invoice in due:
            step = chase(
                today, date.fromisoformat(invoice["due_on"]), invoice["reminders_sent"], self.policy
            )
            query = {
                "_id": invoice["_id"],
                "status": "issued",
                "reminders_sent": invoice["reminders_sent"],
            }
            if isinstance(step, Remind):
                event = self.mapper.invoice_overdue(invoice, step)
                if await self.store.invoices.change(
                    query,
                    {"$set": {"reminders_sent": step.reminder, "reminded_on": today.isoformat()}},
                    [event],
                ):
                    done["reminded"] += 1
                    REMINDED.labels(str(step.reminder)).inc()
            elif isinstance(step, Lapse):
                lapsed = await self.store.invoices.change(
                    query,
                    {"$set": {"status": "lapsed", "lapsed_on": today.isoformat()}},
                    [self.mapper.invoice_lapsed(invoice, today)],
                )
                if lapsed is not None:
                    await self._credit(lapsed, "lapsed")
                    done["lapsed"] += 1
                    LAPSED.inc()
        return done

    # ------------------------------------------------------------------ erasure

    async def erase(self, registration_id: str) -> None:
        """Drop the contact person; keep the buyer and amounts the law wants kept ten years.
        Remembered first: a seat's invoice issued after this (its pool's closing travels on
        another key) is made without the contact, or has it dropped once issued."""
        now = self.clock()
        await self.store.remember_erased(registration_id, now)
        await self.store.invoices.erase_contact(registration_id, now)
        await self.store.credit_notes.erase_contact(registration_id, now)

    # ------------------------------------------------------------------ reading

    async def invoice_by_number(self, number: str) -> Doc:
        invoice = await self.store.invoices.by_number(number)
        if invoice is None:
            raise BillingRefused("invoice_not_found", "number")
        return invoice

    async def credit_note_by_number(self, number: str) -> Doc:
        note = await self.store.credit_notes.by_number(number)
        if note is None:
            raise BillingRefused("credit_note_not_found", "number")
        return note

    async def document_by_number(self, number: str) -> Doc:
        """An invoice (FAC-…) or a credit note (AV-…), for a signed link."""
        if number.startswith("AV-"):
            return await self.credit_note_by_number(number)
        return await self.invoice_by_number(number)

    async def list_invoices(
        self, registration_id: str | None, status: str | None, year: int | None
    ) -> list[Doc]:
        query: Doc = {}
        if registration_id is not None:
            query["registration_ids"] = registration_id
        if status is not None:
            query["status"] = status
        if year is not None:
            query["numbering.counter"] = f"FAC-{year}"
        return await self.store.invoices.find(query, limit=10_000)

    async def list_credit_notes(self, registration_id: str | None, year: int | None) -> list[Doc]:
        query: Doc = {}
        if registration_id is not None:
            query["registration_ids"] = registration_id
        if year is not None:
            query["numbering.counter"] = f"AV-{year}"
        return await self.store.credit_notes.find(query, limit=10_000)

    async def documents_for_export(self) -> tuple[list[Doc], list[Doc]]:
        invoices = await self.store.invoices.find({}, limit=1_000_000)
        notes = await self.store.credit_notes.find({}, limit=1_000_000)
        return invoices, notes
