"""The stand-in's own currency table, from Stripe's "Supported currencies" page."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from wagtail_stripe_checkout.testing import currencies

TESTING = Path(currencies.__file__).parent


@pytest.mark.parametrize(
    ("code", "exponent", "step", "minimum"),
    [
        ("usd", 2, 1, 50),
        ("USD", 2, 1, 50),
        ("gbp", 2, 1, 30),
        ("huf", 2, 1, 17500),
        ("jpy", 0, 1, 50),
        ("krw", 0, 1, 1),  # zero-decimal, no minimum of its own
        ("kwd", 3, 10, 10),
        ("bhd", 3, 10, 10),
        ("isk", 2, 100, 100),
        ("thb", 2, 1, 1000),
        ("zar", 2, 1, 1),
    ],
)
def test_currency_rules(code, exponent, step, minimum):
    currency = currencies.lookup(code)
    assert currency is not None
    assert (currency.code, currency.exponent, currency.step, currency.minimum) == (
        code.lower(),
        exponent,
        step,
        minimum,
    )


def test_the_documented_lists():
    assert len(currencies.ZERO_DECIMAL) == 16
    assert sorted(currencies.THREE_DECIMAL) == ["bhd", "jod", "kwd", "omr", "tnd"]
    assert currencies.ZERO_DECIMAL | currencies.THREE_DECIMAL <= currencies.SUPPORTED
    assert set(currencies.MINIMUM_CHARGE) <= currencies.SUPPORTED
    assert currencies.MAX_AMOUNT == 99_999_999


@pytest.mark.parametrize("code", ["xyz", "", "btc"])
def test_unknown_currencies(code):
    assert currencies.lookup(code) is None


@pytest.mark.parametrize(
    ("minor", "code", "shown"),
    [
        (3584, "usd", "35.84 USD"),
        (500, "jpy", "500 JPY"),
        (1230, "kwd", "1.230 KWD"),
        (150000, "isk", "1500 ISK"),
        (7, "xyz", "7 xyz"),
    ],
)
def test_display(minor, code, shown):
    assert currencies.display(minor, code) == shown


def test_the_stand_in_imports_nothing_of_the_package_it_tests():
    """It checks the code under test, so it must not share that code's rules."""
    for path in sorted(TESTING.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                assert node.level <= 1, f"{path.name} imports from the package: {module}"
                assert not module.startswith("wagtail_stripe_checkout"), (
                    f"{path.name} imports {module}"
                )
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
                assert not any(n.startswith("wagtail_stripe_checkout") for n in names), (
                    f"{path.name} imports {names}"
                )
