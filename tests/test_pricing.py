from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wagtail_stripe_checkout import pricing
from wagtail_stripe_checkout.pricing import TaxMode, compute_totals, get_currency, to_minor

USD, JPY, KWD, ISK = (get_currency(c) for c in ("USD", "JPY", "KWD", "ISK"))


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("7.77", USD, 777),  # the float bug: 7.77 * 100 == 776.9999…
        ("0.29", USD, 29),
        ("1234567.89", USD, 123456789),
        ("500", JPY, 500),  # zero-decimal: never × 100
        ("1.230", KWD, 1230),  # three decimals, last digit 0
        ("5.120", KWD, 5120),
        ("100", ISK, 10000),  # two-decimal form, whole krónur
    ],
)
def test_to_minor_converts_exactly_in_every_exponent(amount, currency, expected):
    assert to_minor(Decimal(amount), currency) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("1.234", KWD, "multiples of 0.010"),  # Stripe refuses a last digit that is not 0
        ("500.5", JPY, "at most 0 decimal places"),
        ("7.775", USD, "at most 2 decimal places"),
        ("100.50", ISK, "multiples of 1"),
    ],
)
def test_to_minor_refuses_amounts_finer_than_the_currency(amount, currency, message):
    with pytest.raises(pricing.PricingError, match=message):
        to_minor(Decimal(amount), currency)


def test_floats_are_refused_wherever_money_enters():
    with pytest.raises(TypeError):
        to_minor(7.77, USD)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pricing.line_total(7.77, 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        pricing.round_to_step(1.5, USD)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        compute_totals([(100, 1)], USD, shipping_fee=4.99)  # type: ignore[arg-type]


def test_currency_table_knows_exponents_steps_and_minimums():
    assert (USD.exponent, USD.step, USD.minimum) == (2, 1, 50)
    assert (JPY.exponent, JPY.step, JPY.minimum) == (0, 1, 50)
    assert (KWD.exponent, KWD.step) == (3, 10)
    assert (ISK.exponent, ISK.step, ISK.display_decimals) == (2, 100, 0)
    assert get_currency("gbp").minimum == 30
    with pytest.raises(pricing.PricingError, match="XYZ is not a currency"):
        get_currency("XYZ")


# Exact totals, to the smallest unit, for each tax mode and shipping rule.
@pytest.mark.parametrize(
    ("currency", "lines", "mode", "rate", "fee", "free_over", "expected"),
    [
        # USD: 2 × 7.77 + 1 × 12.50 = 28.04
        (USD, [(777, 2), (1250, 1)], TaxMode.NONE, "0", 499, None, (2804, 0, 499, 3303)),
        # Shipping is taxed as the goods are: 8.25% of (28.04 + 4.99) = 2.7249 → 2.72
        (USD, [(777, 2), (1250, 1)], TaxMode.ADDED, "8.25", 499, None, (2804, 272, 499, 3575)),
        # included 20%: 33.03 × 20/120 = 5.505 → 5.51, total unchanged by tax
        (USD, [(777, 2), (1250, 1)], TaxMode.INCLUDED, "20", 499, None, (2804, 551, 499, 3303)),
        # free shipping at 25.00: subtotal 28.04 reaches it; 8.25% of 28.04 → 2.31
        (USD, [(777, 2), (1250, 1)], TaxMode.ADDED, "8.25", 499, 2500, (2804, 231, 0, 3035)),
        # half-up: 10% of 0.05 = 0.005 → 0.01
        (USD, [(5, 1)], TaxMode.ADDED, "10", 0, None, (5, 1, 0, 6)),
        # JPY: ¥500 × 3 = ¥1500, shipping ¥800, 10% of ¥2300 = ¥230
        (JPY, [(500, 3)], TaxMode.ADDED, "10", 800, None, (1500, 230, 800, 2530)),
        # JPY included 8%, shipping free: 1500 × 8/108 = 111.1 → 111
        (JPY, [(500, 3)], TaxMode.INCLUDED, "8", 800, 1500, (1500, 111, 0, 1500)),
        # KWD: 2.960 + 1.000 shipping; 5% = 0.198 → 0.200 (step 10)
        (KWD, [(1230, 2), (500, 1)], TaxMode.ADDED, "5", 1000, None, (2960, 200, 1000, 4160)),
        # KWD included 15%: 3.960 × 15/115 = 0.51652 → 0.520
        (KWD, [(1230, 2), (500, 1)], TaxMode.INCLUDED, "15", 1000, None, (2960, 520, 1000, 3960)),
        # Stripe Tax: nothing computed here, shown as "calculated at payment"
        (USD, [(1000, 1)], TaxMode.STRIPE, "0", 0, None, (1000, 0, 0, 1000)),
        # empty cart: no shipping
        (USD, [], TaxMode.ADDED, "20", 499, None, (0, 0, 0, 0)),
    ],
)
def test_totals_are_exact(currency, lines, mode, rate, fee, free_over, expected):
    totals = compute_totals(
        lines,
        currency,
        tax_mode=mode,
        tax_rate=Decimal(rate),
        shipping_fee=fee,
        free_shipping_over=free_over,
    )
    assert (totals.subtotal, totals.tax, totals.shipping, totals.total) == expected


def test_charge_problems_name_stripes_limits():
    assert pricing.charge_problems(50, USD) == []
    (below,) = pricing.charge_problems(49, USD)
    assert "The minimum order is $0.50" in below
    (over,) = pricing.charge_problems(100_000_000, USD)
    assert "cannot exceed $999,999.99" in over
    assert "¥50" in pricing.charge_problems(49, JPY)[0]
    assert pricing.charge_problems(99_999_999, JPY) == []


def test_format_amount_uses_the_currency_exponent():
    assert pricing.format_amount(777, USD) == "$7.77"
    assert pricing.format_amount(123456789, USD) == "$1,234,567.89"
    assert pricing.format_amount(500, JPY) == "¥500"
    assert pricing.format_amount(1230, KWD) == "KWD\u00a01.230"
    assert pricing.format_amount(10000, ISK) == "ISK\u00a0100"


currencies = st.sampled_from([USD, JPY, KWD, ISK, get_currency("GBP"), get_currency("BHD")])
modes = st.sampled_from(list(TaxMode))
rates = st.decimals(min_value=0, max_value=100, places=3, allow_nan=False, allow_infinity=False)


@st.composite
def carts(draw):
    currency = draw(currencies)
    units = st.integers(min_value=0, max_value=1_000_000).map(lambda n: n * currency.step)
    lines = draw(st.lists(st.tuples(units, st.integers(1, 99)), max_size=30))
    fee = draw(st.integers(0, 100_000)) * currency.step
    free_over = draw(
        st.one_of(st.none(), st.integers(0, 10_000_000).map(lambda n: n * currency.step))
    )
    return currency, lines, fee, free_over


@given(carts(), modes, rates)
def test_parts_always_add_up_and_never_go_negative(cart, mode, rate):
    currency, lines, fee, free_over = cart
    t = compute_totals(
        lines,
        currency,
        tax_mode=mode,
        tax_rate=rate,
        shipping_fee=fee,
        free_shipping_over=free_over,
    )
    assert t.subtotal == sum(u * q for u, q in lines)
    added_tax = t.tax if mode is TaxMode.ADDED else 0
    assert t.total == t.subtotal + added_tax + t.shipping
    assert min(t.subtotal, t.tax, t.shipping, t.total) >= 0
    assert t.tax <= t.subtotal + t.shipping or mode is TaxMode.ADDED
    for amount in (t.subtotal, t.tax, t.shipping, t.total):
        assert isinstance(amount, int)
        assert amount % currency.step == 0  # KWD ends in 0, ISK in 00
    if not lines:
        assert t.total == 0
    if mode is TaxMode.INCLUDED:
        # the included tax is the rounded share rate/(100+rate) of items and shipping
        exact = Decimal(t.subtotal + t.shipping) * rate / (100 + rate)
        assert abs(Decimal(t.tax) - exact) <= Decimal(currency.step) / 2


@given(
    st.decimals(min_value=0, max_value=Decimal("999999.99"), places=2, allow_nan=False),
)
def test_two_decimal_prices_round_trip_exactly(price):
    minor = to_minor(price, USD)
    assert pricing.from_minor(minor, USD) == price
    assert minor == int(price * 100)


@given(st.integers(min_value=0, max_value=9_999_999))
def test_kwd_prices_on_the_step_round_trip(n):
    minor = n * 10
    assert to_minor(pricing.from_minor(minor, KWD), KWD) == minor
