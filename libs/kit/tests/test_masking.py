"""Masking personal data, and quieting probe lines: pure, no I/O."""

import logging

from rencontres_kit.masking import mask, mask_value
from rencontres_kit.observability import QuietProbes


def test_emails_phones_and_tokens_are_masked() -> None:
    line = (
        "sent to claire.martin@example.fr and +33 6 12 34 56 78 / 06.12.34.56.78 / 0612345678 "
        "GET /r/01J?t=s3cr3t-T0ken&lang=fr Authorization: Bearer abc.def-123 "
        "GET /pools/0193/join?k=inv1tat10n "
        "GET /invoices/FAC-2026-000002.pdf?expires=1801193035&signature=743b87daedf6 "
        '{"owner_token": "zzz", "email": "x@y.org"}'
    )
    masked = mask(line)
    assert mask("GET /api/staff/registrations?email=claire%40example.fr") == (
        "GET /api/staff/registrations?email=c***@***"
    )
    for secret in ("claire", "example.fr", "12 34 56", "12.34.56", "0612345678", "s3cr3t",
                   "abc.def", "zzz", "x@y.org", "inv1tat10n", "743b87daedf6"):  # fmt: skip
        assert secret not in masked, (secret, masked)
    assert "c***@***" in masked and "***78" in masked and "t=***&lang=fr" in masked


def test_ordinary_figures_stay_readable() -> None:
    line = "registration.events[3]@12345 took 0.0123 s on 127.0.0.1:8001 at 2026-11-29T23:15:00Z"
    assert mask(line) == line
    uuid = "id 0193a3c4-5b6d-7e8f-9a0b-1c2d3e4f5a6b"
    assert mask(uuid) == uuid


def test_nested_values() -> None:
    assert mask_value({"a": ["bob@example.com", 3], "b": ("06 12 34 56 78",)}) == {
        "a": ["b***@***", 3],
        "b": ("***78",),
    }


def test_answered_probes_leave_no_access_line_and_failing_ones_do() -> None:
    def access(path: str, status: int) -> logging.LogRecord:
        args = ("127.0.0.1:5", "GET", path, "1.1", status)
        return logging.LogRecord("uvicorn.access", 20, "", 0, '%s - "%s %s HTTP/%s" %d', args, None)

    quiet = QuietProbes()
    assert not quiet.filter(access("/readyz", 200)) and not quiet.filter(access("/metrics", 200))
    assert quiet.filter(access("/readyz", 503)), "a failing probe is worth a line"
    assert quiet.filter(access("/api/registrations", 201))
    assert quiet.filter(access("/r/1?t=x", 200))
