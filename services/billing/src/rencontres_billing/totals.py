"""Invoice arithmetic, without I/O. Amounts are integer cents; VAT is rounded per rate line.

French invoices show, per VAT rate, the base excl. VAT and the VAT on it; rounding per rate
line (not per item) is what accounting software re-computes from the CII XML, so the PDF and
the embedded XML agree to the cent.
"""

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

    @property
    def vat_cents(self) -> int:
        return sum(v.vat_cents for v in self.vat)


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


def split_cents(total: int, parts: int) -> list[int]:
    """A shared stand's price split between its members, adding up to `total` exactly.

    The rule (the same as registration's, so the page and the invoice agree): every member owes
    `total // parts`; the `total % parts` rounding cents go one each to the first members in
    the order they joined (the opener first). No two shares differ by more than one cent.
    """
    if parts < 1:
        raise ValueError("a split needs at least one member")
    base, rest = divmod(total, parts)
    return [base + (1 if i < rest else 0) for i in range(parts)]


def scaled(amount: Totals, numerator: int, denominator: int) -> Totals:
    """`amount` times numerator/denominator, per VAT rate (a partial credit note's totals).

    Each rate's base is scaled and rounded half up, then its VAT is recomputed on the rounded
    base, so the result is itself a consistent set of VAT lines.
    """
    if denominator == 0:
        return Totals(0, (), 0)
    vat = tuple(
        VatLine(
            v.rate_percent,
            base := round_half_up(v.base_cents * numerator, denominator),
            round_half_up(base * v.rate_percent, 100),
        )
        for v in amount.vat
    )
    excl = sum(v.base_cents for v in vat)
    return Totals(excl, vat, excl + sum(v.vat_cents for v in vat))
