"""The batch numbering rule (`numbering.plan_batch`), without I/O: examples, then a
simulation of helpers racing over one pending batch with stale reads, stamps written in any
order and crashes, after which the used numbers are exactly first..first+used-1."""

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rencontres_billing.numbering import (
    MISSING,
    BatchClaim,
    BatchPlan,
    BrokenNumbering,
    DraftState,
    batch_allowed,
    plan_batch,
)

COUNTER = "FAC-2026"
ELSEWHERE = ("FAC-2025", 412)  # numbered by another claim (last year's, around midnight)


def claim(*ids: str, first: int = 10) -> BatchClaim:
    return BatchClaim("t", ids, first, first + len(ids) - 1)


def test_a_fresh_batch_is_numbered_in_order() -> None:
    plan = plan_batch(COUNTER, claim("a", "b", "c"), {"a": None, "b": None, "c": None})
    assert plan == BatchPlan((("a", 10), ("b", 11), ("c", 12)), used=3)


def test_what_is_done_stays_and_the_rest_follows_on() -> None:
    states: dict[str, DraftState] = {"a": (COUNTER, 10), "b": None, "c": None}
    assert plan_batch(COUNTER, claim("a", "b", "c"), states) == BatchPlan(
        (("b", 11), ("c", 12)), used=3
    )


def test_a_draft_numbered_elsewhere_is_skipped_and_its_number_goes_to_the_next() -> None:
    states: dict[str, DraftState] = {"a": (COUNTER, 10), "b": ELSEWHERE, "c": None}
    assert plan_batch(COUNTER, claim("a", "b", "c"), states) == BatchPlan((("c", 11),), used=2)


def test_missing_and_repeated_drafts_take_no_number() -> None:
    states: dict[str, DraftState] = {"a": None, "c": None}
    plan = plan_batch(COUNTER, claim("a", "b", "a", "c"), states)
    assert plan == BatchPlan((("a", 10), ("c", 11)), used=2)


def test_a_finished_batch_has_nothing_left_and_gives_back_the_unused_top() -> None:
    states: dict[str, DraftState] = {"a": (COUNTER, 10), "b": ELSEWHERE, "c": (COUNTER, 11)}
    assert plan_batch(COUNTER, claim("a", "b", "c"), states) == BatchPlan((), used=2)


def test_a_number_of_the_range_in_the_wrong_place_stops_everything() -> None:
    states: dict[str, DraftState] = {"a": None, "b": (COUNTER, 12)}
    with pytest.raises(BrokenNumbering):
        plan_batch(COUNTER, claim("a", "b", "c"), states)


def test_the_claim_round_trips_through_the_counter_document() -> None:
    c = claim("a", "b")
    assert BatchClaim.of(c.stored()) == c


def test_batches_stay_away_from_the_turn_of_the_year() -> None:
    assert batch_allowed(date(2026, 12, 30)) and batch_allowed(date(2027, 1, 2))
    assert not batch_allowed(date(2026, 12, 31)) and not batch_allowed(date(2027, 1, 1))


# --------------------------------------------------------------------- racing helpers

initial = st.sampled_from(["none", "none", "none", "elsewhere", "missing"])
actions = st.lists(
    st.one_of(
        st.tuples(st.just("read"), st.integers(0, 2)),
        st.tuples(st.just("write"), st.integers(0, 2)),
    ),
    max_size=40,
)


@settings(max_examples=400)
@given(
    kinds=st.lists(initial, min_size=1, max_size=8),
    first=st.integers(1, 1000),
    script=actions,
    rng=st.randoms(use_true_random=False),
)
def test_racing_helpers_leave_exactly_first_to_first_plus_used_minus_one(
    kinds: list[str], first: int, script: list[tuple[str, int]], rng: Any
) -> None:
    """Helpers read the claim's drafts at any time and write their plan's stamps later (stale),
    each stamp only on a draft without a number, in any order, some never (a crash); then
    whoever comes last finishes. Every stamp written agrees with every other reader's plan."""
    ids = tuple(f"d{i}" for i in range(len(kinds)))
    c = claim(*ids, first=first)
    states: dict[str, DraftState] = {}
    for draft_id, kind in zip(ids, kinds, strict=True):
        if kind != "missing":  # numbered earlier, or missing: fixed before the claim
            states[draft_id] = ELSEWHERE if kind == "elsewhere" else None
    plans: dict[int, list[tuple[str, int]]] = {}

    def write(stamps: list[tuple[str, int]]) -> None:
        for draft_id, sequence in stamps:
            if states[draft_id] is None:
                states[draft_id] = (COUNTER, sequence)
            else:
                assert states[draft_id] == (COUNTER, sequence), "two helpers disagree"

    for action, who in script:
        if action == "read":
            plans[who] = list(plan_batch(COUNTER, c, dict(states)).stamps)
        else:
            plan = plans.pop(who, [])
            rng.shuffle(plan)
            write(plan[: rng.randint(0, len(plan))])  # all, some or none before a crash
    while (plan := plan_batch(COUNTER, c, dict(states))).stamps:
        write(list(plan.stamps))

    ours = [states[i] for i in ids if states.get(i, MISSING) not in (None, ELSEWHERE, MISSING)]
    assert ours == [(COUNTER, first + k) for k in range(plan.used)], "gap, duplicate or disorder"
    assert all(states[i] is not None for i in states), "a draft left without a number"
    assert plan.used == sum(1 for k in kinds if k == "none")
