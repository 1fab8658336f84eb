"""The stand-in's own amount arithmetic: its test tax, discounts spread over lines,
presentment amounts, exact to the smallest unit and the currency's step."""

from __future__ import annotations

from fractions import Fraction

import pytest

from wagtail_stripe_checkout.testing import TEST_TAX_RATE, amounts, currencies


def currency(code):
    found = currencies.lookup(code)
    assert found is not None
    return found


def test_the_documented_tax_rate():
    assert Fraction(1, 10) == TEST_TAX_RATE


@pytest.mark.parametrize(
    ("value", "step", "rounded"),
    [
        (Fraction(2468, 10), 1, 247),  # 246.8
        (Fraction(95, 10), 1, 10),  # 9.5: half up
        (Fraction(94, 10), 1, 9),
        (Fraction(512), 10, 510),  # KWD: to the step of 10
        (Fraction(515), 10, 520),  # half a step: up
        (Fraction(5149, 10), 10, 510),
        (Fraction(150), 100, 200),  # ISK: whole krónur
        (Fraction(149), 100, 100),
        (Fraction(0), 10, 0),
    ],
)
def test_round_to_step_is_half_up(value, step, rounded):
    assert amounts.round_to_step(value, step) == rounded


@pytest.mark.parametrize(
    ("amount", "behavior", "step", "tax"),
    [
        (2468, "exclusive", 1, 247),
        (2468, "unspecified", 1, 247),  # as exclusive
        (2468, "inclusive", 1, 224),  # 2468 - 2468/1.1 = 224.36
        (1100, "inclusive", 1, 100),
        (500, "exclusive", 1, 50),  # JPY: zero-decimal, step 1
        (55, "inclusive", 1, 5),
        (5120, "exclusive", 10, 510),  # KWD 5.120: 0.512 -> 0.510
        (5120, "inclusive", 10, 470),  # 465.45 -> 470
        (150000, "exclusive", 100, 15000),  # ISK
    ],
)
def test_tax_on_one_line(amount, behavior, step, tax):
    assert amounts.tax_on(amount, behavior, step) == tax


@pytest.mark.parametrize(
    ("amount", "weights", "step", "shares"),
    [
        (100, [2468, 99], 1, [96, 4]),  # 96.14 and 3.86: the larger remainder gets the cent
        (100, [1, 1, 1], 1, [34, 33, 33]),  # ties go to the earlier line
        (100, [5120, 2560], 10, [70, 30]),  # KWD: whole steps of 10
        (100, [500, 500], 100, [100, 0]),  # ISK: one step of 100
        (0, [10, 20], 1, [0, 0]),
        (100, [0, 0], 1, [0, 0]),
    ],
)
def test_spread_gives_whole_steps_that_add_up(amount, weights, step, shares):
    result = amounts.spread(amount, weights, step)
    assert result == shares
    assert sum(result) == (amount if sum(weights) else 0)
    assert all(share % step == 0 for share in result)


def test_a_discount_never_takes_a_total_below_zero():
    priced = amounts.price(
        [(60, "exclusive"), (30, "exclusive")], None, amount_off=100, taxed=True, step=1
    )
    assert [line.discount for line in priced.lines] == [60, 30]
    assert (priced.discount, priced.tax, priced.total) == (90, 0, 0)


def test_shipping_is_taxed_but_never_discounted():
    priced = amounts.price(
        [(1000, "exclusive")], (500, "inclusive"), amount_off=100, taxed=True, step=1
    )
    assert priced.lines[0] == amounts.Charged(1000, 100, 90, 990)
    assert priced.shipping == amounts.Charged(500, 0, 45, 500)
    assert (priced.subtotal, priced.discount, priced.tax, priced.shipping_amount) == (
        1000,
        100,
        135,
        500,
    )
    assert priced.total == 1490


def test_without_automatic_tax_there_is_no_tax():
    priced = amounts.price(
        [(1000, "exclusive")], (500, "exclusive"), amount_off=0, taxed=False, step=1
    )
    assert (priced.tax, priced.total) == (0, 1500)


@pytest.mark.parametrize(
    ("amount", "source", "target", "shown"),
    [
        (2468, "usd", "eur", 2715),  # 24.68 x 1.1 = 27.148
        (500, "jpy", "eur", 55000),  # 500 x 1.1 = 550.00
        (2468, "usd", "jpy", 27),  # 27.148 -> 27
        (5120, "kwd", "usd", 563),  # 5.120 x 1.1 = 5.632
        (2468, "usd", "kwd", 27150),  # 27.148 -> 27.150 (step 10)
        (2468, "usd", "usd", 2468),  # the same currency: no conversion
    ],
)
def test_presentment_amounts(amount, source, target, shown):
    assert amounts.presentment_amount(amount, currency(source), currency(target)) == shown
