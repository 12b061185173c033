"""Domain refusals: a code and the field it concerns; the faces map codes to status and text."""

from typing import Literal

RefusalCode = Literal[
    "invoice_not_found",
    "credit_note_not_found",
    "invoice_not_payable",
    "amount_not_positive",
    "paid_on_in_future",
    "refund_exceeds_due",
    "bad_signature",
    "stale_signature",
    "link_expired",
]


class BillingRefused(Exception):
    """What a staff request, a webhook or a link asked cannot be done; nothing was written."""

    def __init__(self, code: RefusalCode, field: str | None = None) -> None:
        super().__init__(code)
        self.code: RefusalCode = code
        self.field = field
