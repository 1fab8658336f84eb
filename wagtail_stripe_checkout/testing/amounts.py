"""The stand-in's own amount arithmetic: discounts, its test tax and presentment amounts.

Deterministic on purpose, so tests can state exact amounts:

* **Tax** (``automatic_tax[enabled]=true``): :data:`TAX_RATE` (10%) on every line
  item and on the shipping cost, rounded half-up per line to the currency's
  step. ``exclusive`` (and ``unspecified``) adds it on top; ``inclusive`` means
  the price already holds it (tax = price − price / 1.10, rounded).
* **Discounts** come off the line items (never the shipping), before tax,
  never below 0, spread over the lines in proportion to their amounts, in whole
  steps of the currency, so that they add up exactly.
* **Presentment** (Adaptive Pricing): :data:`PRESENTMENT_RATE` presentment
  units for each unit of the session's currency, rounded half-up to the
  presentment currency's step.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .currencies import Currency

TAX_RATE = Fraction(1, 10)
PRESENTMENT_RATE = Fraction(11, 10)
INCLUSIVE = "inclusive"


@dataclass(frozen=True)
class Charged:
    """One priced line (an item, or the shipping): its amounts in smallest units."""

    subtotal: int  # before discount and tax
    discount: int
    tax: int  # included in the price, or added on top
    total: int  # after discount, with tax added on top if exclusive


@dataclass(frozen=True)
class Priced:
    lines: list[Charged]
    shipping: Charged | None

    @property
    def subtotal(self) -> int:
        return sum(line.subtotal for line in self.lines)

    @property
    def discount(self) -> int:
        return sum(line.discount for line in self.lines)

    @property
    def tax(self) -> int:
        shipping_tax = self.shipping.tax if self.shipping else 0
        return sum(line.tax for line in self.lines) + shipping_tax

    @property
    def shipping_amount(self) -> int:
        return self.shipping.subtotal if self.shipping else 0

    @property
    def total(self) -> int:
        shipping_total = self.shipping.total if self.shipping else 0
        return sum(line.total for line in self.lines) + shipping_total


def round_to_step(value: Fraction, step: int) -> int:
    """``value`` (smallest units) rounded half-up to a multiple of ``step``."""
    units = value / step
    return int(units + Fraction(1, 2)) * step if units >= 0 else -round_to_step(-value, step)


def tax_on(amount: int, behavior: str, step: int) -> int:
    """The test tax on ``amount`` with ``tax_behavior`` ``behavior``."""
    if behavior == INCLUSIVE:
        return round_to_step(amount * TAX_RATE / (1 + TAX_RATE), step)
    return round_to_step(amount * TAX_RATE, step)


def spread(amount: int, weights: list[int], step: int) -> list[int]:
    """``amount`` split in proportion to ``weights``, in whole ``step``s that add up.

    Largest remainder first; ties go to the earlier line.
    """
    units, total = amount // step, sum(weights)
    if not units or not total:
        return [0] * len(weights)
    shares = [Fraction(units * weight, total) for weight in weights]
    whole = [int(share) for share in shares]
    order = sorted(range(len(weights)), key=lambda i: (-(shares[i] - whole[i]), i))
    for index in order[: units - sum(whole)]:
        whole[index] += 1
    return [share * step for share in whole]


def charged(amount: int, discount: int, behavior: str, taxed: bool, step: int) -> Charged:
    base = amount - discount
    tax = tax_on(base, behavior, step) if taxed else 0
    added = 0 if behavior == INCLUSIVE else tax
    return Charged(amount, discount, tax, base + added)


def price(
    lines: list[tuple[int, str]],
    shipping: tuple[int, str] | None,
    *,
    amount_off: int,
    taxed: bool,
    step: int,
) -> Priced:
    """Price ``lines`` and ``shipping`` (each ``(amount, tax_behavior)``)."""
    subtotal = sum(amount for amount, _behavior in lines)
    discounts = spread(min(amount_off, subtotal), [amount for amount, _ in lines], step)
    priced = [
        charged(amount, discount, behavior, taxed, step)
        for (amount, behavior), discount in zip(lines, discounts, strict=True)
    ]
    shipped = charged(shipping[0], 0, shipping[1], taxed, step) if shipping else None
    return Priced(priced, shipped)


def presentment_amount(amount: int, source: Currency, target: Currency) -> int:
    """``amount`` of ``source`` shown in ``target`` at the stand-in's fixed rate."""
    rate = 1 if source.code == target.code else PRESENTMENT_RATE
    value = Fraction(amount) * rate * Fraction(10) ** (target.exponent - source.exponent)
    return round_to_step(value, target.step)
