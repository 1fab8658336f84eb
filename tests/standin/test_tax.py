"""Automatic tax: the stand-in's documented 10% on every line item and the shipping,
rounded half-up per line to the currency's step; added on top unless the price
includes it (``tax_behavior=inclusive``)."""

from __future__ import annotations

import pytest
import stripe
from stripe.checkout import Session

from .helpers import error_of, item, pay_page, post_pay_page, rate, raw, session_params
from .shapes import assert_shaped_like

TAX = {"enabled": True}


def taxed_item(currency, unit_amount, quantity=1, behavior=None, tax_code=None, name="Mug"):
    line = item(currency, unit_amount, quantity, name)
    if behavior:
        line["price_data"]["tax_behavior"] = behavior
    if tax_code:
        line["price_data"]["product_data"]["tax_code"] = tax_code
    return line


def create(sdk, **change):
    return sdk.v1.checkout.sessions.create(params=session_params(automatic_tax=TAX, **change))


def line_amounts(sdk, session_id):
    lines = sdk.v1.checkout.sessions.line_items.list(session_id)
    return [(li.amount_subtotal, li.amount_tax, li.amount_total) for li in lines.data]


@pytest.mark.parametrize(
    ("currency", "unit_amount", "behavior", "line", "total"),
    [
        ("usd", 1234, "exclusive", (2468, 247, 2715), 2715),
        ("usd", 1234, None, (2468, 247, 2715), 2715),  # unspecified: as exclusive
        ("usd", 1234, "inclusive", (2468, 224, 2468), 2468),  # 2468 - 2468/1.1
        ("jpy", 1234, "exclusive", (2468, 247, 2715), 2715),
        ("jpy", 1235, "exclusive", (2470, 247, 2717), 2717),
        ("jpy", 1100, "inclusive", (2200, 200, 2200), 2200),
        ("kwd", 5120, "exclusive", (10240, 1020, 11260), 11260),  # 1.024 -> 1.020 KWD
        ("kwd", 5130, "exclusive", (10260, 1030, 11290), 11290),  # 1.026 -> 1.030 KWD
        ("kwd", 5120, "inclusive", (10240, 930, 10240), 10240),  # 0.93091 -> 0.930 KWD
    ],
)
def test_tax_on_line_items(sdk, currency, unit_amount, behavior, line, total):
    session = create(sdk, line_items=[taxed_item(currency, unit_amount, 2, behavior)])
    assert line_amounts(sdk, session.id) == [line]
    assert session.amount_total == total
    assert session.total_details.amount_tax == line[1]
    assert session.amount_subtotal == line[0]


def test_each_line_is_rounded_on_its_own(sdk):
    session = create(
        sdk,
        line_items=[
            taxed_item("usd", 5, 1, name="A"),  # 0.5 -> 1
            taxed_item("usd", 5, 1, name="B"),  # 0.5 -> 1
            taxed_item("usd", 1000, 1, "inclusive", name="C"),  # 90.9 -> 91
        ],
    )
    assert [tax for _subtotal, tax, _total in line_amounts(sdk, session.id)] == [1, 1, 91]
    assert session.total_details.amount_tax == 93
    assert session.amount_total == 5 + 1 + 5 + 1 + 1000


@pytest.mark.parametrize(
    ("currency", "shipping_behavior", "shipping_cost", "total"),
    [
        ("usd", None, (500, 50, 550), 2468 + 247 + 550),
        ("usd", "inclusive", (500, 45, 500), 2468 + 247 + 500),
        ("jpy", "exclusive", (500, 50, 550), 2468 + 247 + 550),
        ("kwd", "exclusive", (500, 50, 550), 2460 + 250 + 550),  # items 2.460, tax 0.246 -> 0.250
    ],
)
def test_the_shipping_is_taxed_too(
    sdk, stripe_fixtures, currency, shipping_behavior, shipping_cost, total
):
    unit_amount = 1230 if currency == "kwd" else 1234
    extra = {"tax_behavior": shipping_behavior} if shipping_behavior else {}
    session = create(
        sdk,
        line_items=[taxed_item(currency, unit_amount, 2)],
        shipping_options=[rate(500, currency=currency, **extra)],
    )
    body = raw(session)
    assert_shaped_like(body, stripe_fixtures["checkout.session"], Session)
    cost = body["shipping_cost"]
    assert (cost["amount_subtotal"], cost["amount_tax"], cost["amount_total"]) == shipping_cost
    assert body["total_details"]["amount_shipping"] == 500
    assert (
        body["total_details"]["amount_tax"]
        == line_amounts(sdk, session.id)[0][1] + shipping_cost[1]
    )
    assert body["amount_total"] == total


def test_without_automatic_tax_nothing_is_added(sdk):
    session = sdk.v1.checkout.sessions.create(
        params=session_params(line_items=[taxed_item("usd", 1234, 2, "exclusive")])
    )
    assert (session.amount_total, session.total_details.amount_tax) == (2468, 0)
    assert session.automatic_tax.enabled is False


def test_the_price_keeps_its_tax_behavior_and_the_session_its_tax_settings(sdk):
    session = create(sdk, line_items=[taxed_item("usd", 1000, 1, "inclusive", "txcd_99999999")])
    (line,) = sdk.v1.checkout.sessions.line_items.list(session.id).data
    assert line.price.tax_behavior == "inclusive"
    assert raw(session)["automatic_tax"] == {
        "enabled": True,
        "liability": {"type": "self"},
        "provider": "stripe",
        "status": "complete",
    }


def test_the_charge_is_for_the_taxed_total(sdk, stand_in):
    session = create(sdk, shipping_options=[rate(500)])
    stand_in.pay(session.id)
    payment_intent = stand_in.session(session.id)["payment_intent"]
    assert stand_in.state.charges[payment_intent]["amount"] == 2468 + 247 + 550


def test_the_pay_page_shows_the_tax(sdk, stand_in):
    session = create(
        sdk,
        line_items=[
            taxed_item("usd", 1234, 2, "exclusive"),
            taxed_item("usd", 1100, 1, "inclusive", name="Pen"),
        ],
    )
    html = pay_page(stand_in.api_base, session.id).text
    assert "<td>Tax (10%)</td><td class='n'>2.47 USD</td>" in html
    assert "<td>Tax included (10%)</td><td class='n'>1.00 USD</td>" in html
    assert "<h1>Pay 38.15 USD</h1>" in html  # 24.68 + 2.47 + 11.00


def refusal(sdk, line):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        create(sdk, line_items=[line])
    assert exc.value.http_status == 400
    return error_of(exc.value)


def test_an_unknown_tax_behavior_or_tax_code_is_refused(sdk):
    error = refusal(sdk, taxed_item("usd", 100, 1, "sometimes"))
    assert error["param"] == "line_items[0][price_data][tax_behavior]"
    assert error["message"] == (
        "Invalid line_items[0][price_data][tax_behavior]: must be one of exclusive, inclusive, "
        "unspecified"
    )
    error = refusal(sdk, taxed_item("usd", 100, 1, tax_code="txcd_123"))
    assert (error["message"], error["param"], error["code"]) == (
        "No such tax code: 'txcd_123'",
        "line_items[0][price_data][product_data][tax_code]",
        "resource_missing",
    )


def test_a_taxed_total_over_eight_digits_is_refused(sdk):
    with pytest.raises(stripe.InvalidRequestError) as exc:
        create(sdk, line_items=[taxed_item("usd", 95_000_000)])
    assert exc.value.code == "amount_too_large"


def test_the_documented_example(sdk, stand_in):
    """docs/testing.md: 2 x 12.34 USD and 5.00 USD shipping; then with TESTCODE100."""
    session = create(sdk, shipping_options=[rate(500)], allow_promotion_codes=True)
    assert (session.total_details.amount_tax, session.amount_total) == (247 + 50, 3265)
    answer = post_pay_page(
        stand_in.api_base, session.id, action="apply", promotion_code="TESTCODE100"
    )
    assert "<h1>Pay 31.55 USD</h1>" in answer.text
    stored = stand_in.session(session.id)
    assert (stored["total_details"]["amount_tax"], stored["amount_total"]) == (237 + 50, 3155)
