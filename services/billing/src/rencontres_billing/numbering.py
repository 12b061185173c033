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
from datetime import date
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


# ---------------------------------------------------------------------- batches
#
# A batch claim numbers K drafts with one write on the counter: only when `pending` is empty
# and `last` is what the writer read, it sets `last` to `first + K - 1` and records in `pending`
# the claim's token, the K draft ids (in order) and the range `first..last`. The numbers are
# then written into the drafts in one write (each conditional on the draft having no number),
# and the claim is released in one write that also gives back the numbers not used (`last`
# becomes `first + used - 1`).
#
# Which draft gets which number is decided by one rule, `plan_batch`, that the writer and any
# helper apply to what they read of the drafts *after* the claim: walk the ids in order with
# `next = first`; a draft that holds `next` is done (`next + 1`); a draft without a number is to
# get `next` (`next + 1`); a draft numbered by an earlier claim (or missing) is skipped. While
# the claim is pending nobody else can claim on this counter, so which drafts are "numbered
# earlier" no longer changes: every reader computes the same assignment, whatever it reads of
# the claim's own stamps, and the stamps may be written in any order, by any of them, each once
# (the condition). The used numbers are `first..first + used - 1`, in the order of the ids; the
# unused ones are all at the top of the range, where giving them back leaves no gap.
#
# The one writer that could still number one of those drafts is a claim on *another* counter
# (last year's, by a writer whose clock read the old year): the batch path is therefore not
# used on 31 December and 1 January (`batch_allowed`), where the one-at-a-time path, which gives
# back a number it could not write, takes over. Should it ever happen anyway, `plan_batch`
# finds a number of the range out of place and refuses to go on (`BrokenNumbering`).


def batch_allowed(today: date) -> bool:
    """Batches number only away from the turn of the year (see above)."""
    return (today.month, today.day) not in {(12, 31), (1, 1)}


@dataclass(frozen=True)
class BatchClaim:
    """A pending batch: numbers `first..last` of one counter for the drafts `ids`, in order."""

    token: str
    ids: tuple[str, ...]
    first: int
    last: int

    @classmethod
    def of(cls, pending: dict[str, object]) -> "BatchClaim":
        """The claim as the counter's `pending` field stores it."""
        ids = pending["ids"]
        first, last = pending["first"], pending["last"]
        assert isinstance(ids, list) and isinstance(first, int) and isinstance(last, int)
        return cls(str(pending["claim"]), tuple(map(str, ids)), first, last)

    def stored(self) -> dict[str, object]:
        return {"claim": self.token, "ids": list(self.ids), "first": self.first, "last": self.last}


class Missing:
    """No such draft (a claim never names one, but a helper must not trip over it)."""


MISSING = Missing()
DraftState = tuple[str, int] | None | Missing
"""What a helper reads of one draft: (counter, sequence) once numbered, None while not."""


@dataclass(frozen=True)
class BatchPlan:
    """What is left of a batch: `stamps` ((draft id, sequence), written in this order, stopping
    at the first refused) and `used`, how many numbers of the range the batch uses once they
    are written; with no stamps left the claim is released with `last = first + used - 1`."""

    stamps: tuple[tuple[str, int], ...]
    used: int


class BrokenNumbering(Exception):
    """A draft holds a number of this claim's range that the rule would not have given it:
    a writer outside the rules wrote numbers. Stop rather than guess."""


def plan_batch(counter: str, claim: BatchClaim, states: dict[str, DraftState]) -> BatchPlan:
    """The rule above, applied to what was read of the claim's drafts (`states` by id)."""
    stamps: list[tuple[str, int]] = []
    seen: set[str] = set()
    sequence = claim.first
    for draft_id in claim.ids:
        state = states.get(draft_id, MISSING)
        if draft_id in seen or isinstance(state, Missing):
            continue
        seen.add(draft_id)
        if state is None:
            stamps.append((draft_id, sequence))
            sequence += 1
        elif state == (counter, sequence):
            sequence += 1
        elif state[0] == counter and claim.first <= state[1] <= claim.last:
            raise BrokenNumbering(f"{draft_id} holds {state[1]} of {counter}, expected {sequence}")
    return BatchPlan(tuple(stamps), sequence - claim.first)
