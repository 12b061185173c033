"""Invoice arithmetic: one VAT line per rate, rounded half up per rate line, in integer cents."""

from rencontres_billing.totals import Totals, VatLine, round_half_up, totals
from rencontres_contracts.events.common import BillableLine


def line(unit_cents: int, rate: int, quantity: int = 1) -> BillableLine:
    return BillableLine(
        description="item",
        quantity=quantity,
        unit_price_excl_vat_cents=unit_cents,
        vat_rate_percent=rate,
    )


def test_several_rates_give_one_vat_line_per_rate_sorted_by_rate() -> None:
    result = totals(
        [
            line(60000, 20),  # stand
            line(1250, 10, quantity=2),  # two meals
            line(800, 0),  # exempt
            line(10000, 20),  # second item at 20 % joins the same base
        ]
    )
    assert result == Totals(
        excl_vat_cents=60000 + 2500 + 800 + 10000,
        vat=(
            VatLine(rate_percent=0, base_cents=800, vat_cents=0),
            VatLine(rate_percent=10, base_cents=2500, vat_cents=250),
            VatLine(rate_percent=20, base_cents=70000, vat_cents=14000),
        ),
        incl_vat_cents=73300 + 250 + 14000,
    )


def test_odd_cents_round_half_up_not_to_even() -> None:
    # 25 c at 10 % is 2.5 c: half up gives 3 where banker's rounding would give 2.
    assert totals([line(25, 10)]).vat == (VatLine(10, 25, 3),)
    # 45 c -> 4.5 c -> 5 (banker's: 4); 44 c -> 4.4 c -> 4; 46 c -> 4.6 c -> 5.
    assert totals([line(45, 10)]).vat[0].vat_cents == 5
    assert totals([line(44, 10)]).vat[0].vat_cents == 4
    assert totals([line(46, 10)]).vat[0].vat_cents == 5
    # 5.5 % is not representable (integer rates), but 19.5 € at 5 % -> 97.5 c -> 98.
    assert totals([line(1950, 5)]).vat[0].vat_cents == 98
    assert totals([line(1950, 5)]).incl_vat_cents == 1950 + 98


def test_vat_is_rounded_per_rate_line_not_per_item() -> None:
    # Each 5 c item at 10 % is 0.5 c (1 c if rounded per item, 2 c for two); the rate line's
    # base is 10 c, whose VAT is exactly 1 c.
    result = totals([line(5, 10), line(5, 10)])
    assert result.vat == (VatLine(10, 10, 1),)
    assert result.incl_vat_cents == 11


def test_quantity_multiplies_the_unit_price() -> None:
    result = totals([line(333, 20, quantity=3)])
    assert result.excl_vat_cents == 999
    assert result.vat == (VatLine(20, 999, 200),)  # 199.8 c -> 200
    assert result.incl_vat_cents == 1199


def test_no_lines_totals_zero_with_no_vat_lines() -> None:
    assert totals([]) == Totals(excl_vat_cents=0, vat=(), incl_vat_cents=0)


def test_round_half_up_boundaries() -> None:
    assert round_half_up(0, 100) == 0
    assert round_half_up(49, 100) == 0
    assert round_half_up(50, 100) == 1
    assert round_half_up(150, 100) == 2
    assert round_half_up(250, 100) == 3
    assert round_half_up(1_200_000, 100) == 12_000
