"""Invoice arithmetic, without I/O. Amounts are integer cents; VAT is rounded per rate line."""

from dataclasses import dataclass

from rencontres_contracts.events.common import BillableLine


@dataclass(frozen=True)
class VatLine:
    rate_percent: int
    base_cents: int
    vat_cents: int


@dataclass(frozen=True)
class Totals:
    excl_vat_cents: int
    vat: tuple[VatLine, ...]
    incl_vat_cents: int


def round_half_up(numerator: int, denominator: int) -> int:
    """Commercial rounding of a non-negative fraction to the nearest cent."""
    return (2 * numerator + denominator) // (2 * denominator)


def totals(lines: list[BillableLine]) -> Totals:
    """Totals with one VAT line per rate, as a French invoice shows them."""
    bases: dict[int, int] = {}
    for line in lines:
        rate = line.vat_rate_percent
        bases[rate] = bases.get(rate, 0) + line.quantity * line.unit_price_excl_vat_cents
    vat = tuple(
        VatLine(rate, base, round_half_up(base * rate, 100)) for rate, base in sorted(bases.items())
    )
    excl = sum(v.base_cents for v in vat)
    return Totals(excl, vat, excl + sum(v.vat_cents for v in vat))
