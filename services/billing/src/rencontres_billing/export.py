"""The accounting export, without I/O: one CSV row per document over a period.

Semicolon-separated, UTF-8 with a BOM and amounts with a decimal comma, so a French
spreadsheet opens it with accents and numbers right (as registration's CSV does).
"""

import csv
import io
from collections.abc import Iterable
from datetime import date
from typing import Any

Doc = dict[str, Any]
HEADER = [
    "type",
    "number",
    "date",
    "registration_reference",
    "buyer",
    "buyer_siret",
    "buyer_vat_number",
    "total_excl_vat",
    "total_vat",
    "total_incl_vat",
    "related_number",
    "payment_method",
    "payment_reference",
    "status",
]


def _euros(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100},{abs(cents) % 100:02d}"


def _defuse(cell: str) -> str:
    """Stop a spreadsheet from running a text cell as a formula (CSV injection)."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t", "\r") else cell


def _buyer(doc: Doc) -> list[str]:
    buyer = doc.get("buyer") or {}
    name = _defuse(buyer.get("legal_name", ""))
    return [name, buyer.get("siret", ""), buyer.get("vat_number") or ""]


def rows(
    invoices: Iterable[Doc], credit_notes: Iterable[Doc], start: date, end: date
) -> list[list[str]]:
    """Invoices and credit notes issued in [start, end], and payments received in it, by date."""
    out: list[tuple[str, list[str]]] = []
    first, last = start.isoformat(), end.isoformat()
    for inv in invoices:
        t = inv["totals"]
        if first <= inv["issued_on"] <= last:
            out.append(
                (
                    inv["issued_on"],
                    [
                        "invoice",
                        inv["number"],
                        inv["issued_on"],
                        inv["registration_reference"],
                        *_buyer(inv),
                        _euros(t["excl_vat_cents"]),
                        _euros(t["incl_vat_cents"] - t["excl_vat_cents"]),
                        _euros(t["incl_vat_cents"]),
                        "",
                        "",
                        "",
                        inv["status"],
                    ],
                )
            )
        for p in inv["payments"]:
            if first <= p["paid_on"] <= last:
                out.append(
                    (
                        p["paid_on"],
                        [
                            "payment",
                            p["payment_id"],
                            p["paid_on"],
                            inv["registration_reference"],
                            *_buyer(inv),
                            "",
                            "",
                            _euros(p["amount_cents"]),
                            inv["number"],
                            p["method"],
                            _defuse(p["reference"]),
                            "",
                        ],
                    )
                )
    for note in credit_notes:
        t = note["totals"]
        if first <= note["issued_on"] <= last:
            out.append(
                (
                    note["issued_on"],
                    [
                        "credit_note",
                        note["number"],
                        note["issued_on"],
                        note["registration_reference"],
                        *_buyer(note),
                        _euros(-t["excl_vat_cents"]),
                        _euros(-(t["incl_vat_cents"] - t["excl_vat_cents"])),
                        _euros(-t["incl_vat_cents"]),
                        note["invoice_number"],
                        "",
                        "",
                        note["reason"],
                    ],
                )
            )
    out.sort(key=lambda row: (row[0], row[1][1]))
    return [row for _, row in out]


def to_csv(table: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(table)
    return buffer.getvalue().encode("utf-8-sig")
