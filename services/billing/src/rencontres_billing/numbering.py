"""Gap-free yearly numbering, as pure rules (the store applies them with conditional writes).

French law wants one unbroken chronological sequence per year: FAC-2026-000001, 000002, …
Without multi-document transactions the sequence lives in one counter document per series and
year, `{last, pending}`:

1. the document to number is first written in full, without a number (a *draft*);
2. a writer claims the next number with one conditional write on the counter: only when
   `pending` is empty, it increments `last` and records the draft's id in `pending`;
3. it writes `last` into the draft (only if the draft has no number yet);
4. it empties `pending` (only if it still names that draft and `last` is unchanged).

A writer that finds `pending` taken *helps* instead of waiting: everything needed to finish is
in the counter and the draft, so it runs `resolve` on what it read and applies the step it
returns. A crash at any point therefore leaves nothing that a later writer (or the start-up
sweep) cannot finish, and no number is ever skipped: a claimed number is either written into
its draft or given back (when the draft already had a number, claimed twice by a race).
"""

from dataclasses import dataclass
from typing import Literal

Series = Literal["FAC", "AV"]
"""FAC: invoices; AV: credit notes (avoirs), each its own unbroken sequence."""


def counter_id(series: Series, year: int) -> str:
    return f"{series}-{year}"


def format_number(series: Series, year: int, sequence: int) -> str:
    """FAC-2026-000042: the number printed on the document and used as its public id."""
    return f"{series}-{year}-{sequence:06d}"


@dataclass(frozen=True)
class Assign:
    """Write `sequence` into the pending draft, then release the counter."""

    sequence: int


@dataclass(frozen=True)
class Release:
    """The pending draft holds the claimed number already: just empty `pending`."""


@dataclass(frozen=True)
class GiveBack:
    """The pending draft was numbered before this claim: take the number back (`last - 1`)."""


Step = Assign | Release | GiveBack


def resolve(counter: str, last: int, draft_number: tuple[str, int] | None) -> Step:
    """What finishes a pending claim of number `last` of `counter` for a draft that holds
    `draft_number` ((counter, sequence), or None while unnumbered)."""
    if draft_number is None:
        return Assign(last)
    if draft_number == (counter, last):
        return Release()
    return GiveBack()  # numbered earlier, maybe in last year's counter (claimed at midnight)
