"""Property tests (hypothesis) of the money rules: splits, VAT per rate, credit notes."""

from hypothesis import given
from hypothesis import strategies as st
from rencontres_billing.numbering import Assign, GiveBack, Release, resolve
from rencontres_billing.policy import credit_for
from rencontres_billing.totals import split_cents, totals
from rencontres_contracts.events.common import BillableLine

cents = st.integers(min_value=0, max_value=10_000_000)
rates = st.sampled_from([0, 2, 5, 10, 20])
lines = st.lists(
    st.builds(
        BillableLine,
        description=st.just("item"),
        quantity=st.integers(1, 100),
        unit_price_excl_vat_cents=st.integers(0, 1_000_000),
        vat_rate_percent=rates,
    ),
    max_size=16,
)


@given(cents, st.integers(min_value=1, max_value=10))
def test_a_split_adds_up_to_the_stand_price_and_shares_differ_by_at_most_a_cent(
    price: int, members: int
) -> None:
    shares = split_cents(price, members)
    assert sum(shares) == price
    assert len(shares) == members
    assert max(shares) - min(shares) <= 1
    assert shares == sorted(shares, reverse=True)  # the rounding cents go to the first members


@given(lines)
def test_one_vat_line_per_rate_whose_sums_make_the_totals(items: list[BillableLine]) -> None:
    result = totals(items)
    assert [v.rate_percent for v in result.vat] == sorted({i.vat_rate_percent for i in items})
    assert result.excl_vat_cents == sum(i.quantity * i.unit_price_excl_vat_cents for i in items)
    assert result.incl_vat_cents == result.excl_vat_cents + sum(v.vat_cents for v in result.vat)
    for v in result.vat:
        exact = v.base_cents * v.rate_percent / 100
        assert abs(v.vat_cents - exact) <= 0.5  # rounded once per rate line


@given(lines, st.integers(0, 20_000_000), st.integers(0, 100))
def test_a_credit_note_leaves_exactly_the_kept_fee_invoiced_and_refunds_the_rest(
    items: list[BillableLine], paid: int, refund_percent: int
) -> None:
    invoice = totals(items)
    credit = credit_for(invoice, paid, refund_percent)
    assert 0 <= credit.totals.incl_vat_cents <= invoice.incl_vat_cents
    still_invoiced = invoice.incl_vat_cents - credit.totals.incl_vat_cents
    # what the buyer paid minus what is refunded is exactly what stays invoiced (when paid
    # covers it); nothing is refunded beyond what was paid
    assert 0 <= credit.refund_cents <= paid
    if paid <= invoice.incl_vat_cents:
        assert paid - credit.refund_cents == min(still_invoiced, paid)
    if refund_percent == 100:
        assert credit.totals == invoice and credit.refund_cents == paid


@given(
    st.integers(1, 1000),
    st.one_of(
        st.none(), st.tuples(st.sampled_from(["FAC-2026", "FAC-2025"]), st.integers(1, 1000))
    ),
)
def test_a_pending_claim_is_always_resolved_without_a_gap(
    last: int, draft: tuple[str, int] | None
) -> None:
    step = resolve("FAC-2026", last, draft)
    if draft is None:
        assert step == Assign(last)
    elif draft == ("FAC-2026", last):
        assert step == Release()
    else:
        assert step == GiveBack()
