"""Money, as Stripe counts it: pure functions on integers in the smallest unit.

This module owns the currency table. Nothing else in the package knows a
currency's exponent: everything converts through :func:`to_minor`,
:func:`from_minor` and :func:`format_amount`.

Rules (documented in ``docs/pricing.md``):

* Amounts are ``int`` in the currency's smallest unit (cents, yen, fils).
  Product prices are entered as :class:`~decimal.Decimal` and converted
  exactly; a price with more precision than the currency allows is refused.
* Tax is computed once per order on the item subtotal and rounded half-up to
  the currency's step (1 unit; 10 for three-decimal currencies, whose last
  digit Stripe requires to be 0; 100 for ISK, which must be whole krónur).
* ``float`` is refused everywhere with :class:`TypeError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum

from django.utils.formats import get_format
from django.utils.translation import get_language, gettext, ngettext
from django.utils.translation import gettext_lazy as _

# Stripe: "amount ... supports up to eight digits".
MAX_AMOUNT = 99_999_999

ZERO_DECIMAL = frozenset("BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF".split())
THREE_DECIMAL = frozenset("BHD JOD KWD OMR TND".split())

# Every currency Stripe accepts for card payments through Checkout.
SUPPORTED = frozenset(
    """
    USD AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND
    BOB BRL BSD BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CVE CZK DJF DKK DOP DZD
    EGP ETB EUR FJD FKP GBP GEL GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR
    ISK JMD JOD JPY KES KGS KHR KMF KRW KWD KYD KZT LAK LBP LKR LRD LSL MAD MDL
    MGA MKD MMK MNT MOP MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB
    PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SEK SGD SHP SLE SOS
    SRD SZL THB TJS TND TOP TRY TTD TWD TZS UAH UGX UYU UZS VND VUV WST XAF XCD
    XOF XPF YER ZAR ZMW
    """.split()
)

# Stripe's published minimum charge amounts, in the currency's major unit.
# Currencies not listed here have no fixed minimum of their own (Stripe converts
# to the account's settlement currency); we then only require a positive total.
MINIMUMS: dict[str, Decimal] = {
    "USD": Decimal("0.50"),
    "AED": Decimal("2.00"),
    "AUD": Decimal("0.50"),
    "BGN": Decimal("1.00"),
    "BRL": Decimal("0.50"),
    "CAD": Decimal("0.50"),
    "CHF": Decimal("0.50"),
    "CZK": Decimal("15.00"),
    "DKK": Decimal("2.50"),
    "EUR": Decimal("0.50"),
    "GBP": Decimal("0.30"),
    "HKD": Decimal("4.00"),
    "HUF": Decimal("175.00"),
    "INR": Decimal("0.50"),
    "JPY": Decimal("50"),
    "MXN": Decimal("10"),
    "MYR": Decimal("2"),
    "NOK": Decimal("3.00"),
    "NZD": Decimal("0.50"),
    "PLN": Decimal("2.00"),
    "RON": Decimal("2.00"),
    "SEK": Decimal("3.00"),
    "SGD": Decimal("0.50"),
    "THB": Decimal("10"),
}

SYMBOLS: dict[str, str] = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "INR": "₹",
    "KRW": "₩",
    "AUD": "A$",
    "CAD": "CA$",
    "NZD": "NZ$",
    "HKD": "HK$",
    "SGD": "S$",
    "CHF": "CHF\u00a0",
}


class PricingError(ValueError):
    """A price or total that Stripe would refuse; the message is for people."""


@dataclass(frozen=True)
class Currency:
    code: str
    exponent: int  # how many decimals one smallest unit represents
    step: int  # amounts sent to Stripe must be multiples of this
    minimum: int  # smallest chargeable total, in smallest units

    @property
    def display_decimals(self) -> int:
        # ISK is sent in two-decimal form but is always whole krónur.
        return 0 if self.code == "ISK" else self.exponent


def get_currency(code: str) -> Currency:
    code = (code or "").upper()
    if code not in SUPPORTED:
        raise PricingError(f"{code or 'An empty currency'} is not a currency Stripe accepts.")
    if code in ZERO_DECIMAL:
        exponent, step = 0, 1
    elif code in THREE_DECIMAL:
        exponent, step = 3, 10
    else:
        exponent, step = 2, 1
    if code == "ISK":
        step = 100
    minimum_major = MINIMUMS.get(code)
    minimum = step if minimum_major is None else int(minimum_major.scaleb(exponent))
    return Currency(code=code, exponent=exponent, step=step, minimum=minimum)


def currency_choices() -> list[tuple[str, str]]:
    return [(code, code) for code in sorted(SUPPORTED)]


def _as_decimal(value: Decimal | int | str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("Money must be an int or Decimal, never a float.")
    if isinstance(value, bool):
        raise TypeError("Money must be an int or Decimal, not a bool.")
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise PricingError(f"{value!r} is not an amount.") from exc
    if not result.is_finite():
        raise PricingError(f"{value!r} is not an amount.")
    return result


def to_minor(amount: Decimal | int | str, currency: Currency) -> int:
    """Convert a major-unit amount (``Decimal("7.77")``) to smallest units (777).

    Exact: an amount finer than the currency allows is a :class:`PricingError`,
    never silently rounded.
    """
    value = _as_decimal(amount).scaleb(currency.exponent)
    if value != value.to_integral_value():
        raise PricingError(
            f"{currency.code} amounts can have at most {currency.exponent} decimal places."
        )
    minor = int(value)
    if minor % currency.step:
        raise PricingError(
            f"{currency.code} amounts must be multiples of {format_plain(currency.step, currency)}."
        )
    return minor


def from_minor(minor: int, currency: Currency) -> Decimal:
    _check_int(minor)
    return Decimal(minor).scaleb(-currency.exponent)


def round_to_step(minor: Decimal, currency: Currency) -> int:
    """Round a fractional smallest-unit amount half-up to the currency's step."""
    if isinstance(minor, float):
        raise TypeError("Money must be an int or Decimal, never a float.")
    steps = (Decimal(minor) / currency.step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(steps) * currency.step


def _check_int(value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"Smallest-unit amounts are int, got {type(value).__name__}.")


class TaxMode(str, Enum):
    NONE = "none"
    ADDED = "added"  # a rate added on top of prices
    INCLUDED = "included"  # prices already include the rate
    STRIPE = "stripe"  # Stripe Tax computes it at payment


# What editors choose from (the shop settings' tax field).
TAX_MODE_CHOICES = [
    (TaxMode.NONE.value, _("No tax")),
    (TaxMode.ADDED.value, _("Add a rate on top of prices")),
    (TaxMode.INCLUDED.value, _("Prices include a rate")),
    (TaxMode.STRIPE.value, _("Stripe Tax calculates it at payment")),
]


@dataclass(frozen=True)
class Totals:
    """What a cart comes to, or what an order came to: the one object templates show."""

    currency: Currency
    subtotal: int
    tax: int
    shipping: int
    total: int
    tax_mode: TaxMode
    tax_label: str = ""
    discount: int = 0  # what Stripe took off (promotion codes); 0 until paid
    final: bool = False  # what Stripe charged, tax included, rather than our estimate
    shipping_label: str = ""  # the rate, e.g. "Standard (3-5 days)"
    tax_rate: Decimal | None = None  # the rate added or included, when known
    ships: bool = True  # False: digital goods only, no shipping line to show

    @property
    def tax_rate_display(self) -> str:
        """``"8.25%"``, or empty when the rate is not known (Stripe Tax, an order)."""
        if not self.tax_rate or self.tax_mode not in (TaxMode.ADDED, TaxMode.INCLUDED):
            return ""
        return f"{self.tax_rate.normalize():f}%"

    @property
    def tax_included(self) -> bool:
        return self.tax_mode is TaxMode.INCLUDED

    @property
    def tax_at_payment(self) -> bool:
        """The tax is not known yet: Stripe Tax computes it on the payment page."""
        return self.tax_mode is TaxMode.STRIPE and not self.final


@dataclass(frozen=True)
class ShippingQuote:
    """One shipping rate for one country, in smallest units."""

    rate_id: int
    name: str
    country: str
    amount: int
    free_over: int | None = None  # free when the items reach this
    min_days: int | None = None
    max_days: int | None = None

    @property
    def delivery(self) -> str:
        """``"3–5 days"``, ``"1 day"``, or empty when no estimate was given."""
        if self.min_days and self.max_days and self.min_days != self.max_days:
            return gettext("%(min)s–%(max)s days") % {"min": self.min_days, "max": self.max_days}
        days = self.max_days or self.min_days
        if not days:
            return ""
        return ngettext("%(n)s day", "%(n)s days", days) % {"n": days}

    @property
    def label(self) -> str:
        return f"{self.name} ({self.delivery})" if self.delivery else self.name


def line_total(unit_amount: int, quantity: int) -> int:
    _check_int(unit_amount)
    _check_int(quantity)
    if unit_amount < 0 or quantity < 0:
        raise PricingError("Prices and quantities cannot be negative.")
    return unit_amount * quantity


def compute_tax(subtotal: int, mode: TaxMode, rate: Decimal, currency: Currency) -> int:
    """Tax on the item subtotal, rounded once, half-up, to the currency's step."""
    _check_int(subtotal)
    rate = _as_decimal(rate)
    if rate < 0:
        raise PricingError("A tax rate cannot be negative.")
    if mode is TaxMode.ADDED:
        return round_to_step(Decimal(subtotal) * rate / 100, currency)
    if mode is TaxMode.INCLUDED:
        return round_to_step(Decimal(subtotal) * rate / (100 + rate), currency)
    return 0


def compute_shipping(subtotal: int, has_lines: bool, fee: int, free_over: int | None) -> int:
    """Flat ``fee``; free when the subtotal reaches ``free_over``; none for an empty cart."""
    _check_int(fee)
    if fee < 0:
        raise PricingError("A shipping fee cannot be negative.")
    if not has_lines:
        return 0
    if free_over is not None and subtotal >= free_over:
        return 0
    return fee


def compute_totals(
    lines: Iterable[tuple[int, int]],
    currency: Currency,
    *,
    tax_mode: TaxMode = TaxMode.NONE,
    tax_rate: Decimal = Decimal(0),
    tax_label: str = "",
    shipping_fee: int = 0,
    free_shipping_over: int | None = None,
) -> Totals:
    """Subtotal, tax, shipping and total for ``(unit_amount, quantity)`` lines.

    Shipping is taxed as the goods are: added on top, or included in its price.
    """
    amounts = [line_total(unit, qty) for unit, qty in lines]
    subtotal = sum(amounts)
    shipping = compute_shipping(subtotal, bool(amounts), shipping_fee, free_shipping_over)
    tax = compute_tax(subtotal + shipping, tax_mode, tax_rate, currency)
    total = subtotal + shipping + (tax if tax_mode is TaxMode.ADDED else 0)
    return Totals(
        currency=currency,
        subtotal=subtotal,
        tax=tax,
        shipping=shipping,
        total=total,
        tax_mode=tax_mode,
        tax_label=tax_label,
        tax_rate=tax_rate,
    )


@dataclass(frozen=True)
class PricingOptions:
    """A shop's pricing rules for one site, every amount in smallest units."""

    currency: Currency
    tax_mode: TaxMode
    tax_rate: Decimal
    tax_label: str
    shipping: ShippingQuote | None = None  # None: nothing is shipped
    stripe_tax_behavior: str = "exclusive"  # with Stripe Tax: prices exclude or include it

    def totals(self, lines: list[tuple[int, int]]) -> Totals:
        shipping = self.shipping
        totals = compute_totals(
            lines,
            self.currency,
            tax_mode=self.tax_mode,
            tax_rate=self.tax_rate,
            tax_label=self.tax_label,
            shipping_fee=shipping.amount if shipping else 0,
            free_shipping_over=shipping.free_over if shipping else None,
        )
        if shipping is None:
            return totals
        return replace(totals, shipping_label=shipping.label)


def charge_problems(total: int, currency: Currency) -> list[str]:
    """Why Stripe would refuse to charge ``total``; empty when it would not."""
    _check_int(total)
    problems = []
    if total < currency.minimum:
        problems.append(
            f"The minimum order is {format_amount(currency.minimum, currency)}; "
            f"this order comes to {format_amount(total, currency)}."
        )
    if total > MAX_AMOUNT:
        problems.append(
            f"Orders cannot exceed {format_amount(MAX_AMOUNT, currency)}; please split your order."
        )
    if total % currency.step:
        problems.append(f"{currency.code} totals must be multiples of {currency.step}.")
    return problems


def format_plain(minor: int, currency: Currency) -> str:
    """``1230`` KWD → ``"1.230"``; no symbol, no grouping (for messages)."""
    value = from_minor(minor, currency)
    return f"{value:.{currency.display_decimals}f}"


def format_amount(minor: int, currency: Currency, *, use_l10n: bool | None = None) -> str:
    """A localised display string: ``$7.77``, ``¥500``, ``KWD 1.230``."""
    return amount_formatter(currency, use_l10n=use_l10n)(minor)


def amount_formatter(currency: Currency, *, use_l10n: bool | None = None) -> Callable[[int], str]:
    """:func:`format_amount` for many amounts: the active language's separators are
    looked up once, then each amount is integer arithmetic (what a page with many
    prices uses). The strings are Django's ``number_format`` with grouping, to the
    character."""
    localised = True if use_l10n is None else use_l10n
    lang = get_language() if localised else None
    decimal_sep = get_format("DECIMAL_SEPARATOR", lang, use_l10n=localised)
    grouping = get_format("NUMBER_GROUPING", lang, use_l10n=localised)
    thousand_sep = get_format("THOUSAND_SEPARATOR", lang, use_l10n=localised)
    decimals = currency.display_decimals
    shift = 10 ** (currency.exponent - decimals)  # ISK: whole krónur of a 2-decimal amount
    scale = 10**decimals
    symbol = SYMBOLS.get(currency.code)
    prefix = symbol if symbol else f"{currency.code}\u00a0"

    def format_one(minor: int) -> str:
        _check_int(minor)
        units, rest = divmod(abs(minor), shift)
        units += 2 * rest >= shift  # half-up, away from zero
        whole, fraction = divmod(units, scale)
        number = _grouped(str(whole), grouping, thousand_sep)
        if decimals:
            number += f"{decimal_sep}{fraction:0{decimals}d}"
        sign = "-" if minor < 0 and units else ""
        return f"{sign}{prefix}{number}" if symbol else f"{prefix}{sign}{number}"

    return format_one


def _grouped(digits: str, grouping: int | Sequence[int], separator: str) -> str:
    """Django's digit grouping (``django.utils.numberformat``): a size, or sizes
    from the right as ``locale.localeconv()`` gives them (``(3, 2, 0)``)."""
    if grouping == 0:
        return digits
    intervals = list(grouping) if isinstance(grouping, Sequence) else [grouping, 0]
    active = intervals.pop(0)
    out = ""
    count = 0
    for digit in reversed(digits):
        if count and count == active:
            if intervals:
                active = intervals.pop(0) or active
            out += separator[::-1]
            count = 0
        out += digit
        count += 1
    return out[::-1]
