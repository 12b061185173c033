"""The accounting export, without I/O: rows by date, signs, decimal comma, BOM, no formulas."""

import csv
import io
from datetime import date

from rencontres_billing.export import rows, to_csv

INVOICE = {
    "number": "FAC-2026-000001",
    "issued_on": "2026-11-02",
    "registration_reference": "RC-1",
    "status": "paid",
    "buyer": {"legal_name": "=HYPERLINK(1)", "siret": "73282932000074", "vat_number": None},
    "totals": {"excl_vat_cents": 60000, "incl_vat_cents": 72000},
    "payments": [
        {
            "payment_id": "p1",
            "paid_on": "2026-11-05",
            "amount_cents": 72005,
            "method": "transfer",
            "reference": "VIR 1",
        },
    ],
}
NOTE = {
    "number": "AV-2026-000001",
    "issued_on": "2026-12-01",
    "registration_reference": "RC-1",
    "invoice_number": "FAC-2026-000001",
    "reason": "cancelled",
    "buyer": INVOICE["buyer"],
    "totals": {"excl_vat_cents": 60000, "incl_vat_cents": 72000},
}


def test_one_row_per_document_in_the_period_by_date() -> None:
    table = rows([INVOICE], [NOTE], date(2026, 11, 1), date(2026, 11, 30))
    assert [r[0] for r in table] == ["invoice", "payment"]
    assert table[0][7:10] == ["600,00", "120,00", "720,00"]
    assert table[1][9] == "720,05" and table[1][10] == "FAC-2026-000001"
    december = rows([INVOICE], [NOTE], date(2026, 12, 1), date(2026, 12, 31))
    assert [r[0] for r in december] == ["credit_note"]
    assert december[0][9] == "-720,00"


def test_the_csv_opens_in_a_spreadsheet_without_running_formulas() -> None:
    body = to_csv(rows([INVOICE], [NOTE], date(2026, 1, 1), date(2026, 12, 31)))
    assert body.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
    assert parsed[0][0] == "type" and len(parsed) == 4
    assert all(row[4] == "'=HYPERLINK(1)" for row in parsed[1:])
